//! The leader's Lease is deleted, or taken by another identity, while two managers run: the
//! leader must stop reconciling and exit non-zero (Kubernetes restarts it as a standby), and
//! the standby must take over and reconcile.

use std::time::{Duration, Instant};

use fault_tests::{
    LEADER_ELECT, LEASE_NAME, NAMESPACE, all_happy, create_foo, create_pod, foos,
    grant_manager_permissions, pods, start_env, start_manager,
};
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube_operator_runtime::testing::{eventually, eventually_within};

/// A leader checks its Lease every 2 s, so it notices within one check and a request.
const LEADER_EXIT_BOUND: Duration = Duration::from_secs(5);
/// A standby takes a Lease once it has seen its holder silent for the Lease's 15 s, and tries
/// every 2 s (plus jitter).
const TAKEOVER_BOUND: Duration = Duration::from_secs(25);

/// How the Lease is taken away from the leader.
enum Fault {
    Deleted,
    Stolen,
}

#[tokio::test]
#[ignore = "needs TUTORIAL_MANAGER; scripts/test.sh runs it"]
async fn a_leader_whose_lease_is_deleted_exits_and_the_standby_takes_over() {
    lease_fault(Fault::Deleted).await;
}

#[tokio::test]
#[ignore = "needs TUTORIAL_MANAGER; scripts/test.sh runs it"]
async fn a_leader_whose_lease_is_stolen_exits_and_the_standby_takes_over() {
    lease_fault(Fault::Stolen).await;
}

async fn lease_fault(fault: Fault) {
    let env = start_env().await;
    grant_manager_permissions(&env).await;
    let leases: Api<Lease> = Api::namespaced(env.client(), NAMESPACE);
    let foos = foos(&env);
    let pods = pods(&env);

    let mut leader = start_manager(&env, "leader", &LEADER_ELECT).await;
    eventually("the first manager leads", || leader.is_leader(LEASE_NAME)).await;
    let standby = start_manager(&env, "standby", &LEADER_ELECT).await;
    standby.wait_until_ready().await;
    assert!(!standby.is_leader(LEASE_NAME).await, "two managers lead");

    let first = holder(&leases).await;
    let started = Instant::now();
    match fault {
        Fault::Deleted => {
            leases
                .delete(LEASE_NAME, &DeleteParams::default())
                .await
                .unwrap();
        }
        Fault::Stolen => {
            // Another identity takes the Lease and then falls silent, as a crashed rival would.
            let theft = serde_json::json!({ "spec": {
                "holderIdentity": "thief",
                "renewTime": k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(
                    k8s_openapi::jiff::Timestamp::now()),
                "leaseDurationSeconds": 15,
            }});
            leases
                .patch(LEASE_NAME, &PatchParams::default(), &Patch::Merge(theft))
                .await
                .unwrap();
        }
    }

    let exited_cleanly = leader.wait_for_exit(LEADER_EXIT_BOUND).await;
    let leader_exit = started.elapsed();
    assert!(
        !exited_cleanly,
        "the leader exited 0; Kubernetes would not restart it:\n{}",
        leader.logs()
    );
    assert!(
        leader.logs().contains("lost the leader lease"),
        "the leader did not say why it stopped:\n{}",
        leader.logs()
    );

    eventually_within(TAKEOVER_BOUND, "the standby leads", || {
        standby.is_leader(LEASE_NAME)
    })
    .await;
    let takeover = started.elapsed();
    let now = holder(&leases).await;
    assert!(
        now.is_some() && now != first && now.as_deref() != Some("thief"),
        "the Lease is held by {now:?}, and the leader was {first:?}"
    );

    // The new leader reconciles.
    create_foo(&foos, "after-takeover", "friend").await;
    create_pod(&pods, "friend").await;
    eventually("the Foo created after the takeover is happy", || {
        all_happy(&foos, 1)
    })
    .await;
    eprintln!(
        "lease {}: leader exited non-zero after {leader_exit:?}, standby led after {takeover:?}",
        match fault {
            Fault::Deleted => "deleted",
            Fault::Stolen => "stolen",
        }
    );
}

async fn holder(leases: &Api<Lease>) -> Option<String> {
    let lease = leases.get(LEASE_NAME).await.unwrap();
    lease.spec.and_then(|spec| spec.holder_identity)
}
