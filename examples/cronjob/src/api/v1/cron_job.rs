// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

use k8s_openapi::api::{batch::v1::JobTemplateSpec, core::v1::ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a CronJob asks for: a Job made from `jobTemplate` at each time `schedule` names.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, Default, JsonSchema)]
#[kube(
    group = "batch.tutorial.kubebuilder.io",
    version = "v1",
    kind = "CronJob",
    plural = "cronjobs",
    namespaced,
    status = "CronJobStatus",
    doc = "CronJob runs a Job on a time-based schedule.",
    printcolumn(name = "Schedule", type_ = "string", json_path = ".spec.schedule"),
    printcolumn(name = "Suspend", type_ = "boolean", json_path = ".spec.suspend"),
    printcolumn(
        name = "Last Schedule",
        type_ = "date",
        json_path = ".status.lastScheduleTime"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
// Two columns of `type_ = "date"` are not one attribute given twice.
#[allow(clippy::duplicated_attributes)]
pub struct CronJobSpec {
    /// When to run, in the standard five-field cron format (minute hour day-of-month month
    /// day-of-week, in UTC), such as `*/5 * * * *`; `@hourly` and the like work too.
    pub schedule: String,

    /// How many seconds late a missed run may still start; a run missed by more is skipped.
    /// Without it, every missed run is still due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub starting_deadline_seconds: Option<i64>,

    /// What to do when a run is due while the Job of an earlier one is still running.
    #[serde(default)]
    pub concurrency_policy: ConcurrencyPolicy,

    /// Stops the runs to come (a running Job goes on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,

    /// The Job each run creates.
    #[schemars(schema_with = "job_template_schema")]
    pub job_template: JobTemplateSpec,

    /// How many successful Jobs to keep; older ones are deleted. All are kept when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub successful_jobs_history_limit: Option<i32>,

    /// How many failed Jobs to keep; older ones are deleted. All are kept when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub failed_jobs_history_limit: Option<i32>,
}

/// What a run does while the Job of an earlier one is still running.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum ConcurrencyPolicy {
    /// Runs alongside it.
    #[default]
    Allow,
    /// Skips this run.
    Forbid,
    /// Deletes the running Job, then runs.
    Replace,
}

/// What the controller observed of a CronJob's Jobs.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CronJobStatus {
    /// The Jobs still running.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub active: Vec<ObjectReference>,

    /// The time of the latest run that created a Job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_schedule_time: Option<Time>,
}

/// The schema of a Job template without the descriptions of its fields: Kubernetes documents
/// Jobs and Pods at such length that the CRD would pass the 256 KiB that `kubectl apply` (and
/// so `make install`) can record of it.
pub fn job_template_schema(generator: &mut SchemaGenerator) -> Schema {
    let mut schema = generator.subschema_for::<JobTemplateSpec>();
    if let Some(members) = schema.as_object_mut() {
        members.values_mut().for_each(drop_descriptions);
    }
    schema
}

fn drop_descriptions(value: &mut Value) {
    match value {
        Value::Object(members) => {
            // A field called `description` has a schema (an object), not a string.
            if members.get("description").is_some_and(Value::is_string) {
                members.remove("description");
            }
            members.values_mut().for_each(drop_descriptions);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_descriptions),
        _ => {}
    }
}
