//! The Helm chart's scaffolded templates (`edit --helm`), planned again by every command that
//! changes what they render, and the note when the user's `values.yaml` lacks what they read.

use std::collections::BTreeMap;

use anyhow::{Result, bail};

use super::context::TemplateContext;
use super::crdgen::CHART_DIR;
use super::{IfExists, Plan, templates, templates::TemplateSet};
use crate::model::project::Project;

/// The chart's scaffolded templates for `after`: the `helm` set, and `helm-webhook` once the
/// project has webhooks (a set of its own, so a chart without webhooks gets none of its files).
///
/// Without `before` (`edit --helm`) every file is planned with its template's policy: an edited
/// template is refused unless `force`, `values.yaml` and `Chart.yaml` are kept. With `before`,
/// the project as it was (a command that changes what the chart renders), only the files whose
/// rendering changes are planned, so edits elsewhere in the chart do not stand in the way; a file
/// still as cargo-operator rendered it for `before` is replaced, an edited one is refused unless
/// `force`, or kept if it is the user's (`values.yaml`).
pub fn plan_chart(
    plan: &mut Plan,
    before: Option<&Project>,
    after: &Project,
    force: bool,
) -> Result<()> {
    let previous: BTreeMap<String, String> = match before {
        Some(before) => render(before)?
            .into_iter()
            .map(|file| (file.path, file.content))
            .collect(),
        None => BTreeMap::new(),
    };
    for file in render(after)? {
        let old = previous.get(&file.path);
        if before.is_some() && old == Some(&file.content) {
            continue;
        }
        let on_disk = plan.current(&file.path)?;
        let unedited = old.is_some() && on_disk.as_ref() == old;
        let if_exists = match file.if_exists {
            _ if unedited => IfExists::Overwrite,
            IfExists::Error if force => IfExists::Overwrite,
            IfExists::Error if before.is_some() && on_disk.is_some() => bail!(
                "`{}` was edited since cargo-operator wrote it, and this change needs a new version of it; pass `--force` to replace it (your edits to it are lost), or move it away and bring your edits back into the new one",
                file.path
            ),
            other => other,
        };
        plan.add_file(&file.path, file.content, if_exists)?;
    }
    Ok(())
}

/// The chart's scaffolded templates for `project`: the `helm` set, and `helm-webhook` once the
/// project has webhooks.
fn render(project: &Project) -> Result<Vec<templates::Rendered>> {
    let context = TemplateContext::new(project, None);
    let mut files = templates::render_set(TemplateSet::Helm, &context)?;
    if !context.webhooks.is_empty() {
        files.extend(templates::render_set(TemplateSet::HelmWebhook, &context)?);
    }
    Ok(files)
}

/// Plans the removal of the chart's templates that `before` renders and `after` does not (the
/// `helm-webhook` set once the last webhook went), and returns those changed since they were
/// rendered for `before`: they are planned for removal too, which the caller refuses without
/// `--force`.
pub fn plan_chart_removals(
    plan: &mut Plan,
    before: &Project,
    after: &Project,
) -> Result<Vec<String>> {
    let kept: Vec<String> = render(after)?.into_iter().map(|file| file.path).collect();
    let mut edited = Vec::new();
    for file in render(before)? {
        if !kept.contains(&file.path) && file.remove_from(plan)? {
            edited.push(file.path);
        }
    }
    Ok(edited)
}

/// The chart's settings the webhook templates read.
const WEBHOOK_VALUES: &[&str] = &["webhook", "certManager"];

/// A note when the chart's `values.yaml`, kept as the user's, lacks settings the chart of
/// `project` reads: without `webhook.enable` the chart renders no webhooks.
pub fn missing_values_note(plan: &Plan, project: &Project) -> Result<Option<String>> {
    let path = format!("{CHART_DIR}/values.yaml");
    if project.resources.iter().all(|r| r.webhooks.is_empty()) {
        return Ok(None);
    }
    let Some(values) = plan.current(&path)? else {
        return Ok(None);
    };
    let missing: Vec<String> = WEBHOOK_VALUES
        .iter()
        .filter(|key| {
            !values
                .lines()
                .any(|line| line.starts_with(&format!("{key}:")))
        })
        .map(|key| format!("`{key}: {{enable: true}}`"))
        .collect();
    Ok((!missing.is_empty()).then(|| {
        format!(
            "`{path}` is yours, so it was kept as it is: add {} to it for the chart's webhook templates, which read them",
            missing.join(" and ")
        )
    }))
}
