//! SIGTERM arrives while the manager works through a burst of 1,000 reconciles.
//!
//! Expected: it exits 0 within the grace period Kubernetes gives it; every status it wrote is
//! whole and right (a status is one merge patch, so there is no half-written one); and a
//! restarted manager brings every Foo right.

use std::time::{Duration, Instant};

use fault_tests::{
    create_foos, create_friends, foos, grant_manager_permissions, happiness, pods, start_env,
    start_manager,
};
use kube_operator_runtime::{
    TERMINATION_GRACE_PERIOD,
    testing::{eventually, eventually_within},
};

const FOOS: usize = 1_000;
/// SIGTERM goes out once this many statuses are written: well into the burst, far from its end.
const WRITTEN_BEFORE_SIGTERM: usize = 50;
/// A fresh manager lists everything and reconciles 1,000 Foos, 16 at a time.
const CONVERGENCE_BOUND: Duration = Duration::from_secs(120);

#[tokio::test]
#[ignore = "needs TUTORIAL_MANAGER; scripts/test.sh runs it"]
async fn sigterm_during_a_burst_of_reconciles_exits_in_time_and_loses_nothing() {
    let env = start_env().await;
    grant_manager_permissions(&env).await;
    let foos = foos(&env);
    let pods = pods(&env);
    // Every even Foo has a friend: half the Foos turn happy, half stay sad.
    create_friends(&pods, (0..FOOS).step_by(2)).await;
    create_foos(&foos, 0..FOOS).await;

    let mut manager = start_manager(&env, "manager", &[]).await;
    eventually("the burst is under way", || async {
        manager.logs().matches("status updated").count() >= WRITTEN_BEFORE_SIGTERM
    })
    .await;
    manager.terminate();
    let signalled = Instant::now();
    let clean = manager.wait_for_exit(TERMINATION_GRACE_PERIOD).await;
    let exit = signalled.elapsed();
    assert!(clean, "the manager failed on SIGTERM:\n{}", manager.logs());
    let written = manager.logs().matches("status updated").count();

    // Every Foo reads `happy: false` from the start (the schema's default), so only the Foos
    // with a friend are written. Whatever was written is right; the rest kept the default.
    let all = happiness(&foos).await;
    let wrong: Vec<_> = all
        .iter()
        .filter(|(name, happy)| happy.is_none() || (*happy == Some(true) && !should_be_happy(name)))
        .collect();
    assert!(wrong.is_empty(), "wrong statuses after SIGTERM: {wrong:?}");
    let unwritten = all
        .iter()
        .filter(|(name, happy)| should_be_happy(name) && *happy == Some(false))
        .count();
    assert!(
        unwritten > 0,
        "every status was written before the manager stopped: SIGTERM came too late to test anything"
    );

    let restarted = Instant::now();
    let mut manager = start_manager(&env, "restarted", &[]).await;
    eventually_within(CONVERGENCE_BOUND, "every Foo is right", || async {
        let all = happiness(&foos).await;
        all.len() == FOOS
            && all
                .iter()
                .all(|(name, happy)| *happy == Some(should_be_happy(name)))
    })
    .await;
    eprintln!(
        "SIGTERM after {written} of {FOOS} statuses were written: exit 0 in {exit:?}, \
         {unwritten} Foos with a friend not yet happy; every Foo right {:?} after a restart",
        restarted.elapsed()
    );
    manager.terminate();
    assert!(manager.wait_for_exit(TERMINATION_GRACE_PERIOD).await);
}

/// `foo-<i>` is happy when `i` is even.
fn should_be_happy(name: &str) -> bool {
    let index: usize = name.trim_start_matches("foo-").parse().unwrap();
    index.is_multiple_of(2)
}
