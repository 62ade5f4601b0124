//! The manager's HTTP servers: `/metrics` for Prometheus, `/healthz` and `/readyz` for the
//! kubelet, and the webhooks for the API server.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Instant};

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{Method, StatusCode, Uri, header},
    middleware,
    response::{IntoResponse, Response},
    routing::get,
};
use axum_server::tls_rustls::RustlsConfig;
use kube::Client;
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::{BindAddress, ManagerArgs, SERVER_STOP_TIMEOUT, listen, metrics_auth};
use crate::{
    error::Error,
    metrics::Metrics,
    readiness::Readiness,
    tls::{CertFiles, ServingCert},
    webhook::Webhooks,
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
    let serving = match args.metrics_cert_dir() {
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
    let server = serve_tls(
        "metrics",
        &args.metrics_bind_address,
        listener,
        router,
        &serving,
        args.enable_http2,
        shutdown,
    )?;
    info!(address = %local, "serving metrics over HTTPS, to callers allowed to get /metrics");
    Ok(Some(server))
}

/// Serves `webhooks` over HTTPS at `--webhook-host`:`--webhook-port`, with the certificate in
/// `--webhook-cert-path`, until `shutdown` is cancelled. `/readyz` waits for it.
pub(super) async fn serve_webhooks(
    args: &ManagerArgs,
    webhooks: Arc<Webhooks>,
    metrics: Arc<Metrics>,
    client: Client,
    readiness: Readiness,
    shutdown: CancellationToken,
) -> Result<Option<JoinHandle<()>>, Error> {
    if webhooks.is_empty() {
        return Ok(None);
    }
    if !args.enable_webhooks {
        info!("webhooks disabled by --enable-webhooks=false (ENABLE_WEBHOOKS)");
        return Ok(None);
    }
    readiness.webhook_starting();
    let files = CertFiles::new(
        &args.webhook_cert_path,
        &args.webhook_cert_name,
        &args.webhook_key_name,
    );
    // The usual mistake gets a message saying what to do; a broken file gets the TLS error.
    if !files.cert.exists() || !files.key.exists() {
        return Err(Error::WebhookCertMissing {
            cert: files.cert.display().to_string(),
            key: files.key.display().to_string(),
        });
    }
    let serving = ServingCert::from_files(&files)?;
    let address = args.webhook_bind_address();
    let Some((listener, local)) = bind("webhooks", &address).await? else {
        return Ok(None);
    };
    serving.reload_from(files, shutdown.clone());
    let paths = webhooks.paths().join(" ");
    let router = Router::new()
        .fallback(answer_review)
        // The API server sends an object and its old version, each up to 1.5 MiB and more as
        // JSON; controller-runtime allows 7 MiB too.
        .layer(DefaultBodyLimit::max(7 * 1024 * 1024))
        .with_state((webhooks, metrics, client));
    let server = serve_tls(
        "webhooks",
        &address,
        listener,
        router,
        &serving,
        args.enable_http2,
        shutdown,
    )?;
    readiness.webhook_serving();
    info!(address = %local, %paths, "serving webhooks over HTTPS");
    Ok(Some(server))
}

/// Answers a review posted to one of the webhooks' paths.
async fn answer_review(
    State((webhooks, metrics, client)): State<(Arc<Webhooks>, Arc<Metrics>, Client)>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let path = uri.path();
    if method != Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    // The reviews are small: answered on this task.
    let Some(answer) = webhooks.handle(path, &body, &client).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    metrics.webhook_request(path, StatusCode::OK.as_u16(), started.elapsed());
    ([(header::CONTENT_TYPE, "application/json")], answer).into_response()
}

/// Serves `router` over HTTPS on `listener` with the certificate `serving`, HTTP/1.1 only
/// unless `http2`, until `shutdown` is cancelled (then within `SERVER_STOP_TIMEOUT`).
fn serve_tls(
    what: &'static str,
    address: &BindAddress,
    listener: TcpListener,
    router: Router,
    serving: &Arc<ServingCert>,
    http2: bool,
    shutdown: CancellationToken,
) -> Result<JoinHandle<()>, Error> {
    let tls = RustlsConfig::from_config(serving.server_config(http2)?);
    let bind_error = |source| Error::Bind {
        what,
        address: address.to_string(),
        source,
    };
    let listener = listener.into_std().map_err(bind_error)?;
    let mut server = axum_server::from_tcp_rustls(listener, tls).map_err(bind_error)?;
    if !http2 {
        server = server.http1_only();
    }
    let handle = axum_server::Handle::new();
    let server = server.handle(handle.clone());
    tokio::spawn(async move {
        shutdown.cancelled().await;
        handle.graceful_shutdown(Some(SERVER_STOP_TIMEOUT));
    });
    Ok(tokio::spawn(async move {
        if let Err(err) = server.serve(router.into_make_service()).await {
            error!(error = %err, "{what} server failed");
        }
    }))
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
        .route("/readyz/caches", get(check_caches))
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
    probe_answer(readiness.check())
}

async fn check_caches(State(readiness): State<Readiness>) -> (StatusCode, String) {
    probe_answer(readiness.check_caches())
}

fn probe_answer(check: Result<(), String>) -> (StatusCode, String) {
    match check {
        Ok(()) => (StatusCode::OK, "ok".into()),
        Err(waiting) => (StatusCode::SERVICE_UNAVAILABLE, waiting),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use clap::Parser;

    use crate::webhook::Conversion;

    #[derive(Parser)]
    struct Options {
        #[command(flatten)]
        manager: ManagerArgs,
    }

    fn args(extra: &[&str]) -> ManagerArgs {
        let base = ["manager", "--webhook-host=127.0.0.1", "--webhook-port=0"];
        Options::parse_from(base.iter().chain(extra)).manager
    }

    fn webhooks() -> Arc<Webhooks> {
        Arc::new(Webhooks::new().conversion(Conversion::hub::<k8s_openapi::api::core::v1::Pod>()))
    }

    async fn serve(args: &ManagerArgs, readiness: &Readiness) -> Result<bool, Error> {
        let shutdown = CancellationToken::new();
        let metrics = Arc::new(Metrics::default());
        let served = serve_webhooks(
            args,
            webhooks(),
            metrics,
            crate::test_support::mock_client().0,
            readiness.clone(),
            shutdown.clone(),
        )
        .await?
        .is_some();
        shutdown.cancel();
        Ok(served)
    }

    #[tokio::test]
    async fn missing_certificates_name_the_files_and_the_ways_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = format!("--webhook-cert-path={}", dir.path().display());
        let readiness = Readiness::default();
        let error = serve(&args(&[&path]), &readiness)
            .await
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            format!(
                "no webhook certificate in {0}/tls.crt and {0}/tls.key: mount a certificate there \
                 (config/certmanager makes one), pass --webhook-cert-path, or run with \
                 ENABLE_WEBHOOKS=false",
                dir.path().display()
            )
        );
        assert!(!error.contains('\n'));

        // Turned off, or with nothing to serve, no certificate is needed.
        assert!(
            !serve(&args(&[&path, "--enable-webhooks=false"]), &readiness)
                .await
                .unwrap()
        );
        let metrics = Arc::new(Metrics::default());
        let nothing = serve_webhooks(
            &args(&[&path]),
            Arc::new(Webhooks::new()),
            metrics,
            crate::test_support::mock_client().0,
            readiness,
            CancellationToken::new(),
        )
        .await
        .unwrap();
        assert!(nothing.is_none());
    }

    #[tokio::test]
    async fn ready_once_serving_with_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        std::fs::write(dir.path().join("tls.crt"), cert.pem()).unwrap();
        std::fs::write(dir.path().join("tls.key"), signing_key.serialize_pem()).unwrap();
        let readiness = Readiness::default();
        readiness.started();
        let path = format!("--webhook-cert-path={}", dir.path().display());
        assert!(serve(&args(&[&path]), &readiness).await.unwrap());
        assert_eq!(readiness.check(), Ok(()));
    }
}
