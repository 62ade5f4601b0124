//! The whole files that belong to one API (its type, roles, sample, CRD copy, controllers,
//! webhooks, tests), the hashes `PROJECT.toml` keeps of them, and the sample object its
//! generated tests create.

use anyhow::Result;

use super::{IfExists, Plan};
use crate::model::external_crd::ExternalCrd;
use crate::model::hashes;
use crate::model::names::{ControllerNames, ResourceNames, WebhookNames};
use crate::model::project::{Example, PROJECT_FILE, Project, Resource};

/// The JSON of a valid object of a kind the project owns, for its generated tests.
pub fn owned_sample(names: &ResourceNames, example: &Example) -> Result<String> {
    // What the type template's spec needs: the Pod-friend example names its friend, a kind
    // made with `--image` has a size (and the port given).
    let spec = match example {
        Example::PodFriend => serde_json::json!({ "name": "jack" }),
        Example::Skeleton => serde_json::json!({}),
        Example::DeployImage(options) => match options.container_port {
            Some(port) => serde_json::json!({ "size": 1, "containerPort": port }),
            None => serde_json::json!({ "size": 1 }),
        },
    };
    sample_json(&serde_json::json!({
        "apiVersion": names.api_version,
        "kind": names.kind,
        "metadata": { "name": format!("{}-01", names.kind_lower) },
        "spec": spec,
    }))
}

/// JSON for a template to put inside `json!(…)`.
pub fn sample_json(value: &serde_json::Value) -> Result<String> {
    Ok(serde_json::to_string_pretty(value)?)
}

/// Records in `PROJECT.toml` the hash of each file planned for this API, as it will be written
/// (after rustfmt), so `delete api` can tell an untouched file from an edited one.
pub fn record_hashes(plan: &mut Plan, updated: &mut Project, resource: &Resource) -> Result<()> {
    let owned_paths = files_of(updated, resource);
    let slot = updated
        .resources
        .iter_mut()
        .find(|r| r.same_gvk(resource))
        .expect("the API is in the project file");
    for path in owned_paths {
        if let Some(content) = plan.current(&path)? {
            slot.files.insert(path, hashes::of(&content));
        }
    }
    plan.replace_content(PROJECT_FILE, updated.to_toml());
    Ok(())
}

/// Every whole file that belongs to `resource` alone: its type, roles, sample, CRD copy, each
/// controller with its test, and its webhooks with theirs.
pub fn files_of(project: &Project, resource: &Resource) -> Vec<String> {
    let names = ResourceNames::new(resource, project);
    let mut paths = Vec::new();
    if names.owned {
        paths.push(names.type_file.clone());
        paths.push(format!(
            "config/rbac/{}_editor_role.yaml",
            names.role_prefix
        ));
        paths.push(format!(
            "config/rbac/{}_viewer_role.yaml",
            names.role_prefix
        ));
        paths.push(names.sample_file.clone());
    }
    if names.external {
        paths.push(names.type_file.clone());
        paths.push(names.external_crd_file.clone());
    }
    for controller in ControllerNames::of(resource, project) {
        paths.push(controller.file);
        paths.push(controller.test_file);
    }
    if let Some(webhooks) = WebhookNames::of(resource, project) {
        paths.extend(webhooks.files());
    }
    paths
}

/// Adds an external kind's CRD copy and its Rust types (from the CRD, for `names.version`).
pub fn add_external_kind_files(
    plan: &mut Plan,
    names: &ResourceNames,
    crd: &ExternalCrd,
    crd_text: &str,
    rust_header: &str,
    if_exists: IfExists,
) -> Result<()> {
    plan.add_file(&names.external_crd_file, crd_text.to_string(), if_exists)?;
    plan.add_file(
        &names.type_file,
        crd.rust_types(&names.version, rust_header)?,
        if_exists,
    )
}
