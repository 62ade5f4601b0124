// Copyright 2026 The friends Authors.
// SPDX-License-Identifier: Apache-2.0

//! The admission webhooks of `Foo` `v1` on a real API server (etcd and kube-apiserver,
//! started by kube-envtest), which calls them in the manager binary over HTTPS as a cluster
//! would.

use std::time::Duration;

use crate::support::{
    self, grant_manager_permissions, start_env_with_webhooks, start_manager_with_webhooks,
};
use friends::api::v1::Foo;
use kube::Api;
use kube::api::PostParams;
use serde_json::json;

/// How long the manager may take to exit after SIGTERM.
const EXIT_BOUND: Duration = kube_operator_runtime::TERMINATION_GRACE_PERIOD;

/// A Foo called `name`, as `config/samples` has it.
fn sample(name: &str) -> Foo {
    let mut object: Foo = serde_json::from_value(json!({
      "apiVersion": "friends.my.domain/v1",
      "kind": "Foo",
      "metadata": {
        "name": "foo-01"
      },
      "spec": {
        "name": "jack"
      }
    }))
    .unwrap();
    object.metadata.name = Some(name.into());
    object
}

#[tokio::test]
async fn foo_v1_writes_pass_through_the_webhooks() {
    let env = start_env_with_webhooks().await;
    grant_manager_permissions(&env).await;
    let mut manager = start_manager_with_webhooks(&env, "webhooks", &[]).await;
    manager.wait_until_ready().await;

    let objects = Api::<Foo>::namespaced(env.client(), support::NAMESPACE);
    // The webhooks fail closed (`failurePolicy: Fail`), so a stored object is one the manager
    // admitted.
    let created = objects
        .create(&PostParams::default(), &sample("foo-admitted"))
        .await
        .unwrap();
    assert_eq!(created.metadata.name.as_deref(), Some("foo-admitted"));

    // Left out, the friend is the Foo's own name.
    let mut lonely = sample("lonely");
    lonely.spec.name = String::new();
    let defaulted = objects
        .create(&PostParams::default(), &lonely)
        .await
        .unwrap();
    assert_eq!(defaulted.spec.name, "lonely");

    // Created with `generateName`, it is named by the defaulter, and its friend with it.
    let mut generated = sample("unused");
    generated.metadata.name = None;
    generated.metadata.generate_name = Some("lonely-".into());
    generated.spec.name = String::new();
    let defaulted = objects
        .create(&PostParams::default(), &generated)
        .await
        .unwrap();
    let name = defaulted.metadata.name.unwrap();
    assert!(
        name.starts_with("lonely-") && name.len() == "lonely-".len() + 5,
        "{name}"
    );
    assert_eq!(defaulted.spec.name, name);

    // A friend no Pod can be named after is refused, with the message kubectl prints.
    let mut shouting = sample("shouting");
    shouting.spec.name = "Jack!".into();
    match objects.create(&PostParams::default(), &shouting).await {
        Err(kube::Error::Api(status)) => assert_eq!(
            status.message,
            r#"admission webhook "vfoo-v1.kb.io" denied the request: spec.name: "Jack!" is not a Pod name: use lower-case letters, digits, '-' and '.'"#
        ),
        other => panic!("expected a denial, got {other:?}"),
    }

    // Without the manager, the API server refuses writes it cannot get admitted.
    manager.terminate();
    assert!(
        manager.wait_for_exit(EXIT_BOUND).await,
        "{}",
        manager.logs()
    );
    let refused = objects
        .create(&PostParams::default(), &sample("foo-unadmitted"))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("failed calling webhook"),
        "unexpected error: {refused}"
    );
}
