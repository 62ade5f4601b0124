// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

//! The CronJob controller: at each time a CronJob's schedule names, it creates a Job from
//! the CronJob's template; it reports the running Jobs and the last run in the status, and
//! deletes finished Jobs beyond the history limits.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use k8s_openapi::{
    api::{batch::v1::Job, core::v1::ObjectReference, rbac::v1::PolicyRule},
    apimachinery::pkg::apis::meta::v1::Time,
    jiff::Timestamp,
};
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams},
    runtime::{
        controller::Action,
        events::{Event, EventType, Reporter},
        watcher,
    },
};
use kube_operator_runtime::{
    ErrorBackoff, EventPublisher, Shared, ensure_served,
    rbac::{policy_rule, rule_for},
    watched_api,
};
use serde_json::json;
use tracing::{debug, info, warn};

use crate::{
    Error, FIELD_MANAGER, Result,
    api::v1::{CronJob, CronJobStatus, cron_job::ConcurrencyPolicy},
    controllers,
    schedule::{self, Clock},
};

/// The annotation that records, on each Job, the run it was created for.
pub const SCHEDULED_AT: &str = "batch.tutorial.kubebuilder.io/scheduled-at";
/// The label that names, on each Job, the CronJob that created it: the controller watches and
/// lists only the Jobs that carry it.
pub const CRON_JOB_LABEL: &str = "batch.tutorial.kubebuilder.io/cronjob";

/// What the reconciler needs besides the CronJob itself.
pub struct Context {
    pub client: Client,
    /// Records Events in the background: a reconcile never waits for one.
    pub events: EventPublisher,
    /// The time runs are due by: `main.rs` gives the system's, the tests one they set.
    pub clock: Arc<Clock>,
    /// How long to wait before retrying each CronJob whose reconcile failed.
    pub backoff: ErrorBackoff<CronJob>,
}

/// Runs the CronJob controller until the manager stops.
pub async fn run(shared: Shared) -> Result<()> {
    let api = watched_api::<CronJob>(shared.client.clone(), controllers::NAMESPACED);
    ensure_served(&api).await?;
    let jobs = watched_api::<Job>(shared.client.clone(), controllers::NAMESPACED);
    // A Job that starts, finishes or goes reconciles the CronJob that owns it. No predicate
    // on the CronJob: a change of any kind (an annotation too) makes it look at the time again.
    let controller = shared
        .controller(api)
        .owns_with(jobs, watcher::Config::default().labels(CRON_JOB_LABEL));
    let context = Arc::new(Context {
        client: shared.client.clone(),
        events: EventPublisher::new(shared.client.clone(), Reporter::from(FIELD_MANAGER)),
        clock: shared.state::<Clock>()?,
        backoff: controller.backoff(),
    });
    controller.run(reconcile, error_policy, context).await;
    Ok(())
}

/// Brings the status up to date, deletes old Jobs, then starts the run that is due, if any,
/// and comes back at the next one.
pub async fn reconcile(cron_job: Arc<CronJob>, ctx: Arc<Context>) -> Result<Action> {
    let name = cron_job.name_any();
    let namespace = cron_job
        .namespace()
        .ok_or(Error::MissingField("namespace"))?;
    let jobs = Api::<Job>::namespaced(ctx.client.clone(), &namespace);
    let now = ctx.clock.now();

    // Listed from the API server by label, not scanned out of the watch's cache: a Job this
    // controller just created is always in the list.
    let listed = jobs
        .list(&ListParams::default().labels(&format!("{CRON_JOB_LABEL}={name}")))
        .await?;
    let children = Children::sort(listed.items.into_iter().filter(|job| owns(&cron_job, job)));
    debug!(
        cron_job = %name, %namespace,
        active = children.active.len(),
        successful = children.successful.len(),
        failed = children.failed.len(),
        "jobs"
    );

    let old_status = cron_job.status.clone().unwrap_or_default();
    let mut active: Vec<ObjectReference> = children.active.iter().map(reference).collect();
    active.sort_by(|a, b| a.name.cmp(&b.name));
    let status = CronJobStatus {
        active,
        // The newest run of the Jobs, or the one recorded before if newer: with a history
        // limit of 0 its Job may be gone already, and that run must not start again.
        last_schedule_time: children
            .last_scheduled
            .max(old_status.last_schedule_time.as_ref().map(|time| time.0))
            .map(Time),
    };
    if status != old_status {
        write_status(&ctx.client, &namespace, &name, &status).await?;
    }

    let spec = &cron_job.spec;
    ctx.delete_oldest(
        &jobs,
        &cron_job,
        children.successful,
        spec.successful_jobs_history_limit,
    )
    .await;
    ctx.delete_oldest(
        &jobs,
        &cron_job,
        children.failed,
        spec.failed_jobs_history_limit,
    )
    .await;

    if spec.suspend == Some(true) {
        debug!(cron_job = %name, %namespace, "suspended");
        return Ok(Action::await_change());
    }

    let schedule = match schedule::parse(&spec.schedule) {
        Ok(schedule) => schedule,
        Err(err) => {
            // Nothing to retry until the spec changes.
            ctx.warn(
                &cron_job,
                "InvalidSchedule",
                format!("spec.schedule: {err}"),
            );
            return Ok(Action::await_change());
        }
    };
    let since = status
        .last_schedule_time
        .or(cron_job.metadata.creation_timestamp.clone())
        .map_or(now, |time| time.0);
    let runs = match schedule::runs(&schedule, since, spec.starting_deadline_seconds, now) {
        Ok(runs) => runs,
        Err(err) => {
            ctx.warn(&cron_job, "FailedNeedsStart", err.to_string());
            return Ok(Action::await_change());
        }
    };
    // `next` is after `now`.
    let until_next = Duration::try_from(now.duration_until(runs.next)).unwrap_or_default();
    let at_next_run = Action::requeue(until_next);
    let Some(run) = runs.missed else {
        debug!(cron_job = %name, %namespace, next = %runs.next, "no run due");
        return Ok(at_next_run);
    };

    match spec.concurrency_policy {
        ConcurrencyPolicy::Forbid if !children.active.is_empty() => {
            ctx.record(
                &cron_job,
                "JobAlreadyActive",
                format!("not starting the run of {run}: a Job is still active"),
            );
            return Ok(at_next_run);
        }
        ConcurrencyPolicy::Replace => {
            for job in &children.active {
                match jobs
                    .delete(&job.name_any(), &DeleteParams::background())
                    .await
                {
                    Ok(_) => {}
                    Err(kube::Error::Api(status)) if status.is_not_found() => {}
                    Err(err) => return Err(err.into()),
                }
                let note = format!("deleted active Job {} to replace it", job.name_any());
                ctx.record(&cron_job, "SuccessfulDelete", note);
            }
        }
        ConcurrencyPolicy::Allow | ConcurrencyPolicy::Forbid => {}
    }

    let job = job_for(&cron_job, run)?;
    let job_name = job.name_any();
    match jobs.create(&PostParams::default(), &job).await {
        Ok(_) => {
            info!(cron_job = %name, %namespace, job = %job_name, %run, "created job");
            ctx.record(
                &cron_job,
                "SuccessfulCreate",
                format!("created Job {job_name}"),
            );
        }
        // Its name is its run's: the run has a Job already.
        Err(kube::Error::Api(status)) if status.is_already_exists() => {}
        Err(err) => return Err(err.into()),
    }
    Ok(at_next_run)
}

/// Retries a failed reconcile, waiting longer after each consecutive failure.
pub fn error_policy(cron_job: Arc<CronJob>, error: &Error, ctx: Arc<Context>) -> Action {
    let retry_in = ctx.backoff.next_delay(&cron_job);
    warn!(
        cron_job = %cron_job.name_any(),
        namespace = cron_job.namespace().unwrap_or_default(),
        %error,
        ?retry_in,
        "reconcile failed"
    );
    Action::requeue(retry_in)
}

/// The RBAC rules this controller needs, and no more.
pub fn policy_rules() -> Vec<PolicyRule> {
    let group = CronJob::group(&());
    vec![
        rule_for::<CronJob>(&["list", "watch"]),
        policy_rule(&group, "cronjobs/status", &["patch"]),
        // A Job's owner reference blocks the CronJob's deletion until the Job is gone, which
        // the API server allows only to who may update the CronJob's finalizers.
        policy_rule(&group, "cronjobs/finalizers", &["update"]),
        rule_for::<Job>(&["list", "watch", "create", "delete"]),
        // Events are created, then patched when they repeat.
        policy_rule("events.k8s.io", "events", &["create", "patch"]),
    ]
}

impl Context {
    /// Deletes the finished Jobs beyond `limit`, oldest first. At its best: a Job that could
    /// not be deleted is tried again at the next reconcile.
    async fn delete_oldest(
        &self,
        jobs: &Api<Job>,
        cron_job: &CronJob,
        mut finished: Vec<Job>,
        limit: Option<i32>,
    ) {
        let Some(limit) = limit else { return };
        let keep = usize::try_from(limit).unwrap_or(0);
        let excess = finished.len().saturating_sub(keep);
        // A Job that never started counts as the oldest.
        finished.sort_by_key(|job| job.status.as_ref()?.start_time.as_ref().map(|t| t.0));
        for job in &finished[..excess] {
            let job_name = job.name_any();
            match jobs.delete(&job_name, &DeleteParams::background()).await {
                Ok(_) => {
                    info!(cron_job = %cron_job.name_any(), job = %job_name, "deleted old job");
                    let note = format!("deleted old finished Job {job_name}");
                    self.record(cron_job, "SuccessfulDelete", note);
                }
                Err(kube::Error::Api(status)) if status.is_not_found() => {}
                Err(err) => warn!(job = %job_name, %err, "could not delete old job"),
            }
        }
    }

    fn record(&self, cron_job: &CronJob, reason: &str, note: String) {
        self.publish(cron_job, EventType::Normal, reason, note);
    }

    fn warn(&self, cron_job: &CronJob, reason: &str, note: String) {
        warn!(cron_job = %cron_job.name_any(), reason, note, "not scheduling");
        self.publish(cron_job, EventType::Warning, reason, note);
    }

    fn publish(&self, cron_job: &CronJob, type_: EventType, reason: &str, note: String) {
        let event = Event {
            type_,
            reason: reason.into(),
            note: Some(note),
            action: "Schedule".into(),
            secondary: None,
        };
        self.events.publish(event, cron_job.object_ref(&()));
    }
}

/// A CronJob's Jobs, by how they are doing.
#[derive(Debug, Default)]
struct Children {
    active: Vec<Job>,
    successful: Vec<Job>,
    failed: Vec<Job>,
    /// The newest run among them.
    last_scheduled: Option<Timestamp>,
}

impl Children {
    fn sort(jobs: impl IntoIterator<Item = Job>) -> Self {
        let mut children = Self::default();
        for job in jobs {
            let scheduled = job
                .annotations()
                .get(SCHEDULED_AT)
                .and_then(|time| time.parse::<Timestamp>().ok());
            children.last_scheduled = children.last_scheduled.max(scheduled);
            match outcome(&job) {
                Outcome::Running => children.active.push(job),
                Outcome::Succeeded => children.successful.push(job),
                Outcome::Failed => children.failed.push(job),
            }
        }
        children
    }
}

enum Outcome {
    Running,
    Succeeded,
    Failed,
}

/// How a Job is doing, by its `Complete` or `Failed` condition.
fn outcome(job: &Job) -> Outcome {
    let conditions = job
        .status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten());
    for condition in conditions.filter(|c| c.status == "True") {
        match condition.type_.as_str() {
            "Complete" => return Outcome::Succeeded,
            "Failed" => return Outcome::Failed,
            _ => {}
        }
    }
    Outcome::Running
}

/// Whether `job`'s controller owner reference is `cron_job`: a label is easily copied, the
/// UID is not.
fn owns(cron_job: &CronJob, job: &Job) -> bool {
    job.owner_references()
        .iter()
        .any(|owner| owner.controller == Some(true) && Some(&owner.uid) == cron_job.uid().as_ref())
}

/// A reference to `job` for the status: without its resource version, which changes at each
/// of the Job's status updates and would rewrite the CronJob's status with it.
fn reference(job: &Job) -> ObjectReference {
    ObjectReference {
        api_version: Some(Job::api_version(&()).into()),
        kind: Some(Job::kind(&()).into()),
        name: job.metadata.name.clone(),
        namespace: job.metadata.namespace.clone(),
        uid: job.metadata.uid.clone(),
        ..Default::default()
    }
}

/// The Job of the run at `run`: the template's labels, annotations and spec, named after the
/// run so that no run gets two Jobs.
fn job_for(cron_job: &CronJob, run: Timestamp) -> Result<Job> {
    let template = &cron_job.spec.job_template;
    let template_meta = template.metadata.clone().unwrap_or_default();
    let name = cron_job.name_any();
    let mut labels = template_meta.labels.unwrap_or_default();
    labels.insert(CRON_JOB_LABEL.into(), name.clone());
    let mut annotations: BTreeMap<String, String> = template_meta.annotations.unwrap_or_default();
    annotations.insert(SCHEDULED_AT.into(), run.to_string());
    let mut owner = cron_job
        .controller_owner_ref(&())
        .ok_or(Error::MissingField("metadata.uid"))?;
    owner.block_owner_deletion = Some(true);
    Ok(Job {
        metadata: ObjectMeta {
            name: Some(format!("{name}-{}", run.as_second())),
            namespace: cron_job.namespace(),
            labels: Some(labels),
            annotations: Some(annotations),
            owner_references: Some(vec![owner]),
            ..Default::default()
        },
        spec: template.spec.clone(),
        status: None,
    })
}

/// Server-side apply of the status alone: the patch names only the fields this controller
/// owns, so no read-modify-write race with other writers.
async fn write_status(
    client: &Client,
    namespace: &str,
    name: &str,
    status: &CronJobStatus,
) -> Result<()> {
    let patch = json!({
        "apiVersion": CronJob::api_version(&()),
        "kind": CronJob::kind(&()),
        "status": status,
    });
    Api::<CronJob>::namespaced(client.clone(), namespace)
        .patch_status(
            name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await?;
    info!(cron_job = %name, %namespace, active = status.active.len(), "status updated");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::v1::CronJobSpec;
    use k8s_openapi::api::batch::v1::{JobCondition, JobStatus};

    fn cron_job() -> CronJob {
        let mut cron_job = CronJob::new(
            "nightly",
            CronJobSpec {
                schedule: "0 3 * * *".into(),
                ..Default::default()
            },
        );
        cron_job.metadata.namespace = Some("default".into());
        cron_job.metadata.uid = Some("0c0ffee".into());
        cron_job
    }

    fn job(name: &str, scheduled_at: &str, finished: Option<&str>) -> Job {
        let mut job = Job::default();
        job.metadata.name = Some(name.into());
        job.metadata.annotations = Some([(SCHEDULED_AT.into(), scheduled_at.into())].into());
        job.status = finished.map(|type_| JobStatus {
            conditions: Some(vec![JobCondition {
                type_: type_.into(),
                status: "True".into(),
                ..Default::default()
            }]),
            ..Default::default()
        });
        job
    }

    #[test]
    fn jobs_are_sorted_by_how_they_finished_and_the_newest_run_is_found() {
        let children = Children::sort([
            job("a", "2026-01-01T03:00:00Z", Some("Complete")),
            job("b", "2026-01-03T03:00:00Z", None),
            job("c", "2026-01-02T03:00:00Z", Some("Failed")),
            job("d", "not a time", None),
        ]);
        let names = |jobs: &[Job]| jobs.iter().map(|j| j.name_any()).collect::<Vec<_>>();
        assert_eq!(names(&children.active), ["b", "d"]);
        assert_eq!(names(&children.successful), ["a"]);
        assert_eq!(names(&children.failed), ["c"]);
        assert_eq!(
            children.last_scheduled,
            Some("2026-01-03T03:00:00Z".parse().unwrap())
        );
    }

    #[test]
    fn a_job_is_named_after_its_run_and_owned_by_its_cron_job() {
        let mut cron_job = cron_job();
        cron_job.spec.job_template.metadata = Some(ObjectMeta {
            labels: Some([("team".into(), "nightly".into())].into()),
            ..Default::default()
        });
        let run: Timestamp = "2026-01-01T03:00:00Z".parse().unwrap();
        let job = job_for(&cron_job, run).unwrap();
        assert_eq!(job.name_any(), "nightly-1767236400");
        assert_eq!(job.namespace().as_deref(), Some("default"));
        assert_eq!(job.labels()["team"], "nightly");
        assert_eq!(job.labels()[CRON_JOB_LABEL], "nightly");
        assert_eq!(job.annotations()[SCHEDULED_AT], "2026-01-01T03:00:00Z");
        assert!(owns(&cron_job, &job));
        let owner = &job.owner_references()[0];
        assert_eq!(owner.block_owner_deletion, Some(true));

        let mut other = cron_job.clone();
        other.metadata.uid = Some("another".into());
        assert!(
            !owns(&other, &job),
            "a CronJob of the same name, made again"
        );
    }
}
