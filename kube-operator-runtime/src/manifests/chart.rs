//! The manifests as templates of the project's Helm chart: the release's name, namespace and
//! labels, a `.Values` switch around each file, and cert-manager's CA injection.

use std::path::Path;

use k8s_openapi::api::admissionregistration::v1::WebhookClientConfig;
use kube::{Resource, core::ObjectMeta};
use serde::Serialize;

use super::{
    File, Manifests,
    crds::crd_file_name,
    roles::{ManagerRole, leader_election_role},
    yaml,
};
use crate::error::Error;

impl Manifests {
    /// The same objects as templates of the Helm chart in `dir`:
    /// `<dir>/templates/crd/<group>_<plural>.yaml`, `<dir>/templates/rbac/role.yaml`,
    /// `<dir>/templates/rbac/leader_election_role.yaml` and, with admission webhooks,
    /// `<dir>/templates/webhook/webhooks.yaml`. Each renders only while `.Values.crd.enable`,
    /// `.Values.rbac.enable` or `.Values.webhook.enable` (off when missing) is true. Webhooks
    /// call the Service `<project>-webhook-service` in the release's namespace, and get their CA
    /// from cert-manager's `<project>-serving-cert` while `.Values.certManager.enable` (on when
    /// missing) is true.
    pub fn chart_files(&self, dir: &Path) -> Result<Vec<File>, Error> {
        let templates = dir.join("templates");
        let mut files = Vec::new();
        for mut crd in self.crds_with_conversion() {
            // `helm uninstall` keeps the CRD, and so every custom resource stored under it.
            crd.metadata
                .annotations
                .get_or_insert_default()
                .insert("helm.sh/resource-policy".into(), "keep".into());
            let converted = match crd
                .spec
                .conversion
                .as_mut()
                .and_then(|conversion| conversion.webhook.as_mut())
                .and_then(|webhook| webhook.client_config.as_mut())
                .and_then(|config| config.service.as_mut())
            {
                Some(service) => {
                    service.name = self.chart_service_name();
                    service.namespace = HELM_RELEASE_NAMESPACE.into();
                    inject_ca(&mut crd.metadata);
                    true
                }
                None => false,
            };
            let path = templates.join("crd").join(crd_file_name(&crd));
            let mut contents = self.chart_template(crd, "crd")?;
            if converted {
                // Without the webhook server, a CRD converted by it could not be read in its
                // other versions.
                contents = wrap_block(&contents, "  conversion:", &switch_condition("webhook"));
            }
            files.push(File { path, contents });
        }
        let rbac = templates.join("rbac");
        let role = match self.manager_role() {
            ManagerRole::Cluster(role) => self.chart_template(role, "rbac")?,
            ManagerRole::Namespaced(role) => self.chart_template(role, "rbac")?,
        };
        files.push(File {
            path: rbac.join("role.yaml"),
            contents: role,
        });
        files.push(File {
            path: rbac.join("leader_election_role.yaml"),
            contents: self.chart_template(leader_election_role(), "rbac")?,
        });
        let mut configurations = Vec::new();
        if let Some(mut mutating) = self.webhooks.mutating_configuration() {
            for webhook in mutating.webhooks.iter_mut().flatten() {
                self.chart_service(&mut webhook.client_config);
            }
            inject_ca(&mut mutating.metadata);
            configurations.push(self.chart_object(mutating)?);
        }
        if let Some(mut validating) = self.webhooks.validating_configuration() {
            for webhook in validating.webhooks.iter_mut().flatten() {
                self.chart_service(&mut webhook.client_config);
            }
            inject_ca(&mut validating.metadata);
            configurations.push(self.chart_object(validating)?);
        }
        if !configurations.is_empty() {
            files.push(File {
                path: templates.join("webhook").join("webhooks.yaml"),
                contents: chart_file(&configurations.join("---\n"), "webhook"),
            });
        }
        Ok(files)
    }

    /// The webhook Service as the chart names it.
    fn chart_service_name(&self) -> String {
        format!("{}-{}", self.project_name, crate::webhook::SERVICE_NAME)
    }

    fn chart_service(&self, config: &mut WebhookClientConfig) {
        if let Some(service) = &mut config.service {
            service.name = self.chart_service_name();
            service.namespace = HELM_RELEASE_NAMESPACE.into();
        }
    }

    /// with the project's prefix, in the release's namespace if it has one, and rendered only
    /// while `.Values.<switch>.enable` is true. CRDs keep their names.
    fn chart_template<K>(&self, object: K, switch: &str) -> Result<String, Error>
    where
        K: Resource<DynamicType = ()> + Serialize,
    {
        Ok(chart_file(&self.chart_object(object)?, switch))
    }

    /// `object` as YAML for the Helm chart, labelled, named and placed as
    /// [`chart_template`](Self::chart_template) says, without the switch.
    fn chart_object<K>(&self, mut object: K) -> Result<String, Error>
    where
        K: Resource<DynamicType = ()> + Serialize,
    {
        let is_crd = K::kind(&()) == "CustomResourceDefinition";
        let meta = object.meta_mut();
        if !is_crd && let Some(name) = &mut meta.name {
            *name = format!("{}-{name}", self.project_name);
        }
        if meta.namespace.is_some() {
            meta.namespace = Some(HELM_RELEASE_NAMESPACE.into());
        }
        meta.labels.get_or_insert_default().extend([
            ("app.kubernetes.io/name".into(), self.project_name.clone()),
            (
                "app.kubernetes.io/instance".into(),
                HELM_RELEASE_NAME.into(),
            ),
            (
                "app.kubernetes.io/managed-by".into(),
                HELM_RELEASE_SERVICE.into(),
            ),
        ]);
        // Go templates would read `{{` in a description as the start of an action.
        let mut text = yaml(&object)?.replace("{{", r#"{{ "{{" }}"#);
        // The CA annotation is kept while cert-manager is on only.
        let certificate = format!(
            "{HELM_RELEASE_NAMESPACE}/{}-serving-cert",
            self.project_name
        );
        text = text
            .lines()
            .map(|line| match line.split_once(CERT_MANAGER_INJECT_CA) {
                Some((indent, _)) => format!(
                    "{indent}{{{{- if {} }}}}\n\
                     {indent}{CERT_MANAGER_INJECT_CA}: \"{certificate}\"\n\
                     {indent}{{{{- end }}}}\n",
                    switch_condition("certManager")
                ),
                None => format!("{line}\n"),
            })
            .collect();
        for (placeholder, expression) in [
            (HELM_RELEASE_NAME, "{{ .Release.Name }}"),
            (HELM_RELEASE_NAMESPACE, "{{ .Release.Namespace }}"),
            (HELM_RELEASE_SERVICE, "{{ .Release.Service }}"),
        ] {
            text = text.replace(placeholder, expression);
        }
        Ok(text)
    }
}

/// `text` as a whole template of the chart, rendered only while `.Values.<switch>.enable` is
/// true.
fn chart_file(text: &str, switch: &str) -> String {
    format!(
        "{{{{/* Written by crdgen from the Rust code; change that code and run `make manifests`. */}}}}\n\
         {{{{- if {} }}}}\n{text}{{{{- end }}}}\n",
        switch_condition(switch)
    )
}

/// The Go template condition of `.Values.<switch>.enable`. A values.yaml written before the
/// project's first webhook has no `webhook` or `certManager`: webhooks are then off, and
/// cert-manager on, as the chart's own templates read them.
fn switch_condition(switch: &str) -> String {
    match switch {
        "webhook" => r#"dig "webhook" "enable" false .Values.AsMap"#.into(),
        "certManager" => r#"dig "certManager" "enable" true .Values.AsMap"#.into(),
        other => format!(".Values.{other}.enable"),
    }
}

/// Marks an object for cert-manager's CA injector; the chart sets the annotation's value.
fn inject_ca(meta: &mut ObjectMeta) {
    meta.annotations
        .get_or_insert_default()
        .insert(CERT_MANAGER_INJECT_CA.into(), String::new());
}

/// `text` with the YAML block that starts at the line `start` (and goes on with the more
/// indented lines after it) rendered only while `condition` is true.
fn wrap_block(text: &str, start: &str, condition: &str) -> String {
    let indent = &start[..start.len() - start.trim_start().len()];
    let mut wrapped = String::new();
    let mut inside = false;
    for line in text.lines() {
        let line_indent = line.len() - line.trim_start().len();
        if inside && line_indent <= indent.len() {
            wrapped.push_str(&format!("{indent}{{{{- end }}}}\n"));
            inside = false;
        }
        if line == start {
            wrapped.push_str(&format!("{indent}{{{{- if {condition} }}}}\n"));
            inside = true;
        }
        wrapped.push_str(line);
        wrapped.push('\n');
    }
    if inside {
        wrapped.push_str(&format!("{indent}{{{{- end }}}}\n"));
    }
    wrapped
}

// Helm expressions are set in the objects as these placeholders, which no manifest contains, so
// that the braces of the manifests' own text can be escaped first.
const HELM_RELEASE_NAME: &str = "@helm:release-name@";
const HELM_RELEASE_NAMESPACE: &str = "@helm:release-namespace@";
const HELM_RELEASE_SERVICE: &str = "@helm:release-service@";
/// The annotation asking cert-manager to put its CA into a webhook's `caBundle`.
const CERT_MANAGER_INJECT_CA: &str = "cert-manager.io/inject-ca-from";

#[cfg(test)]
mod tests {
    use std::{collections::BTreeMap, path::Path};

    use super::*;
    use crate::manifests::fixtures::{manifests, with_webhooks};

    #[test]
    fn chart_templates_use_the_release_and_a_switch() {
        let files = manifests(false)
            .chart_files(Path::new("dist/chart"))
            .unwrap();
        let role = &files[2];
        assert_eq!(
            role.path,
            Path::new("dist/chart/templates/rbac/leader_election_role.yaml")
        );
        let text = &role.contents;
        let mut lines = text.lines();
        assert!(lines.next().unwrap().starts_with("{{/*"), "{text}");
        assert_eq!(lines.next(), Some("{{- if .Values.rbac.enable }}"));
        assert_eq!(text.lines().last(), Some("{{- end }}"));
        assert!(
            text.contains("name: example-leader-election-role\n"),
            "{text}"
        );
        assert!(
            text.contains(r#"namespace: "{{ .Release.Namespace }}""#),
            "{text}"
        );
        assert!(text.contains("{{ .Release.Name }}"), "{text}");
        assert!(!text.contains("@helm:"), "{text}");

        let crd = &files[0].contents;
        assert!(crd.contains("{{- if .Values.crd.enable }}"), "{crd}");
        assert!(crd.contains("helm.sh/resource-policy: keep"), "{crd}");
        assert!(crd.contains("name: widgets.example.com\n"), "{crd}");
    }

    #[test]
    fn braces_in_the_manifests_are_escaped_for_helm() {
        let mut role = leader_election_role();
        role.metadata.annotations = Some(BTreeMap::from([(
            "note".to_string(),
            "{{ not a template }}".to_string(),
        )]));
        let text = manifests(false).chart_template(role, "rbac").unwrap();
        assert!(text.contains(r#"{{ "{{" }} not a template }}"#), "{text}");
    }

    #[test]
    fn chart_webhooks_call_the_release_service_with_cert_manager_ca() {
        let files = with_webhooks()
            .chart_files(Path::new("dist/chart"))
            .unwrap();
        let webhooks = files.last().unwrap();
        assert_eq!(
            webhooks.path,
            Path::new("dist/chart/templates/webhook/webhooks.yaml")
        );
        let text = &webhooks.contents;
        let mut lines = text.lines();
        assert!(lines.next().unwrap().starts_with("{{/*"), "{text}");
        assert_eq!(
            lines.next(),
            Some(r#"{{- if dig "webhook" "enable" false .Values.AsMap }}"#)
        );
        assert_eq!(text.lines().last(), Some("{{- end }}"));
        assert_eq!(text.matches("\n---\n").count(), 1, "{text}");
        assert!(
            text.contains("name: example-mutating-webhook-configuration\n"),
            "{text}"
        );
        assert!(
            text.contains("name: example-validating-webhook-configuration\n"),
            "{text}"
        );
        assert_eq!(
            text.matches("name: example-webhook-service\n").count(),
            2,
            "{text}"
        );
        assert_eq!(
            text.matches(r#"namespace: "{{ .Release.Namespace }}""#)
                .count(),
            2,
            "{text}"
        );
        assert!(
            text.contains(
                "  annotations:\n    {{- if dig \"certManager\" \"enable\" true .Values.AsMap }}\n    \
                 cert-manager.io/inject-ca-from: \"{{ .Release.Namespace }}/example-serving-cert\"\n    \
                 {{- end }}\n"
            ),
            "{text}"
        );
        assert!(!text.contains("@helm:"), "{text}");

        let crd = &files[0].contents;
        assert!(
            crd.contains(
                "    {{- if dig \"certManager\" \"enable\" true .Values.AsMap }}\n    cert-manager.io/inject-ca-from"
            ),
            "{crd}"
        );
        assert!(crd.contains("    helm.sh/resource-policy: keep\n"), "{crd}");
        assert!(
            crd.contains(
                "spec:\n  {{- if dig \"webhook\" \"enable\" false .Values.AsMap }}\n  conversion:\n    strategy: Webhook\n"
            ),
            "{crd}"
        );
        assert!(
            crd.contains("      - v1\n  {{- end }}\n  group: tutorial.my.domain\n"),
            "{crd}"
        );
        assert!(crd.contains("name: example-webhook-service\n"), "{crd}");
        assert!(
            !files[1].contents.contains("certManager"),
            "{}",
            files[1].contents
        );

        // Without webhooks, no template for them.
        let files = manifests(false)
            .chart_files(Path::new("dist/chart"))
            .unwrap();
        assert!(
            files
                .iter()
                .all(|file| !file.path.ends_with("webhooks.yaml"))
        );
    }
}
