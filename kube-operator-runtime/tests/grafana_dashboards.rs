//! The Grafana dashboards cargo-operator writes (`templates/grafana/` in this workspace) query
//! only series this runtime serves on `/metrics`: a renamed or dropped metric breaks this test,
//! not a user's dashboard.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::runtime::controller::Action;
use kube_operator_runtime::metrics::{ErrorReason, Metrics};
use serde_json::Value;

#[derive(Debug)]
struct Failed;

impl ErrorReason for Failed {
    fn reason(&self) -> &'static str {
        "Failed"
    }
}

/// The name of every sample `/metrics` serves once each kind of event was recorded.
async fn served_series() -> BTreeSet<String> {
    let metrics = Metrics::default();
    let controller = metrics.controller("widget");
    controller
        .clone()
        .measure(async { Ok::<_, Failed>(Action::await_change()) })
        .await
        .unwrap();
    controller
        .measure(async { Err::<Action, _>(Failed) })
        .await
        .unwrap_err();
    metrics.set_leader("widgets.example.com", true);
    metrics.webhook_request("/validate-widget", 200, Duration::from_millis(2));
    metrics
        .encode()
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let end = line.find(['{', ' ']).unwrap_or(line.len());
            line[..end].to_string()
        })
        .collect()
}

/// Every PromQL query of a dashboard: its panels' targets and its variables' queries.
fn queries(dashboard: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_queries(dashboard, &mut found);
    found
}

fn collect_queries(value: &Value, found: &mut Vec<String>) {
    match value {
        // A data source variable's `query` is the data source's type, not PromQL.
        Value::Object(map) if map.get("type").is_some_and(|t| t == "datasource") => {}
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("expr" | "definition" | "query", Value::String(query)) => {
                        found.push(query.clone())
                    }
                    _ => collect_queries(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_queries(item, found)),
        _ => {}
    }
}

/// The series a query selects: each name written before a `{` (the dashboards always give a
/// selector, so a query without one is refused, since its names would go unchecked).
fn selected_series(query: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut inside_braces = false;
    let mut name = String::new();
    for c in query.chars() {
        match c {
            '{' if !inside_braces => {
                if !name.is_empty() {
                    names.push(std::mem::take(&mut name));
                }
                inside_braces = true;
            }
            '}' => inside_braces = false,
            _ if inside_braces => {}
            c if c.is_ascii_alphanumeric() || c == '_' || c == ':' => name.push(c),
            _ => name.clear(),
        }
    }
    if names.is_empty() {
        return Err(format!("`{query}` selects no series with `name{{…}}`"));
    }
    Ok(names)
}

/// Each series the dashboard queries that `served` lacks, with its query.
fn unserved(dashboard: &Value, served: &BTreeSet<String>) -> Vec<String> {
    let mut missing = Vec::new();
    for query in queries(dashboard) {
        match selected_series(&query) {
            Ok(names) => missing.extend(
                names
                    .into_iter()
                    .filter(|name| !served.contains(name))
                    .map(|name| format!("{name} in `{query}`")),
            ),
            Err(message) => missing.push(message),
        }
    }
    missing
}

fn dashboard_templates() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates/grafana/grafana");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with(".json.jinja"))
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn every_dashboard_queries_only_served_series() {
    let served = served_series().await;
    let files = dashboard_templates();
    assert_eq!(files.len(), 2, "{files:?}");
    for file in files {
        // The templates hold no placeholder: each is the JSON it renders to.
        let text = std::fs::read_to_string(&file).unwrap();
        let dashboard: Value = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("{} is not JSON: {err}", file.display()));
        assert!(
            queries(&dashboard).len() > 3,
            "{} has no queries",
            file.display()
        );
        let missing = unserved(&dashboard, &served);
        assert!(
            missing.is_empty(),
            "{} queries series /metrics does not serve:\n{}\nserved: {served:?}",
            file.display(),
            missing.join("\n")
        );
    }
}

#[tokio::test]
async fn a_series_the_runtime_does_not_serve_is_caught() {
    let served = served_series().await;
    assert!(
        served.contains("controller_runtime_reconcile_total"),
        "{served:?}"
    );
    assert!(served.contains("controller_runtime_reconcile_time_seconds_bucket"));
    let dashboard = serde_json::json!({
        "panels": [{ "targets": [
            { "expr": "sum(rate(controller_runtime_reconcile_total{job=\"$job\"}[5m]))" },
            { "expr": "workqueue_depth{job=\"$job\"}" },
            { "expr": "rate(process_cpu_seconds_total[5m])" },
        ]}],
        "templating": { "list": [{ "definition": "label_values(rest_client_requests_total{}, pod)" }] }
    });
    assert_eq!(
        unserved(&dashboard, &served),
        [
            "workqueue_depth in `workqueue_depth{job=\"$job\"}`",
            "`rate(process_cpu_seconds_total[5m])` selects no series with `name{…}`",
            "rest_client_requests_total in `label_values(rest_client_requests_total{}, pod)`",
        ]
    );
}
