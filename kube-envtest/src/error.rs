//! The crate's error type.

use std::path::PathBuf;
use std::time::Duration;

/// Result alias used throughout this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while starting, using or stopping a [`TestEnv`](crate::TestEnv).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A test binary (etcd, kube-apiserver, kubectl) was not found.
    #[error(
        "{binary} binary not found; looked in:\n{}\nfix: {hint}",
        searched.iter().map(|s| format!("  - {s}")).collect::<Vec<_>>().join("\n")
    )]
    BinaryNotFound {
        /// File name of the missing binary.
        binary: &'static str,
        /// Every place that was checked, in order, with the reason it did not match.
        searched: Vec<String>,
        /// How to install the binaries (see [`TestEnvBuilder::missing_binaries_hint`](crate::TestEnvBuilder::missing_binaries_hint)).
        hint: String,
    },

    /// The binaries could not be downloaded (or built): one line saying why and what to do.
    #[error("{0}")]
    Assets(String),

    /// A file-system or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// Generating a throwaway certificate or key failed.
    #[error("generating test certificates: {0}")]
    Certificate(String),

    /// A server process exited before it became ready.
    #[error("{process} exited before it was ready ({status}); last lines of {}:\n{log_tail}", log.display())]
    ProcessExited {
        /// `etcd` or `kube-apiserver`.
        process: &'static str,
        /// The exit status, as text.
        status: String,
        /// Path of the process log (inside the temp dir, which is removed on drop).
        log: PathBuf,
        /// The last lines of the process log.
        log_tail: String,
    },

    /// A server process did not become ready in time.
    #[error("{process} was not ready within {timeout:?}; last lines of {}:\n{log_tail}", log.display())]
    StartTimeout {
        /// `etcd` or `kube-apiserver`.
        process: &'static str,
        /// The timeout that elapsed.
        timeout: Duration,
        /// Path of the process log (inside the temp dir, which is removed on drop).
        log: PathBuf,
        /// The last lines of the process log.
        log_tail: String,
    },

    /// A request to the API server failed.
    #[error("Kubernetes API request failed: {0}")]
    Kube(#[from] kube::Error),

    /// Building a client configuration from the generated kubeconfig failed.
    #[error("building client config: {0}")]
    Kubeconfig(#[from] kube::config::KubeconfigError),

    /// A CRD file could not be read or parsed.
    #[error("reading CRDs from {}: {message}", path.display())]
    CrdFile {
        /// The file or directory.
        path: PathBuf,
        /// What was wrong with it.
        message: String,
    },

    /// Some CRDs were not served by API discovery in time.
    #[error("CRDs not served by API discovery within {timeout:?}: {}", pending.join(", "))]
    CrdTimeout {
        /// `plural.group/version` of each resource that was still missing.
        pending: Vec<String>,
        /// The timeout that elapsed.
        timeout: Duration,
    },

    /// A webhook configuration file could not be read or parsed.
    #[error("reading webhook configurations from {}: {message}", path.display())]
    WebhookFile {
        /// The file or directory.
        path: PathBuf,
        /// What was wrong with it.
        message: String,
    },

    /// A webhook configuration, or a CRD's conversion webhook, cannot be pointed at the
    /// local webhook server (e.g. its `clientConfig` has neither `service` nor `url`).
    #[error("invalid webhook configuration: {0}")]
    WebhookConfig(String),

    /// Installed webhook configurations were not readable from the API server in time.
    #[error("webhook configurations not readable from the API server within {timeout:?}: {}", pending.join(", "))]
    WebhookTimeout {
        /// `Kind/name` of each configuration that was still missing.
        pending: Vec<String>,
        /// The timeout that elapsed.
        timeout: Duration,
    },
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}
