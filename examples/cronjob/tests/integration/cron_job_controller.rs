// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

//! The CronJob controller against a real API server (etcd and kube-apiserver, started by
//! kube-envtest). The controller runs in-process as a user bound only to the role
//! `make manifests` writes, so a permission missing from `policy_rules()` fails this test.
//!
//! Time is the test's: the controller reads a clock the test sets, then the test touches the
//! CronJobs so that they are reconciled at the new time. No Job controller runs in envtest,
//! so a Job stays active until the test writes its `Complete` or `Failed` condition.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::support::{self, grant_manager_permissions, manager_client, start_env};
use cronjob::api::v1::{CronJob, CronJobStatus, cron_job::ConcurrencyPolicy};
use cronjob::controllers::{
    self,
    cron_job::{CRON_JOB_LABEL, SCHEDULED_AT},
};
use cronjob::schedule::Clock;
use k8s_openapi::api::{batch::v1::Job, events::v1::Event};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Resource, ResourceExt};
use kube_envtest::TestEnv;
use kube_operator_runtime::Shared;
use kube_operator_runtime::testing::eventually;
use serde_json::json;
use tokio::task::JoinHandle;

/// A clock that stands still until the test moves it.
#[derive(Clone)]
struct TestClock(Arc<Mutex<Timestamp>>);

impl TestClock {
    fn starting_now() -> Self {
        Self(Arc::new(Mutex::new(Timestamp::now())))
    }

    fn set(&self, now: Timestamp) {
        *self.0.lock().unwrap() = now;
    }

    fn clock(&self) -> Clock {
        let now = self.0.clone();
        Clock::new(move || *now.lock().unwrap())
    }
}

/// A real API server, the controller running on the test's clock, and the APIs the tests use.
struct Fixture {
    env: TestEnv,
    clock: TestClock,
    cron_jobs: Api<CronJob>,
    jobs: Api<Job>,
    controller: JoinHandle<cronjob::Result<()>>,
}

impl Fixture {
    async fn start() -> Self {
        let env = start_env().await;
        grant_manager_permissions(&env).await;
        let clock = TestClock::starting_now();
        let shared = Shared::new(manager_client(&env).await).with_state(clock.clock());
        let controller = tokio::spawn(controllers::cron_job::run(shared));
        Self {
            cron_jobs: Api::namespaced(env.client(), support::NAMESPACE),
            jobs: Api::namespaced(env.client(), support::NAMESPACE),
            env,
            clock,
            controller,
        }
    }

    /// Creates `cron_job`, returning it as stored.
    async fn create(&self, cron_job: CronJob) -> CronJob {
        self.cron_jobs
            .create(&PostParams::default(), &cron_job)
            .await
            .unwrap()
    }

    /// Moves the clock to `now` and touches each of `names`, so that it is reconciled at `now`.
    async fn move_clock(&self, now: Timestamp, names: &[&str]) {
        self.clock.set(now);
        for name in names {
            let touch = json!({ "metadata": { "annotations": { "test/now": now.to_string() } } });
            self.cron_jobs
                .patch(name, &PatchParams::default(), &Patch::Merge(&touch))
                .await
                .unwrap();
        }
    }

    /// The names of the Jobs labelled as `cron_job`'s, sorted.
    async fn job_names(&self, cron_job: &str) -> Vec<String> {
        let selector = format!("{CRON_JOB_LABEL}={cron_job}");
        let jobs = self
            .jobs
            .list(&ListParams::default().labels(&selector))
            .await
            .unwrap();
        let mut names: Vec<String> = jobs.items.iter().map(|job| job.name_any()).collect();
        names.sort();
        names
    }

    /// Waits until the Jobs of `cron_job` are exactly `expected`.
    async fn wait_for_jobs(&self, cron_job: &str, expected: &[String]) {
        let what = format!("{cron_job} has the Jobs {expected:?}");
        eventually(&what, || async {
            self.job_names(cron_job).await == expected
        })
        .await;
    }

    async fn status(&self, name: &str) -> CronJobStatus {
        let cron_job = self.cron_jobs.get(name).await.unwrap();
        cron_job.status.unwrap_or_default()
    }

    /// Waits for an Event of `reason` about the CronJob `name`.
    async fn wait_for_event(&self, name: &str, reason: &str) {
        let events = Api::<Event>::namespaced(self.env.client(), support::NAMESPACE);
        let what = format!("an Event {reason} about {name}");
        eventually(&what, || async {
            events
                .list(&ListParams::default())
                .await
                .unwrap()
                .items
                .iter()
                .any(|event| {
                    event.reason.as_deref() == Some(reason)
                        && event.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name)
                })
        })
        .await;
    }

    /// Creates a Job owned by `cron_job`, as the controller would for the run at `scheduled_at`.
    async fn create_owned_job(&self, cron_job: &CronJob, name: &str, scheduled_at: Timestamp) {
        let mut job = job_of(cron_job);
        job.metadata.name = Some(name.into());
        job.metadata.annotations = Some([(SCHEDULED_AT.into(), scheduled_at.to_string())].into());
        let mut owner = cron_job.controller_owner_ref(&()).unwrap();
        owner.block_owner_deletion = Some(true);
        job.metadata.owner_references = Some(vec![owner]);
        self.jobs
            .create(&PostParams::default(), &job)
            .await
            .unwrap();
    }

    /// Writes the status the Job controller would write once the Job `name`, started at
    /// `started`, has `Complete`d or `Failed`.
    async fn finish_job(&self, name: &str, started: Timestamp, outcome: &str) {
        let finished = started + SignedDuration::from_secs(10);
        let condition = |type_: &str| {
            json!({
                "type": type_, "status": "True", "reason": "Test",
                "lastTransitionTime": finished.to_string(),
            })
        };
        let status = match outcome {
            "Complete" => json!({
                "startTime": started.to_string(),
                "completionTime": finished.to_string(),
                "succeeded": 1,
                "conditions": [condition("SuccessCriteriaMet"), condition("Complete")],
            }),
            _ => json!({
                "startTime": started.to_string(),
                "failed": 1,
                "conditions": [condition("FailureTarget"), condition("Failed")],
            }),
        };
        self.jobs
            .patch_status(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({ "status": status })),
            )
            .await
            .unwrap();
    }

    fn assert_controller_running(self) {
        assert!(
            !self.controller.is_finished(),
            "the controller stopped early"
        );
        self.controller.abort();
    }
}

/// A CronJob called `name` that runs a one-container Job on `schedule`.
fn cron_job(name: &str, schedule: &str) -> CronJob {
    serde_json::from_value(json!({
        "apiVersion": "batch.tutorial.kubebuilder.io/v1",
        "kind": "CronJob",
        "metadata": { "name": name },
        "spec": {
            "schedule": schedule,
            "jobTemplate": {
                "metadata": { "labels": { "app": "hello" } },
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [{ "name": "hello", "image": "busybox:1.37" }],
                            "restartPolicy": "OnFailure",
                        },
                    },
                },
            },
        },
    }))
    .unwrap()
}

/// A Job from `cron_job`'s template, labelled as its Jobs are.
fn job_of(cron_job: &CronJob) -> Job {
    let mut job = Job {
        spec: cron_job.spec.job_template.spec.clone(),
        ..Default::default()
    };
    job.metadata.labels = Some([(CRON_JOB_LABEL.into(), cron_job.name_any())].into());
    job
}

/// The first run of an every-minute schedule after `cron_job` was created.
fn first_minute_after_creation(cron_job: &CronJob) -> Timestamp {
    let created = cron_job.metadata.creation_timestamp.as_ref().unwrap().0;
    Timestamp::from_second((created.as_second() / 60 + 1) * 60).unwrap()
}

fn seconds(seconds: i64) -> SignedDuration {
    SignedDuration::from_secs(seconds)
}

#[tokio::test]
async fn an_active_job_of_the_cron_job_is_in_its_status() {
    let test = Fixture::start().await;
    // Minute 1 of each hour, the book's: no run comes due while the clock stands still.
    let cron_job = test.create(cron_job("test-cronjob", "1 * * * *")).await;
    let scheduled_at = cron_job.metadata.creation_timestamp.as_ref().unwrap().0;
    test.create_owned_job(&cron_job, "test-job", scheduled_at)
        .await;

    eventually("the Job is active in the status", || async {
        let status = test.status("test-cronjob").await;
        status
            .active
            .iter()
            .any(|job| job.name.as_deref() == Some("test-job"))
    })
    .await;
    let status = test.status("test-cronjob").await;
    let active = &status.active[0];
    assert_eq!(
        (active.kind.as_deref(), active.api_version.as_deref()),
        (Some("Job"), Some("batch/v1"))
    );
    assert_eq!(
        status.last_schedule_time.map(|time| time.0),
        Some(scheduled_at)
    );

    // Once the Job completes, nothing is active; the last run stays.
    test.finish_job("test-job", scheduled_at, "Complete").await;
    eventually("no Job is active", || async {
        test.status("test-cronjob").await.active.is_empty()
    })
    .await;
    let status = test.status("test-cronjob").await;
    assert_eq!(
        status.last_schedule_time.map(|time| time.0),
        Some(scheduled_at)
    );
    test.assert_controller_running();
}

#[tokio::test]
async fn a_job_starts_at_each_run_as_the_concurrency_policy_says() {
    let test = Fixture::start().await;
    let names = ["allow", "forbid", "replace"];
    let mut created = Vec::new();
    for (name, policy) in names.into_iter().zip([
        ConcurrencyPolicy::Allow,
        ConcurrencyPolicy::Forbid,
        ConcurrencyPolicy::Replace,
    ]) {
        let mut every_minute = cron_job(name, "* * * * *");
        every_minute.spec.concurrency_policy = policy;
        created.push(test.create(every_minute).await);
    }
    // A run after all three were created (they may straddle a minute).
    let first = created
        .iter()
        .map(first_minute_after_creation)
        .max()
        .unwrap();
    let job = |name: &str, run: Timestamp| format!("{name}-{}", run.as_second());

    test.move_clock(first + seconds(1), &names).await;
    for name in names {
        test.wait_for_jobs(name, &[job(name, first)]).await;
    }
    // The Job as the controller made it: the template, the run, the owner.
    let made = test.jobs.get(&job("allow", first)).await.unwrap();
    assert_eq!(made.annotations()[SCHEDULED_AT], first.to_string());
    assert_eq!(made.labels()["app"], "hello");
    let owner = &made.owner_references()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.controller),
        ("CronJob", Some(true))
    );
    assert_eq!(Some(&owner.uid), created[0].metadata.uid.as_ref());
    let containers = &made.spec.unwrap().template.spec.unwrap().containers;
    assert_eq!(containers[0].image.as_deref(), Some("busybox:1.37"));
    test.wait_for_event("allow", "SuccessfulCreate").await;
    eventually("the status names the run and its Job", || async {
        let status = test.status("allow").await;
        status.last_schedule_time.map(|time| time.0) == Some(first) && status.active.len() == 1
    })
    .await;

    // The next run, while the first Jobs are still active.
    let second = first + seconds(60);
    test.move_clock(second + seconds(1), &names).await;
    test.wait_for_jobs("allow", &[job("allow", first), job("allow", second)])
        .await;
    test.wait_for_jobs("replace", &[job("replace", second)])
        .await;
    test.wait_for_event("forbid", "JobAlreadyActive").await;
    assert_eq!(test.job_names("forbid").await, [job("forbid", first)]);
    eventually("both Jobs of `allow` are active", || async {
        test.status("allow").await.active.len() == 2
    })
    .await;

    // Once the active Job finishes, Forbid lets the next run start.
    test.finish_job(&job("forbid", first), first, "Complete")
        .await;
    let third = second + seconds(60);
    test.move_clock(third + seconds(1), &["forbid"]).await;
    test.wait_for_jobs("forbid", &[job("forbid", first), job("forbid", third)])
        .await;
    test.assert_controller_running();
}

#[tokio::test]
async fn suspend_and_the_starting_deadline_hold_runs_back() {
    let test = Fixture::start().await;
    let mut paused = cron_job("paused", "* * * * *");
    paused.spec.suspend = Some(true);
    let paused = test.create(paused).await;
    let mut strict = cron_job("strict", "* * * * *");
    strict.spec.starting_deadline_seconds = Some(10);
    let strict = test.create(strict).await;
    let first = first_minute_after_creation(&paused).max(first_minute_after_creation(&strict));
    let job = |name: &str, run: Timestamp| format!("{name}-{}", run.as_second());

    // 30 s after a run: too late for `strict`, and `paused` is suspended.
    test.move_clock(first + seconds(30), &["paused", "strict"])
        .await;
    // A Job would appear within moments of the touch; give the controller a few seconds.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(test.job_names("paused").await.is_empty());
    assert!(test.job_names("strict").await.is_empty());

    // Resumed, `paused` starts the run it missed.
    let resume = json!({ "spec": { "suspend": false } });
    test.cron_jobs
        .patch("paused", &PatchParams::default(), &Patch::Merge(&resume))
        .await
        .unwrap();
    test.wait_for_jobs("paused", &[job("paused", first)]).await;

    // 5 s after the next run is within the deadline: that run starts, the late one never.
    let second = first + seconds(60);
    test.move_clock(second + seconds(5), &["strict"]).await;
    test.wait_for_jobs("strict", &[job("strict", second)]).await;
    test.assert_controller_running();
}

#[tokio::test]
async fn the_oldest_finished_jobs_beyond_the_history_limits_are_deleted() {
    let test = Fixture::start().await;
    let mut kept_short = cron_job("kept-short", "1 * * * *");
    kept_short.spec.successful_jobs_history_limit = Some(1);
    kept_short.spec.failed_jobs_history_limit = Some(1);
    let kept_short = test.create(kept_short).await;
    let created = kept_short.metadata.creation_timestamp.as_ref().unwrap().0;
    let names = [
        "succeeded-old",
        "succeeded-new",
        "failed-old",
        "failed-new",
        "running",
    ];
    for name in names {
        test.create_owned_job(&kept_short, name, created).await;
    }
    let hour_ago = created - seconds(3600);
    test.finish_job("succeeded-old", hour_ago, "Complete").await;
    test.finish_job("succeeded-new", created, "Complete").await;
    test.finish_job("failed-old", hour_ago, "Failed").await;
    test.finish_job("failed-new", created, "Failed").await;

    let expected = ["failed-new", "running", "succeeded-new"].map(String::from);
    test.wait_for_jobs("kept-short", &expected).await;
    eventually("only `running` is active", || async {
        let status = test.status("kept-short").await;
        status.active.len() == 1 && status.active[0].name.as_deref() == Some("running")
    })
    .await;
    test.wait_for_event("kept-short", "SuccessfulDelete").await;
    test.assert_controller_running();
}
