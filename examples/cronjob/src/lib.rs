// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

//! The `cronjob` operator: its API types and their controllers. The manager, metrics, probes,
//! leader election and manifests come from `kube-operator-runtime`.

pub mod api;
pub mod controllers;
pub mod schedule;
pub mod webhooks;

use kube_operator_runtime::metrics::ErrorReason;

/// The Lease that replicas of the manager compete for with `--leader-elect`.
pub const LEASE_NAME: &str = "cronjob.tutorial.kubebuilder.io";

/// Name under which this operator owns fields (server-side apply) and reports Kubernetes
/// Events, so both point back to the same component.
pub const FIELD_MANAGER: &str = "cronjob-controller";

/// Errors of the controllers: a failed reconcile is retried with backoff, a failed start stops
/// the manager.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("kubernetes API request failed: {0}")]
    Kube(#[from] kube::Error),

    #[error(transparent)]
    Runtime(#[from] kube_operator_runtime::Error),

    #[error("object has no {0}")]
    MissingField(&'static str),
}

impl ErrorReason for Error {
    /// The `reason` label of `controller_runtime_reconcile_errors_total`.
    fn reason(&self) -> &'static str {
        match self {
            Self::Kube(err) => err.reason(),
            Self::Runtime(_) => "Runtime",
            Self::MissingField(_) => "MissingField",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
