//! A fake API server for controller unit tests, in the style of kube-rs' controller-rs: the test
//! receives each request the client sends, checks it, and answers it.

use std::time::Duration;

use http::{Method, Request, Response, StatusCode};
use kube::{Client, client::Body};
use serde_json::Value;
use tokio::time::timeout;
use tower_test::mock::{Handle, SendResponse};

/// How long the fake API server waits for a request before it fails the test instead of
/// hanging.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// A request as the API server received it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Received {
    /// `GET`, `PATCH`, …
    pub method: Method,
    /// Such as `/api/v1/namespaces/default/pods`.
    pub path: String,
    /// The query string without `?`, empty if none.
    pub query: String,
    /// The JSON body, `Null` if empty.
    pub body: Value,
}

/// The test's end of a [`mock_client`].
pub struct ApiServer(Handle<Request<Body>, Response<Body>>);

/// A client whose every request goes to the returned fake API server.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use k8s_openapi::api::core::v1::ConfigMap;
/// use kube_operator_runtime::testing::mock_client;
///
/// let (client, mut server) = mock_client();
/// let getting = tokio::spawn(async move {
///     kube::Api::<ConfigMap>::namespaced(client, "default").get("settings").await
/// });
/// let request = server
///     .handle(|_| serde_json::json!({ "metadata": { "name": "settings" } }))
///     .await;
/// assert_eq!(request.path, "/api/v1/namespaces/default/configmaps/settings");
/// assert!(getting.await.unwrap().is_ok());
/// # }
/// ```
pub fn mock_client() -> (Client, ApiServer) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    (Client::new(service, "default"), ApiServer(handle))
}

impl ApiServer {
    /// Waits for the next request and answers it with the JSON `reply` builds.
    pub async fn handle(&mut self, reply: impl FnOnce(&Received) -> Value) -> Received {
        let (received, respond) = self.receive().await;
        let body = serde_json::to_vec(&reply(&received)).expect("serializable reply");
        respond.send_response(Response::new(Body::from(body)));
        received
    }

    /// Waits for the next request and answers it with an error.
    pub async fn fail(&mut self, code: StatusCode, body: &str) -> Received {
        let (received, respond) = self.receive().await;
        let mut response = Response::new(Body::from(body.as_bytes().to_vec()));
        *response.status_mut() = code;
        respond.send_response(response);
        received
    }

    /// Panics if a request arrives within `wait`.
    pub async fn assert_quiet_for(&mut self, wait: Duration) {
        if let Ok(Some((request, _))) = timeout(wait, self.0.next_request()).await {
            panic!("unexpected request: {} {}", request.method(), request.uri());
        }
    }

    /// Passes only if no request comes before every client handle is dropped.
    pub async fn assert_no_more_requests(mut self) {
        let next = timeout(TIMEOUT, self.0.next_request())
            .await
            .expect("timed out: a client handle is still alive");
        if let Some((request, _)) = next {
            panic!("unexpected request: {} {}", request.method(), request.uri());
        }
    }

    async fn receive(&mut self) -> (Received, SendResponse<Response<Body>>) {
        let (request, respond) = timeout(TIMEOUT, self.0.next_request())
            .await
            .expect("timed out waiting for a request")
            .expect("client was dropped before sending the expected request");
        let (parts, body) = request.into_parts();
        let body = body.collect_bytes().await.expect("readable request body");
        let received = Received {
            method: parts.method,
            path: parts.uri.path().to_string(),
            query: parts.uri.query().unwrap_or_default().to_string(),
            body: if body.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&body).expect("JSON request body")
            },
        };
        (received, respond)
    }
}
