// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

//! The manager binary: `manager --help` lists its flags.

use std::process::ExitCode;

use clap::Parser;
use cronjob::schedule::Clock;
use kube_operator_runtime::{Manager, ManagerArgs};

/// Runs the cronjob operator's controllers against the cluster of the kubeconfig (or, in a
/// Pod, the cluster it runs in), and serves its webhooks.
#[derive(Parser)]
#[command(name = "manager", version)]
struct Args {
    #[command(flatten)]
    manager: ManagerArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let manager = Manager::new(args.manager, cronjob::LEASE_NAME)
        .webhooks(cronjob::webhooks::webhooks())
        // The CronJob controller schedules by the system's clock.
        .state(Clock::system());
    cronjob::controllers::register(manager).run().await
}
