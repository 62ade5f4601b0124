// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

//! What the manager serves on `/metrics`: reconcile counts, errors and durations per controller,
//! leadership, and the usual process metrics.
//!
//! Reconcile metrics carry the names controller-runtime uses, so dashboards and alerts written
//! for Kubebuilder operators work unchanged.

use std::{future::Future, time::Instant};

use kube::runtime::controller::Action;
use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric, text::encode},
    metrics::{
        counter::{ConstCounter, Counter},
        family::Family,
        gauge::{ConstGauge, Gauge},
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

use crate::{Error, Result};

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

type HistogramFamily = Family<ControllerLabels, Histogram, fn() -> Histogram>;

/// Every metric of the manager, and the registry that encodes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    reconciles: Family<ResultLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    durations: HistogramFamily,
    leader: Family<LeaseLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let reconciles = Family::<ResultLabels, Counter>::default();
        let errors = Family::<ErrorLabels, Counter>::default();
        // 5 ms to about 80 s: from a cache-only reconcile to one stuck behind API retries.
        let durations: HistogramFamily =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.005, 2.0, 15)));
        let leader = Family::<LeaseLabels, Gauge>::default();

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
            "leader_election_master_status",
            "1 while this manager holds the leader Lease, 0 while it stands by",
            leader.clone(),
        );
        registry.register_collector(Box::new(ProcessCollector));
        Self {
            registry,
            reconciles,
            errors,
            durations,
            leader,
        }
    }
}

impl Metrics {
    /// The handle a controller records its reconciles with.
    pub fn controller(&self, controller: &'static str) -> ReconcileMetrics {
        ReconcileMetrics {
            controller,
            reconciles: self.reconciles.clone(),
            errors: self.errors.clone(),
            durations: self.durations.clone(),
        }
    }

    /// Records whether this manager holds the leader Lease `lease`.
    pub fn set_leader(&self, lease: &str, leading: bool) {
        let labels = LeaseLabels { name: lease.into() };
        self.leader.get_or_create(&labels).set(i64::from(leading));
    }

    /// The metrics in the OpenMetrics text format, which Prometheus scrapes.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

/// Records the reconciles of one controller.
#[derive(Clone, Debug)]
pub struct ReconcileMetrics {
    controller: &'static str,
    reconciles: Family<ResultLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    durations: HistogramFamily,
}

impl ReconcileMetrics {
    /// Runs `reconcile`, counting it and timing it.
    pub async fn measure(self, reconcile: impl Future<Output = Result<Action>>) -> Result<Action> {
        let started = Instant::now();
        let result = reconcile.await;
        self.record(started.elapsed().as_secs_f64(), result.as_ref().err());
        result
    }

    fn record(&self, seconds: f64, error: Option<&Error>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The value of the sample whose name and labels are `series`.
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .map(|value| value.parse().unwrap())
    }

    #[tokio::test]
    async fn reconciles_are_counted_by_result_and_error_reason() {
        let metrics = Metrics::default();
        let example = metrics.controller("example");
        let ok = example
            .clone()
            .measure(async { Ok(Action::requeue(Duration::from_secs(1))) })
            .await;
        assert!(ok.is_ok());
        let failed = example
            .measure(async { Err(Error::MissingField("namespace")) })
            .await;
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
                r#"controller_runtime_reconcile_errors_total{controller="example",reason="MissingField"}"#,
                1.0,
            ),
            (
                r#"controller_runtime_reconcile_time_seconds_count{controller="example"}"#,
                2.0,
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
