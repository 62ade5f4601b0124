// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

//! Version `v2` of CronJob: the schedule is a field per part of a cron schedule rather than one
//! string. Everything else is `v1`'s: the types that did not change are `v1`'s own, so the
//! conversion moves them as they are. `v1` stays the stored version, which the controller
//! reads and writes; the conversion webhook (`src/webhooks/v2/cron_job_conversion.rs`) serves
//! this version to the clients that ask for it.

use k8s_openapi::api::batch::v1::JobTemplateSpec;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::api::v1::{CronJobStatus, cron_job::ConcurrencyPolicy};

/// What a CronJob asks for: a Job made from `jobTemplate` at each time `schedule` names.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, Default, JsonSchema)]
#[kube(
    group = "batch.tutorial.kubebuilder.io",
    version = "v2",
    kind = "CronJob",
    plural = "cronjobs",
    namespaced,
    status = "CronJobStatus",
    doc = "CronJob runs a Job on a time-based schedule.",
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
    /// When to run, in UTC: each field is that part of a cron schedule (`*/5`, `1-5`, `MON`…),
    /// and a field left out means every value (`*`).
    pub schedule: CronSchedule,

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
    #[schemars(schema_with = "crate::api::v1::cron_job::job_template_schema")]
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

/// A cron schedule, one field per part.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CronSchedule {
    /// The minutes of the hour, 0-59.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minute: Option<String>,
    /// The hours of the day, 0-23.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hour: Option<String>,
    /// The days of the month, 1-31.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_month: Option<String>,
    /// The months, 1-12 or JAN-DEC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<String>,
    /// The days of the week, 0-7 (0 and 7 are Sunday) or SUN-SAT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_week: Option<String>,
}
