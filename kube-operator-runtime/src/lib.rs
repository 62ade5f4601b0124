//! The runtime of Kubernetes operators written with [kube-rs](https://kube.rs): what every
//! operator needs and none of its authors should have to write or keep up to date.
//!
//! `cargo operator init` scaffolds a project whose own files hold only its API types and its
//! controllers; this crate holds the rest, so that a fix reaches every project through
//! `cargo update`. It plays the part controller-runtime plays under Kubebuilder:
//!
//! - [`Manager`]: Kubebuilder's flags ([`ManagerArgs`]), `/metrics` (HTTPS for callers the API
//!   server authorizes, unless told otherwise), `/healthz`, `/readyz` and `/readyz/caches`,
//!   leader election on a Lease, a bounded graceful shutdown, and values for the controllers
//!   ([`Manager::state`]);
//! - [`Shared::controller`] and [`ControllerBuilder`](controller::ControllerBuilder): one controller, named by its
//!   registration, with selectors, predicates, concurrency, [`owns`](controller::ControllerBuilder::owns)
//!   and [`watches`](controller::ControllerBuilder::watches), each watch with its own backoff and readiness,
//!   shared with the manager's other controllers, and no reconcile before every first list;
//! - [`finalizer`], [`conditions`] and [`owned`]: cleanup before deletion, `status.conditions`,
//!   and children applied with their controller owner reference;
//! - [`presence`]: a metadata-only watch of another kind that yields only objects that appear
//!   or disappear;
//! - [`metrics`]: controller-runtime's metric names, so Kubebuilder dashboards keep working;
//! - [`webhook`]: defaulting, validating and conversion webhooks written as trait impls
//!   ([`Defaulter`](webhook::Defaulter), [`Validator`](webhook::Validator), [`Conversion`](webhook::Conversion); [`CustomDefaulter`](webhook::CustomDefaulter) and [`CustomValidator`](webhook::CustomValidator)
//!   when a webhook needs the request, a client, or serves a kind of another crate), served by
//!   the manager and written into the manifests from one [`Webhooks`](webhook::Webhooks) value;
//! - [`rbac`]: typed RBAC rules and their merging;
//! - [`manifests`]: the CRDs and roles as YAML for kustomize and Helm, behind a project's
//!   `crdgen` binary;
//! - `testing` (feature `testing`): polling helpers, a mocked API server, the manager binary run
//!   against kube-envtest, RBAC grants, and webhooks installed in kube-envtest for tests.
//!
//! A whole manager binary:
//!
//! ```no_run
//! use std::{process::ExitCode, sync::Arc};
//!
//! use clap::Parser;
//! use k8s_openapi::api::{apps::v1::Deployment, core::v1::ConfigMap};
//! use kube::{Api, runtime::{controller::Action, predicates}};
//! use kube_operator_runtime::{Manager, ManagerArgs, Shared};
//!
//! #[derive(Parser)]
//! struct Args {
//!     #[command(flatten)]
//!     manager: ManagerArgs,
//!     /// The image the widgets run.
//!     #[arg(long, default_value = "nginx:1.29")]
//!     image: String,
//! }
//!
//! /// What `main` hands the controllers.
//! struct Image(String);
//!
//! async fn reconcile(obj: Arc<ConfigMap>, image: Arc<Image>) -> Result<Action, kube::Error> {
//!     // Apply a Deployment of `image.0` with `owned::apply_owned`, set conditions, …
//!     # let _ = (obj, image);
//!     Ok(Action::await_change())
//! }
//!
//! fn error_policy(_: Arc<ConfigMap>, _: &kube::Error, _: Arc<Image>) -> Action {
//!     Action::requeue(std::time::Duration::from_secs(5))
//! }
//!
//! async fn run_widgets(shared: Shared) -> Result<(), kube_operator_runtime::Error> {
//!     let image = shared.state::<Image>()?;
//!     let client = shared.client.clone();
//!     shared
//!         .controller(Api::<ConfigMap>::all(client.clone()))
//!         .predicate(predicates::generation)
//!         .owns(Api::<Deployment>::all(client))
//!         .run(reconcile, error_policy, image)
//!         .await;
//!     Ok(())
//! }
//!
//! #[tokio::main]
//! async fn main() -> ExitCode {
//!     let args = Args::parse();
//!     Manager::new(args.manager, "widgets.example.com")
//!         .state(Image(args.image))
//!         .controller("widget", run_widgets)
//!         .run()
//!         .await
//! }
//! ```
//!
//! # From controller-runtime
//!
//! | controller-runtime (Go) | here |
//! |---|---|
//! | `ctrl.NewControllerManagedBy(mgr).For(&Foo{})` | `shared.controller(api)`, in the `run` registered with `Manager::controller("foo", run)` |
//! | `.Owns(&appsv1.Deployment{})` | [`ControllerBuilder::owns`](controller::ControllerBuilder::owns) |
//! | `.Watches(&Pod{}, handler.EnqueueRequestsFromMapFunc(f))` | [`ControllerBuilder::watches`](controller::ControllerBuilder::watches) |
//! | `.WithEventFilter(predicate.GenerationChangedPredicate{})` | [`ControllerBuilder::predicate`](controller::ControllerBuilder::predicate)`(predicates::generation)` |
//! | `.WithOptions(controller.Options{MaxConcurrentReconciles: 4})` | [`ControllerBuilder::concurrency`](controller::ControllerBuilder::concurrency)`(4)` |
//! | label selector on the cache (`cache.Options.ByObject`) | [`ControllerBuilder::with_config`](controller::ControllerBuilder::with_config) |
//! | `mgr.GetFieldIndexer().IndexField(..)` | [`Index`] with [`ControllerBuilder::index`](controller::ControllerBuilder::index) |
//! | `ctrl.SetControllerReference` + `r.Patch(.., client.Apply)` | [`owned::apply_owned`] |
//! | `controllerutil.AddFinalizer` / `RemoveFinalizer` / `DeletionTimestamp` check | [`finalizer::finalizer`] |
//! | `meta.SetStatusCondition` / `FindStatusCondition` / `IsStatusConditionTrue` | [`conditions::Conditions`] |
//! | `Conditions []metav1.Condition` with `+listType=map` | [`conditions::schema`] |
//! | `record.EventRecorder` | [`EventPublisher`] |
//! | fields of the reconciler struct (a flag, a client) | [`Manager::state`] and [`Shared::state`] |
//! | `webhook.CustomDefaulter` / `CustomValidator` | [`CustomDefaulter`](webhook::CustomDefaulter) / [`CustomValidator`](webhook::CustomValidator) |
//! | `+kubebuilder:rbac` markers | each controller's `policy_rules()`, with [`rbac::rule_for`], [`rbac::owned_rules`], [`rbac::finalizer_rules`] |
//! | `mgr.AddReadyzCheck`, the webhook server's `StartedChecker` | `/readyz` (webhook serving), `/readyz/caches` |
//!
//! # Webhooks
//!
//! A kind gets defaults and checks from trait impls; the manager serves them over HTTPS
//! (`--webhook-port`, the certificate in `--webhook-cert-path`, reloaded when renewed) on every
//! replica, and `crdgen` writes the webhook configurations from the same [`Webhooks`](webhook::Webhooks):
//!
//! ```no_run
//! use kube::CustomResource;
//! use kube_operator_runtime::{
//!     Manager, ManagerArgs,
//!     webhook::{Defaulter, Denied, Validation, Validator, Webhooks},
//! };
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
//! #[kube(group = "example.com", version = "v1", kind = "Widget", namespaced)]
//! pub struct WidgetSpec {
//!     size: String,
//!     #[serde(default, skip_serializing_if = "Option::is_none")]
//!     replicas: Option<u32>,
//! }
//!
//! impl Defaulter for Widget {
//!     fn default(&mut self) {
//!         self.spec.replicas.get_or_insert(1);
//!     }
//! }
//!
//! impl Validator for Widget {
//!     fn validate_create(&self) -> Validation {
//!         match self.spec.size.as_str() {
//!             "small" | "large" => Ok(Vec::new()),
//!             _ => Err(Denied::invalid("spec.size", "must be small or large")),
//!         }
//!     }
//! }
//!
//! /// Called by `main` and by `crdgen` (`Manifests::webhooks`).
//! pub fn webhooks() -> Webhooks {
//!     Webhooks::new().defaulting::<Widget>().validating::<Widget>()
//! }
//!
//! # async fn example(args: ManagerArgs) -> std::process::ExitCode {
//! Manager::new(args, "widgets.example.com")
//!     .webhooks(webhooks())
//!     .run()
//!     .await
//! # }
//! ```
//!
//! # Features
//! - `rustls-tls` and `ring` (default), `aws-lc-rs`, `openssl-tls`: the client's TLS stack, as
//!   kube names them. Turn off default features to choose another. The HTTPS servers use rustls
//!   with `ring` or `aws-lc-rs`, so one of those two is needed even with `openssl-tls`.
//! - `testing`: the [`testing`] module, for a project's dev-dependencies.

#![warn(missing_docs)]

mod concurrency;
pub mod conditions;
pub mod controller;
mod error;
pub mod events;
pub mod finalizer;
mod index;
mod initial_list;
mod kind;
pub mod manager;
pub mod manifests;
pub mod metrics;
pub mod owned;
pub mod presence;
pub mod rbac;
pub mod readiness;
mod shared_watch;
mod state;
#[cfg(test)]
mod test_support;
#[cfg(feature = "testing")]
pub mod testing;
mod tls;
mod watch_backoff;
pub mod webhook;

// What a generated project's `main.rs`, controllers and tests write; everything else is reached
// through its module.
pub use controller::{ErrorBackoff, Shared, ensure_served, watched_api};
pub use error::Error;
pub use events::EventPublisher;
pub use index::Index;
pub use manager::{Manager, ManagerArgs, TERMINATION_GRACE_PERIOD};
