//! Leader election on a Lease, so that one replica reconciles while the others stand by.
//!
//! The timings and rules are client-go's, which controller-runtime uses: a standby tries every
//! retry period and takes a Lease that is free, or whose holder has not renewed it for the
//! Lease's duration *as this process observed it* (so that clocks need not agree). Every write
//! carries the `resourceVersion` it was decided on, so two candidates never both win.
//!
//! Unlike client-go, a leader that finds its Lease deleted gives up rather than recreating it:
//! someone removed it on purpose, and a standby may already be creating its own. A leader also
//! gives up at once when another identity holds the Lease, and when it could not renew within its
//! renew deadline; the manager then exits so that Kubernetes restarts it as a standby.

use std::{
    hash::{BuildHasher, RandomState},
    time::Duration,
};

use k8s_openapi::{
    api::coordination::v1::{Lease, LeaseSpec},
    apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta},
    jiff::Timestamp,
};
use kube::{
    Api, Client,
    api::{Patch, PatchParams, PostParams},
};
use serde_json::json;
use tokio::{sync::watch, task::JoinHandle, time::Instant};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::LEASE_RELEASE_TIMEOUT;
use crate::error::Error;

/// How long a Lease lasts and how often it is renewed, from the manager's `--leader-elect-*`
/// flags (whose defaults are client-go's: 15 s, 10 s, 2 s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Timings {
    /// How long a Lease stays held without renewal: a standby takes over at most this long
    /// (plus one retry) after the leader died. Whole seconds, as the Lease records it.
    pub lease_duration: Duration,
    /// A leader that could not renew for this long stops leading, before its Lease can expire.
    pub renew_deadline: Duration,
    /// How often a leader renews and a standby tries to acquire.
    pub retry_period: Duration,
}

/// Retries wait up to this much longer than the period, so that standbys do not try in step.
const JITTER: f64 = 1.2;

impl Timings {
    /// Refuses timings under which a leader could lose its Lease to a standby while it still
    /// believes it leads, with what to change.
    pub fn check(self) -> Result<Self, String> {
        if self.renew_deadline >= self.lease_duration {
            return Err(format!(
                "--leader-elect-renew-deadline ({:?}) must be shorter than \
                 --leader-elect-lease-duration ({:?}): a leader must give up before a standby \
                 may take its Lease",
                self.renew_deadline, self.lease_duration
            ));
        }
        if self.retry_period.mul_f64(JITTER) >= self.renew_deadline {
            return Err(format!(
                "--leader-elect-retry-period ({:?}) must be under --leader-elect-renew-deadline \
                 ({:?}) divided by {JITTER}: a leader must have a chance to renew before its \
                 deadline",
                self.retry_period, self.renew_deadline
            ));
        }
        Ok(self)
    }
}

/// Where this process stands in the election.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Standing {
    Standby,
    Leading,
    /// It led and no longer does, for the reason given.
    Lost(String),
}

/// A running candidacy for the Lease.
pub(super) struct Candidate {
    standing: watch::Receiver<Standing>,
    stop: CancellationToken,
    election: JoinHandle<()>,
}

impl Candidate {
    /// Starts competing for the Lease `name` in `namespace`, creating it if needed.
    pub fn start(client: Client, name: &str, namespace: &str, timings: Timings) -> Self {
        let lock = LeaseLock {
            timings,
            api: Api::namespaced(client, namespace),
            name: name.to_owned(),
            lease: format!("{namespace}/{name}"),
            identity: identity(),
            observed: None,
        };
        let (standing, receiver) = watch::channel(Standing::Standby);
        let stop = CancellationToken::new();
        let election = tokio::spawn(lock.elect(standing, stop.clone()));
        Self {
            standing: receiver,
            stop,
            election,
        }
    }

    /// Waits until this manager leads; `false` if the election stopped first.
    pub async fn acquired(&mut self) -> bool {
        matches!(
            self.standing
                .wait_for(|standing| *standing != Standing::Standby)
                .await
                .as_deref(),
            Ok(Standing::Leading)
        )
    }

    /// Waits until this manager no longer leads, and says why.
    pub async fn lost(&mut self) -> String {
        match self
            .standing
            .wait_for(|standing| matches!(standing, Standing::Lost(_)))
            .await
            .as_deref()
        {
            Ok(Standing::Lost(reason)) => reason.clone(),
            _ => "the election stopped".into(),
        }
    }

    /// Stops competing and gives the Lease up if held, so that a standby takes it at once
    /// instead of waiting for it to expire.
    pub async fn release(self) {
        self.stop.cancel();
        match tokio::time::timeout(LEASE_RELEASE_TIMEOUT, self.election).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => warn!(error = %err, "leader election task failed"),
            Err(_) => {
                warn!(timeout = ?LEASE_RELEASE_TIMEOUT, "releasing the leader lease timed out")
            }
        }
    }
}

/// One process's view of the Lease.
struct LeaseLock {
    api: Api<Lease>,
    name: String,
    /// `namespace/name`, for messages.
    lease: String,
    identity: String,
    timings: Timings,
    /// The last holder record seen, and when it was first seen.
    observed: Option<Observed>,
}

/// The answer to a leader's renewal.
enum Renewal {
    Renewed,
    /// Someone wrote the Lease between our read and our write: read again.
    Conflict,
    Lost(String),
}

impl LeaseLock {
    /// Stands by until the Lease is acquired, then leads until it is lost or `stop` is
    /// cancelled; `standing` follows along.
    async fn elect(mut self, standing: watch::Sender<Standing>, stop: CancellationToken) {
        let Timings {
            renew_deadline,
            retry_period,
            ..
        } = self.timings;
        loop {
            match self.try_acquire().await {
                Ok(true) => break,
                Ok(false) => {}
                Err(err) => self.warn("cannot acquire the leader lease, retrying", err),
            }
            tokio::select! {
                () = tokio::time::sleep(jittered(retry_period)) => {}
                () = stop.cancelled() => return,
            }
        }
        standing.send_replace(Standing::Leading);

        let mut renewed = Instant::now();
        loop {
            tokio::select! {
                () = tokio::time::sleep(retry_period) => {}
                () = stop.cancelled() => return self.release().await,
            }
            // A request that hangs must not carry the leader past its deadline.
            let left = renew_deadline.saturating_sub(renewed.elapsed());
            let outcome = tokio::time::timeout(left, self.renew()).await;
            match outcome {
                Ok(Ok(Renewal::Renewed)) => renewed = Instant::now(),
                Ok(Ok(Renewal::Conflict)) => {}
                Ok(Ok(Renewal::Lost(reason))) => {
                    standing.send_replace(Standing::Lost(reason));
                    return;
                }
                Ok(Err(err)) => self.warn("cannot renew the leader lease, retrying", err),
                Err(_) => {}
            }
            if renewed.elapsed() >= renew_deadline {
                let reason = format!("could not renew it for {renew_deadline:?}");
                standing.send_replace(Standing::Lost(reason));
                return;
            }
        }
    }

    /// One standby's attempt: `true` once this process holds the Lease.
    async fn try_acquire(&mut self) -> Result<bool, kube::Error> {
        let Some(lease) = self.api.get_opt(&self.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.name.clone()),
                    ..Default::default()
                },
                spec: Some(self.claim(0)),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(err) if is_conflict(&err) => Ok(false),
                Err(err) => Err(err),
            };
        };
        let spec = lease.spec.unwrap_or_default();
        if holder(&spec).is_some_and(|holder| holder != self.identity) {
            let observed = Observed::update(
                self.observed.take(),
                &spec,
                self.timings.lease_duration,
                Instant::now(),
            );
            let expired = observed.expired(Instant::now());
            self.observed = Some(observed);
            if !expired {
                return Ok(false);
            }
            debug!(lease = %self.lease, holder = ?spec.holder_identity, "the leader lease expired");
        }
        let transitions = spec.lease_transitions.unwrap_or(0) + 1;
        let spec = serde_json::to_value(self.claim(transitions)).unwrap_or_default();
        self.patch_if_unchanged(lease.metadata.resource_version, spec)
            .await
    }

    /// One leader's renewal.
    async fn renew(&mut self) -> Result<Renewal, kube::Error> {
        let Some(lease) = self.api.get_opt(&self.name).await? else {
            return Ok(Renewal::Lost("the Lease was deleted".into()));
        };
        let spec = lease.spec.unwrap_or_default();
        match holder(&spec) {
            Some(holder) if holder == self.identity => {}
            Some(holder) => return Ok(Renewal::Lost(format!("{holder} holds the Lease now"))),
            None => {
                return Ok(Renewal::Lost(
                    "the Lease was released by someone else".into(),
                ));
            }
        }
        let renewal = json!({ "renewTime": MicroTime(Timestamp::now()) });
        Ok(
            if self
                .patch_if_unchanged(lease.metadata.resource_version, renewal)
                .await?
            {
                Renewal::Renewed
            } else {
                Renewal::Conflict
            },
        )
    }

    /// Gives the Lease up if this process still holds it.
    async fn release(&mut self) {
        let released = async {
            let Some(lease) = self.api.get_opt(&self.name).await? else {
                return Ok(());
            };
            if lease.spec.as_ref().and_then(holder) != Some(self.identity.as_str()) {
                return Ok(());
            }
            let release = json!({
                "holderIdentity": null,
                "leaseDurationSeconds": 1,
                "renewTime": MicroTime(Timestamp::now()),
            });
            self.patch_if_unchanged(lease.metadata.resource_version, release)
                .await
                .map(drop)
        };
        if let Err(err) = released.await {
            self.warn("could not release the leader lease", err);
        }
    }

    /// Merges `spec` into the Lease unless it changed since `resource_version`: `false` if it
    /// did.
    async fn patch_if_unchanged(
        &self,
        resource_version: Option<String>,
        spec: serde_json::Value,
    ) -> Result<bool, kube::Error> {
        let patch = json!({
            "metadata": { "resourceVersion": resource_version },
            "spec": spec,
        });
        match self
            .api
            .patch(&self.name, &PatchParams::default(), &Patch::Merge(patch))
            .await
        {
            Ok(_) => Ok(true),
            Err(err) if is_conflict(&err) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// The Lease as this process holds it, having changed hands `transitions` times.
    fn claim(&self, transitions: i32) -> LeaseSpec {
        let now = MicroTime(Timestamp::now());
        LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: Some(
                i32::try_from(self.timings.lease_duration.as_secs()).unwrap_or(i32::MAX),
            ),
            acquire_time: Some(now.clone()),
            renew_time: Some(now),
            lease_transitions: Some(transitions),
            ..Default::default()
        }
    }

    fn warn(&self, what: &str, source: kube::Error) {
        let error = Error::LeaderElection {
            lease: self.lease.clone(),
            source,
        };
        warn!(error = %error, "{what}");
    }
}

/// A holder record, and the moment this process first saw it.
#[derive(Debug)]
struct Observed {
    holder: Option<String>,
    renew_time: Option<MicroTime>,
    duration: Duration,
    since: Instant,
}

impl Observed {
    /// What was observed after reading `spec` at `now`: the record's age restarts whenever the
    /// holder renews or changes. A record without a duration lasts `default_duration`.
    fn update(
        previous: Option<Self>,
        spec: &LeaseSpec,
        default_duration: Duration,
        now: Instant,
    ) -> Self {
        let duration = spec
            .lease_duration_seconds
            .and_then(|seconds| u64::try_from(seconds).ok())
            .map_or(default_duration, Duration::from_secs);
        match previous {
            Some(previous)
                if previous.holder == spec.holder_identity
                    && previous.renew_time == spec.renew_time
                    && previous.duration == duration =>
            {
                previous
            }
            _ => Self {
                holder: spec.holder_identity.clone(),
                renew_time: spec.renew_time.clone(),
                duration,
                since: now,
            },
        }
    }

    /// Whether the holder has gone a whole Lease duration without renewing, as seen from here.
    fn expired(&self, now: Instant) -> bool {
        now.duration_since(self.since) >= self.duration
    }
}

/// The Lease's holder, if it has one.
fn holder(spec: &LeaseSpec) -> Option<&str> {
    spec.holder_identity
        .as_deref()
        .filter(|holder| !holder.is_empty())
}

fn is_conflict(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(status) if status.code == 409)
}

/// `period` stretched by up to a fifth, so that standbys started together do not try in step.
fn jittered(period: Duration) -> Duration {
    let spread = RandomState::new().hash_one(Instant::now()) % 1000;
    period + period.mul_f64((JITTER - 1.0) * spread as f64 / 1000.0)
}

/// Names this process in the Lease: the Pod name (`HOSTNAME`) when there is one, and a random
/// suffix, since a restarted container keeps its Pod's name.
fn identity() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "manager".into());
    let suffix = RandomState::new().hash_one(std::process::id());
    format!("{host}_{suffix:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE_DURATION: Duration = Duration::from_secs(15);
    const RETRY_PERIOD: Duration = Duration::from_secs(2);

    fn spec(holder: &str, renewed_at_second: i64) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(holder.into()),
            renew_time: Some(MicroTime(
                Timestamp::from_second(renewed_at_second).unwrap(),
            )),
            lease_duration_seconds: Some(15),
            ..Default::default()
        }
    }

    #[test]
    fn a_holder_that_keeps_renewing_never_expires() {
        let start = Instant::now();
        let mut observed = Observed::update(None, &spec("a", 100), LEASE_DURATION, start);
        for round in 1..20 {
            let now = start + RETRY_PERIOD * round;
            observed = Observed::update(
                Some(observed),
                &spec("a", 100 + 2 * i64::from(round)),
                LEASE_DURATION,
                now,
            );
            assert!(!observed.expired(now));
        }
    }

    #[test]
    fn a_silent_holder_expires_a_lease_duration_after_it_was_first_seen() {
        let start = Instant::now();
        let mut observed = Observed::update(None, &spec("a", 100), LEASE_DURATION, start);
        // The renew time is in the past by any clock: only what this process saw counts.
        observed = Observed::update(
            Some(observed),
            &spec("a", 100),
            LEASE_DURATION,
            start + Duration::from_secs(14),
        );
        assert!(!observed.expired(start + Duration::from_secs(14)));
        assert!(observed.expired(start + LEASE_DURATION));
    }

    #[test]
    fn a_new_holder_restarts_the_clock() {
        let start = Instant::now();
        let observed = Observed::update(None, &spec("a", 100), LEASE_DURATION, start);
        let later = start + Duration::from_secs(14);
        let observed = Observed::update(Some(observed), &spec("thief", 100), LEASE_DURATION, later);
        assert!(!observed.expired(start + LEASE_DURATION));
        assert!(observed.expired(later + LEASE_DURATION));
    }

    #[test]
    fn an_empty_holder_is_no_holder() {
        assert_eq!(holder(&spec("", 1)), None);
        assert_eq!(holder(&LeaseSpec::default()), None);
        assert_eq!(holder(&spec("a", 1)), Some("a"));
    }

    #[test]
    fn timings_that_let_two_leaders_overlap_are_refused() {
        let seconds = Duration::from_secs;
        let timings = |lease, renew, retry| Timings {
            lease_duration: seconds(lease),
            renew_deadline: seconds(renew),
            retry_period: seconds(retry),
        };
        assert_eq!(timings(15, 10, 2).check(), Ok(timings(15, 10, 2)));
        assert!(timings(4, 3, 1).check().is_ok());
        let error = timings(15, 15, 2).check().unwrap_err();
        assert!(error.starts_with("--leader-elect-renew-deadline (15s) must be shorter than --leader-elect-lease-duration (15s)"), "{error}");
        let error = timings(15, 10, 9).check().unwrap_err();
        assert!(
            error.starts_with("--leader-elect-retry-period (9s) must be under"),
            "{error}"
        );
    }

    #[test]
    fn retries_spread_over_a_fifth_of_the_period() {
        for _ in 0..100 {
            let wait = jittered(RETRY_PERIOD);
            assert!(
                wait >= RETRY_PERIOD && wait <= RETRY_PERIOD.mul_f64(1.2),
                "{wait:?}"
            );
        }
    }
}
