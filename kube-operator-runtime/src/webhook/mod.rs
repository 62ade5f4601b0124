//! Admission and conversion webhooks: defaulting ([`Defaulter`]), validation ([`Validator`]) and
//! conversion between the versions of a kind ([`Conversion`]), written as plain Rust functions
//! on the API types.
//!
//! A project declares them once, as a [`Webhooks`] value: the [`Manager`](crate::Manager) serves
//! it over HTTPS (`Manager::webhooks`), and the project's `crdgen` writes the webhook
//! configurations and the CRDs' conversion stanzas from the same value
//! ([`Manifests::webhooks`](crate::manifests::Manifests::webhooks)), so that the served paths and
//! the registered ones cannot drift apart.
//!
//! ```
//! use kube::CustomResource;
//! use kube_operator_runtime::webhook::{Defaulter, Denied, Validation, Validator, Webhooks};
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
//! #[kube(group = "tutorial.my.domain", version = "v1", kind = "Foo", namespaced)]
//! pub struct FooSpec {
//!     name: String,
//!     #[serde(default, skip_serializing_if = "Option::is_none")]
//!     greeting: Option<String>,
//! }
//!
//! impl Defaulter for Foo {
//!     fn default(&mut self) {
//!         self.spec.greeting.get_or_insert_with(|| "hello".into());
//!     }
//! }
//!
//! impl Validator for Foo {
//!     fn validate_create(&self) -> Validation {
//!         if self.spec.name.is_empty() {
//!             return Err(Denied::invalid("spec.name", "must not be empty"));
//!         }
//!         Ok(Vec::new())
//!     }
//! }
//!
//! let webhooks = Webhooks::new().defaulting::<Foo>().validating::<Foo>();
//! assert!(webhooks.mutating_configuration().is_some());
//! assert_eq!(
//!     webhooks.paths(),
//!     ["/mutate-tutorial-my-domain-v1-foo", "/validate-tutorial-my-domain-v1-foo"]
//! );
//! ```
//!
//! The webhooks answer the API server only: a request that cannot be read is refused with a
//! message saying why, never with a crash, and dry-run requests are answered like any other (the
//! user's functions have no side effects).

mod admission;
mod conversion;

use std::{any::TypeId, fmt, future::Future, sync::Arc};

use futures::future::BoxFuture;
use k8s_openapi::{
    ClusterResourceScope,
    api::admissionregistration::v1::{
        MutatingWebhook, MutatingWebhookConfiguration, RuleWithOperations, ServiceReference,
        ValidatingWebhook, ValidatingWebhookConfiguration, WebhookClientConfig,
    },
    api::authentication::v1::UserInfo,
    apiextensions_apiserver::pkg::apis::apiextensions::v1::{
        self as apiextensions, CustomResourceConversion, CustomResourceDefinition,
        WebhookConversion,
    },
};
use kube::{
    Client, Resource,
    core::{
        ObjectMeta,
        admission::{AdmissionRequest, AdmissionResponse},
    },
};
use serde::{Serialize, de::DeserializeOwned};

pub use conversion::Conversion;
pub use kube::core::admission::Operation;

/// Where the API server sends conversion reviews.
pub const CONVERSION_PATH: &str = "/convert";
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

/// The kinds webhooks serve: Kubernetes objects with their type known at compile time, read and
/// written as JSON. Implemented for every such type; nothing to write.
pub trait WebhookKind:
    Resource<DynamicType = (), Scope: 'static>
    + Serialize
    + DeserializeOwned
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<K> WebhookKind for K where
    K: Resource<DynamicType = (), Scope: 'static>
        + Serialize
        + DeserializeOwned
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// A kind whose objects get defaults from a mutating webhook, on creation and on every update.
///
/// The API server receives a JSON patch of what [`default`](Self::default) changed. Fields the
/// Rust type does not know are left alone.
///
/// With this trait in scope, `Foo::default()` is ambiguous for a kind that also implements
/// [`Default`]; write `<Foo as Default>::default()` there.
pub trait Defaulter: WebhookKind {
    /// Fills in defaults; called on CREATE and UPDATE. It should be idempotent: the API server
    /// may call it again on an object it already defaulted.
    fn default(&mut self);
}

/// What an admission request says besides its object, and a client: what a webhook that must
/// look at who asks, at a dry run, or at other objects needs (controller-runtime's
/// `admission.Request` and the manager's client).
#[derive(Clone)]
#[non_exhaustive]
pub struct AdmissionContext {
    /// CREATE, UPDATE, DELETE or CONNECT.
    pub operation: Operation,
    /// Who sent the request.
    pub user_info: UserInfo,
    /// Whether the API server will store nothing (`kubectl --dry-run=server`): a webhook with
    /// side effects makes none then.
    pub dry_run: bool,
    /// The object's name; empty for a CREATE with `generateName`.
    pub name: String,
    /// The object's namespace, for a namespaced kind.
    pub namespace: Option<String>,
    /// The manager's client, for lookups such as "does the Secret it names exist?". Its
    /// permissions are the manager's: grant the reads in a controller's `policy_rules()`.
    pub client: Client,
}

impl fmt::Debug for AdmissionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdmissionContext")
            .field("operation", &self.operation)
            .field("user", &self.user_info.username)
            .field("dry_run", &self.dry_run)
            .field("name", &self.name)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// Defaults for `K` from a value of its own: controller-runtime's `CustomDefaulter`. Unlike
/// [`Defaulter`], it is awaited, gets the [`AdmissionContext`] (with a client), may refuse, and
/// serves kinds the project does not own, such as Pods (Rust allows no impl of a trait of this
/// crate on a type of another). Register it with [`Webhooks::custom_defaulting`].
///
/// ```
/// use k8s_openapi::api::core::v1::Pod;
/// use kube_operator_runtime::webhook::{AdmissionContext, CustomDefaulter, Denied, Webhooks};
///
/// /// Labels every new Pod with the team of the namespace it is created in.
/// struct TeamLabel;
///
/// impl CustomDefaulter<Pod> for TeamLabel {
///     async fn default(&self, pod: &mut Pod, context: &AdmissionContext) -> Result<(), Denied> {
///         let team = context.namespace.clone().unwrap_or_default();
///         pod.metadata.labels.get_or_insert_default().entry("team".into()).or_insert(team);
///         Ok(())
///     }
/// }
///
/// let webhooks = Webhooks::new().custom_defaulting::<Pod>(TeamLabel);
/// assert_eq!(webhooks.paths(), ["/mutate--v1-pod"]);
/// ```
pub trait CustomDefaulter<K: WebhookKind>: Send + Sync + 'static {
    /// Fills in defaults of `obj`; called on CREATE and UPDATE, and idempotent as
    /// [`Defaulter::default`]. A [`Denied`] refuses the request.
    fn default(
        &self,
        obj: &mut K,
        context: &AdmissionContext,
    ) -> impl Future<Output = Result<(), Denied>> + Send;
}

/// Checks of `K` from a value of its own: controller-runtime's `CustomValidator`. Unlike
/// [`Validator`], each check is awaited, gets the [`AdmissionContext`] (with a client), and may
/// serve kinds the project does not own. Register it with [`Webhooks::custom_validating`].
///
/// ```
/// use k8s_openapi::api::core::v1::{ConfigMap, Secret};
/// use kube::Api;
/// use kube_operator_runtime::webhook::{AdmissionContext, CustomValidator, Denied, Validation};
///
/// /// A config map must name a Secret that exists.
/// struct SecretExists;
///
/// impl CustomValidator<ConfigMap> for SecretExists {
///     async fn validate_create(&self, config_map: &ConfigMap, context: &AdmissionContext) -> Validation {
///         let wanted = config_map.data.as_ref().and_then(|data| data.get("secret")).cloned();
///         let Some(wanted) = wanted else { return Ok(Vec::new()) };
///         let namespace = context.namespace.as_deref().unwrap_or("default");
///         let secrets = Api::<Secret>::namespaced(context.client.clone(), namespace);
///         match secrets.get_opt(&wanted).await {
///             Ok(Some(_)) => Ok(Vec::new()),
///             Ok(None) => Err(Denied::invalid("data.secret", format!("no Secret {wanted}"))),
///             Err(err) => Err(Denied::new(format!("cannot look up Secret {wanted}: {err}"))),
///         }
///     }
/// }
/// ```
pub trait CustomValidator<K: WebhookKind>: Send + Sync + 'static {
    /// The operations the webhook is registered for, as [`Validator::OPERATIONS`].
    const OPERATIONS: &'static [Operation] = &[Operation::Create, Operation::Update];

    /// Checks a new object.
    fn validate_create(
        &self,
        obj: &K,
        context: &AdmissionContext,
    ) -> impl Future<Output = Validation> + Send {
        let _ = (obj, context);
        async { Ok(Vec::new()) }
    }

    /// Checks a change of `old` into `obj`.
    fn validate_update(
        &self,
        obj: &K,
        old: &K,
        context: &AdmissionContext,
    ) -> impl Future<Output = Validation> + Send {
        let _ = (obj, old, context);
        async { Ok(Vec::new()) }
    }

    /// Checks the deletion of `obj`, the object as it was before.
    fn validate_delete(
        &self,
        obj: &K,
        context: &AdmissionContext,
    ) -> impl Future<Output = Validation> + Send {
        let _ = (obj, context);
        async { Ok(Vec::new()) }
    }
}

/// Messages shown to the client (`kubectl` prints them as `Warning: …`) for an admitted object.
pub type Warnings = Vec<String>;

/// What a [`Validator`] decides: admitted with warnings, or [`Denied`].
pub type Validation = Result<Warnings, Denied>;

/// A kind whose objects are checked by a validating webhook before the API server stores them.
///
/// Every method admits by default; implement those of the operations in
/// [`OPERATIONS`](Self::OPERATIONS).
pub trait Validator: WebhookKind {
    /// The operations the webhook is registered for: the rules of its manifest. Add
    /// `Operation::Delete` to have [`validate_delete`](Self::validate_delete) called.
    const OPERATIONS: &'static [Operation] = &[Operation::Create, Operation::Update];

    /// Checks a new object.
    fn validate_create(&self) -> Validation {
        Ok(Vec::new())
    }

    /// Checks a change of `old` into `self`.
    fn validate_update(&self, old: &Self) -> Validation {
        let _ = old;
        Ok(Vec::new())
    }

    /// Checks the deletion of `self`, the object as it was before.
    fn validate_delete(&self) -> Validation {
        Ok(Vec::new())
    }
}

/// A refusal of a [`Validator`]: its message is what `kubectl` shows, after
/// `admission webhook "…" denied the request: `.
///
/// ```
/// use kube_operator_runtime::webhook::Denied;
///
/// let denied = Denied::new("foos may not be renamed");
/// assert_eq!(denied.to_string(), "foos may not be renamed");
/// let invalid = Denied::invalid("spec.name", "must not be empty");
/// assert_eq!(invalid.to_string(), "spec.name: must not be empty");
/// assert_eq!(invalid.field(), Some("spec.name"));
/// let from_str: Denied = "no".into();
/// assert_eq!(from_str, Denied::new("no"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    message: String,
    field: Option<String>,
}

impl Denied {
    /// A refusal of the request as a whole, answered as `403 Forbidden`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            field: None,
        }
    }

    /// A refusal naming the offending field (such as `spec.replicas`), answered as
    /// `422 Invalid` with the field among the causes, as the API server's own validation does.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// The reason given, without the field.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The field named by [`invalid`](Self::invalid).
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Denied {}

impl From<String> for Denied {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

impl From<&str> for Denied {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}

/// `value` as the type of another version with the same field names, through JSON: a
/// conversion's starting point while two versions' schemas still agree. Once they differ, it
/// fails naming the field it cannot fill, and the conversion is written field by field.
///
/// ```
/// use kube_operator_runtime::webhook::fields_by_name;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize)]
/// struct V1 { name: String }
/// #[derive(Deserialize, Debug, PartialEq)]
/// struct V2 { name: String }
/// #[derive(Deserialize, Debug)]
/// struct V3 { friend: String }
///
/// let v2: V2 = fields_by_name(V1 { name: "jack".into() }).unwrap();
/// assert_eq!(v2, V2 { name: "jack".into() });
/// let err = fields_by_name::<_, V3>(V1 { name: "jack".into() }).unwrap_err();
/// assert!(err.to_string().contains("missing field `friend`"));
/// ```
pub fn fields_by_name<T: Serialize, U: DeserializeOwned>(value: T) -> Result<U, serde_json::Error> {
    serde_json::from_value(serde_json::to_value(value)?)
}

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

/// The API type a webhook serves, as its manifests name it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    group: String,
    version: String,
    kind: String,
    plural: String,
    namespaced: bool,
}

impl Target {
    fn of<K: WebhookKind>() -> Self {
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
    fn webhook_name_with_group(&self, letter: char) -> String {
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

/// Answers one admission request of a registered kind.
type Handler = Arc<
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
struct AdmissionWebhook {
    mutating: bool,
    path: String,
    target: Target,
    operations: Vec<Operation>,
    handler: Handler,
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
    admission: Vec<AdmissionWebhook>,
    conversions: Vec<conversion::Converter>,
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

    /// `crds` with a conversion webhook (`spec.conversion`: strategy `Webhook`, Service
    /// [`SERVICE_NAME`] in [`SERVICE_NAMESPACE`], path [`CONVERSION_PATH`], review version `v1`)
    /// on each kind that has a [`Conversion`]; other CRDs unchanged.
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

    /// Answers a review the API server posted to `path`: an `AdmissionReview` for an admission
    /// webhook's path, a `ConversionReview` for [`CONVERSION_PATH`]. `None` when nothing is served
    /// at `path`. A body that cannot be read gets a refusal saying why.
    ///
    /// This is what the manager's webhook server runs, with its client for the
    /// [`AdmissionContext`]; a project's tests may call it directly.
    pub async fn handle(&self, path: &str, body: &[u8], client: &Client) -> Option<Vec<u8>> {
        if path == CONVERSION_PATH && !self.conversions.is_empty() {
            return Some(conversion::review(&self.conversions, body));
        }
        let hook = self.admission.iter().find(|hook| hook.path == path)?;
        Some(admission::review(body, &hook.handler, client).await)
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

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        ..Default::default()
    }
}

/// Also the kinds and webhooks of the manifests' tests.
#[cfg(test)]
pub(crate) mod tests;
