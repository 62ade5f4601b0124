// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

//! The manager: serves metrics and health probes, optionally waits to lead, and runs every
//! controller until a shutdown signal, a lost Lease or a failed controller.

mod http;
mod leader;
mod options;
mod readiness;

use std::{future::Future, process::ExitCode, sync::Arc, time::Duration};

use kube::Client;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

pub use leader::LEASE_NAME;
pub use options::{BindAddress, LogFormat, Options};
pub use readiness::{CacheSync, Readiness};

use crate::{
    controllers::{self, Controllers, Shared},
    metrics::Metrics,
};

/// How long controllers get to finish their reconciles after a shutdown signal. Kubernetes sends
/// SIGKILL 10 s after SIGTERM (the Deployment's terminationGracePeriodSeconds); this leaves time
/// to release the leader Lease.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(7);
/// How long the HTTP servers may take to close their connections.
const SERVER_STOP_TIMEOUT: Duration = Duration::from_secs(1);

/// Runs the manager; the exit code tells Kubernetes whether to restart it.
pub async fn run(options: Options) -> ExitCode {
    info!(version = env!("CARGO_PKG_VERSION"), "starting manager");
    let client = match Client::try_default().await {
        Ok(client) => client,
        Err(err) => {
            error!(error = %err, "cannot configure a Kubernetes client");
            return ExitCode::FAILURE;
        }
    };
    let shared = Shared {
        client,
        metrics: Arc::new(Metrics::default()),
        readiness: Readiness::default(),
        shutdown: CancellationToken::new(),
    };
    tokio::spawn(cancel_on_signal(shared.shutdown.clone()));

    let servers = [
        http::serve_metrics(
            &options.metrics_bind_address,
            shared.metrics.clone(),
            shared.shutdown.clone().cancelled_owned(),
        )
        .await,
        http::serve_probes(
            &options.health_probe_bind_address,
            shared.readiness.clone(),
            shared.shutdown.clone().cancelled_owned(),
        )
        .await,
    ];
    let mut running = Vec::new();
    for server in servers {
        match server {
            Ok(server) => running.extend(server),
            Err(err) => {
                error!(error = %err, "cannot start the manager");
                return ExitCode::FAILURE;
            }
        }
    }

    let exit = if options.leader_elect {
        let namespace = options
            .leader_election_namespace
            .unwrap_or_else(|| shared.client.default_namespace().to_string());
        run_when_leading(&shared, &namespace).await
    } else {
        shared.readiness.started();
        run_controllers(&shared, std::future::pending()).await
    };

    // Stops the HTTP servers too.
    shared.shutdown.cancel();
    for server in running {
        let _ = tokio::time::timeout(SERVER_STOP_TIMEOUT, server).await;
    }
    info!("manager stopped");
    exit
}

/// Competes for the leader Lease and runs the controllers while holding it.
async fn run_when_leading(shared: &Shared, namespace: &str) -> ExitCode {
    // A standby is ready: it is doing its job, waiting.
    shared.readiness.started();
    shared.metrics.set_leader(LEASE_NAME, false);
    let lease = format!("{namespace}/{LEASE_NAME}");
    let mut candidate = match leader::Candidate::start(shared.client.clone(), namespace).await {
        Ok(candidate) => candidate,
        Err(err) => {
            error!(%lease, error = %err, "cannot take part in leader election");
            return ExitCode::FAILURE;
        }
    };
    info!(%lease, "waiting to acquire the leader lease");
    tokio::select! {
        acquired = candidate.acquired() => {
            if !acquired {
                error!(%lease, "leader election stopped unexpectedly");
                return ExitCode::FAILURE;
            }
        }
        () = shared.shutdown.cancelled() => {
            info!("shutdown signal received while standing by");
            candidate.release().await;
            return ExitCode::SUCCESS;
        }
    }
    info!(%lease, "acquired the leader lease");
    shared.metrics.set_leader(LEASE_NAME, true);

    let exit = run_controllers(shared, candidate.lost()).await;

    shared.metrics.set_leader(LEASE_NAME, false);
    candidate.release().await;
    info!(%lease, "released the leader lease");
    exit
}

/// Runs every controller until shutdown (graceful, bounded by `SHUTDOWN_GRACE`), until
/// `leadership_lost` resolves (immediate: another manager may already be reconciling) or until
/// one controller fails.
async fn run_controllers(shared: &Shared, leadership_lost: impl Future<Output = ()>) -> ExitCode {
    let mut controllers = controllers::run_all(shared.clone());
    if controllers.is_empty() {
        warn!("no controllers registered, waiting for a shutdown signal");
        shared.shutdown.cancelled().await;
        return ExitCode::SUCCESS;
    }
    info!(controllers = controllers.len(), "controllers started");

    tokio::select! {
        exit = supervise(&mut controllers) => {
            // Stops whatever still runs.
            controllers.shutdown().await;
            exit
        }
        () = shared.shutdown.cancelled() => {
            info!(grace = ?SHUTDOWN_GRACE, "stopping controllers, finishing the reconciles in flight");
            match tokio::time::timeout(SHUTDOWN_GRACE, supervise(&mut controllers)).await {
                Ok(exit) => exit,
                Err(_) => {
                    error!(grace = ?SHUTDOWN_GRACE, "controllers did not stop in time");
                    controllers.shutdown().await;
                    ExitCode::FAILURE
                }
            }
        }
        () = leadership_lost => {
            error!("lost the leader lease, stopping controllers at once");
            controllers.shutdown().await;
            ExitCode::FAILURE
        }
    }
}

/// Waits until every controller stops, or until the first one fails or panics: a manager
/// missing one controller would look healthy while doing only part of its job, so it exits for
/// Kubernetes to restart it.
async fn supervise(controllers: &mut Controllers) -> ExitCode {
    while let Some((name, exit)) = controllers.join_next().await {
        match exit {
            Ok(Ok(())) => {
                info!(controller = name, "controller stopped");
                continue;
            }
            Ok(Err(err)) => error!(controller = name, error = %err, "controller failed"),
            Err(err) if err.is_panic() => error!(controller = name, "controller panicked"),
            Err(err) => error!(controller = name, error = %err, "controller was cancelled"),
        }
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Cancels `shutdown` on the first SIGINT (Ctrl+C) or SIGTERM (sent by Kubernetes).
async fn cancel_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut sigterm) => {
            tokio::select! {
                _ = ctrl_c => {}
                _ = sigterm.recv() => {}
            }
        }
        Err(err) => {
            warn!(error = %err, "cannot listen for SIGTERM, only Ctrl+C stops the manager");
            let _ = ctrl_c.await;
        }
    }
    info!("shutdown signal received");
    shutdown.cancel();
}
