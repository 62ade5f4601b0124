//! Kubernetes Events recorded without making the reconcile wait for them.
//!
//! Publishing an Event is one API request. Awaited inside a reconcile, it holds one of the
//! controller's reconcile slots for that long: at startup, with thousands of objects changing
//! state at once, convergence waits on Events (`docs/benchmarks.md`). An [`EventPublisher`]
//! queues the Event and returns; a task publishes the queue in the background, as client-go's
//! event broadcaster does for controller-runtime.
//!
//! The task publishes by itself rather than through kube's `Recorder`, whose cache keeps every
//! Event it sent for six minutes, whole, and scans all of them at each new one: memory that
//! grows with every Event, and O(N²) work. Here an Event seen again within [`SERIES_WINDOW`] is
//! counted on the first one (`series`, as the API expects) from a record of a few dozen bytes,
//! and at most [`SERIES_RECORDS`] records are kept.

use std::{
    collections::{HashMap, VecDeque, hash_map::DefaultHasher},
    hash::{Hash, Hasher},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use k8s_openapi::{
    api::{
        core::v1::ObjectReference,
        events::v1::{Event as ApiEvent, EventSeries},
    },
    apimachinery::pkg::apis::meta::v1::MicroTime,
    jiff::Timestamp,
};
use kube::{
    Api, Client,
    api::{ObjectMeta, Patch, PatchParams, PostParams},
    runtime::events::{Event, EventType, Reporter},
};
use serde_json::json;
use tokio::{
    sync::{Semaphore, mpsc},
    task::JoinSet,
};
use tracing::warn;

/// Events waiting to be published beyond this are dropped (and counted in a warning): a
/// reconcile must never wait for an Event, and a queue that keeps growing would only move the
/// problem to memory. Sized for the burst of the largest benchmark, every Foo turning happy at
/// once; `docs/benchmarks.md` has what a smaller queue dropped and what a waiting Event costs.
pub const QUEUE_CAPACITY: usize = 32_768;

/// An Event repeated within this time of its last occurrence is counted on the first one
/// instead of being created again (kube's and client-go's six minutes).
pub const SERIES_WINDOW: Duration = Duration::from_secs(6 * 60);

/// At most this many Events are remembered for counting repeats (client-go's 4,096); beyond
/// it, the oldest is forgotten and its next repeat creates a new Event.
pub const SERIES_RECORDS: usize = 4096;

/// Events published at once by the background task while reconciles keep queuing them. Four:
/// at 10,000 Foos turning happy at startup, one at a time left the last Event 4 s after the last
/// status (the work finished later than controller-runtime's), and four cut that to about 1.5 s
/// for 7% more convergence time; eight gained little more and cost twice that
/// (`docs/benchmarks.md`).
const PUBLISHING_AT_ONCE: usize = 4;

/// Events published at once after none was queued for [`QUIET_AFTER`]: the reconciles that
/// queue them are done, so what is left of a burst goes out without holding up their status
/// writes.
const PUBLISHING_AT_ONCE_WHEN_QUIET: usize = 32;

/// How long no Event may be queued before the reconciles count as done with their burst.
const QUIET_AFTER: Duration = Duration::from_millis(100);

/// Records Events in the background: [`publish`](Self::publish) returns at once. Clones share
/// the queue; the task stops once every clone is dropped and the queue is empty.
///
/// ```no_run
/// # use kube::{Client, runtime::events::{Event, EventType, Reporter}};
/// # use k8s_openapi::api::core::v1::ObjectReference;
/// # fn example(client: Client, regarding: ObjectReference) {
/// let events = kube_operator_runtime::EventPublisher::new(client, Reporter::from("my-controller"));
/// events.publish(
///     Event {
///         type_: EventType::Normal,
///         reason: "Ready".into(),
///         note: Some("All replicas are up".into()),
///         action: "Reconcile".into(),
///         secondary: None,
///     },
///     regarding,
/// );
/// # }
/// ```
#[derive(Clone)]
pub struct EventPublisher {
    queue: mpsc::Sender<(Event, ObjectReference)>,
    dropped: Arc<AtomicU64>,
    activity: Arc<Activity>,
}

impl EventPublisher {
    /// Starts the background task, on the current Tokio runtime, that publishes as `reporter`
    /// (the Events' `reportingController` and `reportingInstance`).
    pub fn new(client: Client, reporter: Reporter) -> Self {
        let publisher = Arc::new(Publisher {
            client,
            reporter,
            series: Mutex::default(),
        });
        let (queue, waiting) = mpsc::channel::<(Event, ObjectReference)>(QUEUE_CAPACITY);
        let activity = Arc::new(Activity::new());
        tokio::spawn(publish_queued(waiting, publisher, activity.clone()));
        Self {
            queue,
            dropped: Arc::default(),
            activity,
        }
    }

    /// Queues `event` about the object `regarding` (`obj.object_ref(&())`) and returns without
    /// waiting. Drops it, with a warning, when [`QUEUE_CAPACITY`] Events are already waiting.
    pub fn publish(&self, event: Event, regarding: ObjectReference) {
        self.activity.queued();
        if let Err(mpsc::error::TrySendError::Full((event, regarding))) =
            self.queue.try_send((event, regarding))
        {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            // One line per power of two: a burst is reported without flooding the log.
            if dropped.is_power_of_two() {
                warn!(
                    reason = %event.reason,
                    object = regarding.name.as_deref().unwrap_or_default(),
                    dropped,
                    "event queue full; dropped events so far"
                );
            }
        }
    }

    /// How many Events were dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Publishes the queue until every [`EventPublisher`] is dropped and the queue is empty:
/// [`PUBLISHING_AT_ONCE`] at a time while Events keep coming, up to
/// [`PUBLISHING_AT_ONCE_WHEN_QUIET`] once they stopped.
async fn publish_queued(
    mut waiting: mpsc::Receiver<(Event, ObjectReference)>,
    publisher: Arc<Publisher>,
    activity: Arc<Activity>,
) {
    let slots = Arc::new(Semaphore::new(PUBLISHING_AT_ONCE_WHEN_QUIET));
    let busy_slots = Arc::new(Semaphore::new(PUBLISHING_AT_ONCE));
    let mut publishing = JoinSet::new();
    while let Some((event, regarding)) = waiting.recv().await {
        // The semaphores are never closed: a permit always comes.
        let slot = slots.clone().acquire_owned().await.ok();
        let busy_slot = tokio::select! {
            biased;
            () = activity.quiet() => None,
            slot = busy_slots.clone().acquire_owned() => slot.ok(),
        };
        let publisher = publisher.clone();
        publishing.spawn(async move {
            // Informational: the reconcile that asked for it has long finished.
            if let Err(err) = publisher.publish(&event, &regarding).await {
                warn!(
                    reason = %event.reason,
                    object = regarding.name.as_deref().unwrap_or_default(),
                    namespace = regarding.namespace.as_deref().unwrap_or_default(),
                    error = %err,
                    "failed to publish event"
                );
            }
            drop((slot, busy_slot));
        });
        while publishing.try_join_next().is_some() {}
    }
    while publishing.join_next().await.is_some() {}
}

/// When an Event was last queued, as seen by the publishing task.
struct Activity {
    started: tokio::time::Instant,
    /// Milliseconds from `started` to the last `queued`.
    last_queued: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            started: tokio::time::Instant::now(),
            last_queued: AtomicU64::new(0),
        }
    }

    fn queued(&self) {
        let now = self.started.elapsed().as_millis();
        self.last_queued
            .store(u64::try_from(now).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Resolves once no Event was queued for [`QUIET_AFTER`].
    async fn quiet(&self) {
        loop {
            let last = Duration::from_millis(self.last_queued.load(Ordering::Relaxed));
            let since = self.started.elapsed().saturating_sub(last);
            if since >= QUIET_AFTER {
                return;
            }
            tokio::time::sleep(QUIET_AFTER - since).await;
        }
    }
}

struct Publisher {
    client: Client,
    reporter: Reporter,
    series: Mutex<SeriesRecords>,
}

impl Publisher {
    /// Creates the Event, or counts it on the Event it repeats.
    async fn publish(&self, event: &Event, regarding: &ObjectReference) -> kube::Result<()> {
        // Cluster-scoped objects get their Events in `default`, as kubectl looks for them.
        let namespace = regarding.namespace.as_deref().unwrap_or("default");
        let events = Api::<ApiEvent>::namespaced(self.client.clone(), namespace);
        let key = self.key(event, regarding);
        let now = Instant::now();
        let repeated = self.records().repeat(key, now);
        if let Some((name, count)) = repeated {
            let patch = json!({
                "series": EventSeries {
                    count,
                    last_observed_time: MicroTime(Timestamp::now()),
                }
            });
            match events
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => return Ok(()),
                // Deleted meanwhile (Events expire after an hour): start a new one.
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(err) => return Err(err),
            }
        }
        let created = events
            .create(&PostParams::default(), &self.new_event(event, regarding))
            .await?;
        if let Some(name) = created.metadata.name {
            self.records().insert(key, name, now);
        }
        Ok(())
    }

    fn records(&self) -> std::sync::MutexGuard<'_, SeriesRecords> {
        self.series.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What makes two Events the same occurrence, as the API defines a series: everything but
    /// the note and the time.
    fn key(&self, event: &Event, regarding: &ObjectReference) -> u64 {
        let mut hasher = DefaultHasher::new();
        (event.type_ == EventType::Normal).hash(&mut hasher);
        event.reason.hash(&mut hasher);
        event.action.hash(&mut hasher);
        for reference in std::iter::once(regarding).chain(event.secondary.as_ref()) {
            reference.api_version.hash(&mut hasher);
            reference.kind.hash(&mut hasher);
            reference.namespace.hash(&mut hasher);
            reference.name.hash(&mut hasher);
            reference.uid.hash(&mut hasher);
        }
        hasher.finish()
    }

    fn new_event(&self, event: &Event, regarding: &ObjectReference) -> ApiEvent {
        let now = Timestamp::now();
        let controller = &self.reporter.controller;
        ApiEvent {
            metadata: ObjectMeta {
                // Unique enough, and sorted by time, as client-go names them.
                name: Some(format!(
                    "{}.{:x}",
                    regarding.name.as_deref().unwrap_or(controller),
                    now.as_nanosecond()
                )),
                namespace: regarding.namespace.clone(),
                ..ObjectMeta::default()
            },
            event_time: Some(MicroTime(now)),
            type_: Some(
                match event.type_ {
                    EventType::Normal => "Normal",
                    EventType::Warning => "Warning",
                }
                .into(),
            ),
            reason: Some(event.reason.clone()),
            action: Some(event.action.clone()),
            note: event.note.clone(),
            regarding: Some(regarding.clone()),
            related: event.secondary.clone(),
            reporting_controller: Some(controller.clone()),
            reporting_instance: Some(
                self.reporter
                    .instance
                    .clone()
                    .unwrap_or_else(|| controller.clone()),
            ),
            ..ApiEvent::default()
        }
    }
}

/// The Events published lately, by key: enough to count a repeat on the first occurrence.
#[derive(Default)]
struct SeriesRecords {
    by_key: HashMap<u64, SeriesRecord>,
    /// Keys in the order they were last seen; a key seen again is pushed again, and its older
    /// places are skipped when they come up.
    seen: VecDeque<(u64, Instant)>,
}

struct SeriesRecord {
    name: String,
    count: i32,
    last_seen: Instant,
}

impl SeriesRecords {
    /// The Event that `key` repeats and its new count, if one was seen within the window.
    fn repeat(&mut self, key: u64, now: Instant) -> Option<(String, i32)> {
        self.forget_old(now);
        let record = self.by_key.get_mut(&key)?;
        record.count = record.count.saturating_add(1);
        record.last_seen = now;
        self.seen.push_back((key, now));
        Some((record.name.clone(), record.count))
    }

    fn insert(&mut self, key: u64, name: String, now: Instant) {
        self.by_key.insert(
            key,
            SeriesRecord {
                name,
                count: 1,
                last_seen: now,
            },
        );
        self.seen.push_back((key, now));
        self.forget_old(now);
    }

    /// Drops the records last seen before the window, and the oldest beyond the limit.
    fn forget_old(&mut self, now: Instant) {
        while let Some(&(key, seen)) = self.seen.front() {
            let current = self.by_key.get(&key).is_some_and(|r| r.last_seen == seen);
            let expired = now.duration_since(seen) > SERIES_WINDOW;
            if !current {
                self.seen.pop_front();
            } else if expired || self.by_key.len() > SERIES_RECORDS {
                self.by_key.remove(&key);
                self.seen.pop_front();
            } else {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::runtime::events::EventType;

    fn event(reason: &str) -> Event {
        Event {
            type_: EventType::Normal,
            reason: reason.into(),
            note: None,
            action: "Reconcile".into(),
            secondary: None,
        }
    }

    fn regarding(name: &str) -> ObjectReference {
        ObjectReference {
            api_version: Some("v1".into()),
            kind: Some("ConfigMap".into()),
            name: Some(name.into()),
            namespace: Some("default".into()),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn publish_returns_before_the_api_server_answers() {
        let (client, mut handle) = crate::test_support::mock_client();
        let events = EventPublisher::new(client, Reporter::from("test"));

        // Nobody answers yet: publishing must not wait.
        events.publish(event("FriendFound"), regarding("foo-01"));

        let (request, respond) = handle.next_request().await.unwrap();
        assert_eq!(request.method(), http::Method::POST);
        assert_eq!(
            request.uri().path(),
            "/apis/events.k8s.io/v1/namespaces/default/events"
        );
        let body = kube::client::Body::collect_bytes(request.into_body())
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["reason"], "FriendFound");
        assert_eq!(body["regarding"]["name"], "foo-01");
        respond.send_response(http::Response::new(kube::client::Body::from(
            body.to_string().into_bytes(),
        )));
        assert_eq!(events.dropped(), 0);
    }

    #[tokio::test]
    async fn a_repeated_event_is_counted_on_the_first_one() {
        let (client, mut handle) = crate::test_support::mock_client();
        let reporter = Reporter {
            controller: "test".into(),
            instance: Some("test-7d9f".into()),
        };
        let events = EventPublisher::new(client, reporter);

        events.publish(event("FriendLost"), regarding("foo-01"));
        let (request, respond) = handle.next_request().await.unwrap();
        assert_eq!(request.method(), http::Method::POST);
        let body = kube::client::Body::collect_bytes(request.into_body())
            .await
            .unwrap();
        let created: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let name = created["metadata"]["name"].as_str().unwrap().to_string();
        assert!(name.starts_with("foo-01."), "{name}");
        assert_eq!(created["reportingController"], "test");
        assert_eq!(created["reportingInstance"], "test-7d9f");
        respond.send_response(http::Response::new(kube::client::Body::from(body.to_vec())));

        // Again, about the same object: a count on the first Event, not a second Event.
        events.publish(event("FriendLost"), regarding("foo-01"));
        let (request, respond) = handle.next_request().await.unwrap();
        assert_eq!(request.method(), http::Method::PATCH);
        assert_eq!(
            request.uri().path(),
            format!("/apis/events.k8s.io/v1/namespaces/default/events/{name}")
        );
        let body = kube::client::Body::collect_bytes(request.into_body())
            .await
            .unwrap();
        let patch: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(patch["series"]["count"], 2);
        assert!(patch["series"]["lastObservedTime"].is_string(), "{patch}");
        respond.send_response(http::Response::new(kube::client::Body::from(
            created.to_string().into_bytes(),
        )));

        // About another object: a new Event.
        events.publish(event("FriendLost"), regarding("foo-02"));
        let (request, _respond) = handle.next_request().await.unwrap();
        assert_eq!(request.method(), http::Method::POST);
    }

    #[test]
    fn series_records_forget_what_is_old_or_too_many() {
        let mut records = SeriesRecords::default();
        let start = Instant::now();
        records.insert(1, "first".into(), start);
        assert_eq!(records.repeat(1, start), Some(("first".into(), 2)));
        // Within the window of its last repeat, not of its creation.
        let later = start + SERIES_WINDOW - Duration::from_secs(1);
        assert_eq!(records.repeat(1, later), Some(("first".into(), 3)));
        let much_later = later + SERIES_WINDOW + Duration::from_secs(1);
        assert_eq!(records.repeat(1, much_later), None);

        for key in 0..SERIES_RECORDS as u64 + 10 {
            records.insert(key, format!("event-{key}"), much_later);
        }
        assert!(records.by_key.len() <= SERIES_RECORDS + 1);
        assert_eq!(records.repeat(0, much_later), None, "the oldest stays");
        let last = SERIES_RECORDS as u64 + 9;
        assert!(records.repeat(last, much_later).is_some());
    }

    #[tokio::test]
    async fn a_full_queue_drops_events_instead_of_waiting() {
        let (client, _handle) = crate::test_support::mock_client();
        let events = EventPublisher::new(client, Reporter::from("test"));

        // The API server never answers: the publishing task holds a few, the queue the rest.
        for i in 0..QUEUE_CAPACITY + 100 {
            events.publish(event("Tick"), regarding(&format!("cm-{i}")));
        }

        let dropped = events.dropped();
        let held_at_most = PUBLISHING_AT_ONCE_WHEN_QUIET as u64 + 1;
        assert!(
            (100 - held_at_most..=100).contains(&dropped),
            "{dropped} dropped"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_few_at_once_while_events_keep_coming_then_the_rest_at_once() {
        let (client, mut handle) = crate::test_support::mock_client();
        let events = EventPublisher::new(client, Reporter::from("test"));
        let burst = PUBLISHING_AT_ONCE + 6;
        for i in 0..burst {
            events.publish(event("Tick"), regarding(&format!("cm-{i}")));
        }

        // Nothing answered: the first few are in flight, and no more while Events just came.
        let mut unanswered = Vec::new();
        for _ in 0..PUBLISHING_AT_ONCE {
            unanswered.push(handle.next_request().await.unwrap());
        }
        let early = QUIET_AFTER / 2;
        let more = tokio::time::timeout(early, handle.next_request()).await;
        assert!(
            more.is_err(),
            "more than {PUBLISHING_AT_ONCE} at once while busy"
        );

        // Quiet since: the rest go out without waiting for the first ones' answers.
        for _ in PUBLISHING_AT_ONCE..burst {
            let next = tokio::time::timeout(QUIET_AFTER * 2, handle.next_request()).await;
            unanswered.push(next.expect("the rest published once quiet").unwrap());
        }
        assert_eq!(unanswered.len(), burst);
    }
}
