//! The manager's rights go missing.
//!
//! - Its ClusterRoleBinding is removed while it runs, then restored. Expected: the manager keeps
//!   running; the reconciles it cannot finish fail and back off, so the API server sees a bounded
//!   number of refused requests (one per failed reconcile) rather than a storm; and once the
//!   binding is back, every Foo converges without a restart.
//! - It starts without the right to watch Pods. Expected: once `--cache-sync-timeout` passes it
//!   exits non-zero with one line naming the kind, the API server's refusal and the fix.

use std::time::{Duration, Instant};

use fault_tests::{
    MANAGER_USER, NAMESPACE, all_happy, create_foos, create_friends, failed_reconciles, foos,
    grant_manager_permissions, manager_rules, pods, start_env, start_manager,
};
use k8s_openapi::api::rbac::v1::ClusterRoleBinding;
use kube::api::{Api, DeleteParams, PostParams};
use kube_operator_runtime::testing::{
    Permissions, eventually, eventually_within, grant_permissions,
};

/// The binding `grant_permissions` makes for the manager's own rules.
const BINDING: &str = "manager-rolebinding";
/// How long the manager runs without its rights.
const WITHOUT_RIGHTS: Duration = Duration::from_secs(20);
/// Foos created while the manager has no rights: each reconcile of one is refused.
const STRANDED: usize = 4;
/// A failed reconcile is retried after 1, 2, 4, 8, 16 s…: within `WITHOUT_RIGHTS`, at most five
/// tries each. One more each for slack; a retry loop without backoff would make thousands.
const FAILURE_BOUND: u64 = STRANDED as u64 * 6;
/// The last retry before the binding returned waits 16 s, then one reconcile.
const RECOVERY_BOUND: Duration = Duration::from_secs(40);

#[tokio::test]
#[ignore = "needs TUTORIAL_MANAGER; scripts/test.sh runs it"]
async fn losing_rbac_mid_run_backs_off_and_recovers_when_it_returns() {
    let env = start_env().await;
    grant_manager_permissions(&env).await;
    let foos = foos(&env);
    let pods = pods(&env);
    let bindings: Api<ClusterRoleBinding> = Api::all(env.client());
    let mut manager = start_manager(&env, "manager", &[]).await;
    manager.wait_until_ready().await;

    create_friends(&pods, 0..STRANDED + 1).await;
    create_foos(&foos, [0]).await;
    eventually("the first Foo is happy", || all_happy(&foos, 1)).await;

    let mut binding = bindings.get(BINDING).await.unwrap();
    bindings
        .delete(BINDING, &DeleteParams::default())
        .await
        .unwrap();
    let failed_before = failed_reconciles(&manager).await;
    // The Foo watch still delivers these, but the status write of each is refused.
    create_foos(&foos, 1..=STRANDED).await;
    tokio::time::sleep(WITHOUT_RIGHTS).await;
    let failed = failed_reconciles(&manager).await - failed_before;
    assert!(
        manager.is_running(),
        "the manager exited without its rights:\n{}",
        manager.logs()
    );
    assert!(
        failed >= STRANDED as u64,
        "only {failed} reconciles failed: the fault did not take:\n{}",
        manager.logs()
    );
    assert!(
        failed <= FAILURE_BOUND,
        "{failed} reconciles failed in {WITHOUT_RIGHTS:?}, more than {FAILURE_BOUND}:\n{}",
        manager.logs()
    );
    let logged = manager.logs().matches("reconcile failed").count();
    assert_eq!(logged as u64, failed, "each failure is logged once");

    binding.metadata.resource_version = None;
    binding.metadata.uid = None;
    bindings
        .create(&PostParams::default(), &binding)
        .await
        .unwrap();
    let restored = Instant::now();
    eventually_within(RECOVERY_BOUND, "every Foo is happy", || {
        all_happy(&foos, STRANDED + 1)
    })
    .await;
    eprintln!(
        "ClusterRoleBinding removed for {WITHOUT_RIGHTS:?}: {failed} reconciles failed, each \
         one refused status write and one WARN; every Foo happy {:?} after it was restored",
        restored.elapsed()
    );
    assert!(manager.is_running(), "manager exited:\n{}", manager.logs());
}

#[tokio::test]
#[ignore = "needs TUTORIAL_MANAGER; scripts/test.sh runs it"]
async fn a_manager_that_may_not_watch_pods_exits_naming_pods_and_the_fix() {
    let env = start_env().await;
    let without_pods = manager_rules()
        .into_iter()
        .filter(|rule| {
            !rule
                .resources
                .iter()
                .flatten()
                .any(|resource| resource == "pods")
        })
        .collect();
    grant_permissions(
        &env.client(),
        &Permissions::new(MANAGER_USER, without_pods, NAMESPACE),
    )
    .await
    .unwrap();
    let mut manager = start_manager(&env, "manager", &["--cache-sync-timeout=3s"]).await;
    let clean = manager.wait_for_exit(Duration::from_secs(20)).await;
    assert!(!clean, "the manager exited 0:\n{}", manager.logs());
    let logs = manager.logs();
    let line = logs
        .lines()
        .find(|line| line.contains("caches not synced within 3s"))
        .unwrap_or_else(|| panic!("no line about the caches:\n{logs}"));
    assert!(
        line.contains("ERROR")
            && line.contains("Pod (last error:")
            && line.contains("forbidden")
            && line.contains("make manifests"),
        "{line}"
    );
    eprintln!("without the right to watch Pods: {line}");
}
