// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

//! The Foo controller against a real API server (etcd and kube-apiserver, started by
//! kube-envtest): the walkthrough a user does with kubectl, checked step by step.
//!
//! The controller runs in-process as a user bound only to the role `make manifests` writes, so a
//! permission missing from `policy_rules()` fails this test.

use std::future::Future;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::core::ObjectMeta;
use kube::{Api, Client};
use kube_envtest::TestEnv;
use serde_json::json;
use tutorial::api::v1::{Foo, FooSpec};
use tutorial::{api, controllers};

/// How long a step may take before the test fails.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// The user the controller runs as.
const MANAGER_USER: &str = "tutorial-manager";

/// How long the controller may take to notice a change after the API server restarts: its
/// watches retry with kube's default backoff, which waits up to 30 s between attempts.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(90);

/// Polls `check` every 100 ms until it returns true, failing after `STEP_TIMEOUT`.
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    eventually_within(STEP_TIMEOUT, what, check).await;
}

/// Polls `check` every 100 ms until it returns true, failing after `timeout`.
async fn eventually_within<F, Fut>(timeout: Duration, what: &str, mut check: F)
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

/// A client for `MANAGER_USER`, granted exactly the rules the manager's role grants.
async fn manager_client(env: &TestEnv) -> Client {
    let rules: Vec<PolicyRule> = controllers::policy_rules();
    let pp = PostParams::default();
    let subject = Subject {
        kind: "User".into(),
        name: MANAGER_USER.into(),
        api_group: Some("rbac.authorization.k8s.io".into()),
        ..Default::default()
    };
    let meta = ObjectMeta {
        name: Some("manager-role".into()),
        ..Default::default()
    };
    let role = ClusterRole {
        metadata: meta.clone(),
        rules: Some(rules),
        ..Default::default()
    };
    Api::<ClusterRole>::all(env.client())
        .create(&pp, &role)
        .await
        .unwrap();
    let binding = ClusterRoleBinding {
        metadata: meta,
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "ClusterRole".into(),
            name: "manager-role".into(),
        },
        subjects: Some(vec![subject]),
    };
    Api::<ClusterRoleBinding>::all(env.client())
        .create(&pp, &binding)
        .await
        .unwrap();
    env.client_for_user(MANAGER_USER, &[]).await.unwrap()
}

fn new_object(name: &str, friend: &str) -> Foo {
    Foo::new(
        name,
        FooSpec {
            name: friend.into(),
        },
    )
}

/// A Pod that only needs to exist: without a kubelet it stays Pending.
fn pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": { "name": name },
        "spec": { "containers": [{ "name": "main", "image": "busybox" }] },
    }))
    .unwrap()
}

/// `status.happy` of the Foo called `name`, if it has a status yet.
async fn happy(objects: &Api<Foo>, name: &str) -> Option<bool> {
    let obj = objects.get(name).await.unwrap();
    obj.status.map(|status| status.happy)
}

/// The reasons of the Events recorded about the Foo called `name`, sorted (Events
/// only have a one-second timestamp, too coarse to order them).
async fn event_reasons(events: &Api<Event>, name: &str) -> Vec<String> {
    let events = events.list(&ListParams::default()).await.unwrap().items;
    let mut reasons: Vec<String> = events
        .into_iter()
        .filter(|event| event.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
        .filter_map(|event| event.reason)
        .collect();
    reasons.sort();
    reasons
}

#[tokio::test]
async fn foo_is_happy_while_its_friend_exists() {
    let mut env = TestEnv::builder()
        .crds(api::crds().unwrap())
        .missing_binaries_hint(
            "run the tests with `make test`, which builds them once with Go, or set KUBEBUILDER_ASSETS",
        )
        .start()
        .await
        .unwrap();
    let controller = tokio::spawn(controllers::foo::run(manager_client(&env).await));

    let objects = Api::<Foo>::namespaced(env.client(), "default");
    let pods = Api::<Pod>::namespaced(env.client(), "default");
    let events = Api::<Event>::namespaced(env.client(), "default");
    let pp = PostParams::default();

    // Two Foos whose friends do not exist: both are reconciled to unhappy.
    objects
        .create(&pp, &new_object("foo-01", "jack"))
        .await
        .unwrap();
    objects
        .create(&pp, &new_object("foo-02", "joe"))
        .await
        .unwrap();
    for name in ["foo-01", "foo-02"] {
        eventually(&format!("{name} is unhappy"), || async {
            happy(&objects, name).await == Some(false)
        })
        .await;
    }

    // Pod jack appears: foo-01 is happy, and says so in an Event.
    pods.create(&pp, &pod("jack")).await.unwrap();
    eventually("foo-01 is happy", || async {
        happy(&objects, "foo-01").await == Some(true)
    })
    .await;
    eventually("foo-01 has a FriendFound event", || async {
        event_reasons(&events, "foo-01").await == ["FriendFound"]
    })
    .await;
    assert_eq!(happy(&objects, "foo-02").await, Some(false));

    // foo-02 changes its friend to jack: happy too.
    let patch = json!({ "spec": { "name": "jack" } });
    objects
        .patch("foo-02", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    eventually("foo-02 is happy", || async {
        happy(&objects, "foo-02").await == Some(true)
    })
    .await;

    // The table kubectl prints shows the Happy column.
    let table = env
        .kubectl()
        .unwrap()
        .args(["get", "foos", "--namespace", "default"])
        .output()
        .unwrap();
    assert!(
        table.status.success(),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );
    let table = String::from_utf8(table.stdout).unwrap();
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "FRIEND", "HAPPY", "AGE"], "{table}");
    assert!(
        table
            .lines()
            .any(|line| line.starts_with("foo-01 ") && line.contains(" true ")),
        "{table}"
    );

    // Pod jack goes away: both are unhappy again, and foo-01 records the loss.
    pods.delete("jack", &DeleteParams::default().grace_period(0))
        .await
        .unwrap();
    for name in ["foo-01", "foo-02"] {
        eventually(&format!("{name} is unhappy again"), || async {
            happy(&objects, name).await == Some(false)
        })
        .await;
    }
    eventually("foo-01 has a FriendLost event", || async {
        event_reasons(&events, "foo-01").await == ["FriendFound", "FriendLost"]
    })
    .await;
    assert_eq!(
        event_reasons(&events, "foo-02").await,
        ["FriendFound", "FriendLost"]
    );

    // The API server restarts under the running controller: its watches recover, and a Pod
    // created afterwards is seen.
    env.restart_apiserver().await.unwrap();
    pods.create(&pp, &pod("jack")).await.unwrap();
    for name in ["foo-01", "foo-02"] {
        let what = format!("{name} is happy after the restart");
        eventually_within(RECOVERY_TIMEOUT, &what, || async {
            happy(&objects, name).await == Some(true)
        })
        .await;
    }

    if controller.is_finished() {
        panic!("the controller stopped early: {:?}", controller.await);
    }
    controller.abort();
}
