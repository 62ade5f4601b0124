// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

//! The manager binary against a real API server: probes, metrics (plain, and secure behind the
//! API server's reviews), shutdown and leader election, as Kubernetes would see them; and its
//! Pod spec against the "restricted" Pod Security Standard.

use std::time::Duration;

use crate::support::{
    LEADER_ELECT, NAMESPACE, grant_manager_permissions, start_env, start_manager,
};
use cronjob::LEASE_NAME;
use k8s_openapi::api::{
    apps::v1::Deployment,
    coordination::v1::Lease,
    core::v1::{Namespace, Pod},
};
use kube::{
    Api,
    api::{ObjectMeta, PostParams},
};
use kube_envtest::TestEnv;
use kube_operator_runtime::TERMINATION_GRACE_PERIOD;
use kube_operator_runtime::testing::{eventually, eventually_within};

/// How long a manager may take to exit after SIGTERM: Kubernetes kills it after that.
const EXIT_BOUND: Duration = TERMINATION_GRACE_PERIOD;
/// How long a standby may take to lead once the leader died: the Lease must expire
/// first (`LEADER_ELECT`'s 5 s), on a machine that may be busy.
const TAKEOVER_TIMEOUT: Duration = Duration::from_secs(45);

#[tokio::test]
async fn manager_serves_probes_and_metrics_and_stops_on_sigterm() {
    let env = start_env().await;
    grant_manager_permissions(&env).await;
    let mut manager = start_manager(&env, "manager", &[]).await;

    eventually("/healthz answers", || async {
        manager.probe("/healthz").await == Some((200, "ok".into()))
    })
    .await;
    manager.wait_until_ready().await;

    let metrics = manager.metrics().await;
    // Reconcile metrics appear with the first reconcile; the controller tests check them.
    for series in [
        "process_cpu_seconds_total ",
        "process_resident_memory_bytes ",
        "process_open_fds ",
    ] {
        assert!(metrics.contains(series), "no {series}in:\n{metrics}");
    }
    assert!(
        metrics.ends_with("# EOF\n"),
        "not OpenMetrics text:\n{metrics}"
    );

    manager.terminate();
    assert!(
        manager.wait_for_exit(EXIT_BOUND).await,
        "manager failed on SIGTERM:\n{}",
        manager.logs()
    );
}

#[tokio::test]
async fn a_standby_manager_takes_over_when_the_leader_dies() {
    let env = start_env().await;
    grant_manager_permissions(&env).await;
    let leases = Api::<Lease>::namespaced(env.client(), NAMESPACE);
    let mut first = start_manager(&env, "first", &LEADER_ELECT).await;
    first.wait_until_ready().await;
    eventually("the first manager leads", || first.is_leader(LEASE_NAME)).await;

    // The second one stands by, ready (a rolling update waits for it) but not leading.
    let mut second = start_manager(&env, "second", &LEADER_ELECT).await;
    second.wait_until_ready().await;
    let holder = lease_holder(&leases).await;
    assert!(holder.is_some(), "the Lease has no holder");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !second.is_leader(LEASE_NAME).await,
        "two managers lead at once"
    );

    // The leader dies without a word: the standby takes over once the Lease expires.
    first.kill().await;
    eventually_within(TAKEOVER_TIMEOUT, "the second manager leads", || {
        second.is_leader(LEASE_NAME)
    })
    .await;
    second.wait_until_ready().await;
    assert_ne!(lease_holder(&leases).await, holder);

    // On SIGTERM, the leader gives the Lease up before exiting.
    second.terminate();
    assert!(
        second.wait_for_exit(EXIT_BOUND).await,
        "manager failed on SIGTERM:\n{}",
        second.logs()
    );
    assert_eq!(lease_holder(&leases).await, None, "lease not released");
}

/// Who holds the leader Lease, if anyone.
async fn lease_holder(leases: &Api<Lease>) -> Option<String> {
    let lease = leases.get(LEASE_NAME).await.unwrap();
    lease.spec.and_then(|spec| spec.holder_identity)
}

/// The Deployment in config/manager/manager.yaml.
fn manager_deployment() -> Deployment {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/manager/manager.yaml");
    let yaml = std::fs::read_to_string(path).unwrap();
    let documents: Vec<serde_json::Value> = serde_saphyr::from_multiple(&yaml).unwrap();
    let deployment = documents
        .into_iter()
        .find(|document| document["kind"] == "Deployment")
        .expect("a Deployment in config/manager/manager.yaml");
    serde_json::from_value(deployment).unwrap()
}

#[tokio::test]
async fn manager_pod_meets_the_restricted_pod_security_standard() {
    let env = start_env().await;
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some("restricted".into()),
            labels: Some(
                [(
                    "pod-security.kubernetes.io/enforce".into(),
                    "restricted".into(),
                )]
                .into(),
            ),
            ..Default::default()
        },
        ..Default::default()
    };
    let pp = PostParams::default();
    Api::<Namespace>::all(env.client())
        .create(&pp, &namespace)
        .await
        .unwrap();
    let pods = Api::<Pod>::namespaced(env.client(), "restricted");
    let dry_run = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let pod_of = |spec| Pod {
        metadata: ObjectMeta {
            name: Some("manager".into()),
            ..Default::default()
        },
        spec: Some(spec),
        ..Default::default()
    };

    let spec = manager_deployment().spec.template.spec.unwrap();
    // The runtime bounds its shutdown to fit this grace period, with headroom.
    assert_eq!(
        spec.termination_grace_period_seconds,
        Some(TERMINATION_GRACE_PERIOD.as_secs() as i64),
        "config/manager/manager.yaml gives the manager another grace period than the runtime expects"
    );
    if let Err(err) = pods.create(&dry_run, &pod_of(spec.clone())).await {
        panic!("the manager's Pod is refused in a restricted namespace: {err}");
    }

    // The namespace does enforce: the same Pod allowed to run as root is refused.
    let mut as_root = spec;
    as_root.security_context.as_mut().unwrap().run_as_non_root = None;
    let refused = pods.create(&dry_run, &pod_of(as_root)).await.unwrap_err();
    assert!(refused.to_string().contains("PodSecurity"), "{refused}");
}

#[tokio::test]
async fn secure_metrics_are_served_only_to_a_token_bound_to_metrics_reader() {
    let env = start_env().await;
    grant_manager_permissions(&env).await;
    // Prometheus's side, as config/rbac sets it up: a ServiceAccount bound to metrics-reader.
    let reader_role = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/rbac/metrics_reader_role.yaml"
    );
    kubectl(&env, &["apply", "-f", reader_role]);
    for account in ["prometheus", "stranger"] {
        kubectl(
            &env,
            &[
                "create",
                "serviceaccount",
                account,
                "--namespace",
                NAMESPACE,
            ],
        );
    }
    let prometheus = format!("--serviceaccount={NAMESPACE}:prometheus");
    kubectl(
        &env,
        &[
            "create",
            "clusterrolebinding",
            "prometheus-metrics",
            "--clusterrole=metrics-reader",
            &prometheus,
        ],
    );
    let reader_token = kubectl(
        &env,
        &["create", "token", "prometheus", "--namespace", NAMESPACE],
    );
    let stranger_token = kubectl(
        &env,
        &["create", "token", "stranger", "--namespace", NAMESPACE],
    );

    let manager = start_manager(&env, "manager", &["--metrics-secure"]).await;
    manager.wait_until_ready().await;
    let status = |answer: Option<(u16, String)>| answer.map(|(status, _)| status);
    assert_eq!(status(manager.scrape_securely(None).await), Some(401));
    assert_eq!(
        status(manager.scrape_securely(Some(stranger_token.trim())).await),
        Some(403)
    );
    let (status, body) = manager
        .scrape_securely(Some(reader_token.trim()))
        .await
        .expect("metrics over HTTPS");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("process_resident_memory_bytes "), "{body}");
}

/// Runs kubectl against `env` and returns what it printed.
fn kubectl(env: &TestEnv, args: &[&str]) -> String {
    let output = env.kubectl().unwrap().args(args).output().unwrap();
    assert!(
        output.status.success(),
        "kubectl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}
