//! The [`Webhooks`] registry: which kinds are defaulted, validated or converted, at which paths
//! (Kubebuilder's, unless given), and which handler answers a review posted to a path.

use std::{fmt, sync::Arc};

use futures::future::BoxFuture;
use kube::{
    Client,
    core::admission::{AdmissionRequest, AdmissionResponse, Operation},
};

use super::{
    admission,
    configurations::Target,
    conversion::{self, Conversion},
    traits::{CustomDefaulter, CustomValidator, Defaulter, Validator, WebhookKind},
};

/// Where the API server sends conversion reviews.
pub const CONVERSION_PATH: &str = "/convert";

/// The webhook path Kubebuilder gives a kind: `/<prefix>-<group with dots as dashes>-<version>-<kind
/// in lower case>`.
///
/// ```
/// # use kube_operator_runtime::webhook::default_path;
/// # use k8s_openapi::api::core::v1::Pod;
/// // For a kind Foo in tutorial.my.domain/v1: "/mutate-tutorial-my-domain-v1-foo".
/// assert_eq!(default_path::<Pod>("validate"), "/validate--v1-pod");
/// ```
pub fn default_path<K: WebhookKind>(prefix: &str) -> String {
    format!(
        "/{prefix}-{}-{}-{}",
        K::group(&()).replace('.', "-"),
        K::version(&()),
        K::kind(&()).to_lowercase()
    )
}

/// Answers one admission request of a registered kind.
pub(super) type Handler = Arc<
    dyn for<'a> Fn(
            &'a AdmissionRequest<kube::core::DynamicObject>,
            &'a Client,
        ) -> BoxFuture<'a, AdmissionResponse>
        + Send
        + Sync,
>;

/// A [`Handler`] from a closure, whose higher-ranked signature this call lets Rust infer.
fn handler<F>(handle: F) -> Handler
where
    F: for<'a> Fn(
            &'a AdmissionRequest<kube::core::DynamicObject>,
            &'a Client,
        ) -> BoxFuture<'a, AdmissionResponse>
        + Send
        + Sync
        + 'static,
{
    Arc::new(handle)
}

#[derive(Clone)]
pub(super) struct AdmissionWebhook {
    pub(super) mutating: bool,
    pub(super) path: String,
    pub(super) target: Target,
    pub(super) operations: Vec<Operation>,
    pub(super) handler: Handler,
}

/// Every webhook a project serves. The [`Manager`](crate::Manager) serves it, and `crdgen` writes
/// its manifests from the same value; build it in one function both call.
///
/// ```
/// # use kube_operator_runtime::webhook::{Conversion, Webhooks};
/// # mod v1 {
/// #     use kube::CustomResource; use schemars::JsonSchema; use serde::{Deserialize, Serialize};
/// #     #[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
/// #     #[kube(group = "example.com", version = "v1", kind = "Foo", namespaced)]
/// #     pub struct FooSpec { pub name: String }
/// # }
/// # mod v2 {
/// #     use kube::CustomResource; use schemars::JsonSchema; use serde::{Deserialize, Serialize};
/// #     #[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
/// #     #[kube(group = "example.com", version = "v2", kind = "Foo", namespaced)]
/// #     pub struct FooSpec { pub friend: String }
/// # }
/// # impl From<v1::Foo> for v2::Foo {
/// #     fn from(old: v1::Foo) -> Self {
/// #         Self { metadata: old.metadata, spec: v2::FooSpec { friend: old.spec.name } }
/// #     }
/// # }
/// # impl From<v2::Foo> for v1::Foo {
/// #     fn from(new: v2::Foo) -> Self {
/// #         Self { metadata: new.metadata, spec: v1::FooSpec { name: new.spec.friend } }
/// #     }
/// # }
/// # impl kube_operator_runtime::webhook::Defaulter for v2::Foo { fn default(&mut self) {} }
/// pub fn webhooks() -> Webhooks {
///     Webhooks::new()
///         .defaulting::<v2::Foo>()
///         .conversion(Conversion::hub::<v2::Foo>().spoke::<v1::Foo>())
/// }
/// # assert_eq!(webhooks().paths(), ["/mutate-example-com-v2-foo", "/convert"]);
/// ```
///
/// # Panics
/// The builder methods panic when two webhooks would share a path, or two conversions a kind:
/// a mistake in the program, found the first time it runs.
#[derive(Clone, Default)]
#[must_use]
pub struct Webhooks {
    pub(super) admission: Vec<AdmissionWebhook>,
    pub(super) conversions: Vec<conversion::Converter>,
}

impl fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhooks")
            .field("paths", &self.paths())
            .field(
                "conversions",
                &self
                    .conversions
                    .iter()
                    .map(|conversion| format!("{}.{}", conversion.kind, conversion.group))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Webhooks {
    /// No webhooks: a manager given this serves none.
    pub fn new() -> Self {
        Self::default()
    }

    /// Defaults `K` at [`default_path`]`::<K>("mutate")`.
    pub fn defaulting<K: Defaulter>(self) -> Self {
        self.add_defaulting::<K>(default_path::<K>("mutate"))
    }

    /// Defaults `K` at `path`.
    pub fn defaulting_at<K: Defaulter>(self, path: &'static str) -> Self {
        self.add_defaulting::<K>(path.into())
    }

    fn add_defaulting<K: Defaulter>(self, path: String) -> Self {
        self.add_custom_defaulting::<K>(path, admission::ByType)
    }

    /// Defaults `K` with `defaulter` at [`default_path`]`::<K>("mutate")`.
    pub fn custom_defaulting<K: WebhookKind>(self, defaulter: impl CustomDefaulter<K>) -> Self {
        self.add_custom_defaulting(default_path::<K>("mutate"), defaulter)
    }

    /// Defaults `K` with `defaulter` at `path`.
    pub fn custom_defaulting_at<K: WebhookKind>(
        self,
        path: &'static str,
        defaulter: impl CustomDefaulter<K>,
    ) -> Self {
        self.add_custom_defaulting(path.into(), defaulter)
    }

    fn add_custom_defaulting<K: WebhookKind>(
        self,
        path: String,
        defaulter: impl CustomDefaulter<K>,
    ) -> Self {
        let defaulter = Arc::new(defaulter);
        self.admission(AdmissionWebhook {
            mutating: true,
            path,
            target: Target::of::<K>(),
            operations: vec![Operation::Create, Operation::Update],
            handler: handler(move |request, client| {
                let defaulter = defaulter.clone();
                Box::pin(async move {
                    admission::custom_default::<K>(&*defaulter, request, client).await
                })
            }),
        })
    }

    /// Validates `K` at [`default_path`]`::<K>("validate")`.
    pub fn validating<K: Validator>(self) -> Self {
        self.add_validating::<K>(default_path::<K>("validate"))
    }

    /// Validates `K` at `path`, for the operations in [`Validator::OPERATIONS`].
    pub fn validating_at<K: Validator>(self, path: &'static str) -> Self {
        self.add_validating::<K>(path.into())
    }

    fn add_validating<K: Validator>(self, path: String) -> Self {
        self.add_custom_validating::<K, _>(path, admission::ByType)
    }

    /// Validates `K` with `validator` at [`default_path`]`::<K>("validate")`.
    pub fn custom_validating<K: WebhookKind>(self, validator: impl CustomValidator<K>) -> Self {
        self.add_custom_validating(default_path::<K>("validate"), validator)
    }

    /// Validates `K` with `validator` at `path`.
    pub fn custom_validating_at<K: WebhookKind>(
        self,
        path: &'static str,
        validator: impl CustomValidator<K>,
    ) -> Self {
        self.add_custom_validating(path.into(), validator)
    }

    fn add_custom_validating<K: WebhookKind, V: CustomValidator<K>>(
        self,
        path: String,
        validator: V,
    ) -> Self {
        let validator = Arc::new(validator);
        self.admission(AdmissionWebhook {
            mutating: false,
            path,
            target: Target::of::<K>(),
            operations: V::OPERATIONS.to_vec(),
            handler: handler(move |request, client| {
                let validator = validator.clone();
                Box::pin(async move {
                    admission::custom_validate::<K, V>(&*validator, request, client).await
                })
            }),
        })
    }

    /// Converts the versions of one kind through its hub, at [`CONVERSION_PATH`].
    pub fn conversion<H: WebhookKind>(mut self, conversion: Conversion<H>) -> Self {
        let converter = conversion.into_converter();
        assert!(
            !self.conversions.iter().any(|other| {
                (&other.group, &other.kind) == (&converter.group, &converter.kind)
            }),
            "two conversions for {}.{}",
            converter.kind,
            converter.group
        );
        self.conversions.push(converter);
        self
    }

    fn admission(mut self, webhook: AdmissionWebhook) -> Self {
        assert!(
            webhook.path.starts_with('/') && webhook.path != CONVERSION_PATH,
            "webhook path {:?} must start with / and differ from {CONVERSION_PATH}",
            webhook.path
        );
        assert!(
            !self
                .admission
                .iter()
                .any(|other| other.path == webhook.path),
            "two webhooks at {}",
            webhook.path
        );
        self.admission.push(webhook);
        self
    }

    /// Whether there is nothing to serve.
    pub fn is_empty(&self) -> bool {
        self.admission.is_empty() && self.conversions.is_empty()
    }

    /// The paths served: each admission webhook's, in the order registered, then
    /// [`CONVERSION_PATH`] if there is a conversion.
    pub fn paths(&self) -> Vec<&str> {
        let mut paths: Vec<&str> = self
            .admission
            .iter()
            .map(|hook| hook.path.as_str())
            .collect();
        if !self.conversions.is_empty() {
            paths.push(CONVERSION_PATH);
        }
        paths
    }

    /// Answers a review the API server posted to `path`: an `AdmissionReview` for an admission
    /// webhook's path, a `ConversionReview` for [`CONVERSION_PATH`]. `None` when nothing is served
    /// at `path`. A body that cannot be read gets a refusal saying why.
    ///
    /// This is what the manager's webhook server runs, with its client for the
    /// [`AdmissionContext`](super::AdmissionContext); a project's tests may call it directly.
    pub async fn handle(&self, path: &str, body: &[u8], client: &Client) -> Option<Vec<u8>> {
        if path == CONVERSION_PATH && !self.conversions.is_empty() {
            return Some(conversion::review(&self.conversions, body));
        }
        let hook = self.admission.iter().find(|hook| hook.path == path)?;
        Some(admission::review(body, &hook.handler, client).await)
    }
}
