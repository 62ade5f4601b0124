// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

//! The Foo controller against a real API server (etcd and kube-apiserver, started by
//! kube-envtest): the walkthrough a user does with kubectl, checked step by step.
//!
//! The controller runs in-process as a user bound only to the role `make manifests` writes, so a
//! permission missing from `policy_rules()` fails this test.

use std::time::Duration;

use crate::support::{
    LEADER_ELECT, NAMESPACE, grant_manager_permissions, manager_client, start_env, start_manager,
};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::events::v1::Event;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, ResourceExt};
use kube_operator_runtime::Shared;
use kube_operator_runtime::testing::{eventually, eventually_within};
use serde_json::json;
use tutorial::api::v1::{Foo, FooSpec};
use tutorial::controllers;
use tutorial::{FIELD_MANAGER, LEASE_NAME};

/// How long the controller may take to notice a change after the API server restarts: each of
/// its watches retries with the runtime's backoff, at most 20 s apart (10 s and as much jitter).
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(90);
/// How long a standby manager may take to lead once the leader died: the Lease must expire
/// (`LEADER_ELECT`'s 5 s), on a machine that may be busy.
const TAKEOVER_TIMEOUT: Duration = Duration::from_secs(45);

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
    let mut env = start_env().await;
    grant_manager_permissions(&env).await;
    let shared = Shared::new(manager_client(&env).await);
    let controller = tokio::spawn(controllers::foo::run(shared));

    let objects = Api::<Foo>::namespaced(env.client(), NAMESPACE);
    let pods = Api::<Pod>::namespaced(env.client(), NAMESPACE);
    let events = Api::<Event>::namespaced(env.client(), NAMESPACE);
    let pp = PostParams::default();

    // Two Foos whose friends do not exist: unhappy from the start, by the schema's
    // default, with nothing for the controller to write.
    for (name, friend) in [("foo-01", "jack"), ("foo-02", "joe")] {
        let created = objects
            .create(&pp, &new_object(name, friend))
            .await
            .unwrap();
        assert_eq!(
            created.status.map(|status| status.happy),
            Some(false),
            "{name}"
        );
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
    // By now foo-02 was reconciled too (the controller reconciles each Foo once it
    // appears), and its right status was left alone.
    let unchanged = objects.get("foo-02").await.unwrap();
    assert_eq!(
        unchanged.status.as_ref().map(|status| status.happy),
        Some(false)
    );
    let writers: Vec<_> = unchanged
        .managed_fields()
        .iter()
        .filter_map(|entry| entry.manager.clone())
        .collect();
    assert!(
        !writers.iter().any(|writer| writer == FIELD_MANAGER),
        "{writers:?}"
    );

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
        .args(["get", "foos.tutorial.my.domain", "--namespace", NAMESPACE])
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

#[tokio::test]
async fn foos_are_reconciled_by_the_leader_then_by_its_successor() {
    let env = start_env().await;
    grant_manager_permissions(&env).await;
    let objects = Api::<Foo>::namespaced(env.client(), NAMESPACE);
    let pods = Api::<Pod>::namespaced(env.client(), NAMESPACE);
    let pp = PostParams::default();

    let mut first = start_manager(&env, "first", &LEADER_ELECT).await;
    eventually("the first manager leads", || first.is_leader(LEASE_NAME)).await;
    let second = start_manager(&env, "second", &LEADER_ELECT).await;
    second.wait_until_ready().await;

    pods.create(&pp, &pod("jack")).await.unwrap();
    objects
        .create(&pp, &new_object("foo-01", "jack"))
        .await
        .unwrap();
    eventually("the leader makes foo-01 happy", || async {
        happy(&objects, "foo-01").await == Some(true)
    })
    .await;
    let reconciles = r#"controller_runtime_reconcile_total{controller="foo",result="success"}"#;
    // The status is written before the reconcile ends, and the reconcile is counted when it
    // ends.
    eventually("the leader counts a successful reconcile", || async {
        first.metric(reconciles).await >= Some(1.0)
    })
    .await;
    assert_eq!(
        second.metric(reconciles).await,
        None,
        "the standby reconciled"
    );

    first.kill().await;
    objects
        .create(&pp, &new_object("foo-02", "jack"))
        .await
        .unwrap();
    eventually_within(
        TAKEOVER_TIMEOUT,
        "the successor makes foo-02 happy",
        || async { happy(&objects, "foo-02").await == Some(true) },
    )
    .await;
    assert!(second.is_leader(LEASE_NAME).await);
}
