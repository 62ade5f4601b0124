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

mod admission;
mod configurations;
mod conversion;
mod registry;
mod traits;

pub use configurations::{
    MUTATING_CONFIGURATION_NAME, SERVICE_NAME, SERVICE_NAMESPACE, VALIDATING_CONFIGURATION_NAME,
};
pub use conversion::{Conversion, fields_by_name};
pub use kube::core::admission::Operation;
pub use registry::{CONVERSION_PATH, Webhooks, default_path};
pub use traits::{
    AdmissionContext, CustomDefaulter, CustomValidator, Defaulter, Denied, Validation, Validator,
    Warnings, WebhookKind,
};

/// Also the kinds and webhooks of the manifests' tests.
#[cfg(test)]
pub(crate) mod tests;
