//! The errors of the runtime's own steps.

use std::io;

/// A step of the runtime that failed; each variant names the step.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A series a project registered with [`Metrics::register`](crate::metrics::Metrics::register)
    /// cannot be served under its name.
    #[error("cannot serve the metric `{name}`: {why}")]
    MetricName {
        /// The name given.
        name: String,
        /// Why it was refused, and what to do.
        why: String,
    },
    /// The API server does not serve a kind a controller needs, most often because its CRD is not
    /// installed.
    #[error("{kind} is not served by the API server; is its CRD installed? (`make install`)")]
    NotServed {
        /// `apiVersion/Kind`.
        kind: String,
    },

    /// Listing a kind failed for another reason than its not being served, such as missing RBAC
    /// or an unreachable API server.
    #[error("cannot list {kind}: {source}")]
    CannotList {
        /// `apiVersion/Kind`.
        kind: String,
        /// What the client reported.
        #[source]
        source: kube::Error,
    },

    /// No Kubernetes client could be configured from the kubeconfig or the in-cluster
    /// environment.
    #[error("cannot configure a Kubernetes client: {0}")]
    Client(#[source] kube::Error),

    /// A server of the manager could not listen on its address.
    #[error("cannot serve {what} on {address}: {source}")]
    Bind {
        /// `metrics`, `health probes` or `webhooks`.
        what: &'static str,
        /// The address it was given.
        address: String,
        /// Why binding failed.
        #[source]
        source: io::Error,
    },

    /// A certificate for an HTTPS server could not be read or made.
    #[error("cannot use {what} for TLS: {reason}")]
    Tls {
        /// The file, or what was being made.
        what: String,
        /// What went wrong.
        reason: String,
    },

    /// The webhook server's certificate or key is not where the flags say.
    #[error(
        "no webhook certificate in {cert} and {key}: mount a certificate there (config/certmanager makes one), pass --webhook-cert-path, or run with ENABLE_WEBHOOKS=false"
    )]
    WebhookCertMissing {
        /// The certificate file looked for.
        cert: String,
        /// The key file looked for.
        key: String,
    },

    /// A request of leader election failed.
    #[error("leader election on Lease {lease}: {source}")]
    LeaderElection {
        /// `namespace/name` of the Lease.
        lease: String,
        /// What the API server answered.
        #[source]
        source: kube::Error,
    },

    /// The versions of one CRD could not be merged into one CRD.
    #[error("cannot merge the versions of CRD {name}: {source}")]
    MergeCrds {
        /// The CRD's name, `<plural>.<group>`.
        name: String,
        /// What kube reported.
        #[source]
        source: kube::core::crd::MergeError,
    },

    /// A manifest could not be turned into YAML or JSON.
    #[error("cannot serialize {what}: {message}")]
    Serialize {
        /// Which manifest.
        what: String,
        /// What the serializer reported.
        message: String,
    },

    /// A manifest could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// Why writing failed.
        #[source]
        source: io::Error,
    },

    /// A controller asked for a value the program did not give the manager.
    #[error(
        "no value of type `{type_name}` was given to the manager; add `.state(value)` to the `Manager` in main.rs (or to `Shared` in a test)"
    )]
    MissingState {
        /// The Rust type asked for.
        type_name: &'static str,
    },

    /// A child could not be given its owner: a namespaced owner can own only objects of its
    /// own namespace.
    #[error("{child} cannot be owned by {owner}: {reason}")]
    InvalidOwner {
        /// `Kind namespace/name` of the child.
        child: String,
        /// `Kind namespace/name` of the owner.
        owner: String,
        /// Why not.
        reason: &'static str,
    },

    /// A server-side apply was refused.
    #[error("cannot apply {object}: {source}")]
    Apply {
        /// `Kind namespace/name`.
        object: String,
        /// What the API server answered.
        #[source]
        source: kube::Error,
    },
}
