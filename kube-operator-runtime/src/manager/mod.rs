//! The manager: serves metrics, health probes and webhooks, optionally waits to lead, and runs every
//! controller until a shutdown signal, a lost Lease or a failed controller.

mod args;
mod duration;
mod http;
mod leader;
mod listen;
mod metrics_auth;
mod shutdown;
mod supervisor;

use std::{future::Future, process::ExitCode, sync::Arc, time::Duration};

use futures::{FutureExt, future::BoxFuture};
use kube::Client;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

pub use args::{BindAddress, LogFormat, ManagerArgs};
pub use shutdown::{
    LEASE_RELEASE_TIMEOUT, SERVER_STOP_TIMEOUT, SHUTDOWN_BUDGET, SHUTDOWN_GRACE,
    TERMINATION_GRACE_PERIOD,
};
use supervisor::Controllers;

use crate::{
    controller::Shared, error::Error, metrics::Metrics, readiness::Readiness, state::States,
    webhook::Webhooks,
};

/// The error a controller may stop with, whatever its own error type.
type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// How a registered controller is started.
type StartController = Box<dyn FnOnce(Shared) -> BoxFuture<'static, Result<(), BoxError>> + Send>;

/// Runs an operator's controllers, as controller-runtime's manager does for Go operators.
///
/// It serves `/metrics`, the health probes and the [webhooks](Self::webhooks), waits for the leader Lease when
/// `--leader-elect` is on, starts every controller with a [`Shared`] handle, and stops them all
/// on SIGTERM or SIGINT (gracefully, within [`SHUTDOWN_BUDGET`]), when one fails (so that
/// Kubernetes restarts the Pod), or at once when the Lease is lost.
///
/// ```no_run
/// use kube_operator_runtime::{Manager, ManagerArgs, Shared};
/// # use clap::Parser;
/// # #[derive(Parser)] struct Args { #[command(flatten)] manager: ManagerArgs }
///
/// async fn run_widgets(shared: Shared) -> Result<(), kube::Error> {
///     # let _ = shared;
///     Ok(())
/// }
///
/// # async fn example() -> std::process::ExitCode {
/// let args = Args::parse();
/// Manager::new(args.manager, "widgets.example.com")
///     .controller("widget", run_widgets)
///     .run()
///     .await
/// # }
/// ```
pub struct Manager {
    args: ManagerArgs,
    lease_name: String,
    controllers: Vec<(&'static str, StartController)>,
    webhooks: Webhooks,
    states: States,
}

impl Manager {
    /// A manager configured by `args`, which competes for the Lease `lease_name` when
    /// `--leader-elect` is on. Kubebuilder names it `<project>.<domain>`.
    pub fn new(args: ManagerArgs, lease_name: impl Into<String>) -> Self {
        Self {
            args,
            lease_name: lease_name.into(),
            controllers: Vec::new(),
            webhooks: Webhooks::new(),
            states: States::default(),
        }
    }

    /// Gives every controller `value`, read with [`Shared::state`]: a flag of `main.rs`'s, a
    /// client of another service, a field manager. One value per type; a later one replaces it.
    ///
    /// ```no_run
    /// # use kube_operator_runtime::{Manager, ManagerArgs, Shared};
    /// struct Images { default: String }
    ///
    /// async fn run_widgets(shared: Shared) -> Result<(), kube_operator_runtime::Error> {
    ///     let images = shared.state::<Images>()?;
    ///     # let _ = images;
    ///     Ok(())
    /// }
    ///
    /// # async fn example(args: ManagerArgs) -> std::process::ExitCode {
    /// Manager::new(args, "widgets.example.com")
    ///     .state(Images { default: "nginx:1.29".into() })
    ///     .controller("widget", run_widgets)
    ///     .run()
    ///     .await
    /// # }
    /// ```
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.insert(value);
        self
    }

    /// Serves `webhooks` over HTTPS (`--webhook-port`, the certificate in
    /// `--webhook-cert-path`) from the start, on every replica: a standby for the leader Lease
    /// answers the API server too. Empty webhooks, or `--enable-webhooks=false`, serve nothing.
    pub fn webhooks(mut self, webhooks: Webhooks) -> Self {
        self.webhooks = webhooks;
        self
    }

    /// Adds a controller: `run` is started once this manager may reconcile, and should return
    /// when [`Shared::shutdown`] is cancelled. `name` labels its logs, metrics and readiness:
    /// [`Shared::controller`] takes it from the handle `run` is given.
    pub fn controller<F, Fut, E>(mut self, name: &'static str, run: F) -> Self
    where
        F: FnOnce(Shared) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::error::Error + Send + Sync + 'static,
    {
        let start: StartController = Box::new(move |shared| {
            run(shared)
                .map(|result| result.map_err(BoxError::from))
                .boxed()
        });
        self.controllers.push((name, start));
        self
    }

    /// Sets up logging as the flags say (unless the program already did), then runs until
    /// shutdown. The exit code tells Kubernetes whether to restart the Pod.
    pub async fn run(self) -> ExitCode {
        self.args.init_tracing();
        // A mistake in the flags is reported before anything else can go wrong.
        let timings = match self.leader_election_timings() {
            Ok(timings) => timings,
            Err(exit) => return exit,
        };
        let client = match Client::try_default().await {
            Ok(client) => client,
            Err(err) => {
                error!(error = %Error::Client(err), "cannot start the manager");
                return ExitCode::FAILURE;
            }
        };
        self.run_checked(client, timings).await
    }

    /// Like [`run`](Self::run) with a client of the caller's, and leaving logging as it is.
    pub async fn run_with_client(self, client: Client) -> ExitCode {
        match self.leader_election_timings() {
            Ok(timings) => self.run_checked(client, timings).await,
            Err(exit) => exit,
        }
    }

    /// The `--leader-elect-*` timings, or the exit code of a manager that refuses them.
    fn leader_election_timings(&self) -> Result<leader::Timings, ExitCode> {
        self.args.leader_election_timings().map_err(|err| {
            error!(error = %err, "cannot start the manager");
            ExitCode::FAILURE
        })
    }

    /// Runs until shutdown, once the flags were checked.
    async fn run_checked(self, client: Client, timings: leader::Timings) -> ExitCode {
        info!(version = env!("CARGO_PKG_VERSION"), "starting manager");
        let Self {
            args,
            lease_name,
            controllers,
            webhooks,
            states,
        } = self;
        let shared = Shared::for_manager(
            client,
            Arc::new(Metrics::default()),
            Readiness::default(),
            states,
        );
        tokio::spawn(cancel_on_signal(shared.shutdown.clone()));

        let servers = [
            http::serve_metrics(
                &args,
                shared.metrics.clone(),
                shared.client.clone(),
                shared.shutdown.clone(),
            )
            .await,
            http::serve_probes(
                &args.health_probe_bind_address,
                shared.readiness.clone(),
                shared.shutdown.clone().cancelled_owned(),
            )
            .await,
            // Before leader election: the API server calls every replica behind the Service.
            http::serve_webhooks(
                &args,
                Arc::new(webhooks),
                shared.metrics.clone(),
                shared.client.clone(),
                shared.readiness.clone(),
                shared.shutdown.clone(),
            )
            .await,
        ];
        let mut running = Vec::new();
        for server in servers {
            match server {
                Ok(server) => running.extend(server),
                Err(err) => {
                    error!(error = %err, "cannot start the manager");
                    shared.shutdown.cancel();
                    return ExitCode::FAILURE;
                }
            }
        }

        let exit = if args.leader_elect {
            let namespace = args
                .leader_election_namespace
                .unwrap_or_else(|| shared.client.default_namespace().to_string());
            run_when_leading(
                &shared,
                controllers,
                &lease_name,
                &namespace,
                timings,
                args.cache_sync_timeout,
            )
            .await
        } else {
            shared.readiness.started();
            let cache_sync_timeout = args.cache_sync_timeout;
            run_controllers(
                &shared,
                controllers,
                cache_sync_timeout,
                std::future::pending(),
            )
            .await
        };

        // Stops the HTTP servers too.
        shared.shutdown.cancel();
        let _ = tokio::time::timeout(SERVER_STOP_TIMEOUT, futures::future::join_all(running)).await;
        info!("manager stopped");
        exit
    }
}

/// Competes for the leader Lease and runs the controllers while holding it.
async fn run_when_leading(
    shared: &Shared,
    controllers: Vec<(&'static str, StartController)>,
    lease_name: &str,
    namespace: &str,
    timings: leader::Timings,
    cache_sync_timeout: Duration,
) -> ExitCode {
    // A standby is ready: it is doing its job, waiting.
    shared.readiness.started();
    shared.metrics.set_leader(lease_name, false);
    let lease = format!("{namespace}/{lease_name}");
    let mut candidate =
        leader::Candidate::start(shared.client.clone(), lease_name, namespace, timings);
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
    shared.metrics.set_leader(lease_name, true);

    let exit = run_controllers(shared, controllers, cache_sync_timeout, candidate.lost()).await;

    shared.metrics.set_leader(lease_name, false);
    candidate.release().await;
    info!(%lease, "released the leader lease");
    exit
}

/// Runs every controller until shutdown (graceful, bounded by `SHUTDOWN_GRACE`), until
/// `leadership_lost` resolves (immediate: another manager may already be reconciling) or until
/// one controller fails.
async fn run_controllers(
    shared: &Shared,
    registered: Vec<(&'static str, StartController)>,
    cache_sync_timeout: Duration,
    leadership_lost: impl Future<Output = String>,
) -> ExitCode {
    let mut controllers = Controllers::new(shared.clone(), cache_sync_timeout);
    for (name, start) in registered {
        controllers.spawn(name, start);
    }
    if controllers.is_empty() {
        warn!("no controllers registered, waiting for a shutdown signal");
        shared.shutdown.cancelled().await;
        return ExitCode::SUCCESS;
    }
    info!(controllers = controllers.len(), "controllers started");

    tokio::select! {
        exit = controllers.supervise() => {
            // Stops whatever still runs.
            controllers.shutdown().await;
            exit
        }
        () = shared.shutdown.cancelled() => {
            info!(grace = ?SHUTDOWN_GRACE, "stopping controllers, finishing the reconciles in flight");
            match tokio::time::timeout(SHUTDOWN_GRACE, controllers.supervise()).await {
                Ok(exit) => exit,
                Err(_) => {
                    error!(grace = ?SHUTDOWN_GRACE, "controllers did not stop in time");
                    controllers.shutdown().await;
                    ExitCode::FAILURE
                }
            }
        }
        reason = leadership_lost => {
            error!(%reason, "lost the leader lease, stopping controllers at once");
            controllers.shutdown().await;
            ExitCode::FAILURE
        }
    }
}

/// Cancels `shutdown` on the first SIGINT (Ctrl+C) or SIGTERM (sent by Kubernetes).
async fn cancel_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut sigterm) => {
            tokio::select! {
                _ = ctrl_c => {}
                _ = sigterm.recv() => {}
                () = shutdown.cancelled() => return,
            }
        }
        Err(err) => {
            warn!(error = %err, "cannot listen for SIGTERM, only Ctrl+C stops the manager");
            tokio::select! {
                _ = ctrl_c => {}
                () = shutdown.cancelled() => return,
            }
        }
    }
    info!("shutdown signal received");
    shutdown.cancel();
}
