//! What a project writes: the traits of its kinds ([`Defaulter`], [`Validator`]) or of values of
//! its own ([`CustomDefaulter`], [`CustomValidator`]), what they are given
//! ([`AdmissionContext`]) and what they answer ([`Validation`], [`Denied`]).

use std::{fmt, future::Future};

use k8s_openapi::api::authentication::v1::UserInfo;
use kube::{Client, Resource, core::admission::Operation};
use serde::{Serialize, de::DeserializeOwned};

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
/// crate on a type of another). Register it with [`Webhooks::custom_defaulting`](super::Webhooks::custom_defaulting).
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
/// serve kinds the project does not own. Register it with [`Webhooks::custom_validating`](super::Webhooks::custom_validating).
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
