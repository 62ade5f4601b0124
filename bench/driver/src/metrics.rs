//! The API server's own count of requests: `apiserver_request_total` from `/metrics`.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use kube::Client;

/// Request counts by `VERB resource[/subresource]`, summed over codes, groups and scopes.
pub type RequestCounts = BTreeMap<String, u64>;

pub async fn request_totals(client: &Client) -> Result<RequestCounts> {
    let request = http::Request::get("/metrics").body(Vec::new())?;
    let text = client.request_text(request).await.context("GET /metrics")?;
    Ok(parse(&text))
}

fn parse(text: &str) -> RequestCounts {
    let mut counts = RequestCounts::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("apiserver_request_total{") else {
            continue;
        };
        let Some((labels, value)) = rest.rsplit_once("} ") else {
            continue;
        };
        let label = |name: &str| {
            labels
                .split(',')
                .find_map(|pair| pair.strip_prefix(name)?.strip_prefix("=\""))
                .map(|value| value.trim_end_matches('"'))
                .unwrap_or_default()
        };
        let resource = label("resource");
        if resource.is_empty() {
            // Non-resource URLs: /metrics, /healthz, discovery.
            continue;
        }
        let target = match label("subresource") {
            "" => resource.to_string(),
            sub => format!("{resource}/{sub}"),
        };
        let value: f64 = value.trim().parse().unwrap_or(0.0);
        *counts
            .entry(format!("{} {target}", label("verb")))
            .or_default() += value as u64;
    }
    counts
}

/// What happened between two readings.
pub fn delta(before: &RequestCounts, after: &RequestCounts) -> RequestCounts {
    after
        .iter()
        .map(|(key, value)| {
            let previous = before.get(key).copied().unwrap_or(0);
            (key.clone(), value.saturating_sub(previous))
        })
        .filter(|(_, value)| *value > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_codes_and_skips_non_resource_requests() {
        let text = r#"
# HELP apiserver_request_total [STABLE] Counter of apiserver requests
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} 10
apiserver_request_total{code="409",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} 2
apiserver_request_total{code="200",component="apiserver",dry_run="",group="tutorial.my.domain",resource="foos",scope="resource",subresource="status",verb="PATCH",version="v1"} 3
apiserver_request_total{code="200",component="",dry_run="",group="",resource="",scope="",subresource="/healthz",verb="GET",version=""} 7
"#;
        let counts = parse(text);
        assert_eq!(counts.len(), 2);
        assert_eq!(counts["POST pods"], 12);
        assert_eq!(counts["PATCH foos/status"], 3);
    }
}
