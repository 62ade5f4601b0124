//! `cargo operator delete api`: take an API back out of the project.
//!
//! It removes what `create api` added for the API: the type, its controllers and their tests,
//! the editor and viewer roles, the sample, an external CRD's copy, the lines in the
//! kustomizations (and the image in `config/manager/manager.yaml` and the chart's manager of a
//! kind made with `--image`), the CRD `make manifests` wrote, the registry entries and the `PROJECT.toml`
//! entry. With its webhooks go what `create webhook` added for them: a converted kind's CA
//! injection, the admission webhooks' lines once none is left, and the whole deploy config
//! (`webhook-config`, the chart's `helm-webhook`) once no webhook is. A file whose content no
//! longer has the hash `PROJECT.toml` recorded (or, for the deploy config, is no longer what it
//! was rendered as) was edited, and is deleted only with `--force`. Everything is one plan, so a
//! failure leaves the tree as it was.

use std::path::Path;

use anyhow::{Result, bail};

use crate::cli::DeleteApiArgs;
use crate::model::names::{ResourceNames, WebhookNames};
use crate::model::project::{PROJECT_FILE, Project, Resource, Source};
use crate::scaffold::context::TemplateContext;
use crate::scaffold::crdgen::CHART_DIR;
use crate::scaffold::{
    IfExists, Plan, chart, insertions, registry, resource_files, rustfmt, templates,
    templates::TemplateSet, webhook_config,
};
use crate::ui;

pub fn run(args: DeleteApiArgs, dir: &Path) -> Result<()> {
    let project = Project::load(dir)?;
    let (mut plan, mut updated, rewritten) = plan(&project, &args, dir)?;
    let formatting = rustfmt::format_plan(&mut plan)?;
    for hub in &rewritten {
        resource_files::record_hashes(&mut plan, &mut updated, hub)?;
    }
    ui::finish(
        &mut plan,
        &formatting,
        args.write.dry_run,
        &["make manifests   # the manager's role without the deleted API's rules"],
    )
}

/// Every file `delete api` removes or changes, in memory, the project file it leaves, and the
/// hubs whose conversion test it rewrites (their hashes are recorded once formatted).
pub fn plan(
    project: &Project,
    args: &DeleteApiArgs,
    dir: &Path,
) -> Result<(Plan, Project, Vec<Resource>)> {
    let Some(resource) = project
        .resources
        .iter()
        .find(|r| r.is(&args.group, &args.version, &args.kind))
    else {
        let listed: Vec<String> = project.resources.iter().map(Resource::gvk).collect();
        bail!(
            "no API `{}/{}, Kind={}` in this project; `{PROJECT_FILE}` lists {}",
            args.group,
            args.version,
            args.kind,
            if listed.is_empty() {
                "none".to_string()
            } else {
                listed.join("; ")
            }
        );
    };
    // The kind's versions, in the order they were added: the CRD stores the first (see
    // `merge_versions`) and serves the others through it, so it goes last.
    let versions: Vec<&Resource> = project
        .resources
        .iter()
        .filter(|r| r.group == resource.group && r.kind == resource.kind)
        .collect();
    let other_versions: Vec<&Resource> = versions
        .iter()
        .copied()
        .filter(|r| !r.same_gvk(resource))
        .collect();
    if resource.source == Source::Project
        && !other_versions.is_empty()
        && versions[0].same_gvk(resource)
    {
        let others: Vec<String> = other_versions
            .iter()
            .map(|r| format!("`{}`", r.version))
            .collect();
        bail!(
            "`{}` is the storage version of kind `{}`, which its other versions are stored as; delete {} first",
            resource.version,
            resource.kind,
            others.join(" and ")
        );
    }

    let mut updated = project.clone();
    updated.resources.retain(|r| !r.same_gvk(resource));
    // A version that converts through a hub leaves the hub's conversion with it.
    for hub in &mut updated.resources {
        if hub.group == resource.group && hub.kind == resource.kind {
            hub.webhooks.spoke.retain(|v| *v != resource.version);
            if hub.webhooks.spoke.is_empty() {
                hub.webhooks.conversion = false;
            }
        }
    }
    let mut plan = Plan::new(dir, "move it away, or pass `--force`");
    let names = ResourceNames::new(resource, project);

    // Files another API still has (the versions of a kind share their roles, their CRD's line
    // and an external CRD's copy) stay; the rest of what each API had goes, checked against
    // the hash recorded for it.
    let still_used: Vec<String> = updated
        .resources
        .iter()
        .flat_map(|r| resource_files::files_of(&updated, r))
        .collect();
    let mut edited = Vec::new();
    for owner in &project.resources {
        for path in resource_files::files_of(project, owner) {
            if still_used.contains(&path) || plan.is_removed(&path) {
                continue;
            }
            let Some(on_disk) = plan.current(&path)? else {
                continue;
            };
            if !owner.is_untouched(&path, &on_disk) {
                edited.push(path.clone());
            }
            plan.remove_file(&path)?;
        }
    }
    // A hub that keeps other spokes gets its conversion test without this one.
    let mut rewritten = Vec::new();
    for hub in updated.resources.iter().filter(|r| r.webhooks.conversion) {
        let before = project.resources.iter().find(|r| r.same_gvk(hub));
        if before.is_some_and(|b| b.webhooks.spoke == hub.webhooks.spoke) {
            continue;
        }
        let mut context = TemplateContext::new(&updated, Some(hub));
        context.webhook = WebhookNames::of(hub, &updated);
        context.sample = Some(resource_files::owned_sample(
            &ResourceNames::new(hub, &updated),
            &hub.example,
        )?);
        for file in templates::render_set(TemplateSet::WebhookConversion, &context)? {
            if let Some(on_disk) = plan.current(&file.path)?
                && !hub.is_untouched(&file.path, &on_disk)
            {
                edited.push(file.path.clone());
            }
            plan.add_file(&file.path, file.content, IfExists::Overwrite)?;
        }
        rewritten.push(hub.clone());
    }
    // What `create webhook` added for webhooks none of which is left, compared with what it
    // rendered for the project as it was.
    let mut edited_config = webhook_config::remove(&mut plan, project, &updated)?;
    if project.helm {
        edited_config.extend(chart::plan_chart_removals(&mut plan, project, &updated)?);
    }
    let any_edited = !edited.is_empty() || !edited_config.is_empty();
    if any_edited && !args.force {
        let more = match edited.len() + edited_config.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        let (first, why) = match edited.first() {
            Some(first) => (
                first,
                format!(", or predates the hashes `{PROJECT_FILE}` keeps"),
            ),
            None => (&edited_config[0], String::new()),
        };
        bail!(
            "`{first}`{more} changed since cargo-operator generated it{why}; move your changes elsewhere, or pass `--force` to delete it anyway"
        );
    }

    if resource.source == Source::Project {
        let context = TemplateContext::new(project, Some(resource));
        let others: Vec<TemplateContext> = other_versions
            .iter()
            .map(|r| TemplateContext::new(project, Some(r)))
            .collect();
        for insertion in insertions::RESOURCE_INSERTIONS {
            let file = insertion.file(&context)?;
            let fragment = insertion.lines(&context)?;
            let mut shared = Vec::new();
            for other in &others {
                shared.push(insertion.lines(other)?);
            }
            let own: Vec<&str> = fragment
                .lines()
                .filter(|line| !shared.iter().any(|s| s.lines().any(|l| l == *line)))
                .collect();
            plan.remove_insertion(&file, &own.join("\n"))?;
        }
        // What `make manifests` wrote for the kind: its CRD holds every version, so it goes
        // with the last one.
        if other_versions.is_empty() {
            plan.remove_file(&format!("config/crd/bases/{}", names.crd_file_name))?;
            plan.remove_file(&format!(
                "{CHART_DIR}/templates/crd/{}",
                names.crd_file_name
            ))?;
        }
    }

    insertions::remove_deploy_image_insertions(&mut plan, project, resource)?;

    // Each API keeps the hashes of the files it still has.
    let snapshot = updated.clone();
    for r in &mut updated.resources {
        let kept = resource_files::files_of(&snapshot, r);
        r.files.retain(|path, _| kept.contains(path));
    }
    registry::plan_project_files(&mut plan, Some(project), &updated, args.force)?;
    if updated.helm {
        // The chart's manager no longer sets the image of a deleted kind made with `--image`.
        chart::plan_chart(&mut plan, Some(project), &updated, args.force)?;
    }
    plan.add_file(PROJECT_FILE, updated.to_toml(), IfExists::Overwrite)?;
    Ok((plan, updated, rewritten))
}
