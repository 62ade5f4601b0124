//! What the crate's own unit tests share: a client whose API server the test plays.

use kube::client::Body;

/// The test's end of a mocked API server: it reads each request and answers by hand.
pub(crate) type MockHandle = tower_test::mock::Handle<http::Request<Body>, http::Response<Body>>;

/// A client whose requests go to the returned handle instead of an API server.
pub(crate) fn mock_client() -> (kube::Client, MockHandle) {
    let (service, handle) = tower_test::mock::pair::<http::Request<Body>, http::Response<Body>>();
    (kube::Client::new(service, "default"), handle)
}
