// Copyright 2026 The friends Authors.
// SPDX-License-Identifier: Apache-2.0

//! Conversion of `Foo` on a real API server (etcd and kube-apiserver, started by kube-envtest):
//! an object written in one version reads back in every other, through the manager's
//! conversion webhook and the hub `v1`.

use crate::support::{
    self, grant_manager_permissions, start_env_with_webhooks, start_manager_with_webhooks,
};
use friends::api::{v1, v2};
use kube::Api;
use kube::api::{ListParams, PostParams};

/// An object's spec as JSON, to compare what was written with what is read.
fn spec_of(object: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(object).unwrap()["spec"].clone()
}

#[tokio::test]
async fn foo_objects_read_back_in_every_version() {
    let env = start_env_with_webhooks().await;
    grant_manager_permissions(&env).await;
    let manager = start_manager_with_webhooks(&env, "conversion", &[]).await;
    manager.wait_until_ready().await;
    let hub = Api::<v1::Foo>::namespaced(env.client(), support::NAMESPACE);
    let spoke = Api::<v2::Foo>::namespaced(env.client(), support::NAMESPACE);

    // Written as `v1` (the stored version), read as `v2`, where the name moved into `friend`.
    let spec = v1::FooSpec {
        name: "jack".into(),
    };
    let written = hub
        .create(&PostParams::default(), &v1::Foo::new("from-v1", spec))
        .await
        .unwrap();
    let read = spoke.get("from-v1").await.unwrap();
    assert_eq!(read.spec.friend.name, "jack");
    // Read as `v1` again, it is what was written.
    let again = hub.get("from-v1").await.unwrap();
    assert_eq!(spec_of(&again), spec_of(&written));

    // Written as `v2`, stored as `v1`.
    let spec = v2::FooSpec {
        friend: v2::foo::Friend {
            name: "jill".into(),
        },
    };
    spoke
        .create(&PostParams::default(), &v2::Foo::new("from-v2", spec))
        .await
        .unwrap();
    let read = hub.get("from-v2").await.unwrap();
    assert_eq!(read.spec.name, "jill");

    // Every stored object lists through `v2`.
    let listed = spoke.list(&ListParams::default()).await.unwrap();
    let mut friends: Vec<(String, String)> = listed
        .items
        .into_iter()
        .map(|foo| (foo.metadata.name.unwrap_or_default(), foo.spec.friend.name))
        .collect();
    friends.sort();
    assert_eq!(
        friends,
        [
            ("from-v1".to_string(), "jack".to_string()),
            ("from-v2".to_string(), "jill".to_string())
        ]
    );
}
