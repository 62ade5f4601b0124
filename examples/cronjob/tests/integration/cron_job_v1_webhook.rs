// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

//! The admission webhooks of `CronJob` `v1` on a real API server (etcd and kube-apiserver,
//! started by kube-envtest), which calls them in the manager binary over HTTPS as a cluster
//! would.

use std::time::Duration;

use crate::support::{
    self, grant_manager_permissions, start_env_with_webhooks, start_manager_with_webhooks,
};
use cronjob::api::v1::{CronJob, cron_job::ConcurrencyPolicy};
use kube::Api;
use kube::api::PostParams;
use serde_json::json;

/// How long the manager may take to exit after SIGTERM.
const EXIT_BOUND: Duration = kube_operator_runtime::TERMINATION_GRACE_PERIOD;

/// A CronJob called `name`, as `config/samples` has it.
fn sample(name: &str) -> CronJob {
    let mut object: CronJob = serde_json::from_value(json!({
      "apiVersion": "batch.tutorial.kubebuilder.io/v1",
      "kind": "CronJob",
      "metadata": {
        "name": "cronjob-sample"
      },
      "spec": {
        "schedule": "*/1 * * * *",
        "jobTemplate": {
          "spec": {
            "template": {
              "spec": {
                "containers": [{ "name": "hello", "image": "busybox:1.37" }],
                "restartPolicy": "OnFailure"
              }
            }
          }
        }
      }
    }))
    .unwrap();
    object.metadata.name = Some(name.into());
    object
}

/// The API server's answer to a write the webhooks refused.
fn refusal(result: kube::Result<CronJob>) -> Box<kube::core::Status> {
    match result {
        Err(kube::Error::Api(status)) => status,
        other => panic!("the write was not refused: {other:?}"),
    }
}

#[tokio::test]
async fn cron_job_v1_writes_pass_through_the_webhooks() {
    let env = start_env_with_webhooks().await;
    grant_manager_permissions(&env).await;
    let mut manager = start_manager_with_webhooks(&env, "webhooks", &[]).await;
    manager.wait_until_ready().await;

    let objects = Api::<CronJob>::namespaced(env.client(), support::NAMESPACE);
    // The webhooks fail closed (`failurePolicy: Fail`), so a stored object is one the manager
    // admitted.
    let created = objects
        .create(&PostParams::default(), &sample("cronjob-admitted"))
        .await
        .unwrap();
    assert_eq!(created.metadata.name.as_deref(), Some("cronjob-admitted"));
    // What the sample leaves out, the defaulter fills in.
    let spec = &created.spec;
    assert_eq!(spec.concurrency_policy, ConcurrencyPolicy::Allow);
    assert_eq!(spec.suspend, Some(false));
    assert_eq!(spec.successful_jobs_history_limit, Some(3));
    assert_eq!(spec.failed_jobs_history_limit, Some(1));
    // What the user set stays.
    let mut kept = sample("cronjob-kept");
    kept.spec.suspend = Some(true);
    kept.spec.failed_jobs_history_limit = Some(0);
    let kept = objects.create(&PostParams::default(), &kept).await.unwrap();
    assert_eq!(kept.spec.suspend, Some(true));
    assert_eq!(kept.spec.failed_jobs_history_limit, Some(0));

    // A schedule that is not cron is refused, on create and on update, naming the field.
    let mut every_now_and_then = sample("cronjob-vague");
    every_now_and_then.spec.schedule = "every now and then".into();
    let refused = refusal(
        objects
            .create(&PostParams::default(), &every_now_and_then)
            .await,
    );
    assert_eq!(refused.code, 422, "{refused:?}");
    assert!(
        refused
            .message
            .contains("spec.schedule: `every now and then` is not a cron schedule"),
        "{}",
        refused.message
    );
    let mut vague_update = created.clone();
    vague_update.spec.schedule = "* * *".into();
    let refused = refusal(
        objects
            .replace("cronjob-admitted", &PostParams::default(), &vague_update)
            .await,
    );
    assert!(
        refused.message.contains("spec.schedule"),
        "{}",
        refused.message
    );

    // Names of at most 52 characters, so that a Job's (a dash and ten digits more) fits.
    let longest = "c".repeat(52);
    objects
        .create(&PostParams::default(), &sample(&longest))
        .await
        .unwrap();
    let refused = refusal(
        objects
            .create(&PostParams::default(), &sample(&"c".repeat(53)))
            .await,
    );
    assert!(
        refused
            .message
            .contains("metadata.name: must be at most 52 characters"),
        "{}",
        refused.message
    );

    // Without the manager, the API server refuses writes it cannot get admitted.
    manager.terminate();
    assert!(
        manager.wait_for_exit(EXIT_BOUND).await,
        "{}",
        manager.logs()
    );
    let refused = objects
        .create(&PostParams::default(), &sample("cronjob-unadmitted"))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("failed calling webhook"),
        "unexpected error: {refused}"
    );
}
