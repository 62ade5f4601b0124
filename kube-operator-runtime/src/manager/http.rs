//! The manager's HTTP servers: `/metrics` for Prometheus, `/healthz` and `/readyz` for the kubelet.

use std::{future::Future, sync::Arc};

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::get,
};
use tokio::{net::TcpListener, task::JoinHandle};
use tracing::{error, info};

use super::BindAddress;
use crate::{Error, Readiness, metrics::Metrics};

const OPENMETRICS_TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Serves `/metrics` at `address` until `shutdown` resolves.
pub(super) async fn serve_metrics(
    address: &BindAddress,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Option<JoinHandle<()>>, Error> {
    let router = Router::new()
        .route("/metrics", get(encode_metrics))
        .with_state(metrics);
    serve("metrics", address, router, shutdown).await
}

/// Serves `/healthz` and `/readyz` at `address` until `shutdown` resolves.
pub(super) async fn serve_probes(
    address: &BindAddress,
    readiness: Readiness,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Option<JoinHandle<()>>, Error> {
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(check_ready))
        .with_state(readiness);
    serve("health probes", address, router, shutdown).await
}

/// Binds now, so that a taken port fails the start, then serves on a task of its own.
async fn serve(
    what: &'static str,
    address: &BindAddress,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Option<JoinHandle<()>>, Error> {
    let BindAddress::At(address) = address else {
        info!("{what} server disabled");
        return Ok(None);
    };
    let bind_error = |source| Error::Bind {
        what,
        address: address.clone(),
        source,
    };
    let listener = TcpListener::bind(address).await.map_err(bind_error)?;
    let local = listener.local_addr().map_err(bind_error)?;
    info!(address = %local, "serving {what}");
    Ok(Some(tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            error!(error = %err, "{what} server failed");
        }
    })))
}

async fn encode_metrics(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, OPENMETRICS_TEXT)], metrics.encode())
}

async fn check_ready(State(readiness): State<Readiness>) -> (StatusCode, String) {
    match readiness.check() {
        Ok(()) => (StatusCode::OK, "ok".into()),
        Err(waiting) => (StatusCode::SERVICE_UNAVAILABLE, waiting),
    }
}
