//! Helpers for an operator's tests (feature `testing`): polling until something holds
//! ([`eventually`]), a mocked API server for unit tests ([`mock_client`]), the manager binary run
//! against a real API server ([`ManagerProcess`]), the manager's permissions granted to a test
//! user ([`grant_permissions`]), and a project's webhooks installed in kube-envtest
//! ([`webhook_install_options`], [`webhook_args`]).

mod https;
mod mock;
mod permissions;
mod process;
mod webhooks;

use std::{future::Future, time::Duration};

pub use https::{ServerTrust, http_get, https_get};
pub use mock::{ApiServer, Received, TIMEOUT, mock_client};
pub use permissions::{Permissions, grant_permissions};
pub use process::ManagerProcess;
pub use webhooks::{webhook_args, webhook_install_options};

/// How long a step of an integration test may take before [`eventually`] fails it.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Polls `check` every 100 ms until it returns true, panicking after [`STEP_TIMEOUT`] with
/// `what` in the message.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let started = std::time::Instant::now();
/// kube_operator_runtime::testing::eventually("a moment has passed", || async {
///     started.elapsed().as_millis() > 150
/// })
/// .await;
/// # }
/// ```
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    eventually_within(STEP_TIMEOUT, what, check).await;
}

/// Polls `check` every 100 ms until it returns true, panicking after `timeout`.
pub async fn eventually_within<F, Fut>(timeout: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    #[should_panic(expected = "timed out after 300ms waiting until never")]
    async fn eventually_fails_after_its_timeout() {
        eventually_within(Duration::from_millis(300), "never", || async { false }).await;
    }
}
