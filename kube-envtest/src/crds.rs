//! Reading CRDs from files and waiting until API discovery serves them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;

use crate::error::{Error, Result};
use crate::process::POLL_INTERVAL;

/// Field manager used when installing CRDs with server-side apply.
pub(crate) const FIELD_MANAGER: &str = "kube-envtest";

/// Reads every `CustomResourceDefinition` from a YAML/JSON file, or from the `.yaml`, `.yml`
/// and `.json` files of a directory (not recursive, in file-name order).
///
/// Multi-document YAML is supported; documents of other kinds are skipped, like
/// controller-runtime's envtest does. A missing path is an error.
pub fn read_crds(path: impl AsRef<Path>) -> Result<Vec<CustomResourceDefinition>> {
    let file_err = |path: &Path, message: String| Error::CrdFile {
        path: path.to_path_buf(),
        message,
    };
    read_documents(path.as_ref(), file_err)?
        .into_iter()
        .filter(|(_, doc)| {
            doc.get("kind").and_then(|k| k.as_str()) == Some("CustomResourceDefinition")
                && doc
                    .get("apiVersion")
                    .and_then(|k| k.as_str())
                    .is_some_and(|v| v.starts_with("apiextensions.k8s.io/"))
        })
        .map(|(file, doc)| serde_json::from_value(doc).map_err(|e| file_err(&file, e.to_string())))
        .collect()
}

/// Every document of a YAML/JSON file, or of the `.yaml`, `.yml` and `.json` files of a
/// directory (not recursive, in file-name order), with the file it came from. `file_err`
/// builds the error for a path that cannot be read or parsed.
pub(crate) fn read_documents(
    path: &Path,
    file_err: impl Fn(&Path, String) -> Error,
) -> Result<Vec<(PathBuf, serde_json::Value)>> {
    let meta = path.metadata().map_err(|e| file_err(path, e.to_string()))?;
    if !meta.is_dir() {
        return read_file_documents(path, &file_err);
    }
    let mut files: Vec<_> = std::fs::read_dir(path)
        .map_err(|e| file_err(path, e.to_string()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml" | "json")
                )
        })
        .collect();
    files.sort();
    let mut documents = Vec::new();
    for file in files {
        documents.extend(read_file_documents(&file, &file_err)?);
    }
    Ok(documents)
}

fn read_file_documents(
    path: &Path,
    file_err: &impl Fn(&Path, String) -> Error,
) -> Result<Vec<(PathBuf, serde_json::Value)>> {
    let text = std::fs::read_to_string(path).map_err(|e| file_err(path, e.to_string()))?;
    let documents: Vec<serde_json::Value> =
        if path.extension().and_then(|e| e.to_str()) == Some("json") {
            vec![serde_json::from_str(&text).map_err(|e| file_err(path, e.to_string()))?]
        } else {
            // Option: empty documents (e.g. a leading or trailing `---`) deserialize to None.
            serde_saphyr::from_multiple::<Option<serde_json::Value>>(&text)
                .map_err(|e| file_err(path, e.to_string()))?
                .into_iter()
                .flatten()
                .collect()
        };
    Ok(documents
        .into_iter()
        .map(|doc| (path.to_path_buf(), doc))
        .collect())
}

/// `(group/version, plural)` of every served version of `crds`.
fn served_resources(crds: &[CustomResourceDefinition]) -> BTreeSet<(String, String)> {
    crds.iter()
        .flat_map(|crd| {
            let spec = &crd.spec;
            spec.versions.iter().filter(|v| v.served).map(|v| {
                (
                    format!("{}/{}", spec.group, v.name),
                    spec.names.plural.clone(),
                )
            })
        })
        .collect()
}

/// Polls discovery until every served group/version lists each CRD's plural.
pub(crate) async fn wait_for_crds(
    client: &Client,
    crds: &[CustomResourceDefinition],
    timeout: Duration,
) -> Result<()> {
    let mut pending = served_resources(crds);
    let deadline = Instant::now() + timeout;
    loop {
        let group_versions: BTreeSet<String> = pending.iter().map(|(gv, _)| gv.clone()).collect();
        for gv in group_versions {
            // A 404 just means the group/version is not served yet.
            if let Ok(Ok(list)) =
                tokio::time::timeout(Duration::from_secs(2), client.list_api_group_resources(&gv))
                    .await
            {
                pending.retain(|(g, plural)| {
                    g != &gv || !list.resources.iter().any(|r| &r.name == plural)
                });
            }
        }
        if pending.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::CrdTimeout {
                pending: pending
                    .into_iter()
                    .map(|(gv, plural)| format!("{plural} in {gv}"))
                    .collect(),
                timeout,
            });
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}
