//! The manager's HTTP servers: `/metrics` for Prometheus, `/healthz` and `/readyz` for the kubelet.

use std::{future::Future, net::SocketAddr, sync::Arc};

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    middleware,
    response::IntoResponse,
    routing::get,
};
use axum_server::tls_rustls::RustlsConfig;
use kube::Client;
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::{BindAddress, ManagerArgs, SERVER_STOP_TIMEOUT, listen, metrics_auth};
use crate::{
    Error, Readiness,
    metrics::Metrics,
    tls::{CertFiles, ServingCert},
};

const OPENMETRICS_TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Serves `/metrics` as `args` say: over HTTPS to callers the API server authorizes, or over
/// plain HTTP with `--metrics-secure=false`, until `shutdown` is cancelled.
pub(super) async fn serve_metrics(
    args: &ManagerArgs,
    metrics: Arc<Metrics>,
    client: Client,
    shutdown: CancellationToken,
) -> Result<Option<JoinHandle<()>>, Error> {
    let Some((listener, local)) = bind("metrics", &args.metrics_bind_address).await? else {
        return Ok(None);
    };
    let router = Router::new()
        .route("/metrics", get(encode_metrics))
        .with_state(metrics);
    if !args.metrics_secure {
        info!(address = %local, "serving metrics");
        if !local.ip().is_loopback() {
            warn!(address = %local, "serving metrics over plain HTTP to anyone who can connect; drop --metrics-secure=false outside loopback");
        }
        return Ok(Some(serve_plain(
            "metrics",
            listener,
            router,
            shutdown.cancelled_owned(),
        )));
    }
    let router = router.layer(middleware::from_fn_with_state(
        metrics_auth::Reviewer::new(client),
        metrics_auth::require_authorized,
    ));
    let serving = match &args.metrics_cert_path {
        Some(dir) => {
            let files = CertFiles::new(dir, &args.metrics_cert_name, &args.metrics_cert_key);
            let serving = ServingCert::from_files(&files)?;
            serving.reload_from(files, shutdown.clone());
            serving
        }
        None => {
            info!("no --metrics-cert-path given, serving metrics with a self-signed certificate");
            ServingCert::self_signed(&[])?
        }
    };
    let tls = RustlsConfig::from_config(serving.server_config(args.enable_http2)?);
    let bind_error = |source| Error::Bind {
        what: "metrics",
        address: args.metrics_bind_address.to_string(),
        source,
    };
    let listener = listener.into_std().map_err(bind_error)?;
    let mut server = axum_server::from_tcp_rustls(listener, tls).map_err(bind_error)?;
    if !args.enable_http2 {
        server = server.http1_only();
    }
    let handle = axum_server::Handle::new();
    let server = server.handle(handle.clone());
    info!(address = %local, "serving metrics over HTTPS, to callers allowed to get /metrics");
    tokio::spawn(async move {
        shutdown.cancelled().await;
        handle.graceful_shutdown(Some(SERVER_STOP_TIMEOUT));
    });
    Ok(Some(tokio::spawn(async move {
        if let Err(err) = server.serve(router.into_make_service()).await {
            error!(error = %err, "metrics server failed");
        }
    })))
}

/// Serves `/healthz` and `/readyz` at `address` until `shutdown` resolves.
pub(super) async fn serve_probes(
    address: &BindAddress,
    readiness: Readiness,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Option<JoinHandle<()>>, Error> {
    let Some((listener, local)) = bind("health probes", address).await? else {
        return Ok(None);
    };
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(check_ready))
        .with_state(readiness);
    info!(address = %local, "serving health probes");
    Ok(Some(serve_plain(
        "health probes",
        listener,
        router,
        shutdown,
    )))
}

/// Binds `address` now, so that a taken port fails the start; `None` if the server is off.
async fn bind(
    what: &'static str,
    address: &BindAddress,
) -> Result<Option<(TcpListener, SocketAddr)>, Error> {
    let BindAddress::At(address) = address else {
        info!("{what} server disabled");
        return Ok(None);
    };
    let bind_error = |source| Error::Bind {
        what,
        address: address.clone(),
        source,
    };
    let listener = listen::bind(address).await.map_err(bind_error)?;
    let local = listener.local_addr().map_err(bind_error)?;
    Ok(Some((listener, local)))
}

/// Serves `router` over plain HTTP on a task of its own.
fn serve_plain(
    what: &'static str,
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            error!(error = %err, "{what} server failed");
        }
    })
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
