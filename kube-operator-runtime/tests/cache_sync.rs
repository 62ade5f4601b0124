//! The cache-sync timeout against a real API server: a manager that may not list what it
//! watches exits with a failure instead of staying unready for ever.
// kube-envtest comes with the `testing` feature (see secure_metrics.rs for why not `[[test]]`).
#![cfg(feature = "testing")]

use std::{
    process::ExitCode,
    time::{Duration, Instant},
};

use clap::Parser;
use futures::StreamExt;
use k8s_openapi::api::{core::v1::Pod, rbac::v1::PolicyRule};
use kube::{Api, Client, core::PartialObjectMeta};
use kube_envtest::TestEnv;
use kube_operator_runtime::{
    Manager, ManagerArgs, Shared,
    testing::{Permissions, grant_permissions},
};

const CACHE_SYNC_TIMEOUT: &str = "--cache-sync-timeout=2s";

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    manager: ManagerArgs,
}

/// A manager with one controller that watches Pods until shutdown, reporting when its cache
/// is synced.
fn manager_watching_pods(synced: tokio::sync::oneshot::Sender<()>) -> Manager {
    let args = Cli::parse_from([
        "manager",
        CACHE_SYNC_TIMEOUT,
        "--health-probe-bind-address=0",
    ])
    .manager;
    Manager::new(args, "cache-sync").controller("pod-watcher", |shared: Shared| async move {
        let pods = shared.watch_presence(Api::<PartialObjectMeta<Pod>>::all(shared.client.clone()));
        let cache_synced = pods.synced.clone();
        let report = async move {
            cache_synced.wait().await;
            let _ = synced.send(());
            std::future::pending::<()>().await;
        };
        tokio::select! {
            () = pods.changes.for_each(|_| async {}) => {}
            () = report => {}
            () = shared.shutdown.cancelled() => {}
        }
        Ok::<(), std::io::Error>(())
    })
}

async fn client_for(env: &TestEnv, user: &str) -> Client {
    env.client_for_user(user, &[]).await.unwrap()
}

#[tokio::test]
async fn a_manager_that_may_not_list_pods_exits_with_a_failure() {
    let env = TestEnv::start().await.unwrap();
    let (synced, _) = tokio::sync::oneshot::channel();
    let started = Instant::now();
    let exit = tokio::time::timeout(
        Duration::from_secs(15),
        manager_watching_pods(synced).run_with_client(client_for(&env, "no-pods").await),
    )
    .await
    .expect("the manager did not give up on its caches");
    assert_eq!(exit, ExitCode::FAILURE);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_manager_that_may_list_pods_keeps_running_past_the_timeout() {
    let env = TestEnv::start().await.unwrap();
    let rules = vec![PolicyRule {
        api_groups: Some(vec![String::new()]),
        resources: Some(vec!["pods".into()]),
        verbs: vec!["list".into(), "watch".into()],
        ..Default::default()
    }];
    grant_permissions(
        &env.client(),
        &Permissions::new("pod-reader", rules, "default"),
    )
    .await
    .unwrap();
    let (synced, caches_synced) = tokio::sync::oneshot::channel();
    let manager =
        manager_watching_pods(synced).run_with_client(client_for(&env, "pod-reader").await);
    let running = tokio::spawn(manager);
    tokio::time::timeout(Duration::from_secs(10), caches_synced)
        .await
        .expect("the cache did not sync")
        .unwrap();
    // Well past the timeout, the manager still runs.
    let outlived = tokio::time::timeout(Duration::from_secs(4), running).await;
    assert!(outlived.is_err(), "the manager stopped: {outlived:?}");
}
