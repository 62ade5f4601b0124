//! The manifests as plain YAML: kustomize's files under `config/`, and the single stream
//! `crdgen` prints without flags.

use std::path::Path;

use serde::Serialize;

use super::{
    File, Manifests,
    crds::crd_file_name,
    roles::{ManagerRole, leader_election_role},
    yaml,
};
use crate::error::Error;

impl Manifests {
    /// The kustomize files: `<dir>/crd/bases/<group>_<plural>.yaml` per CRD,
    /// `<dir>/rbac/role.yaml`, `<dir>/rbac/leader_election_role.yaml` and, with admission
    /// webhooks, `<dir>/webhook/manifests.yaml` (the mutating then the validating
    /// configuration).
    pub fn kustomize_files(&self, dir: &Path) -> Result<Vec<File>, Error> {
        let mut files = Vec::new();
        for crd in &self.crds_with_conversion() {
            let path = dir.join("crd").join("bases").join(crd_file_name(crd));
            files.push(File {
                path,
                contents: document(crd)?,
            });
        }
        let rbac = dir.join("rbac");
        let role = match self.manager_role() {
            ManagerRole::Cluster(role) => document(&role)?,
            ManagerRole::Namespaced(role) => document(&role)?,
        };
        files.push(File {
            path: rbac.join("role.yaml"),
            contents: role,
        });
        files.push(File {
            path: rbac.join("leader_election_role.yaml"),
            contents: document(&leader_election_role())?,
        });
        if let Some(contents) = self.webhook_configurations()? {
            files.push(File {
                path: dir.join("webhook").join("manifests.yaml"),
                contents,
            });
        }
        Ok(files)
    }

    /// The webhook configurations as YAML documents, if there is any.
    fn webhook_configurations(&self) -> Result<Option<String>, Error> {
        let mut yaml = String::new();
        if let Some(mutating) = self.webhooks.mutating_configuration() {
            yaml.push_str(&document(&mutating)?);
        }
        if let Some(validating) = self.webhooks.validating_configuration() {
            yaml.push_str(&document(&validating)?);
        }
        Ok((!yaml.is_empty()).then_some(yaml))
    }

    /// Every manifest as one multi-document YAML stream.
    pub fn to_yaml(&self) -> Result<String, Error> {
        let mut yaml = String::new();
        for crd in &self.crds_with_conversion() {
            yaml.push_str(&document(crd)?);
        }
        match self.manager_role() {
            ManagerRole::Cluster(role) => yaml.push_str(&document(&role)?),
            ManagerRole::Namespaced(role) => yaml.push_str(&document(&role)?),
        }
        yaml.push_str(&document(&leader_election_role())?);
        yaml.push_str(&self.webhook_configurations()?.unwrap_or_default());
        Ok(yaml)
    }
}

/// One YAML document, starting with `---` so that documents can be concatenated.
fn document(value: &impl Serialize) -> Result<String, Error> {
    Ok(format!("---\n{}", yaml(value)?))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::manifests::{
        Manifests,
        fixtures::{manifests, with_webhooks},
    };
    use crate::webhook::Webhooks;

    #[test]
    fn kustomize_files_hold_the_crds_and_roles() {
        let files = manifests(false)
            .kustomize_files(Path::new("config"))
            .unwrap();
        let paths: Vec<&Path> = files.iter().map(|file| file.path.as_path()).collect();
        assert_eq!(
            paths,
            [
                Path::new("config/crd/bases/example.com_widgets.yaml"),
                Path::new("config/rbac/role.yaml"),
                Path::new("config/rbac/leader_election_role.yaml"),
            ]
        );
        assert!(
            files[1].contents.contains("kind: ClusterRole\n"),
            "{}",
            files[1].contents
        );
        assert!(
            files[1].contents.contains("- pods\n"),
            "{}",
            files[1].contents
        );
        assert!(
            files[2].contents.contains("- leases\n"),
            "{}",
            files[2].contents
        );

        let files = manifests(true)
            .kustomize_files(Path::new("config"))
            .unwrap();
        assert!(
            files[1].contents.contains("kind: Role\n"),
            "{}",
            files[1].contents
        );
        assert!(
            files[1].contents.contains("namespace: system\n"),
            "{}",
            files[1].contents
        );
    }

    #[test]
    fn kustomize_files_hold_the_webhook_configurations_and_conversions() {
        let files = with_webhooks()
            .kustomize_files(Path::new("config"))
            .unwrap();
        let paths: Vec<&Path> = files.iter().map(|file| file.path.as_path()).collect();
        assert_eq!(
            paths,
            [
                Path::new("config/crd/bases/tutorial.my.domain_foos.yaml"),
                Path::new("config/crd/bases/example.com_widgets.yaml"),
                Path::new("config/rbac/role.yaml"),
                Path::new("config/rbac/leader_election_role.yaml"),
                Path::new("config/webhook/manifests.yaml"),
            ]
        );
        let foos = &files[0].contents;
        assert!(
            foos.contains(
                "  conversion:\n    strategy: Webhook\n    webhook:\n      clientConfig:\n        \
                 service:\n          name: webhook-service\n          namespace: system\n          \
                 path: /convert\n"
            ),
            "{foos}"
        );
        assert!(
            !files[1].contents.contains("conversion"),
            "{}",
            files[1].contents
        );
        let webhooks = &files[4].contents;
        let mutating = webhooks.find("kind: MutatingWebhookConfiguration").unwrap();
        let validating = webhooks
            .find("kind: ValidatingWebhookConfiguration")
            .unwrap();
        assert!(mutating < validating, "{webhooks}");
        assert_eq!(webhooks.matches("---\n").count(), 2, "{webhooks}");
        assert!(
            webhooks.contains("name: mutating-webhook-configuration\n"),
            "{webhooks}"
        );
        assert!(
            webhooks.contains("path: /validate-tutorial-my-domain-v2-foo\n"),
            "{webhooks}"
        );

        // No admission webhooks, no file; the YAML on stdout has them all.
        let conversion_only = Manifests::new("example").webhooks(Webhooks::new().conversion(
            crate::webhook::Conversion::hub::<crate::webhook::tests::v2::Foo>(),
        ));
        let files = conversion_only
            .kustomize_files(Path::new("config"))
            .unwrap();
        assert!(
            files
                .iter()
                .all(|file| !file.path.starts_with("config/webhook"))
        );
        let yaml = with_webhooks().to_yaml().unwrap();
        assert!(
            yaml.contains("kind: ValidatingWebhookConfiguration"),
            "{yaml}"
        );
        assert!(yaml.contains("strategy: Webhook"), "{yaml}");
    }
}
