// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

//! The `tutorial` operator: API types, their controllers, and what the
//! `manager` and `crdgen` binaries share.

pub mod api;
pub mod controllers;
pub mod manager;
pub mod metrics;

/// Name under which this operator owns fields (server-side apply) and
/// reports Kubernetes Events, so both point back to the same component.
pub const FIELD_MANAGER: &str = "tutorial-controller";

/// Errors of the controllers: a failed reconcile is retried with backoff,
/// a failed start stops the manager.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("kubernetes API request failed: {0}")]
    Kube(#[from] kube::Error),

    #[error("{kind} is not served by the API server; is its CRD installed?")]
    NotServed { kind: String },

    #[error("cannot list {kind}: {source}")]
    CannotList {
        kind: String,
        #[source]
        source: kube::Error,
    },

    #[error("object has no {0}")]
    MissingField(&'static str),
}

impl Error {
    /// A short, stable name for the kind of failure: the `reason` label of
    /// `controller_runtime_reconcile_errors_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Kube(kube::Error::Api(status)) => match status.code {
                403 => "Forbidden",
                404 => "NotFound",
                409 => "Conflict",
                422 => "Invalid",
                429 => "TooManyRequests",
                500.. => "ServerError",
                _ => "ApiError",
            },
            Self::Kube(_) => "ClientError",
            Self::NotServed { .. } => "NotServed",
            Self::CannotList { .. } => "CannotList",
            Self::MissingField(_) => "MissingField",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Logs to stderr, filtered by `filter` (`RUST_LOG` syntax, such as
/// `info,tutorial=debug`), as text for people or as JSON lines for log collectors.
pub fn init_tracing(filter: &str, format: manager::LogFormat) -> Result<(), String> {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;

    let filter = EnvFilter::try_new(filter)
        .map_err(|err| format!("invalid log filter {filter:?}: {err}"))?;
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        // Colors help in a terminal but are noise in `kubectl logs`.
        manager::LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        manager::LogFormat::Json => logs.json().init(),
    }
    Ok(())
}
