//! What the [`Webhooks`] registry declares to the API server: the mutating and validating
//! webhook configurations (names, rules, Service) and the conversion stanza of each converted
//! CRD.

use std::any::TypeId;

use k8s_openapi::{
    ClusterResourceScope,
    api::admissionregistration::v1::{
        MutatingWebhook, MutatingWebhookConfiguration, RuleWithOperations, ServiceReference,
        ValidatingWebhook, ValidatingWebhookConfiguration, WebhookClientConfig,
    },
    apiextensions_apiserver::pkg::apis::apiextensions::v1::{
        self as apiextensions, CustomResourceConversion, CustomResourceDefinition,
        WebhookConversion,
    },
};
use kube::core::{ObjectMeta, admission::Operation};

use super::{
    registry::{AdmissionWebhook, CONVERSION_PATH, Webhooks},
    traits::WebhookKind,
};

/// The Service in front of the webhook server, as the manifests name it before kustomize's
/// `namePrefix` (or the Helm chart's prefix) is added.
pub const SERVICE_NAME: &str = "webhook-service";
/// The namespace the manifests name before kustomize's `namespace` (or the Helm release's)
/// replaces it.
pub const SERVICE_NAMESPACE: &str = "system";
/// The name of the [`MutatingWebhookConfiguration`], before a prefix is added.
pub const MUTATING_CONFIGURATION_NAME: &str = "mutating-webhook-configuration";
/// The name of the [`ValidatingWebhookConfiguration`], before a prefix is added.
pub const VALIDATING_CONFIGURATION_NAME: &str = "validating-webhook-configuration";
/// How long the API server waits for an answer, in seconds.
const TIMEOUT_SECONDS: i32 = 10;

/// The API type a webhook serves, as its manifests name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    group: String,
    version: String,
    kind: String,
    plural: String,
    namespaced: bool,
}

impl Target {
    pub(super) fn of<K: WebhookKind>() -> Self {
        Self {
            group: K::group(&()).into_owned(),
            version: K::version(&()).into_owned(),
            kind: K::kind(&()).into_owned(),
            plural: K::plural(&()).into_owned(),
            namespaced: TypeId::of::<K::Scope>() != TypeId::of::<ClusterResourceScope>(),
        }
    }

    /// Kubebuilder's name of a webhook: `<letter><kind>-<version>.kb.io`, such as
    /// `mpod-v1.kb.io`.
    fn webhook_name(&self, letter: char) -> String {
        format!(
            "{letter}{}-{}.kb.io",
            self.kind.to_lowercase(),
            self.version
        )
    }

    /// The name of a webhook whose Kubebuilder name another webhook of its configuration has
    /// (a kind of the same name and version in another group): `<letter><kind>-<version>.<group>`,
    /// with `.kb.io` after a group without a dot, since a webhook's name needs three DNS labels.
    pub(super) fn webhook_name_with_group(&self, letter: char) -> String {
        let domain = match self.group.as_str() {
            "" => "core.kb.io".to_string(),
            group if !group.contains('.') => format!("{group}.kb.io"),
            group => group.to_string(),
        };
        format!(
            "{letter}{}-{}.{domain}",
            self.kind.to_lowercase(),
            self.version
        )
    }

    fn rule(&self, operations: &[Operation]) -> RuleWithOperations {
        RuleWithOperations {
            api_groups: Some(vec![self.group.clone()]),
            api_versions: Some(vec![self.version.clone()]),
            operations: Some(
                operations
                    .iter()
                    .map(operation_name)
                    .map(Into::into)
                    .collect(),
            ),
            resources: Some(vec![self.plural.clone()]),
            scope: Some(
                if self.namespaced {
                    "Namespaced"
                } else {
                    "Cluster"
                }
                .into(),
            ),
        }
    }
}

fn operation_name(operation: &Operation) -> &'static str {
    match operation {
        Operation::Create => "CREATE",
        Operation::Update => "UPDATE",
        Operation::Delete => "DELETE",
        Operation::Connect => "CONNECT",
    }
}

impl Webhooks {
    /// `crds` with a conversion webhook (`spec.conversion`: strategy `Webhook`, Service
    /// [`SERVICE_NAME`] in [`SERVICE_NAMESPACE`], path [`CONVERSION_PATH`], review version `v1`)
    /// on each kind that has a [`Conversion`](super::Conversion); other CRDs unchanged.
    pub fn with_conversion(
        &self,
        mut crds: Vec<CustomResourceDefinition>,
    ) -> Vec<CustomResourceDefinition> {
        for crd in &mut crds {
            let converted = self.conversions.iter().any(|conversion| {
                conversion.group == crd.spec.group && conversion.kind == crd.spec.names.kind
            });
            if converted {
                crd.spec.conversion = Some(CustomResourceConversion {
                    strategy: "Webhook".into(),
                    webhook: Some(WebhookConversion {
                        client_config: Some(apiextensions::WebhookClientConfig {
                            service: Some(apiextensions::ServiceReference {
                                name: SERVICE_NAME.into(),
                                namespace: SERVICE_NAMESPACE.into(),
                                path: Some(CONVERSION_PATH.into()),
                                port: None,
                            }),
                            ..Default::default()
                        }),
                        conversion_review_versions: vec!["v1".into()],
                    }),
                });
            }
        }
        crds
    }

    /// The [`MutatingWebhookConfiguration`] named [`MUTATING_CONFIGURATION_NAME`], one webhook
    /// per defaulted kind; `None` when nothing is defaulted.
    pub fn mutating_configuration(&self) -> Option<MutatingWebhookConfiguration> {
        let webhooks: Vec<MutatingWebhook> = self
            .admission
            .iter()
            .filter(|hook| hook.mutating)
            .map(|hook| MutatingWebhook {
                name: self.webhook_name(hook, 'm'),
                admission_review_versions: vec!["v1".into()],
                client_config: client_config(&hook.path),
                failure_policy: Some("Fail".into()),
                side_effects: "None".into(),
                timeout_seconds: Some(TIMEOUT_SECONDS),
                rules: Some(vec![hook.target.rule(&hook.operations)]),
                ..Default::default()
            })
            .collect();
        (!webhooks.is_empty()).then(|| MutatingWebhookConfiguration {
            metadata: meta(MUTATING_CONFIGURATION_NAME),
            webhooks: Some(webhooks),
        })
    }

    /// The [`ValidatingWebhookConfiguration`] named [`VALIDATING_CONFIGURATION_NAME`], one
    /// webhook per validated kind; `None` when nothing is validated.
    pub fn validating_configuration(&self) -> Option<ValidatingWebhookConfiguration> {
        let webhooks: Vec<ValidatingWebhook> = self
            .admission
            .iter()
            .filter(|hook| !hook.mutating)
            .map(|hook| ValidatingWebhook {
                name: self.webhook_name(hook, 'v'),
                admission_review_versions: vec!["v1".into()],
                client_config: client_config(&hook.path),
                failure_policy: Some("Fail".into()),
                side_effects: "None".into(),
                timeout_seconds: Some(TIMEOUT_SECONDS),
                rules: Some(vec![hook.target.rule(&hook.operations)]),
                ..Default::default()
            })
            .collect();
        (!webhooks.is_empty()).then(|| ValidatingWebhookConfiguration {
            metadata: meta(VALIDATING_CONFIGURATION_NAME),
            webhooks: Some(webhooks),
        })
    }

    /// The name of `hook` in its configuration: Kubebuilder's (`mpod-v1.kb.io`), unless another
    /// webhook of the configuration would have it too; then both name their group.
    fn webhook_name(&self, hook: &AdmissionWebhook, letter: char) -> String {
        let name = hook.target.webhook_name(letter);
        let shared = self
            .admission
            .iter()
            .filter(|other| other.mutating == hook.mutating)
            .filter(|other| other.target.webhook_name(letter) == name)
            .count()
            > 1;
        if shared {
            hook.target.webhook_name_with_group(letter)
        } else {
            name
        }
    }
}

fn client_config(path: &str) -> WebhookClientConfig {
    WebhookClientConfig {
        service: Some(ServiceReference {
            name: SERVICE_NAME.into(),
            namespace: SERVICE_NAMESPACE.into(),
            path: Some(path.into()),
            port: None,
        }),
        ..Default::default()
    }
}

pub(super) fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        ..Default::default()
    }
}
