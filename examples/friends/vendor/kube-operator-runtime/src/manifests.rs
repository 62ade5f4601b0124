//! The manifests that follow from an operator's Rust code: every CRD, the manager's role, the
//! leader-election role and the webhook configurations, as kustomize files under `config/` and
//! as Helm chart templates.
//!
//! A project's `crdgen` binary is one call:
//!
//! ```no_run
//! use kube_operator_runtime::manifests::Manifests;
//!
//! fn main() -> std::process::ExitCode {
//!     Manifests::new("my-operator")
//!         // .crds(my_operator::api::crds())
//!         // .manager_rules(my_operator::controllers::policy_rules())
//!         // .webhooks(my_operator::webhooks())
//!         .crdgen()
//! }
//! ```

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::ExitCode,
};

use clap::Parser;
use k8s_openapi::{
    api::{
        admissionregistration::v1::WebhookClientConfig,
        rbac::v1::{ClusterRole, PolicyRule, Role},
    },
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Resource,
    core::{ObjectMeta, crd::merge_crds},
};
use serde::Serialize;

use crate::{Error, rbac, webhook::Webhooks};

/// Groups single-version CRDs (as `CustomResourceExt::crd()` gives them) by name and merges the
/// versions of each into one CRD, whose storage version is the one listed first. CRDs keep the
/// order in which they are first listed.
///
/// ```
/// # use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
/// # fn example(v1_foo: CustomResourceDefinition, v2_foo: CustomResourceDefinition) {
/// // v2 is stored; v1 is still served.
/// let crds = kube_operator_runtime::manifests::merge_versions(vec![v2_foo, v1_foo]).unwrap();
/// # }
/// ```
pub fn merge_versions(
    per_version: Vec<CustomResourceDefinition>,
) -> Result<Vec<CustomResourceDefinition>, Error> {
    let mut groups: Vec<Vec<CustomResourceDefinition>> = Vec::new();
    for crd in per_version {
        match groups
            .iter_mut()
            .find(|group| group[0].metadata.name == crd.metadata.name)
        {
            Some(group) => group.push(crd),
            None => groups.push(vec![crd]),
        }
    }
    groups
        .into_iter()
        .map(|group| {
            let name = group[0].metadata.name.clone().unwrap_or_default();
            let merge_error = |source| Error::MergeCrds {
                name: name.clone(),
                source,
            };
            let storage = group[0]
                .spec
                .versions
                .first()
                .map(|version| version.name.clone())
                .ok_or(kube::core::crd::MergeError::MissingVersions)
                .map_err(merge_error)?;
            merge_crds(group, &storage).map_err(merge_error)
        })
        .collect()
}

/// What an operator deploys that its Rust code decides. Build it with [`Manifests::new`] and the
/// setters, then write it with [`Manifests::crdgen`] or take the files with
/// [`Manifests::kustomize_files`] and [`Manifests::chart_files`].
#[derive(Debug, Clone)]
#[must_use]
pub struct Manifests {
    project_name: String,
    namespaced: bool,
    crds: Vec<CustomResourceDefinition>,
    manager_rules: Vec<PolicyRule>,
    webhooks: Webhooks,
}

/// One file to write, relative to the project's folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct File {
    /// Where it goes, such as `config/rbac/role.yaml`.
    pub path: PathBuf,
    /// What it holds.
    pub contents: String,
}

impl Manifests {
    /// The manifests of the project `project_name`, which the Helm chart prefixes its objects'
    /// names with (as kustomize's `namePrefix` does).
    pub fn new(project_name: impl Into<String>) -> Self {
        Self {
            project_name: project_name.into(),
            namespaced: false,
            crds: Vec::new(),
            manager_rules: Vec::new(),
            webhooks: Webhooks::new(),
        }
    }

    /// Whether the manager watches only its own namespace: its rules then go in a Role instead
    /// of a ClusterRole.
    pub fn namespaced(mut self, namespaced: bool) -> Self {
        self.namespaced = namespaced;
        self
    }

    /// The project's CRDs, one per kind (see [`merge_versions`]).
    pub fn crds(mut self, crds: Vec<CustomResourceDefinition>) -> Self {
        self.crds = crds;
        self
    }

    /// What the manager may do: the union of its controllers' rules (see [`rbac::merge_rules`]).
    pub fn manager_rules(mut self, rules: Vec<PolicyRule>) -> Self {
        self.manager_rules = rules;
        self
    }

    /// The project's webhooks (the value its manager serves): their configurations, and the
    /// conversion stanza of each CRD with a [`Conversion`](crate::webhook::Conversion).
    pub fn webhooks(mut self, webhooks: Webhooks) -> Self {
        self.webhooks = webhooks;
        self
    }

    /// The CRDs, with their conversion webhooks.
    fn crds_with_conversion(&self) -> Vec<CustomResourceDefinition> {
        self.webhooks.with_conversion(self.crds.clone())
    }

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

    /// The `main` of a project's `crdgen` binary. Its flags:
    /// - none: print every manifest to stdout;
    /// - `--output-dir DIR`: write the [kustomize files](Self::kustomize_files) under `DIR`;
    /// - `--chart-dir DIR`: write the [chart templates](Self::chart_files) under `DIR`;
    /// - `--json`: with either, print the files as a JSON array of `{"path", "contents"}`
    ///   instead of writing them (what `cargo operator manifests` reads).
    ///
    /// Every file is computed before the first is written.
    pub fn crdgen(&self) -> ExitCode {
        let args = CrdgenArgs::parse();
        match self.run_crdgen(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("crdgen: {err}");
                ExitCode::FAILURE
            }
        }
    }

    fn run_crdgen(&self, args: &CrdgenArgs) -> Result<(), Error> {
        let mut files = Vec::new();
        if let Some(dir) = &args.output_dir {
            files.extend(self.kustomize_files(dir)?);
        }
        if let Some(dir) = &args.chart_dir {
            files.extend(self.chart_files(dir)?);
        }
        let stdout_error = |source| Error::Write {
            path: "stdout".into(),
            source,
        };
        if args.output_dir.is_none() && args.chart_dir.is_none() {
            return std::io::stdout()
                .write_all(self.to_yaml()?.as_bytes())
                .map_err(stdout_error);
        }
        if args.json {
            let json = serde_json::to_string(&files).map_err(|err| Error::Serialize {
                what: "the file list".into(),
                message: err.to_string(),
            })?;
            return writeln!(std::io::stdout(), "{json}").map_err(stdout_error);
        }
        for file in &files {
            write(&file.path, &file.contents)?;
        }
        Ok(())
    }

    fn manager_role(&self) -> ManagerRole {
        let rules = Some(self.manager_rules.clone());
        if self.namespaced {
            // kustomize replaces `system` with the deployment's namespace.
            ManagerRole::Namespaced(Role {
                metadata: object_meta("manager-role", Some("system")),
                rules,
            })
        } else {
            ManagerRole::Cluster(ClusterRole {
                metadata: object_meta("manager-role", None),
                rules,
                ..Default::default()
            })
        }
    }

    /// `object` as a template of the Helm chart: labelled like the chart's other objects, named
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

enum ManagerRole {
    Cluster(ClusterRole),
    Namespaced(Role),
}

/// The Role that lets the manager hold its leader-election Lease, in its own namespace.
fn leader_election_role() -> Role {
    Role {
        metadata: object_meta("leader-election-role", Some("system")),
        rules: Some(rbac::leader_election_rules()),
    }
}

fn object_meta(name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: namespace.map(Into::into),
        ..Default::default()
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "crdgen",
    about = "Writes the CRDs and roles that follow from the operator's Rust code",
    group(clap::ArgGroup::new("dirs").args(["output_dir", "chart_dir"]).multiple(true))
)]
struct CrdgenArgs {
    /// Write the kustomize files under DIR (DIR/crd/bases, DIR/rbac)
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// Write the Helm chart's CRD and role templates under DIR/templates
    #[arg(long, value_name = "DIR")]
    chart_dir: Option<PathBuf>,
    /// Print the files as JSON (`[{"path", "contents"}]`) instead of writing them
    #[arg(long, requires = "dirs")]
    json: bool,
}

fn crd_file_name(crd: &CustomResourceDefinition) -> String {
    format!("{}_{}.yaml", crd.spec.group, crd.spec.names.plural)
}

/// One YAML document, starting with `---` so that documents can be concatenated.
fn document(value: &impl Serialize) -> Result<String, Error> {
    Ok(format!("---\n{}", yaml(value)?))
}

fn yaml(value: &impl Serialize) -> Result<String, Error> {
    serde_saphyr::to_string(value).map_err(|err| Error::Serialize {
        what: "a manifest".into(),
        message: err.to_string(),
    })
}

fn write(path: &Path, contents: &str) -> Result<(), Error> {
    let write_error = |source| Error::Write {
        path: path.display().to_string(),
        source,
    };
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(write_error)?;
    std::fs::write(path, contents).map_err(write_error)?;
    println!("wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
        CustomResourceDefinitionSpec, CustomResourceDefinitionVersion,
    };
    use std::collections::BTreeMap;

    fn single_version(name: &str, version: &str) -> CustomResourceDefinition {
        let (plural, group) = name.split_once('.').unwrap();
        CustomResourceDefinition {
            metadata: object_meta(name, None),
            spec: CustomResourceDefinitionSpec {
                group: group.into(),
                scope: "Namespaced".into(),
                names: k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinitionNames {
                    plural: plural.into(),
                    ..Default::default()
                },
                versions: vec![CustomResourceDefinitionVersion {
                    name: version.into(),
                    served: true,
                    storage: true,
                    ..Default::default()
                }],
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn versions_of_one_kind_merge_with_the_first_as_storage() {
        let merged = merge_versions(vec![
            single_version("widgets.example.com", "v2"),
            single_version("gadgets.example.com", "v1"),
            single_version("widgets.example.com", "v1"),
        ])
        .unwrap();

        let summary: Vec<(String, Vec<(String, bool)>)> = merged
            .iter()
            .map(|crd| {
                let mut versions: Vec<_> = crd
                    .spec
                    .versions
                    .iter()
                    .map(|v| (v.name.clone(), v.storage))
                    .collect();
                versions.sort();
                (crd.metadata.name.clone().unwrap(), versions)
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "widgets.example.com".to_string(),
                    vec![("v1".to_string(), false), ("v2".to_string(), true)]
                ),
                (
                    "gadgets.example.com".to_string(),
                    vec![("v1".to_string(), true)]
                ),
            ]
        );
    }

    fn manifests(namespaced: bool) -> Manifests {
        Manifests::new("example")
            .namespaced(namespaced)
            .crds(vec![single_version("widgets.example.com", "v1")])
            .manager_rules(vec![rbac::policy_rule("", "pods", &["list", "watch"])])
    }

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

    fn with_webhooks() -> Manifests {
        Manifests::new("example")
            .crds(vec![
                crate::webhook::tests::foo_crd(),
                single_version("widgets.example.com", "v1"),
            ])
            .webhooks(crate::webhook::tests::webhooks())
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

    #[test]
    fn crdgen_flags() {
        let parse = |args: &[&str]| {
            CrdgenArgs::try_parse_from(std::iter::once("crdgen").chain(args.iter().copied()))
        };
        let args = parse(&["--output-dir", "config", "--chart-dir=dist/chart", "--json"]).unwrap();
        assert_eq!(args.output_dir.as_deref(), Some(Path::new("config")));
        assert_eq!(args.chart_dir.as_deref(), Some(Path::new("dist/chart")));
        assert!(args.json);
        assert!(parse(&["--output-dir"]).is_err());
        assert!(parse(&["--verbose"]).is_err());
        assert!(parse(&["--json"]).is_err(), "--json without a folder");
    }
}
