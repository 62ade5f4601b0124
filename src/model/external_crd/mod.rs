//! CustomResourceDefinitions a project uses but does not own, such as cert-manager's
//! `Certificate`: the facts cargo-operator needs about one, Rust types for one of its versions,
//! and a minimal object of that version.
//!
//! The types come from kopium used as a library. kopium reads the CRD as k8s-openapi 0.28's type,
//! so this crate depends on k8s-openapi 0.28 only to name and deserialize that input; the
//! generated code itself compiles against the project's kube 5 and k8s-openapi 0.29.

mod rust_types;
mod sample;

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, CustomResourceDefinitionVersion, JSONSchemaProps,
    JSONSchemaPropsOrArray,
};
use serde_json::Value;

use crate::model::project::Project;
use crate::model::read::{self, read_text};

/// Where a project keeps the CRDs of its external kinds, one file each, named by
/// [`ExternalCrd::file_name`].
pub const EXTERNAL_CRD_DIR: &str = "config/crd/external";

const CRD_API_VERSION: &str = "apiextensions.k8s.io/v1";
const CRD_KIND: &str = "CustomResourceDefinition";

/// A validated CustomResourceDefinition of a kind the project does not own.
#[derive(Debug, Clone)]
pub struct ExternalCrd {
    /// The API group, such as `cert-manager.io`.
    pub group: String,
    /// The kind, such as `Certificate`.
    pub kind: String,
    /// The resource name in URLs, such as `certificates`.
    pub plural: String,
    /// Whether objects live in a namespace (`scope: Namespaced`) or not (`Cluster`).
    pub namespaced: bool,
    /// Served versions, in file order.
    pub versions: Vec<String>,
    /// The one version objects are stored as.
    pub storage_version: String,
    /// The file it was read from, for messages.
    path: String,
    crd: CustomResourceDefinition,
}

impl ExternalCrd {
    /// Parses `text`, the contents of `path` (used in messages only).
    ///
    /// Refuses anything but one `apiextensions.k8s.io/v1` CRD whose served versions all have a
    /// schema with a `spec`: the types and samples are made from that schema.
    pub fn parse(text: &str, path: &str) -> Result<ExternalCrd> {
        // Every document, so a multi-document release manifest gets its own message. The
        // parser's size limits guard against hostile input, but the largest real CRDs
        // (Crossplane's, Argo's) are megabytes; its depth limit stays, as it keeps the recursive
        // reading below (YAML, then the CRD type, then kopium) within the stack.
        let options = serde_saphyr::options! {
            budget: serde_saphyr::budget! {
                max_events: 20_000_000,
                max_nodes: 5_000_000,
            },
        };
        let documents: Vec<Value> = serde_saphyr::from_multiple_with_options(text, options)
            .map_err(|err| match err.without_snippet() {
                serde_saphyr::Error::Budget { breach, .. } => anyhow!(
                    "`{path}` is too large or too deeply nested to read ({breach:?}); use the kind \
                     through `kube::api::DynamicObject` instead"
                ),
                err => anyhow!(
                    "`{path}` is not valid YAML: {}; give the CRD's YAML file",
                    one_line(&err.to_string())
                ),
            })?;
        let document = match <[Value; 1]>::try_from(documents) {
            Ok([document]) => document,
            Err(documents) if documents.is_empty() => {
                bail!("`{path}` holds no YAML document; give the CRD's YAML file")
            }
            Err(documents) => {
                let crds = documents
                    .iter()
                    .filter(|document| document["kind"] == CRD_KIND)
                    .count();
                bail!(
                    "`{path}` holds {} YAML documents ({crds} of them CustomResourceDefinitions); \
                     pass a file holding one CRD, the one of the kind to use",
                    documents.len()
                )
            }
        };
        match (document["apiVersion"].as_str(), document["kind"].as_str()) {
            (Some(CRD_API_VERSION), Some(CRD_KIND)) => {}
            (Some(api_version), Some(CRD_KIND)) => bail!(
                "`{path}` is an {api_version} CustomResourceDefinition, which Kubernetes 1.22 \
                 stopped serving; give the {CRD_API_VERSION} CRD from a newer release of the project"
            ),
            (Some(api_version), Some(kind)) => bail!(
                "`{path}` is {} {api_version} {kind}, not a CustomResourceDefinition; give the \
                 CRD's YAML file, e.g. from the project's release manifests",
                article(api_version)
            ),
            _ => bail!(
                "`{path}` is not a Kubernetes object (no `apiVersion` and `kind`); give the CRD's \
                 YAML file, e.g. from the project's release manifests"
            ),
        }
        let crd: CustomResourceDefinition = serde_json::from_value(document).map_err(|err| {
            anyhow!(
                "`{path}` is not a valid CustomResourceDefinition: {err}; give the CRD as the API \
                 server serves it (`kubectl get crd <name> -o yaml`)"
            )
        })?;

        let spec = &crd.spec;
        let namespaced = match spec.scope.as_str() {
            "Namespaced" => true,
            "Cluster" => false,
            scope => bail!(
                "`{path}` has scope `{scope}`; a CRD's scope is `Namespaced` or `Cluster`: fix \
                 the file"
            ),
        };
        let served: Vec<&CustomResourceDefinitionVersion> = spec
            .versions
            .iter()
            .filter(|version| version.served)
            .collect();
        if served.is_empty() {
            bail!("`{path}` serves no version; give a CRD with at least one served version");
        }
        let storage: Vec<&str> = spec
            .versions
            .iter()
            .filter(|version| version.storage)
            .map(|version| version.name.as_str())
            .collect();
        let [storage_version] = storage[..] else {
            bail!(
                "`{path}` has {} storage versions; a CRD has exactly one: fix the file",
                storage.len()
            );
        };
        for version in &served {
            let name = &version.name;
            let Some(schema) = schema_of(version) else {
                bail!(
                    "version `{name}` of `{path}` has no schema (`schema.openAPIV3Schema`), which \
                     its Rust types are made from; give a CRD whose served versions have one"
                );
            };
            // kube's CustomResource derive is put on the spec's struct, so there must be one.
            let has_spec_struct = schema
                .properties
                .as_ref()
                .and_then(|properties| properties.get("spec"))
                .is_some_and(|spec| spec.properties.is_some());
            if !has_spec_struct {
                bail!(
                    "version `{name}` of `{path}` has no `spec` with properties in its schema, so \
                     it cannot be a kube `CustomResource`; use the kind through \
                     `kube::api::DynamicObject` instead"
                );
            }
        }

        Ok(ExternalCrd {
            group: spec.group.clone(),
            kind: spec.names.kind.clone(),
            plural: spec.names.plural.clone(),
            namespaced,
            versions: served.iter().map(|version| version.name.clone()).collect(),
            storage_version: storage_version.to_string(),
            path: path.to_string(),
            crd,
        })
    }

    /// The CRD's file name under [`EXTERNAL_CRD_DIR`]: its object name, `<plural>.<group>.yaml`,
    /// so two CRDs never share a file and the name is the same whatever the user called it.
    pub fn file_name(&self) -> String {
        format!("{}.{}.yaml", self.plural, self.group)
    }

    /// The schema of served `version`; [`ExternalCrd::parse`] made sure it has one.
    fn served_schema(&self, version: &str) -> Result<&JSONSchemaProps> {
        self.crd
            .spec
            .versions
            .iter()
            .filter(|candidate| candidate.served && candidate.name == version)
            .find_map(schema_of)
            .ok_or_else(|| {
                anyhow!(
                    "`{}` does not serve version `{version}`; use one of: {}",
                    self.path,
                    self.versions.join(", ")
                )
            })
    }
}

fn schema_of(version: &CustomResourceDefinitionVersion) -> Option<&JSONSchemaProps> {
    version.schema.as_ref()?.open_api_v3_schema.as_ref()
}

fn required(schema: &JSONSchemaProps) -> impl Iterator<Item = &str> {
    schema.required.iter().flatten().map(String::as_str)
}

/// "a" or "an" before `word`, so messages read right for `apps/v1` and `v1` alike.
fn article(word: &str) -> &'static str {
    match word.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u' | 'A' | 'E' | 'I' | 'O' | 'U') => "an",
        _ => "a",
    }
}

/// Joins a multi-line message (YAML errors, kopium's errors) into one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether kopium may swap every `conditions` list it recognises for k8s-openapi's `Condition`.
/// It recognises them by property names alone, but `Condition` fails to read an item without
/// `lastTransitionTime` and drops unknown properties; so only lists that are exactly
/// `metav1.Condition` (its required fields required, no others) qualify.
fn conditions_are_standard(schema: &JSONSchemaProps) -> bool {
    const REQUIRED: [&str; 5] = ["lastTransitionTime", "message", "reason", "status", "type"];
    const ALL: [&str; 6] = [
        "lastTransitionTime",
        "message",
        "observedGeneration",
        "reason",
        "status",
        "type",
    ];
    let fits = |key: &str, property: &JSONSchemaProps| {
        let Some(item) = items_of(property) else {
            return true;
        };
        let Some(fields) = item.properties.as_ref() else {
            return true;
        };
        let recognised = REQUIRED.iter().all(|field| fields.contains_key(*field));
        key != "conditions"
            || !recognised
            || (REQUIRED
                .iter()
                .all(|field| required(item).any(|r| r == *field))
                && fields.keys().all(|field| ALL.contains(&field.as_str())))
    };
    schema.properties.iter().flatten().all(|(key, property)| {
        fits(key, property)
            && conditions_are_standard(property)
            && items_of(property).is_none_or(conditions_are_standard)
    })
}

fn items_of(schema: &JSONSchemaProps) -> Option<&JSONSchemaProps> {
    match schema.items.as_ref()? {
        JSONSchemaPropsOrArray::Schema(item) => Some(item),
        JSONSchemaPropsOrArray::Schemas(items) => items.first(),
    }
}

/// A value `schema` accepts: see [`ExternalCrd::sample`].
/// The group an external kind's flags name: `--group`, completed by `--external-api-domain` as
/// Kubebuilder does (`--group cert-manager --external-api-domain=io` is `cert-manager.io`).
pub fn external_group(group: Option<&str>, domain: Option<&str>) -> Result<Option<String>> {
    match (group, domain) {
        (Some(group), Some(domain)) => {
            let domain = domain.trim_start_matches('.');
            Ok(Some(format!("{group}.{domain}")))
        }
        (None, Some(domain)) => bail!(
            "`--external-api-domain={domain}` completes `--group`; pass `--group` too, such as `--group cert-manager --external-api-domain={domain}`"
        ),
        (group, None) => Ok(group.map(str::to_string)),
    }
}

/// Reads and checks the CRD at `path` (relative to the project) against the flags: its kind,
/// its group (when given, and not one of the project's own) and the version (its storage version when not given). Returns the
/// CRD, its text and the version.
pub fn read_external_crd(
    project: &Project,
    dir: &Path,
    path: &Path,
    kind: &str,
    group: Option<&str>,
    version: Option<&str>,
) -> Result<(ExternalCrd, String, String)> {
    let shown = path.display().to_string();
    let Some(text) = read_text(&dir.join(path), &shown, read::CRD_FILE)? else {
        bail!("there is no file `{shown}`; pass the path of the CRD's YAML file");
    };
    let crd = ExternalCrd::parse(&text, &shown)?;
    if crd.kind != kind {
        bail!(
            "`{shown}` defines kind `{}`, not `{kind}`; pass `--kind {}`",
            crd.kind,
            crd.kind
        );
    }
    if let Some(group) = group
        && group != crd.group
    {
        bail!(
            "`{shown}` is in group `{}`, not `{group}`; pass `--group {}` (or its first part with `--external-api-domain`), or leave it out",
            crd.group,
            crd.group
        );
    }
    if crd.group.ends_with(&format!(".{}", project.domain))
        && project
            .owned()
            .any(|r| format!("{}.{}", r.group, project.domain) == crd.group)
    {
        bail!(
            "`{shown}` is a CRD of this project's own group `{}`; create its kinds with `cargo operator create api` without `--external-api-crd`",
            crd.group
        );
    }
    let version = version.map_or(crd.storage_version.clone(), str::to_string);
    if !crd.versions.contains(&version) {
        bail!(
            "`{shown}` serves versions {}, not `{version}`; pass one of them to `--version`",
            crd.versions.join(", ")
        );
    }
    Ok((crd, text, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERTIFICATE: &str =
        include_str!("../../../tests/fixtures/external-crds/certificates.cert-manager.io.yaml");
    const BACKUP_SCHEDULE: &str = include_str!(
        "../../../tests/fixtures/external-crds/backupschedules.backup.example.io.yaml"
    );

    pub(super) fn certificate() -> ExternalCrd {
        ExternalCrd::parse(CERTIFICATE, "cert.yaml").unwrap()
    }

    pub(super) fn backup_schedule() -> ExternalCrd {
        ExternalCrd::parse(BACKUP_SCHEDULE, "backup.yaml").unwrap()
    }

    pub(super) fn error(text: &str) -> String {
        let err = ExternalCrd::parse(text, "crd.yaml")
            .unwrap_err()
            .to_string();
        assert!(!err.contains('\n'), "not one line: {err}");
        err
    }

    /// The Certificate CRD with the first `from` in its text replaced by `to`.
    pub(super) fn certificate_with(from: &str, to: &str) -> String {
        assert!(CERTIFICATE.contains(from), "{from}");
        CERTIFICATE.replacen(from, to, 1)
    }

    #[test]
    fn facts() {
        let crd = certificate();
        assert_eq!(crd.group, "cert-manager.io");
        assert_eq!(crd.kind, "Certificate");
        assert_eq!(crd.plural, "certificates");
        assert!(crd.namespaced);
        assert_eq!(crd.versions, ["v1"]);
        assert_eq!(crd.storage_version, "v1");
        assert_eq!(crd.file_name(), "certificates.cert-manager.io.yaml");

        let crd = backup_schedule();
        assert_eq!(crd.group, "backup.example.io");
        assert_eq!(crd.kind, "BackupSchedule");
        assert!(!crd.namespaced);
        assert_eq!(crd.versions, ["v1alpha1", "v1"]);
        assert_eq!(crd.storage_version, "v1");
    }

    /// The Certificate CRD with a property `deep` holding `levels` nested objects.
    fn nested(levels: usize) -> String {
        let mut nested = String::from("{type: string}");
        for _ in 0..levels {
            nested = format!("{{type: object, properties: {{inner: {nested}}}}}");
        }
        certificate_with(
            "                duration:\n",
            &format!("                deep: {nested}\n                duration:\n"),
        )
    }

    #[test]
    fn depth_is_bounded() {
        // The deepest schema the YAML depth limit lets through is read and generated within a
        // test thread's stack; one level more is refused.
        let crd = ExternalCrd::parse(&nested(27), "deep.yaml").unwrap();
        let rust = crd.rust_types("v1", "").unwrap();
        assert!(rust.contains("pub deep: Option<CertificateDeep>,"));
        assert!(crd.sample("v1", "x").is_ok());
        assert_eq!(
            error(&nested(28)),
            "`crd.yaml` is too large or too deeply nested to read (Depth { depth: 65 }); use the \
             kind through `kube::api::DynamicObject` instead"
        );
    }

    #[test]
    fn versions_not_served_are_left_out() {
        let text = BACKUP_SCHEDULE.replacen("served: true", "served: false", 1);
        let crd = ExternalCrd::parse(&text, "backup.yaml").unwrap();
        assert_eq!(crd.versions, ["v1"]);
        assert_eq!(
            crd.rust_types("v1alpha1", "").unwrap_err().to_string(),
            "`backup.yaml` does not serve version `v1alpha1`; use one of: v1"
        );
    }

    #[test]
    fn refuses_what_is_not_one_v1_crd() {
        let err = error("kind: [unclosed");
        assert!(err.starts_with("`crd.yaml` is not valid YAML: "), "{err}");
        assert!(err.ends_with("; give the CRD's YAML file"), "{err}");

        assert_eq!(
            error("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"),
            "`crd.yaml` is an apps/v1 Deployment, not a CustomResourceDefinition; give the CRD's \
             YAML file, e.g. from the project's release manifests"
        );
        assert_eq!(
            error("apiVersion: v1\nkind: ConfigMap\n"),
            "`crd.yaml` is a v1 ConfigMap, not a CustomResourceDefinition; give the CRD's YAML \
             file, e.g. from the project's release manifests"
        );
        assert_eq!(
            error("- a\n- b\n"),
            "`crd.yaml` is not a Kubernetes object (no `apiVersion` and `kind`); give the CRD's \
             YAML file, e.g. from the project's release manifests"
        );
        assert_eq!(
            error(&CERTIFICATE.replace(CRD_API_VERSION, "apiextensions.k8s.io/v1beta1")),
            "`crd.yaml` is an apiextensions.k8s.io/v1beta1 CustomResourceDefinition, which \
             Kubernetes 1.22 stopped serving; give the apiextensions.k8s.io/v1 CRD from a newer \
             release of the project"
        );
        assert_eq!(
            error(&format!(
                "{CERTIFICATE}---\n{BACKUP_SCHEDULE}---\napiVersion: v1\nkind: Namespace\n"
            )),
            "`crd.yaml` holds 3 YAML documents (2 of them CustomResourceDefinitions); pass a file \
             holding one CRD, the one of the kind to use"
        );
        assert_eq!(
            error("# nothing here\n"),
            "`crd.yaml` holds no YAML document; give the CRD's YAML file"
        );
        let err = error(&certificate_with(
            "scope: Namespaced",
            "scope: [Namespaced]",
        ));
        assert!(
            err.starts_with("`crd.yaml` is not a valid CustomResourceDefinition: "),
            "{err}"
        );
    }

    #[test]
    fn refuses_versions_it_cannot_make_types_for() {
        assert_eq!(
            error(&certificate_with(
                "      schema:\n        openAPIV3Schema:",
                "      x-schema:\n        openAPIV3Schema:"
            )),
            "version `v1` of `crd.yaml` has no schema (`schema.openAPIV3Schema`), which its Rust \
             types are made from; give a CRD whose served versions have one"
        );
        assert_eq!(
            error(&certificate_with(
                "            spec:\n",
                "            notSpec:\n"
            )),
            "version `v1` of `crd.yaml` has no `spec` with properties in its schema, so it cannot \
             be a kube `CustomResource`; use the kind through `kube::api::DynamicObject` instead"
        );
        assert_eq!(
            error(&certificate_with("storage: true", "storage: false")),
            "`crd.yaml` has 0 storage versions; a CRD has exactly one: fix the file"
        );
        assert_eq!(
            error(&certificate_with("served: true", "served: false")),
            "`crd.yaml` serves no version; give a CRD with at least one served version"
        );
    }

    #[test]
    fn unknown_versions_are_refused_with_the_served_ones() {
        let crd = backup_schedule();
        let expected = "`backup.yaml` does not serve version `v2`; use one of: v1alpha1, v1";
        assert_eq!(crd.rust_types("v2", "").unwrap_err().to_string(), expected);
        assert_eq!(crd.sample("v2", "x").unwrap_err().to_string(), expected);
    }
}
