//! The shutdown budget, in one place. Kubernetes sends SIGKILL `terminationGracePeriodSeconds`
//! after SIGTERM; every step of a graceful shutdown is bounded, and the bounds together keep a
//! fifth of that period in hand for what is not counted here (the process's own exit, a slow
//! node, a signal delivered late).

use std::time::Duration;

/// The Deployment's `terminationGracePeriodSeconds`, as the generated `config/manager` and Helm
/// chart set it. A generated test checks that the manifest says the same.
pub const TERMINATION_GRACE_PERIOD: Duration = Duration::from_secs(10);

/// How long controllers get to finish the reconciles in flight after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long releasing the leader Lease may take, so that a standby takes over at once.
pub const LEASE_RELEASE_TIMEOUT: Duration = Duration::from_millis(1500);

/// How long the HTTP servers, together, may take to close their connections.
pub const SERVER_STOP_TIMEOUT: Duration = Duration::from_secs(1);

/// The longest a graceful shutdown takes: the steps run one after the other.
pub const SHUTDOWN_BUDGET: Duration = SHUTDOWN_GRACE
    .saturating_add(LEASE_RELEASE_TIMEOUT)
    .saturating_add(SERVER_STOP_TIMEOUT);

// A budget that eats into the headroom does not build.
const _: () = assert!(SHUTDOWN_BUDGET.as_millis() * 5 <= TERMINATION_GRACE_PERIOD.as_millis() * 4);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shutdown_leaves_a_fifth_of_the_grace_period_in_hand() {
        let headroom = TERMINATION_GRACE_PERIOD - SHUTDOWN_BUDGET;
        assert!(
            headroom.as_secs_f64() >= 0.2 * TERMINATION_GRACE_PERIOD.as_secs_f64(),
            "{SHUTDOWN_BUDGET:?} of {TERMINATION_GRACE_PERIOD:?} leaves {headroom:?}"
        );
    }
}
