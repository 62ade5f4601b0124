//! What the manager serves on `/metrics`: reconcile counts, errors and durations per controller,
//! leadership, and the usual process metrics.
//!
//! The series carry controller-runtime's names and labels, so the dashboards and alerts written
//! for Kubebuilder operators that query them work unchanged:
//!
//! | series | labels |
//! |---|---|
//! | `controller_runtime_reconcile_total` | `controller`, `result` (`success`, `error`) |
//! | `controller_runtime_reconcile_errors_total` | `controller`, and `reason` (ours) |
//! | `controller_runtime_reconcile_time_seconds` (histogram) | `controller` |
//! | `controller_runtime_active_workers` | `controller` |
//! | `controller_runtime_max_concurrent_reconciles` | `controller` |
//! | `leader_election_master_status` | `name` |
//! | `controller_runtime_webhook_requests_total` | `webhook` (its path), `code` (HTTP status) |
//! | `controller_runtime_webhook_latency_seconds` (histogram) | `webhook` |
//! | `process_cpu_seconds_total`, `process_resident_memory_bytes`, `process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds`, `process_threads`, `process_start_time_seconds` | |
//!
//! A project adds its own series with [`Metrics::register`] (controller-runtime's
//! `metrics.Registry.MustRegister`), through the `metrics` of the `Shared` handle each
//! controller gets; they are served on the same `/metrics`.
//!
//! Not served: controller-runtime's `workqueue_*` series (kube's controller has no work queue
//! to measure; its scheduler is internal), `rest_client_*`, and the `requeue`/`requeue_after`
//! results (kube requeues every successful reconcile through its `Action`).

use std::{collections::BTreeSet, future::Future, sync::Mutex, time::Instant};

use kube::runtime::controller::Action;
use prometheus_client::{
    collector::Collector,
    encoding::{
        DescriptorEncoder, EncodeLabelSet, EncodeMetric,
        text::{encode_eof, encode_registry},
    },
    metrics::{
        counter::{ConstCounter, Counter},
        family::Family,
        gauge::{ConstGauge, Gauge},
        histogram::{Histogram, exponential_buckets},
    },
    registry::{Metric, Registry},
};

use crate::{concurrency::MAX_CONCURRENT_RECONCILES, error::Error};

/// The crate the metric types come from (`Counter`, `Gauge`, `Histogram`, `Family`), for
/// [`Metrics::register`], so a project needs no dependency of its own on it.
pub use prometheus_client;

/// The `reason` label that `controller_runtime_reconcile_errors_total` gives a failed
/// reconcile: a short, stable name for the kind of failure, such as `Conflict` or `NotFound`.
///
/// ```
/// use kube_operator_runtime::metrics::ErrorReason;
///
/// #[derive(Debug, thiserror::Error)]
/// enum Error {
///     #[error(transparent)]
///     Kube(#[from] kube::Error),
///     #[error("object has no {0}")]
///     MissingField(&'static str),
/// }
///
/// impl ErrorReason for Error {
///     fn reason(&self) -> &'static str {
///         match self {
///             Self::Kube(err) => err.reason(),
///             Self::MissingField(_) => "MissingField",
///         }
///     }
/// }
/// # assert_eq!(Error::MissingField("x").reason(), "MissingField");
/// ```
pub trait ErrorReason {
    /// The label value; keep the set small, since each value is a time series.
    fn reason(&self) -> &'static str;
}

impl ErrorReason for kube::Error {
    fn reason(&self) -> &'static str {
        match self {
            kube::Error::Api(status) => match status.code {
                403 => "Forbidden",
                404 => "NotFound",
                409 => "Conflict",
                422 => "Invalid",
                429 => "TooManyRequests",
                500.. => "ServerError",
                _ => "ApiError",
            },
            _ => "ClientError",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ControllerLabels {
    controller: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    controller: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    controller: &'static str,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LeaseLabels {
    name: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    webhook: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookCodeLabels {
    webhook: String,
    code: String,
}

type HistogramFamily = Family<ControllerLabels, Histogram, fn() -> Histogram>;
type WebhookHistogramFamily = Family<WebhookLabels, Histogram, fn() -> Histogram>;

/// Every metric of the manager, and the registry that encodes them. The manager makes one;
/// each controller records into it through [`ReconcileMetrics`].
///
/// ```
/// use kube_operator_runtime::metrics::Metrics;
///
/// let metrics = Metrics::default();
/// metrics.set_leader("widgets.example.com", true);
/// assert!(metrics.encode().contains(r#"leader_election_master_status{name="widgets.example.com"} 1"#));
/// ```
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    reconciles: Family<ResultLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    durations: HistogramFamily,
    active_workers: Family<ControllerLabels, Gauge>,
    max_concurrent: Family<ControllerLabels, Gauge>,
    leader: Family<LeaseLabels, Gauge>,
    webhook_requests: Family<WebhookCodeLabels, Counter>,
    webhook_latency: WebhookHistogramFamily,
    /// The project's own series, added after the manager started serving.
    custom: Mutex<CustomSeries>,
}

#[derive(Debug, Default)]
struct CustomSeries {
    registry: Registry,
    names: BTreeSet<String>,
}

/// The prefixes of the series the runtime serves itself; a project's own series may not use
/// them, so no dashboard or alert reads a series of the wrong meaning.
const RUNTIME_PREFIXES: &[&str] = &["controller_runtime_", "leader_election_", "process_"];

impl Default for Metrics {
    fn default() -> Self {
        let reconciles = Family::<ResultLabels, Counter>::default();
        let errors = Family::<ErrorLabels, Counter>::default();
        // 5 ms to about 80 s: from a cache-only reconcile to one stuck behind API retries.
        let durations: HistogramFamily =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.005, 2.0, 15)));
        let active_workers = Family::<ControllerLabels, Gauge>::default();
        let max_concurrent = Family::<ControllerLabels, Gauge>::default();
        let leader = Family::<LeaseLabels, Gauge>::default();
        let webhook_requests = Family::<WebhookCodeLabels, Counter>::default();
        // Prometheus's default buckets, as controller-runtime uses: 5 ms to 10 s.
        let webhook_latency: WebhookHistogramFamily = Family::new_with_constructor(|| {
            Histogram::new([
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
        });

        let mut registry = Registry::default();
        registry.register(
            "controller_runtime_reconcile",
            "Reconciles per controller and result (success or error)",
            reconciles.clone(),
        );
        registry.register(
            "controller_runtime_reconcile_errors",
            "Failed reconciles per controller and error reason",
            errors.clone(),
        );
        registry.register(
            "controller_runtime_reconcile_time_seconds",
            "How long each reconcile took, per controller",
            durations.clone(),
        );
        registry.register(
            "controller_runtime_active_workers",
            "Reconciles running now, per controller",
            active_workers.clone(),
        );
        registry.register(
            "controller_runtime_max_concurrent_reconciles",
            "How many reconciles a controller runs at most at once",
            max_concurrent.clone(),
        );
        registry.register(
            "leader_election_master_status",
            "1 while this manager holds the leader Lease, 0 while it stands by",
            leader.clone(),
        );
        registry.register(
            "controller_runtime_webhook_requests",
            "Admission and conversion requests per webhook and HTTP status code",
            webhook_requests.clone(),
        );
        registry.register(
            "controller_runtime_webhook_latency_seconds",
            "How long each webhook took to answer",
            webhook_latency.clone(),
        );
        registry.register_collector(Box::new(ProcessCollector));
        Self {
            registry,
            reconciles,
            errors,
            durations,
            active_workers,
            max_concurrent,
            leader,
            webhook_requests,
            webhook_latency,
            custom: Mutex::default(),
        }
    }
}

impl Metrics {
    /// The handle a controller records its reconciles with, running at most
    /// [`MAX_CONCURRENT_RECONCILES`] at once.
    pub fn controller(&self, controller: &'static str) -> ReconcileMetrics {
        self.controller_with_concurrency(controller, MAX_CONCURRENT_RECONCILES)
    }

    /// The handle a controller that runs at most `concurrency` reconciles at once records its
    /// reconciles with (0: no limit, reported as 0).
    pub fn controller_with_concurrency(
        &self,
        controller: &'static str,
        concurrency: u16,
    ) -> ReconcileMetrics {
        self.max_concurrent
            .get_or_create(&ControllerLabels { controller })
            .set(i64::from(concurrency));
        ReconcileMetrics {
            controller,
            reconciles: self.reconciles.clone(),
            errors: self.errors.clone(),
            durations: self.durations.clone(),
            active_workers: self.active_workers.clone(),
        }
    }

    /// Records a request the webhook server answered at `webhook` (its path).
    pub fn webhook_request(&self, webhook: &str, code: u16, elapsed: std::time::Duration) {
        self.webhook_requests
            .get_or_create(&WebhookCodeLabels {
                webhook: webhook.into(),
                code: code.to_string(),
            })
            .inc();
        self.webhook_latency
            .get_or_create(&WebhookLabels {
                webhook: webhook.into(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Records whether this manager holds the leader Lease `lease`.
    pub fn set_leader(&self, lease: &str, leading: bool) {
        let labels = LeaseLabels { name: lease.into() };
        self.leader.get_or_create(&labels).set(i64::from(leading));
    }

    /// Serves `metric`, a series of the project's own, on `/metrics` as `name`: a counter
    /// `name` is served as `name_total`, as Prometheus names counters. Keep a clone of the
    /// metric to update it; every clone updates the one served.
    ///
    /// A name that is not a Prometheus name, that is already registered, or that starts like
    /// the runtime's own series (`controller_runtime_`, `leader_election_`, `process_`) is
    /// refused, as controller-runtime's `MustRegister` refuses a duplicate.
    ///
    /// ```
    /// use kube_operator_runtime::metrics::Metrics;
    /// use kube_operator_runtime::metrics::prometheus_client::metrics::counter::Counter;
    ///
    /// let metrics = Metrics::default();
    /// let jobs_started = Counter::<u64>::default();
    /// metrics.register("cronjob_jobs_started", "Jobs started on schedule", jobs_started.clone())?;
    /// jobs_started.inc();
    /// assert!(metrics.encode().contains("cronjob_jobs_started_total 1"));
    /// assert!(metrics.register("cronjob_jobs_started", "again", Counter::<u64>::default()).is_err());
    /// # Ok::<(), kube_operator_runtime::Error>(())
    /// ```
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) -> Result<(), Error> {
        let refuse = |why: &str| {
            Err(Error::MetricName {
                name: name.to_owned(),
                why: why.to_owned(),
            })
        };
        if !is_metric_name(name) {
            return refuse(
                "a Prometheus series name has letters, digits and `_` only, and does not start with a digit",
            );
        }
        if let Some(prefix) = RUNTIME_PREFIXES.iter().find(|p| name.starts_with(*p)) {
            return refuse(&format!(
                "`{prefix}` names the runtime's own series; pick a prefix of your project's"
            ));
        }
        let mut custom = self
            .custom
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !custom.names.insert(name.to_owned()) {
            return refuse(
                "it is registered already; register each series once and keep a clone of it",
            );
        }
        custom.registry.register(name, help, metric);
        Ok(())
    }

    /// The metrics in the OpenMetrics text format, which Prometheus scrapes.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        let custom = self
            .custom
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        encode_registry(&mut text, &self.registry)
            .and_then(|()| encode_registry(&mut text, &custom.registry))
            .and_then(|()| encode_eof(&mut text))
            .expect("writing to a String cannot fail");
        text
    }
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`: a series name Prometheus accepts (colons are for recording
/// rules, not for exporters).
fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Records the reconciles of one controller.
#[derive(Clone, Debug)]
pub struct ReconcileMetrics {
    controller: &'static str,
    reconciles: Family<ResultLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    durations: HistogramFamily,
    active_workers: Family<ControllerLabels, Gauge>,
}

impl ReconcileMetrics {
    /// Runs `reconcile`, counting it and timing it. [`ManagedController::run`] does this for
    /// every reconcile.
    ///
    /// [`ManagedController::run`]: crate::controller::ManagedController::run
    pub async fn measure<E: ErrorReason>(
        self,
        reconcile: impl Future<Output = Result<Action, E>>,
    ) -> Result<Action, E> {
        let labels = ControllerLabels {
            controller: self.controller,
        };
        let gauge = self.active_workers.get_or_create(&labels).clone();
        gauge.inc();
        // Decrements even when the reconcile is dropped half-way, as on shutdown.
        let _active = ActiveWorker(gauge);
        let started = Instant::now();
        let result = reconcile.await;
        self.record(started.elapsed().as_secs_f64(), result.as_ref().err());
        result
    }

    fn record(&self, seconds: f64, error: Option<&impl ErrorReason>) {
        let controller = self.controller;
        self.durations
            .get_or_create(&ControllerLabels { controller })
            .observe(seconds);
        let result = if error.is_some() { "error" } else { "success" };
        self.reconciles
            .get_or_create(&ResultLabels { controller, result })
            .inc();
        if let Some(error) = error {
            let reason = error.reason();
            self.errors
                .get_or_create(&ErrorLabels { controller, reason })
                .inc();
        }
    }
}

struct ActiveWorker(Gauge);

impl Drop for ActiveWorker {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// CPU, memory, threads and file descriptors of this process, read on each scrape.
#[derive(Debug)]
struct ProcessCollector;

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let process = metrics_process::collector::collect();
        if let Some(seconds) = process.cpu_seconds_total {
            let counter = ConstCounter::new(seconds);
            let help = "Total user and system CPU time spent in seconds";
            let metric = encoder.encode_descriptor(
                "process_cpu_seconds",
                help,
                None,
                counter.metric_type(),
            )?;
            counter.encode(metric)?;
        }
        let gauges = [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                process.resident_memory_bytes,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                process.virtual_memory_bytes,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors",
                process.open_fds,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors",
                process.max_fds,
            ),
            (
                "process_threads",
                "Number of OS threads in the process",
                process.threads,
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since the Unix epoch in seconds",
                process.start_time_seconds,
            ),
        ];
        for (name, help, value) in gauges {
            let Some(value) = value.and_then(|value| i64::try_from(value).ok()) else {
                continue;
            };
            let gauge = ConstGauge::new(value);
            let metric = encoder.encode_descriptor(name, help, None, gauge.metric_type())?;
            gauge.encode(metric)?;
        }
        Ok(())
    }
}

impl ErrorReason for Error {
    /// The API server's answer where there was one, else `Runtime`.
    fn reason(&self) -> &'static str {
        match self {
            Self::CannotList { source, .. }
            | Self::LeaderElection { source, .. }
            | Self::Apply { source, .. } => source.reason(),
            _ => "Runtime",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[derive(Debug)]
    struct Missing;

    impl ErrorReason for Missing {
        fn reason(&self) -> &'static str {
            "Missing"
        }
    }

    /// The value of the sample whose name and labels are `series`.
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .map(|value| value.parse().unwrap())
    }

    #[test]
    fn a_projects_own_series_are_served_once_under_a_name_of_its_own() {
        let metrics = Metrics::default();
        let queue_depth = Gauge::<i64>::default();
        metrics
            .register("backup_queue_depth", "Backups waiting", queue_depth.clone())
            .unwrap();
        queue_depth.set(7);
        metrics.set_leader("lease", true);
        let text = metrics.encode();
        assert_eq!(sample(&text, "backup_queue_depth"), Some(7.0));
        assert_eq!(
            sample(&text, r#"leader_election_master_status{name="lease"}"#),
            Some(1.0)
        );
        // One end marker, after every series: Prometheus stops reading at the first.
        assert_eq!(text.matches("# EOF").count(), 1);
        assert!(text.trim_end().ends_with("# EOF"));

        for (name, why) in [
            ("backup_queue_depth", "registered already"),
            (
                "controller_runtime_reconcile_total",
                "the runtime's own series",
            ),
            ("process_backups", "the runtime's own series"),
            ("9lives", "Prometheus series name"),
            ("backup-queue", "Prometheus series name"),
            ("", "Prometheus series name"),
        ] {
            let err = metrics
                .register(name, "help", Gauge::<i64>::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{name:?}: {err}");
        }
        let text = metrics.encode();
        let samples = text
            .lines()
            .filter(|line| line.starts_with("backup_queue_depth "));
        assert_eq!(samples.count(), 1);
    }

    #[test]
    fn webhook_requests_are_counted_and_timed_per_path() {
        let metrics = Metrics::default();
        let path = "/validate-example-com-v1-widget";
        metrics.webhook_request(path, 200, Duration::from_millis(3));
        metrics.webhook_request(path, 200, Duration::from_millis(30));
        let text = metrics.encode();
        let series =
            format!(r#"controller_runtime_webhook_requests_total{{webhook="{path}",code="200"}}"#);
        assert_eq!(sample(&text, &series), Some(2.0), "{text}");
        let fast = format!(
            r#"controller_runtime_webhook_latency_seconds_bucket{{le="0.005",webhook="{path}"}}"#
        );
        assert_eq!(sample(&text, &fast), Some(1.0), "{text}");
    }

    #[tokio::test]
    async fn reconciles_are_counted_by_result_and_error_reason() {
        let metrics = Metrics::default();
        let example = metrics.controller("example");
        let ok = example
            .clone()
            .measure(async { Ok::<_, Missing>(Action::requeue(Duration::from_secs(1))) })
            .await;
        assert!(ok.is_ok());
        let failed = example.measure(async { Err(Missing) }).await;
        assert!(failed.is_err());

        let text = metrics.encode();
        for (series, value) in [
            (
                r#"controller_runtime_reconcile_total{controller="example",result="success"}"#,
                1.0,
            ),
            (
                r#"controller_runtime_reconcile_total{controller="example",result="error"}"#,
                1.0,
            ),
            (
                r#"controller_runtime_reconcile_errors_total{controller="example",reason="Missing"}"#,
                1.0,
            ),
            (
                r#"controller_runtime_reconcile_time_seconds_count{controller="example"}"#,
                2.0,
            ),
            (
                r#"controller_runtime_active_workers{controller="example"}"#,
                0.0,
            ),
            (
                r#"controller_runtime_max_concurrent_reconciles{controller="example"}"#,
                16.0,
            ),
        ] {
            assert_eq!(sample(&text, series), Some(value), "{series} in:\n{text}");
        }
    }

    #[test]
    fn process_and_leader_metrics_are_encoded() {
        let metrics = Metrics::default();
        metrics.set_leader("example.my.domain", true);
        let text = metrics.encode();
        assert_eq!(
            sample(
                &text,
                r#"leader_election_master_status{name="example.my.domain"}"#
            ),
            Some(1.0),
            "{text}"
        );
        let resident = sample(&text, "process_resident_memory_bytes").expect("resident memory");
        assert!(resident > 0.0, "{text}");
        assert!(
            sample(&text, "process_cpu_seconds_total").is_some(),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
