// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

//! The `tutorial` operator: API types, their controllers, and what the
//! `manager` and `crdgen` binaries share.

pub mod api;
pub mod controllers;

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

    #[error("cache was dropped before it was filled: {0}")]
    CacheNotReady(#[from] kube::runtime::reflector::store::WriterDropped),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Logs to stderr in a human-readable format; the level comes from
/// `RUST_LOG` (e.g. `RUST_LOG=tutorial=debug,kube=info`) and defaults to `info`.
pub fn init_tracing() {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colors help in a terminal but are noise in `kubectl logs`.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
