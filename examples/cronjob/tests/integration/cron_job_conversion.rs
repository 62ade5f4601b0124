// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

//! Conversion of `CronJob` on a real API server (etcd and kube-apiserver, started by kube-envtest):
//! an object written in one version reads back in every other, through the manager's
//! conversion webhook and the hub `v1`.

use crate::support::{
    self, grant_manager_permissions, start_env_with_webhooks, start_manager_with_webhooks,
};
use cronjob::api::v2::cron_job::CronSchedule;
use cronjob::api::{v1, v2};
use cronjob::controllers::cron_job::CRON_JOB_LABEL;
use k8s_openapi::api::batch::v1::Job;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Resource};
use kube_operator_runtime::testing::eventually;
use serde_json::{Value, json};

const V1: &str = "batch.tutorial.kubebuilder.io/v1";
const V2: &str = "batch.tutorial.kubebuilder.io/v2";

/// The sample CronJob in `api_version`, called `name`, with the schedule as that version
/// writes it.
fn sample<K: serde::de::DeserializeOwned>(api_version: &str, name: &str, schedule: Value) -> K {
    serde_json::from_value(json!({
      "apiVersion": api_version,
      "kind": "CronJob",
      "metadata": { "name": name },
      "spec": {
        "schedule": schedule,
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
    .unwrap()
}

#[tokio::test]
async fn cron_job_objects_read_back_in_every_version() {
    let env = start_env_with_webhooks().await;
    grant_manager_permissions(&env).await;
    let manager = start_manager_with_webhooks(&env, "conversion", &[]).await;
    manager.wait_until_ready().await;
    let hub = Api::<v1::CronJob>::namespaced(env.client(), support::NAMESPACE);
    let spoke = Api::<v2::CronJob>::namespaced(env.client(), support::NAMESPACE);
    let create = PostParams::default();

    // Written as `v1`, read as `v2`: each part of the schedule in its field, `*` left out.
    let written = hub
        .create(&create, &sample(V1, "from-v1", json!("*/5 3 * * MON-FRI")))
        .await
        .unwrap();
    let read = spoke.get("from-v1").await.unwrap();
    let expected = CronSchedule {
        minute: Some("*/5".into()),
        hour: Some("3".into()),
        day_of_week: Some("MON-FRI".into()),
        ..Default::default()
    };
    assert_eq!(read.spec.schedule, expected);
    assert_eq!(read.spec.job_template, written.spec.job_template);
    assert_eq!(read.spec.successful_jobs_history_limit, Some(3));

    // Written as `v2`, read as `v1`: the five fields, `*` for those left out. The API server
    // sends the `v2` write to the `v1` webhooks converted, so they default it as well.
    let written = spoke
        .create(&create, &sample(V2, "from-v2", json!({ "minute": "*/1" })))
        .await
        .unwrap();
    assert_eq!(written.spec.suspend, Some(false));
    assert_eq!(
        hub.get("from-v2").await.unwrap().spec.schedule,
        "*/1 * * * *"
    );
    // A change made in `v2` is a change of the stored `v1`.
    let at_four = json!({ "spec": { "schedule": { "hour": "4" } } });
    spoke
        .patch("from-v2", &PatchParams::default(), &Patch::Merge(&at_four))
        .await
        .unwrap();
    assert_eq!(
        hub.get("from-v2").await.unwrap().spec.schedule,
        "*/1 4 * * *"
    );

    // The `v1` validator checks a `v2` schedule too, and names the field.
    let refused = spoke
        .create(
            &create,
            &sample(V2, "bad-minute", json!({ "minute": "61" })),
        )
        .await
        .unwrap_err();
    let kube::Error::Api(status) = refused else {
        panic!("not refused by the API server: {refused:?}");
    };
    assert_eq!(status.code, 422, "{status:?}");
    assert!(
        status.message.contains("spec.schedule: `61 * * * *`"),
        "{}",
        status.message
    );

    // The controller works on `v1`; what it reports of a CronJob written as `v2` reads in
    // `v2`: a Job it owns is active.
    let mut job = Job {
        spec: written.spec.job_template.spec.clone(),
        ..Default::default()
    };
    job.metadata.name = Some("from-v2-job".into());
    job.metadata.labels = Some([(CRON_JOB_LABEL.into(), "from-v2".into())].into());
    job.metadata.owner_references = Some(vec![written.controller_owner_ref(&()).unwrap()]);
    Api::<Job>::namespaced(env.client(), support::NAMESPACE)
        .create(&create, &job)
        .await
        .unwrap();
    eventually("the Job is active in the v2 status", || async {
        let status = spoke.get("from-v2").await.unwrap().status;
        status.is_some_and(|status| {
            status
                .active
                .iter()
                .any(|job| job.name.as_deref() == Some("from-v2-job"))
        })
    })
    .await;
}
