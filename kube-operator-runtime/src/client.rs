//! The manager's client to the API server: HTTP/2 when the server offers it, as client-go's.
//!
//! kube's own client speaks HTTP/1.1, so each request in flight holds a connection of its own: a
//! manager reconciling 16 objects at once while publishing Events opens about 20. With HTTP/2
//! negotiated by ALPN, every request and watch shares one connection, as controller-runtime's
//! do. `DISABLE_HTTP2` in the environment (any value) keeps HTTP/1.1, as client-go reads it; so
//! does a proxy, or a TLS stack other than rustls.

use kube::{Client, Config};

/// What the middle layers' errors are boxed into, as kube's own stack does.
#[cfg(feature = "rustls-tls")]
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How often an idle HTTP/2 connection is checked with a ping, and how long the answer may
/// take before the connection counts as dead (client-go's values): a half-open connection
/// would otherwise stall every watch multiplexed on it.
#[cfg(feature = "rustls-tls")]
const PING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);
#[cfg(feature = "rustls-tls")]
const PING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// A client for the cluster the environment points at (in-cluster, or the kubeconfig).
pub(crate) async fn infer() -> Result<Client, kube::Error> {
    let config = Config::infer().await.map_err(kube::Error::InferConfig)?;
    from_config(config)
}

/// A client for `config`, over HTTP/2 unless `DISABLE_HTTP2` is set or the connection cannot
/// offer it.
pub(crate) fn from_config(config: Config) -> Result<Client, kube::Error> {
    with_http2(config, std::env::var_os("DISABLE_HTTP2").is_none())
}

fn with_http2(config: Config, offer_http2: bool) -> Result<Client, kube::Error> {
    #[cfg(feature = "rustls-tls")]
    if offer_http2 && config.proxy_url.is_none() {
        return http2(config);
    }
    let _ = offer_http2;
    Client::try_from(config)
}

/// kube's middle layers (base URI, authentication, extra headers, retries of 429s and 503s)
/// over a hyper client whose TLS offers `h2` before `http/1.1`.
#[cfg(feature = "rustls-tls")]
fn http2(config: Config) -> Result<Client, kube::Error> {
    use hyper_util::{
        client::legacy::{self, connect::HttpConnector},
        rt::{TokioExecutor, TokioTimer},
    };
    use kube::client::{ConfigExt, retry::RetryPolicy};
    use tower::{ServiceBuilder, retry::RetryLayer};

    let mut tcp = HttpConnector::new();
    tcp.enforce_http(false);
    tcp.set_connect_timeout(config.connect_timeout);
    let mut tls = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config.rustls_client_config()?)
        .https_or_http();
    if let Some(name) = &config.tls_server_name {
        let name = name.clone().try_into().map_err(|err| {
            kube::Error::RustlsTls(kube::client::RustlsTlsError::InvalidServerName(err))
        })?;
        tls = tls.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name));
    }
    let connector = tls.enable_http1().enable_http2().wrap_connector(tcp);
    let http = legacy::Client::builder(TokioExecutor::new())
        .timer(TokioTimer::new())
        .http2_keep_alive_interval(PING_INTERVAL)
        .http2_keep_alive_timeout(PING_TIMEOUT)
        .build(connector);
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(
            config
                .default_retry
                .then(|| RetryLayer::new(RetryPolicy::server_retry())),
        )
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(BoxError::from)
        .service(http);
    Ok(Client::new(service, config.default_namespace))
}

#[cfg(all(test, feature = "testing", feature = "rustls-tls"))]
mod tests {
    use super::*;

    /// The HTTP version the API server answered `GET /version` with.
    async fn version_spoken(client: &Client) -> http::Version {
        let request = http::Request::get("/version")
            .body(kube::client::Body::empty())
            .unwrap();
        client.send(request).await.unwrap().version()
    }

    #[tokio::test]
    async fn the_api_server_is_spoken_to_over_http2_unless_disabled() {
        let env = kube_envtest::TestEnv::start().await.unwrap();
        let http2 = with_http2(env.config().clone(), true).unwrap();
        assert_eq!(version_spoken(&http2).await, http::Version::HTTP_2);
        // The rest of kube's stack is there: authentication, the default namespace.
        let namespaces: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(http2);
        assert!(namespaces.get("default").await.is_ok());

        let http1 = with_http2(env.config().clone(), false).unwrap();
        assert_eq!(version_spoken(&http1).await, http::Version::HTTP_11);
    }
}
