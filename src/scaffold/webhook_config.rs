//! The webhooks' deploy config: what `create webhook` adds besides the user's files (the
//! `webhook-config` set, written once per project, and the lines above the kustomization
//! markers), and its undoing by `delete api`, so a project whose last webhook went is the tree of
//! one that never had any. The two live side by side so that a piece added to one is seen by the
//! other.

use anyhow::Result;

use super::context::TemplateContext;
use super::crdgen::CHART_DIR;
use super::insertions::{self, ADMISSION_INSERTIONS, CONVERSION_INSERTIONS, WEBHOOK_INSERTIONS};
use super::templates::{self, TemplateSet};
use super::{IfExists, Plan};
use crate::model::names::WebhookNames;
use crate::model::project::{Project, Resource, Webhooks};

/// What `make manifests` writes from the admission webhooks: their configurations, for kustomize
/// and for the chart. Nothing writes them once no admission webhook is left, so they go then.
fn admission_manifests() -> [String; 2] {
    [
        "config/webhook/manifests.yaml".to_string(),
        format!("{CHART_DIR}/templates/webhook/webhooks.yaml"),
    ]
}

/// Plans the deploy config of `webhooks`, rendered with `context` (the one `create webhook`
/// renders its files with): the `webhook-config` set, kept as it is where it exists, the lines
/// that register it, and those of the admission webhooks or of the kind's conversion.
pub fn add(plan: &mut Plan, context: &TemplateContext, webhooks: &Webhooks) -> Result<()> {
    for file in templates::render_set(TemplateSet::WebhookConfig, context)? {
        plan.add_file(&file.path, file.content, IfExists::Skip)?;
    }
    insertions::insert_all(plan, WEBHOOK_INSERTIONS, context)?;
    if webhooks.admission() {
        insertions::insert_all(plan, ADMISSION_INSERTIONS, context)?;
    }
    if webhooks.conversion {
        insertions::insert_all(plan, CONVERSION_INSERTIONS, context)?;
    }
    Ok(())
}

/// Plans the removal of what `add` put in for `before` that `after` no longer has a webhook for:
/// a kind's conversion lines once it converts no more, the admission lines (and what `make
/// manifests` wrote from them) once no admission webhook is left, and the whole deploy config
/// once no webhook is. Returns the files of the set that changed since they were rendered: they
/// are planned for removal too, which the caller refuses without `--force`.
pub fn remove(plan: &mut Plan, before: &Project, after: &Project) -> Result<Vec<String>> {
    for hub in before.resources.iter().filter(|r| r.webhooks.conversion) {
        let still_converts = after
            .resources
            .iter()
            .any(|r| r.same_gvk(hub) && r.webhooks.conversion);
        if !still_converts {
            insertions::remove_all(plan, CONVERSION_INSERTIONS, &context(before, hub))?;
        }
    }
    // The once-per-project pieces were rendered with the context of whichever webhook came
    // first; they do not depend on which, so any of `before`'s does.
    let Some(with_webhooks) = before.resources.iter().find(|r| !r.webhooks.is_empty()) else {
        return Ok(Vec::new());
    };
    let context = context(before, with_webhooks);
    let admission = |project: &Project| project.resources.iter().any(|r| r.webhooks.admission());
    if admission(before) && !admission(after) {
        insertions::remove_all(plan, ADMISSION_INSERTIONS, &context)?;
        for path in admission_manifests() {
            plan.remove_file(&path)?;
        }
    }
    let mut edited = Vec::new();
    if after.resources.iter().all(|r| r.webhooks.is_empty()) {
        insertions::remove_all(plan, WEBHOOK_INSERTIONS, &context)?;
        // After the insertions above are out, so a kustomization of the set compares whole.
        for file in templates::render_set(TemplateSet::WebhookConfig, &context)? {
            if file.remove_from(plan)? {
                edited.push(file.path);
            }
        }
    }
    Ok(edited)
}

/// The context `create webhook` rendered `resource`'s webhooks with, as far as the deploy config
/// reads it.
fn context(project: &Project, resource: &Resource) -> TemplateContext {
    let mut context = TemplateContext::new(project, Some(resource));
    context.webhook = WebhookNames::of(resource, project);
    context
}
