//! Kubebuilder's grafana plugin (`grafana.kubebuilder.io/v1-alpha`): Grafana dashboards of the
//! series the manager serves on `/metrics`, in `grafana/`.
//!
//! The two dashboards come from the `grafana` template set and query only series the runtime
//! exports (the runtime's `tests/grafana_dashboards.rs` checks every query against its metrics).
//! The custom dashboard is built here from the user's `grafana/custom-metrics/config.yaml`, a
//! panel per listed series, and rewritten from it on every run.

use anyhow::{Context as _, Result, bail};
use serde::Deserialize;
use serde_json::{Value, json};

use super::context::TemplateContext;
use crate::model::project::Project;
use crate::scaffold::{IfExists, Plan, templates, templates::TemplateSet};

/// The user's list of series for the custom dashboard.
pub const CONFIG_FILE: &str = "grafana/custom-metrics/config.yaml";
/// The dashboard rendered from `CONFIG_FILE`.
pub const CUSTOM_DASHBOARD: &str = "grafana/custom-metrics/custom-metrics-dashboard.json";
/// The dashboard whose variables (data source, namespace, job, pod) the custom one shares.
const RUNTIME_DASHBOARD: &str = "grafana/controller-runtime-metrics.json";
/// What every default query selects on: the dashboards' variables.
const SELECTOR: &str = r#"namespace="$namespace", job="$job", pod=~"$pod""#;

/// Plans the dashboards and the config (kept once written), and the custom dashboard when the
/// config lists series. An edited dashboard is refused unless `force`.
pub fn plan(plan: &mut Plan, project: &Project, force: bool) -> Result<()> {
    let context = TemplateContext::new(project, None);
    let mut variables = Value::Null;
    for file in templates::render_set(TemplateSet::Grafana, &context)? {
        if file.path == RUNTIME_DASHBOARD {
            let dashboard: Value = serde_json::from_str(&file.content)
                .context("the runtime dashboard template is not JSON")?;
            variables = dashboard["templating"].clone();
        }
        let if_exists = match file.if_exists {
            IfExists::Error if force => IfExists::Overwrite,
            other => other,
        };
        plan.add_file(&file.path, file.content, if_exists)?;
    }
    let config = plan.current(CONFIG_FILE)?.unwrap_or_default();
    let metrics = read_config(&config)?;
    if !metrics.is_empty() {
        plan.add_file(
            CUSTOM_DASHBOARD,
            custom_dashboard(&metrics, variables),
            IfExists::Overwrite,
        )?;
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Config {
    #[serde(default)]
    custom_metrics: Option<Vec<CustomMetric>>,
}

/// One panel of the custom dashboard, as Kubebuilder's config lists it.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct CustomMetric {
    #[serde(default)]
    metric: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    expr: String,
    #[serde(default)]
    unit: String,
}

/// The series `config` lists, each with its query; a malformed one is refused with its place.
fn read_config(config: &str) -> Result<Vec<CustomMetric>> {
    if config.trim().is_empty() {
        return Ok(Vec::new());
    }
    let parsed: Config = serde_saphyr::from_str(config).map_err(|err| {
        anyhow::anyhow!(
            "`{CONFIG_FILE}` is not a list of custom metrics ({}); fix it, or empty its `customMetrics` list",
            first_line(&err.to_string())
        )
    })?;
    let mut metrics = parsed.custom_metrics.unwrap_or_default();
    for (index, item) in metrics.iter_mut().enumerate() {
        let number = index + 1;
        if !item.metric.is_empty() && !is_metric_name(&item.metric) {
            bail!(
                "`{CONFIG_FILE}`: item {number}'s metric `{}` is not a Prometheus series name (letters, digits, `_` and `:`, not starting with a digit)",
                item.metric
            );
        }
        if !item.expr.is_empty() {
            continue;
        }
        if item.metric.is_empty() {
            bail!(
                "`{CONFIG_FILE}`: item {number} has neither `metric` nor `expr`; name the series in `metric`, or give a query in `expr`"
            );
        }
        let metric = &item.metric;
        item.expr = match item.kind.to_ascii_lowercase().as_str() {
            "counter" => format!("sum by (pod) (rate({metric}{{{SELECTOR}}}[5m]))"),
            "gauge" => format!("sum by (pod) ({metric}{{{SELECTOR}}})"),
            "histogram" => {
                let buckets = if metric.ends_with("_bucket") {
                    metric.clone()
                } else {
                    format!("{metric}_bucket")
                };
                format!(
                    "histogram_quantile(0.90, sum by (le, pod) (rate({buckets}{{{SELECTOR}}}[5m])))"
                )
            }
            "" => bail!(
                "`{CONFIG_FILE}`: item {number} (`{metric}`) has no `type`; give counter, gauge or histogram, or a query in `expr`"
            ),
            other => bail!(
                "`{CONFIG_FILE}`: item {number} (`{metric}`) has type `{other}`; use counter, gauge or histogram, or give a query in `expr`"
            ),
        };
    }
    Ok(metrics)
}

/// The first line of a parser's message, without its own `error: `.
fn first_line(text: &str) -> &str {
    let line = text.lines().next().unwrap_or(text);
    line.strip_prefix("error: ").unwrap_or(line)
}

/// Prometheus's rule for series names: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// A dashboard with one full-width panel per series: a table for an `_info` series (its labels
/// are the information), a time series for the rest.
fn custom_dashboard(metrics: &[CustomMetric], variables: Value) -> String {
    let datasource = json!({ "type": "prometheus", "uid": "${datasource}" });
    let panels: Vec<Value> = metrics
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let title = match (item.metric.as_str(), item.kind.as_str()) {
                ("", _) => item.expr.clone(),
                (metric, "") => metric.to_string(),
                (metric, kind) => format!("{metric} ({kind})"),
            };
            let mut panel = json!({
                "datasource": datasource,
                "fieldConfig": {
                    "defaults": { "unit": if item.unit.is_empty() { "short" } else { &item.unit } },
                    "overrides": []
                },
                "gridPos": { "h": 8, "w": 24, "x": 0, "y": index * 8 },
                "id": index + 1,
                "targets": [{
                    "datasource": datasource,
                    "expr": item.expr,
                    "legendFormat": "__auto",
                    "range": true,
                    "refId": "A"
                }],
                "title": title,
                "type": "timeseries"
            });
            if item.metric.ends_with("_info") {
                panel["type"] = json!("table");
                panel["targets"][0]["format"] = json!("table");
                panel["targets"][0]["instant"] = json!(true);
                panel["targets"][0]["range"] = json!(false);
                panel["transformations"] =
                    json!([{ "id": "labelsToFields", "options": { "mode": "rows" } }]);
            }
            panel
        })
        .collect();
    let dashboard = json!({
        "annotations": { "list": [] },
        "description": format!("The series listed in {CONFIG_FILE}. Written by `cargo operator edit --plugins=grafana.kubebuilder.io/v1-alpha` from that file: edit the list there, then run it again."),
        "editable": true,
        "graphTooltip": 1,
        "links": [],
        "panels": panels,
        "refresh": "30s",
        "schemaVersion": 39,
        "tags": ["kubernetes", "operator"],
        "templating": variables,
        "time": { "from": "now-1h", "to": "now" },
        "timepicker": {},
        "timezone": "",
        "title": "Custom Metrics"
    });
    let mut text = serde_json::to_string_pretty(&dashboard).expect("a JSON value serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_gets_its_query_and_an_expr_wins() {
        let metrics = read_config(
            "customMetrics:\n  - metric: widgets_ready\n    type: gauge\n  - metric: widget_syncs_total\n    type: Counter\n  - metric: widget_sync_seconds\n    type: histogram\n    unit: s\n  - expr: up{job=\"x\"}\n",
        )
        .unwrap();
        let exprs: Vec<&str> = metrics.iter().map(|m| m.expr.as_str()).collect();
        assert_eq!(
            exprs,
            [
                r#"sum by (pod) (widgets_ready{namespace="$namespace", job="$job", pod=~"$pod"})"#,
                r#"sum by (pod) (rate(widget_syncs_total{namespace="$namespace", job="$job", pod=~"$pod"}[5m]))"#,
                r#"histogram_quantile(0.90, sum by (le, pod) (rate(widget_sync_seconds_bucket{namespace="$namespace", job="$job", pod=~"$pod"}[5m])))"#,
                r#"up{job="x"}"#,
            ]
        );
    }

    #[test]
    fn an_empty_list_makes_no_dashboard_and_bad_items_are_refused() {
        for empty in ["", "customMetrics:\n", "customMetrics: []\n", "# nothing\n"] {
            assert!(read_config(empty).unwrap().is_empty(), "{empty:?}");
        }
        for (config, message) in [
            (
                "customMetrics:\n  - metric: a\n    type: summary\n",
                "item 1 (`a`) has type `summary`",
            ),
            ("customMetrics:\n  - type: gauge\n", "item 1 has neither"),
            (
                "customMetrics:\n  - metric: a\n",
                "item 1 (`a`) has no `type`",
            ),
            (
                "customMetrics:\n  - metric: 9lives\n    type: gauge\n",
                "is not a Prometheus series name",
            ),
            (
                "customMetric:\n  - metric: a\n",
                "is not a list of custom metrics",
            ),
        ] {
            let err = read_config(config).unwrap_err().to_string();
            assert!(err.contains(message), "{config:?}: {err}");
        }
    }

    #[test]
    fn the_custom_dashboard_is_json_with_a_panel_per_series() {
        let metrics = read_config(
            "customMetrics:\n  - metric: build_info\n    type: gauge\n  - metric: a_total\n    type: counter\n",
        )
        .unwrap();
        let dashboard: Value =
            serde_json::from_str(&custom_dashboard(&metrics, json!({"list": []}))).unwrap();
        let panels = dashboard["panels"].as_array().unwrap();
        assert_eq!(panels.len(), 2);
        assert_eq!(panels[0]["type"], "table");
        assert_eq!(panels[1]["title"], "a_total (counter)");
        assert_eq!(panels[1]["gridPos"]["y"], 8);
    }
}
