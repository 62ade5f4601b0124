//! The shutdown budget: every step's bound, in one place, well inside the time Kubernetes
//! allows between SIGTERM and SIGKILL.

use std::time::Duration;

/// How long Kubernetes waits after SIGTERM before it kills the manager: the generated
/// Deployment's `terminationGracePeriodSeconds`.
pub const TERMINATION_GRACE_PERIOD: Duration = Duration::from_secs(10);
/// How long controllers get to finish their reconciles after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How long releasing the leader Lease may take once the controllers stopped.
pub const LEASE_RELEASE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the HTTP servers may take to close their connections.
pub const SERVER_STOP_TIMEOUT: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use super::*;

    /// The steps run one after another; a slow node, a slow API server or process exit itself
    /// need the remaining fifth.
    #[test]
    fn the_steps_fit_in_four_fifths_of_the_termination_grace_period() {
        let steps = SHUTDOWN_GRACE + LEASE_RELEASE_TIMEOUT + SERVER_STOP_TIMEOUT;
        assert!(
            steps * 5 <= TERMINATION_GRACE_PERIOD * 4,
            "{steps:?} of shutdown steps leave too little of {TERMINATION_GRACE_PERIOD:?}"
        );
    }
}
