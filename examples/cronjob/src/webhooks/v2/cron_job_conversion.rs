// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

//! Conversion of `CronJob` between `v2` (this spoke) and `v1` (the hub). The API server
//! asks the conversion webhook whenever a client reads or writes a version other than the
//! stored one; every version converts through the hub.
//!
//! Only the schedule differs: `v1`'s string of five fields, `v2`'s field per part, where a
//! part left out is `*`. A nickname such as `@hourly` reads in `v2` as the fields it stands
//! for, so it comes back to `v1` as those five fields, a schedule that runs at the same times.

use crate::api::v1 as hub;
use crate::api::v2 as spoke;
use crate::api::v2::cron_job::CronSchedule;

/// What a field left out of a `v2` schedule means, and what `v2` leaves out.
const EVERY: &str = "*";

impl From<spoke::CronJob> for hub::CronJob {
    fn from(from: spoke::CronJob) -> Self {
        let spec = from.spec;
        hub::CronJob {
            metadata: from.metadata,
            spec: hub::CronJobSpec {
                schedule: cron_of(&spec.schedule),
                starting_deadline_seconds: spec.starting_deadline_seconds,
                concurrency_policy: spec.concurrency_policy,
                suspend: spec.suspend,
                job_template: spec.job_template,
                successful_jobs_history_limit: spec.successful_jobs_history_limit,
                failed_jobs_history_limit: spec.failed_jobs_history_limit,
            },
            status: from.status,
        }
    }
}

impl TryFrom<hub::CronJob> for spoke::CronJob {
    /// A `v1` schedule that is neither five fields nor a nickname: the validating webhook
    /// admits none, so only a CronJob stored without the webhooks can have one.
    type Error = String;

    fn try_from(from: hub::CronJob) -> Result<Self, Self::Error> {
        let spec = from.spec;
        Ok(spoke::CronJob {
            metadata: from.metadata,
            spec: spoke::CronJobSpec {
                schedule: schedule_of(&spec.schedule)?,
                starting_deadline_seconds: spec.starting_deadline_seconds,
                concurrency_policy: spec.concurrency_policy,
                suspend: spec.suspend,
                job_template: spec.job_template,
                successful_jobs_history_limit: spec.successful_jobs_history_limit,
                failed_jobs_history_limit: spec.failed_jobs_history_limit,
            },
            status: from.status,
        })
    }
}

/// The `v1` schedule: the five fields in order, `*` for those left out.
fn cron_of(schedule: &CronSchedule) -> String {
    let fields = [
        &schedule.minute,
        &schedule.hour,
        &schedule.day_of_month,
        &schedule.month,
        &schedule.day_of_week,
    ];
    let fields = fields.map(|field| field.as_deref().unwrap_or(EVERY));
    fields.join(" ")
}

/// The `v2` schedule of a `v1` one: a field that is `*` is left out.
fn schedule_of(cron: &str) -> Result<CronSchedule, String> {
    let cron = expand_nickname(cron).unwrap_or(cron);
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let [minute, hour, day_of_month, month, day_of_week] = fields[..] else {
        return Err(format!(
            "spec.schedule `{cron}` is not five cron fields, which version v2 needs"
        ));
    };
    let field = |value: &str| (value != EVERY).then(|| value.to_owned());
    Ok(CronSchedule {
        minute: field(minute),
        hour: field(hour),
        day_of_month: field(day_of_month),
        month: field(month),
        day_of_week: field(day_of_week),
    })
}

/// The five fields a nickname stands for, as `schedule::parse` reads them.
fn expand_nickname(cron: &str) -> Option<&'static str> {
    let fields = match cron.trim().to_ascii_lowercase().as_str() {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * SUN",
        "@daily" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        _ => return None,
    };
    Some(fields)
}

#[cfg(test)]
mod tests {
    use k8s_openapi::jiff::{Timestamp, tz::TimeZone};

    use super::*;
    use crate::schedule;

    /// A `v1` CronJob with every field set, the way the webhooks leave one.
    fn hub_cron_job(schedule: &str) -> hub::CronJob {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "batch.tutorial.kubebuilder.io/v1",
            "kind": "CronJob",
            "metadata": { "name": "converted", "namespace": "default", "uid": "1234" },
            "spec": {
                "schedule": schedule,
                "startingDeadlineSeconds": 60,
                "concurrencyPolicy": "Forbid",
                "suspend": true,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 1,
                "jobTemplate": { "spec": { "template": { "spec": {
                    "containers": [{ "name": "hello", "image": "busybox:1.37" }],
                } } } },
            },
            "status": {
                "active": [{ "kind": "Job", "name": "converted-1767225600" }],
                "lastScheduleTime": "2026-01-01T00:00:00Z",
            },
        }))
        .unwrap()
    }

    fn as_json(object: &impl serde::Serialize) -> serde_json::Value {
        serde_json::to_value(object).unwrap()
    }

    #[test]
    fn a_v1_schedule_reads_as_v2_fields_and_converts_back_unchanged() {
        let hub = hub_cron_job("*/5 3 * * MON-FRI");
        let spoke = spoke::CronJob::try_from(hub.clone()).unwrap();
        assert_eq!(
            spoke.spec.schedule,
            CronSchedule {
                minute: Some("*/5".into()),
                hour: Some("3".into()),
                day_of_month: None,
                month: None,
                day_of_week: Some("MON-FRI".into()),
            }
        );
        // Everything else carries over as it is, the status too.
        assert_eq!(spoke.spec.concurrency_policy, hub.spec.concurrency_policy);
        assert_eq!(spoke.status, hub.status);
        let mut spec = as_json(&spoke.spec);
        spec["schedule"] = hub.spec.schedule.clone().into();
        assert_eq!(spec, as_json(&hub.spec));

        let back = hub::CronJob::from(spoke);
        assert_eq!(as_json(&back), as_json(&hub));
    }

    #[test]
    fn a_v2_schedule_converts_to_v1_and_back_unchanged() {
        let mut spoke = spoke::CronJob::try_from(hub_cron_job("* * * * *")).unwrap();
        assert_eq!(spoke.spec.schedule, CronSchedule::default());
        spoke.spec.schedule = CronSchedule {
            minute: Some("0".into()),
            day_of_month: Some("1,15".into()),
            ..Default::default()
        };
        let hub = hub::CronJob::from(spoke.clone());
        assert_eq!(hub.spec.schedule, "0 * 1,15 * *");
        assert!(schedule::parse(&hub.spec.schedule).is_ok());
        let back = spoke::CronJob::try_from(hub).unwrap();
        assert_eq!(as_json(&back), as_json(&spoke));
    }

    #[test]
    fn a_nickname_reads_as_the_fields_it_stands_for() {
        let start = Timestamp::from_second(1_767_225_600).unwrap();
        let next_runs = |cron: &str| {
            let runs = schedule::parse(cron)
                .unwrap()
                .iter_after(start.to_zoned(TimeZone::UTC));
            runs.take(3).collect::<Vec<_>>()
        };
        for nickname in [
            "@yearly",
            "@annually",
            "@monthly",
            "@weekly",
            "@daily",
            "@HOURLY",
        ] {
            let spoke = spoke::CronJob::try_from(hub_cron_job(nickname)).unwrap();
            let back = hub::CronJob::from(spoke).spec.schedule;
            // Back in v1 as five fields that run at the same times.
            assert_eq!(
                next_runs(nickname),
                next_runs(&back),
                "{nickname} became {back}"
            );
        }
    }

    #[test]
    fn a_v1_schedule_of_other_than_five_fields_is_an_error() {
        let error = spoke::CronJob::try_from(hub_cron_job("* * *")).unwrap_err();
        assert_eq!(
            error,
            "spec.schedule `* * *` is not five cron fields, which version v2 needs"
        );
    }
}
