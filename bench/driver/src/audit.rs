//! Requests of the operator's own user, from the API server's audit log.
//!
//! The audit policy logs only that user, at level Metadata, so every line is one stage of one
//! of its requests. A request is counted once, at the first stage logged for its `auditID` (a
//! watch logs `ResponseStarted` when it opens and `ResponseComplete` when it ends).

use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::workload::Key;

/// The audit policy: Metadata for `user`, nothing for anyone else.
pub fn policy(user: &str) -> String {
    format!(
        r#"{{
  "apiVersion": "audit.k8s.io/v1",
  "kind": "Policy",
  "omitStages": ["RequestReceived"],
  "rules": [
    {{ "level": "Metadata", "users": ["{user}"] }},
    {{ "level": "None" }}
  ]
}}
"#
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Line {
    #[serde(rename = "auditID")]
    audit_id: String,
    verb: String,
    #[serde(default)]
    object_ref: Option<ObjectRef>,
    request_received_timestamp: jiff::Timestamp,
}

#[derive(Deserialize)]
struct ObjectRef {
    #[serde(default)]
    resource: String,
    #[serde(default)]
    subresource: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    name: String,
}

/// The requests logged since the previous reading.
#[derive(Debug, Default)]
pub struct Requests {
    /// Count by `verb resource[/subresource]`.
    pub by_verb: BTreeMap<String, u64>,
    /// Writes (patch or update) of `foos/status`, by Foo.
    pub status_writes: BTreeMap<Key, u64>,
    /// When the latest request that is not a watch arrived.
    pub last_request: Option<jiff::Timestamp>,
}

/// Reads an audit log as it grows.
pub struct AuditLog {
    path: PathBuf,
    offset: u64,
    seen: HashSet<String>,
}

impl AuditLog {
    pub fn new(path: &Path) -> Self {
        AuditLog {
            path: path.to_owned(),
            offset: 0,
            seen: HashSet::new(),
        }
    }

    /// The file's size now; it only grows while the operator makes requests.
    pub fn len(&self) -> u64 {
        std::fs::metadata(&self.path).map_or(0, |m| m.len())
    }

    /// Counts the requests logged since the last call.
    pub fn read_new(&mut self) -> Result<Requests> {
        let mut requests = Requests::default();
        let mut file = match std::fs::File::open(&self.path) {
            Ok(file) => file,
            // Nothing logged yet.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(requests),
            Err(err) => return Err(err).context("opening the audit log"),
        };
        file.seek(SeekFrom::Start(self.offset))?;
        let mut text = String::new();
        file.read_to_string(&mut text)
            .context("reading the audit log")?;
        // A line being written right now is left for the next call.
        let complete = text.rfind('\n').map_or(0, |end| end + 1);
        self.offset += complete as u64;

        for raw in text[..complete].lines().filter(|l| !l.is_empty()) {
            let line: Line = serde_json::from_str(raw).context("an audit log line")?;
            if !self.seen.insert(line.audit_id) {
                continue;
            }
            let (target, key) = match &line.object_ref {
                Some(o) if o.subresource.is_empty() => (o.resource.clone(), None),
                Some(o) => (
                    format!("{}/{}", o.resource, o.subresource),
                    Some(Key::new(&o.namespace, &o.name)),
                ),
                None => ("(non-resource)".to_string(), None),
            };
            if target == "foos/status"
                && matches!(line.verb.as_str(), "patch" | "update")
                && let Some(key) = key
            {
                *requests.status_writes.entry(key).or_default() += 1;
            }
            if line.verb != "watch" {
                requests.last_request = requests
                    .last_request
                    .max(Some(line.request_received_timestamp));
            }
            *requests
                .by_verb
                .entry(format!("{} {target}", line.verb))
                .or_default() += 1;
        }
        Ok(requests)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_request_once_and_status_writes_per_object() {
        let dir = std::env::temp_dir().join(format!("bench-audit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.log");
        let line = |id: &str, verb: &str, sub: &str, name: &str, at: &str| {
            format!(
                r#"{{"auditID":"{id}","stage":"ResponseComplete","verb":"{verb}","objectRef":{{"resource":"foos","subresource":"{sub}","namespace":"ns","name":"{name}"}},"requestReceivedTimestamp":"{at}"}}"#
            )
        };
        let text = [
            line("1", "watch", "", "", "2026-01-01T00:00:00.000001Z"),
            line("2", "patch", "status", "a", "2026-01-01T00:00:01.5Z"),
            line("3", "patch", "status", "a", "2026-01-01T00:00:02Z"),
            line("1", "watch", "", "", "2026-01-01T00:00:00.000001Z"),
        ]
        .join("\n");
        // The last line is incomplete: not counted yet.
        std::fs::write(&path, format!("{text}\n{{\"auditID\":")).unwrap();

        let mut log = AuditLog::new(&path);
        let requests = log.read_new().unwrap();
        assert_eq!(requests.by_verb["watch foos"], 1);
        assert_eq!(requests.by_verb["patch foos/status"], 2);
        assert_eq!(requests.status_writes[&Key::new("ns", "a")], 2);
        assert_eq!(
            requests.last_request.unwrap().to_string(),
            "2026-01-01T00:00:02Z"
        );
        assert!(log.read_new().unwrap().by_verb.is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
