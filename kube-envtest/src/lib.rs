//! Start a real Kubernetes API server (etcd + kube-apiserver) for tests, without Go.
//!
//! This is a Rust take on controller-runtime's
//! [envtest](https://book.kubebuilder.io/reference/envtest) for [kube](https://docs.rs/kube)
//! users: [`TestEnv::start`] runs etcd and kube-apiserver on `127.0.0.1` with throwaway
//! certificates in a temporary folder and hands back an admin [`kube::Client`]. Dropping the
//! [`TestEnv`] (also while a test panics) stops both processes and removes the folder.
//!
//! No controllers, scheduler or kubelet run: objects are stored and validated, RBAC, CRDs,
//! admission and watches work, but pods never start and garbage collection does not happen.
//!
//! # Binaries
//!
//! etcd and kube-apiserver (and kubectl for [`TestEnv::kubectl`]) are found like envtest does:
//! `TEST_ASSET_ETCD` / `TEST_ASSET_KUBE_APISERVER` / `TEST_ASSET_KUBECTL`, then
//! `$KUBEBUILDER_ASSETS/<name>`, then [`TestEnvBuilder::binary_assets_dir`], then the newest
//! version in the `setup-envtest` store (`~/.local/share/kubebuilder-envtest/k8s/<X.Y.Z>-<os>-<arch>`).
//! See [`find_binary_with_hint`]. When none is found and none was pointed at, start downloads
//! them into that store from the release index setup-envtest reads, SHA-512 checked, and builds
//! them from Go modules only if no download is possible: see [`assets`] and
//! [`TestEnvBuilder::fetch_missing_binaries`].
//!
//! # Example
//!
//! ```no_run
//! use k8s_openapi::api::core::v1::{Namespace, Pod};
//! use kube::Api;
//! use kube::api::ListParams;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let env = kube_envtest::TestEnv::builder()
//!     .crd_path("config/crd/bases") // optional: install CRDs and wait until they are served
//!     .start()
//!     .await?;
//!
//! // An admin client (CN=admin, O=system:masters).
//! let namespaces: Api<Namespace> = Api::all(env.client());
//! assert!(namespaces.get_opt("default").await?.is_some());
//!
//! // A client with only the permissions RBAC grants this service account.
//! let manager = env
//!     .client_for_user("system:serviceaccount:default:manager", &["system:serviceaccounts"])
//!     .await?;
//! let pods: Api<Pod> = Api::default_namespaced(manager);
//! assert!(pods.list(&ListParams::default()).await.is_err()); // 403: no Role bound yet
//!
//! // Run kubectl or your own binary against the environment.
//! let status = env.kubectl()?.args(["get", "namespaces"]).status()?;
//! assert!(status.success());
//! # Ok(())
//! # }
//! ```
//!
//! # Webhooks
//!
//! [`TestEnvBuilder::webhooks`] installs admission webhook configurations (from files such as
//! `config/webhook/manifests.yaml`, or Rust values) pointed at a webhook server the test runs
//! itself on loopback, like controller-runtime envtest's `WebhookInstallOptions`. Start
//! creates a CA and a serving certificate for `127.0.0.1`/`localhost`, picks a free port, and
//! rewrites every webhook's `clientConfig` (and the conversion webhook of every CRD it
//! installs with `strategy: Webhook`) to `https://127.0.0.1:<port><path>` with that CA as
//! `caBundle`. [`TestEnv::webhook_server`] tells the test where to listen:
//!
//! ```no_run
//! use kube_envtest::{TestEnv, WebhookInstallOptions};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let env = TestEnv::builder()
//!     .crd_path("config/crd/bases")
//!     .webhooks(WebhookInstallOptions::new().path("config/webhook/manifests.yaml"))
//!     .start()
//!     .await?;
//! let server = env.webhook_server().expect("webhooks were configured");
//! let cert = server.cert_dir().join(server.cert_name()); // tls.crt, key in tls.key
//! let listen_on = (server.host(), server.port()); // 127.0.0.1 and a free port
//! # let _ = (cert, listen_on);
//! // Start the webhook server there; the API server calls it for matching requests.
//! # Ok(())
//! # }
//! ```
//!
//! The configurations are readable from the API server when start returns, but a webhook only
//! takes effect once the test's server listens on the port (and the API server's admission
//! plugin has noticed the new configuration, usually within a second). Without a server,
//! matching requests fail under `failurePolicy: Fail` and pass under `Ignore`.
//!
//! # Dependencies
//!
//! Like other libraries built on `k8s-openapi`, this crate enables no Kubernetes version
//! feature: the application (or your `[dev-dependencies]`) picks one, e.g.
//! `k8s-openapi = { version = "0.29", features = ["latest"] }`.

#![warn(missing_docs)]

pub mod assets;
mod binaries;
mod certs;
mod control_plane;
mod crds;
mod environment;
mod error;
mod kubeconfig;
mod ports;
mod process;
mod webhooks;

pub use binaries::{Binary, DEFAULT_MISSING_BINARIES_HINT, find_binary, find_binary_with_hint};
pub use control_plane::{ADMIN_GROUP, ADMIN_USER};
pub use crds::read_crds;
pub use environment::{TestEnv, TestEnvBuilder};
pub use error::{Error, Result};
pub use ports::free_loopback_port;
pub use webhooks::{LocalWebhookServer, WebhookInstallOptions};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn test_env_is_send_and_sync() {
        assert_send_sync::<TestEnv>();
        assert_send_sync::<TestEnvBuilder>();
        assert_send_sync::<Error>();
        assert_send_sync::<WebhookInstallOptions>();
        assert_send_sync::<LocalWebhookServer>();
    }
}
