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

mod chart;
mod crdgen;
mod crds;
mod kustomize;
mod roles;

use std::path::PathBuf;

use k8s_openapi::{
    api::rbac::v1::PolicyRule,
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use serde::Serialize;

use crate::{error::Error, webhook::Webhooks};

pub use crds::merge_versions;

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

    /// What the manager may do: the union of its controllers' rules (see [`rbac::merge_rules`](crate::rbac::merge_rules)).
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
}

/// `value` as YAML.
fn yaml(value: &impl Serialize) -> Result<String, Error> {
    serde_saphyr::to_string(value).map_err(|err| Error::Serialize {
        what: "a manifest".into(),
        message: err.to_string(),
    })
}

/// What the tests of the manifests' files share.
#[cfg(test)]
mod fixtures {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
        CustomResourceDefinitionSpec, CustomResourceDefinitionVersion,
    };

    use super::*;
    use crate::{manifests::roles::object_meta, rbac};

    pub(super) fn single_version(name: &str, version: &str) -> CustomResourceDefinition {
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

    pub(super) fn manifests(namespaced: bool) -> Manifests {
        Manifests::new("example")
            .namespaced(namespaced)
            .crds(vec![single_version("widgets.example.com", "v1")])
            .manager_rules(vec![rbac::policy_rule("", "pods", &["list", "watch"])])
    }

    pub(super) fn with_webhooks() -> Manifests {
        Manifests::new("example")
            .crds(vec![
                crate::webhook::tests::foo_crd(),
                single_version("widgets.example.com", "v1"),
            ])
            .webhooks(crate::webhook::tests::webhooks())
    }
}
