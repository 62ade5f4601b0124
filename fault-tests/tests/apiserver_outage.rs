//! The API server goes away for 30 s while the manager reconciles.
//!
//! Expected: the manager keeps running, and once the server is back every Foo converges, including
//! those whose friends appeared only after the outage.

use std::time::{Duration, Instant};

use fault_tests::{
    all_happy, create_foos, create_friends, foos, grant_manager_permissions, pods, start_env,
    start_manager,
};
use kube_operator_runtime::testing::eventually_within;

const FOOS: usize = 20;
const OUTAGE: Duration = Duration::from_secs(30);
/// A watch retries at most 20 s apart (10 s and jitter), then re-lists at once after its 410
/// Gone; the re-list triggers a reconcile of every Foo.
const RECOVERY_BOUND: Duration = Duration::from_secs(45);

// Without `--leader-elect`: with it, the leader cannot renew its 15 s Lease during the outage,
// so it gives up leading and exits, and Kubernetes restarts the Pod; that path is the
// leader-election fault's.
#[tokio::test]
#[ignore = "needs TUTORIAL_MANAGER; scripts/test.sh runs it"]
async fn manager_survives_a_30s_apiserver_outage_and_converges() {
    let mut env = start_env().await;
    grant_manager_permissions(&env).await;
    let foos = foos(&env);
    let pods = pods(&env);
    let mut manager = start_manager(&env, "manager", &[]).await;
    manager.wait_until_ready().await;

    create_foos(&foos, 0..FOOS).await;
    // Half the friends exist before the outage, so reconciles are under way when it starts.
    create_friends(&pods, (0..FOOS).step_by(2)).await;

    env.stop_apiserver().await;
    // The fault itself: the server stays away for this long.
    tokio::time::sleep(OUTAGE).await;
    assert!(
        manager.is_running(),
        "manager exited during the outage:\n{}",
        manager.logs()
    );
    env.start_apiserver().await.unwrap();
    let back = Instant::now();

    // The other friends appear only after the outage: their Foos turn happy only if the
    // manager watches and reconciles again.
    create_friends(&pods, (1..FOOS).step_by(2)).await;
    eventually_within(RECOVERY_BOUND, "every Foo is happy", || {
        all_happy(&foos, FOOS)
    })
    .await;
    eprintln!(
        "apiserver outage {OUTAGE:?}: every Foo converged {:?} after the server returned",
        back.elapsed()
    );
    assert!(manager.is_running(), "manager exited:\n{}", manager.logs());
}
