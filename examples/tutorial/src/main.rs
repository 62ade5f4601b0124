// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

//! The manager: runs every controller of the operator until SIGTERM or SIGINT.

use std::{process::ExitCode, time::Duration};

use kube::Client;
use tracing::{error, info, warn};
use tutorial::controllers::{self, Controllers};

/// How long controllers get to finish after a shutdown signal. A controller
/// whose cache never filled (API server unreachable, CRD not installed) does
/// not stop by itself, and Kubernetes sends SIGKILL after 30s by default.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

#[tokio::main]
async fn main() -> ExitCode {
    tutorial::init_tracing();
    info!("starting manager");

    let client = match Client::try_default().await {
        Ok(client) => client,
        Err(err) => {
            error!(error = %err, "cannot configure a Kubernetes client");
            return ExitCode::FAILURE;
        }
    };

    let controllers = controllers::run_all(client);
    if controllers.is_empty() {
        warn!("no controllers registered, waiting for a shutdown signal");
        shutdown_signal().await;
        info!("shutdown signal received, manager exiting");
        return ExitCode::SUCCESS;
    }
    info!(controllers = controllers.len(), "controllers started");

    // Each controller handles SIGTERM/SIGINT itself, finishing the reconciles
    // in flight; this signal handler only bounds how long that may take.
    let deadline = async {
        shutdown_signal().await;
        info!(grace = ?SHUTDOWN_GRACE, "shutdown signal received, stopping controllers");
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        exit = supervise(controllers) => exit,
        () = deadline => {
            error!(grace = ?SHUTDOWN_GRACE, "controllers did not stop in time, manager exiting");
            ExitCode::FAILURE
        }
    }
}

/// Waits for every controller to stop. The first one that fails or panics
/// stops the others: a manager missing one controller would look healthy
/// while doing only part of its job, so it exits for Kubernetes to restart it.
async fn supervise(mut controllers: Controllers) -> ExitCode {
    while let Some((name, exit)) = controllers.join_next().await {
        match exit {
            Ok(Ok(())) => {
                info!(controller = name, "controller stopped");
                continue;
            }
            Ok(Err(err)) => error!(
                controller = name,
                error = %err,
                "controller failed, stopping manager"
            ),
            Err(err) if err.is_panic() => {
                error!(controller = name, "controller panicked, stopping manager");
            }
            Err(err) => error!(
                controller = name,
                error = %err,
                "controller was cancelled, stopping manager"
            ),
        }
        controllers.shutdown().await;
        return ExitCode::FAILURE;
    }
    info!("all controllers stopped, manager exiting");
    ExitCode::SUCCESS
}

/// Resolves on the first SIGINT (Ctrl+C) or SIGTERM (sent by Kubernetes).
async fn shutdown_signal() {
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
}
