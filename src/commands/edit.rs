//! `cargo operator edit`: change an existing project. `--helm` adds a Helm chart in
//! `dist/chart`, or refreshes the one there; `--multigroup` moves the APIs to a layout by group.
//!
//! Moving to the layout by group moves each API's files as they are (only the module paths in
//! them change), so the user's edits survive; a move onto an existing file is refused.
//!
//! The chart's templates for the Deployment, service account, bindings and metrics come from the
//! `helm` template set; its CRDs and roles come from the project's Rust code through `crdgen`,
//! like `config/`, and join the same plan. `values.yaml` and `Chart.yaml` belong to the user once written.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, bail};

use crate::cli::EditArgs;
use crate::model::hashes;
use crate::model::names::{ControllerNames, ResourceNames, WebhookNames};
use crate::model::project::{PROJECT_FILE, Project, Resource};
use crate::plugins::{Plugin, PluginCommand};
use crate::scaffold::context::TemplateContext;
use crate::scaffold::crdgen::CHART_DIR;
use crate::scaffold::{
    IfExists, Plan, chart, crdgen, grafana, insertions, registry, resource_files, rustfmt,
    templates, templates::TemplateSet,
};
use crate::ui;

pub fn run(args: EditArgs, dir: &Path) -> Result<()> {
    let plugins = args.kubebuilder.parse(PluginCommand::Edit)?;
    ui::print_notes(&plugins.notes());
    let project = Project::load(dir)?;
    // Kubebuilder's helm plugin is what `--helm` does.
    let helm = args.helm || plugins.contains(Plugin::Helm);
    let grafana = plugins.contains(Plugin::Grafana);
    let autoupdate = plugins.contains(Plugin::AutoUpdate);
    match (helm, grafana, autoupdate, args.multigroup, args.namespaced) {
        (false, false, false, None, None) => bail!(
            "nothing to change; pass `--helm` to add a Helm chart in `{CHART_DIR}`, `--multigroup` to lay the APIs out by group, `--namespaced[=false]` to change the manager's scope, `--plugins=grafana.kubebuilder.io/v1-alpha` to add Grafana dashboards, or `--plugins=autoupdate.kubebuilder.io/v1-alpha` to add a workflow that proposes `cargo operator update` every week"
        ),
        (false, true, false, None, None) => return run_grafana(&project, &args, dir),
        (false, false, true, None, None) => return run_autoupdate(&project, &args, dir),
        (false, false, false, Some(multigroup), None) => {
            return run_multigroup(&project, multigroup, &args, dir);
        }
        (false, false, false, None, Some(namespaced)) => {
            return run_namespaced(&project, namespaced, &args, dir);
        }
        (true, false, false, None, None) => {}
        _ => bail!(
            "`--helm`, `--multigroup`, `--namespaced`, the grafana plugin and the autoupdate plugin change different things; run `cargo operator edit` once for each"
        ),
    }
    let mut plan = plan(&project, args.force, dir)?;
    let formatting = rustfmt::format_plan(&mut plan)?;
    // Before anything is written: a project that does not build gets no half-made chart.
    crdgen::plan_crdgen_files(
        &mut plan,
        dir,
        true,
        "then run `cargo operator edit --helm` again",
    )?;
    let note = chart::missing_values_note(&plan, &project)?;
    ui::record_in_project_file(&mut plan)?;
    if args.write.dry_run {
        ui::print_dry_run(&plan);
        ui::print_notes(note.as_slice());
        return Ok(());
    }
    plan.apply()?;
    ui::print_changes(&plan);
    ui::print_formatting(&formatting);
    ui::print_notes(note.as_slice());
    let name = &project.project_name;
    ui::print_next_steps(&[
        &format!("helm lint {CHART_DIR}"),
        &format!(
            "helm install {name} {CHART_DIR} --namespace {name}-system --create-namespace --set manager.image.repository=<registry>/{name} --set manager.image.tag=<tag>"
        ),
        "cargo operator manifests   # after changing a type or a controller's permissions",
    ]);
    Ok(())
}

/// An `edit` asking for what the project already has: like Kubebuilder, it succeeds, so scripts
/// can repeat it, and says that nothing changed.
fn already(state: &str, next_steps: &[&str]) -> Result<()> {
    ui::print_notes(&[format!("{state}; nothing changed")]);
    if !next_steps.is_empty() {
        ui::print_next_steps(next_steps);
    }
    Ok(())
}

/// Kubebuilder's grafana plugin: the dashboards in `grafana/`, recorded in the project file.
fn run_grafana(project: &Project, args: &EditArgs, dir: &Path) -> Result<()> {
    let updated = Project {
        grafana: true,
        ..project.clone()
    };
    let mut plan = Plan::new(dir, "move it away, or pass `--force` to overwrite it");
    grafana::plan(&mut plan, &updated, args.force)?;
    registry::plan_project_files(&mut plan, Some(project), &updated, args.force)?;
    plan.add_file(PROJECT_FILE, updated.to_toml(), IfExists::Overwrite)?;
    let formatting = rustfmt::format_plan(&mut plan)?;
    ui::finish(
        &mut plan,
        &formatting,
        args.write.dry_run,
        &[
            "import grafana/*.json in Grafana (Dashboards > New > Import), with a Prometheus that scrapes the manager (config/prometheus)",
            &format!(
                "list your own series in `{}`, then run this again for `{}`",
                grafana::CONFIG_FILE,
                grafana::CUSTOM_DASHBOARD
            ),
        ],
    )
}

/// Kubebuilder's autoupdate plugin: a scheduled workflow that runs `cargo operator update` and
/// proposes the result as a pull request, recorded in the project file.
fn run_autoupdate(project: &Project, args: &EditArgs, dir: &Path) -> Result<()> {
    let updated = Project {
        autoupdate: true,
        ..project.clone()
    };
    let mut plan = Plan::new(dir, "move it away, or pass `--force` to overwrite it");
    let context = TemplateContext::new(&updated, None);
    for file in templates::render_set(TemplateSet::AutoUpdate, &context)? {
        let if_exists = match file.if_exists {
            IfExists::Error if args.force => IfExists::Overwrite,
            other => other,
        };
        plan.add_file(&file.path, file.content, if_exists)?;
    }
    registry::plan_project_files(&mut plan, Some(project), &updated, args.force)?;
    plan.add_file(PROJECT_FILE, updated.to_toml(), IfExists::Overwrite)?;
    let formatting = rustfmt::format_plan(&mut plan)?;
    ui::finish(
        &mut plan,
        &formatting,
        args.write.dry_run,
        &[
            "allow GitHub Actions to create pull requests: Settings > Actions > General > Workflow permissions",
            "run it once by hand: Actions > Auto Update > Run workflow",
        ],
    )
}

fn run_multigroup(project: &Project, multigroup: bool, args: &EditArgs, dir: &Path) -> Result<()> {
    match (project.multigroup, multigroup) {
        (true, true) => {
            return already(
                &format!(
                    "this project is already laid out by group (`multigroup = true` in `{PROJECT_FILE}`)"
                ),
                &["cargo operator create api --group <another group> --version v1 --kind <Kind>"],
            );
        }
        (true, false) => bail!(
            "cargo-operator does not move a project back to one group; its APIs stay under `src/api/<group>/`"
        ),
        (false, false) => return already("the project already has the one-group layout", &[]),
        (false, true) => {}
    }
    let (mut plan, mut updated, untouched) = plan_multigroup(project, dir)?;
    let formatting = rustfmt::format_plan(&mut plan)?;
    rehash_moved(&mut plan, &mut updated, &untouched)?;
    ui::finish(
        &mut plan,
        &formatting,
        args.write.dry_run,
        &[
            "cargo operator create api --group <another group> --version v1 --kind <Kind>",
            "make test",
        ],
    )
}

/// The files of `resource` in the one-group layout, paired with their places in the layout by
/// group, when the two differ.
fn moves(project: &Project, updated: &Project, resource: &Resource) -> Vec<(String, String)> {
    resource_files::files_of(project, resource)
        .into_iter()
        .zip(resource_files::files_of(updated, resource))
        .filter(|(from, to)| from != to)
        .collect()
}

/// Moved files that were untouched: the index of their resource, and their new path.
type Untouched = Vec<(usize, String)>;

/// The moves, the kustomization lines of the renamed roles, the registries of the new layout
/// and the project file, whose hashes follow the files. Also returns the moved files that were
/// untouched, whose hashes are recomputed once they are formatted.
fn plan_multigroup(project: &Project, dir: &Path) -> Result<(Plan, Project, Untouched)> {
    let mut updated = Project {
        multigroup: true,
        ..project.clone()
    };
    let mut plan = Plan::new(dir, "move it away first");
    let renames = module_renames(project, &updated);
    let mut untouched = Vec::new();
    for (index, resource) in project.resources.iter().enumerate() {
        for (from, to) in moves(project, &updated, resource) {
            let Some(content) = plan.current(&from)? else {
                continue; // deleted by its user: nothing to move
            };
            if plan.current(&to)?.is_some() {
                bail!(
                    "`edit --multigroup` would move `{from}` to `{to}`, which exists; move that file away, then run it again"
                );
            }
            // An edited file keeps its old hash, which matches nothing, so it stays edited.
            let files = &mut updated.resources[index].files;
            if let Some(hash) = files.remove(&from) {
                if hashes::matches(&hash, &content) {
                    untouched.push((index, to.clone()));
                }
                files.insert(to.clone(), hash);
            }
            let content = if from.ends_with(".rs") {
                rename_modules(&content, &renames)
            } else {
                rename_roles(
                    content,
                    &ResourceNames::new(resource, project),
                    &ResourceNames::new(resource, &updated),
                )
            };
            plan.remove_file(&from)?;
            plan.add_file(&to, content, IfExists::Error)?;
        }
    }
    for resource in project.owned() {
        let before = TemplateContext::new(project, Some(resource));
        let after = TemplateContext::new(&updated, Some(resource));
        for insertion in insertions::RESOURCE_INSERTIONS {
            let file = insertion.file(&before)?;
            let old = insertion.lines(&before)?;
            let new = insertion.lines(&after)?;
            if old != new {
                plan.remove_insertion(&file, &old)?;
                plan.insert_at_marker(&file, insertion.marker, &new)?;
            }
        }
    }
    registry::plan_project_files(&mut plan, Some(project), &updated, false)?;
    plan.add_file(PROJECT_FILE, updated.to_toml(), IfExists::Overwrite)?;
    Ok((plan, updated, untouched))
}

/// The module paths that change with the layout: `api::v1` becomes `api::tutorial::v1`,
/// `controllers::foo` becomes `controllers::tutorial::foo`, and `webhooks::v1::pod` becomes
/// `webhooks::core::v1::pod`.
fn module_renames(project: &Project, updated: &Project) -> Vec<(String, String)> {
    let mut renames = Vec::new();
    for resource in &project.resources {
        let (before, after) = (
            ResourceNames::new(resource, project),
            ResourceNames::new(resource, updated),
        );
        if before.api_module != after.api_module {
            renames.push((
                format!("api::{}", before.api_module),
                format!("api::{}", after.api_module),
            ));
        }
        for (before, after) in ControllerNames::of(resource, project)
            .into_iter()
            .zip(ControllerNames::of(resource, updated))
        {
            renames.push((
                format!("controllers::{}", before.path),
                format!("controllers::{}", after.path),
            ));
        }
        // The tests of a built-in or external kind's webhooks use its module's constants.
        if let (Some(before), Some(after)) = (
            WebhookNames::of(resource, project),
            WebhookNames::of(resource, updated),
        ) && before.path != after.path
        {
            renames.push((
                format!("webhooks::{}", before.path),
                format!("webhooks::{}", after.path),
            ));
        }
    }
    renames.sort();
    renames.dedup();
    renames
}

/// A kind's editor and viewer roles take its group into their names in the layout by group
/// (`tutorial-foo-editor-role`), so that the same kind in two groups gets two roles.
fn rename_roles(yaml: String, before: &ResourceNames, after: &ResourceNames) -> String {
    ["editor-role", "viewer-role"]
        .into_iter()
        .fold(yaml, |yaml, role| {
            yaml.replace(
                &format!("\n  name: {}-{role}\n", before.role_name_prefix),
                &format!("\n  name: {}-{role}\n", after.role_name_prefix),
            )
        })
}

/// `code` with each module path renamed where it is a whole path segment (`api::v1` but not
/// `api::v1alpha1`), in one pass, so a renamed path is never renamed again.
fn rename_modules(code: &str, renames: &[(String, String)]) -> String {
    let mut out = String::with_capacity(code.len() + 64);
    let mut rest = code;
    'scan: while !rest.is_empty() {
        for (from, to) in renames {
            if let Some(after) = rest.strip_prefix(from.as_str())
                && !after.starts_with(|c: char| c.is_alphanumeric() || c == '_')
                && !out.ends_with(|c: char| c.is_alphanumeric() || c == '_')
            {
                out.push_str(to);
                rest = after;
                continue 'scan;
            }
        }
        let mut chars = rest.chars();
        out.extend(chars.next());
        rest = chars.as_str();
    }
    out
}

/// Moved files that were untouched keep counting as such: their hashes become those of the moved
/// content, as formatted.
fn rehash_moved(
    plan: &mut Plan,
    updated: &mut Project,
    untouched: &[(usize, String)],
) -> Result<()> {
    for (index, path) in untouched {
        if let Some(moved) = plan.current(path)? {
            updated.resources[*index]
                .files
                .insert(path.clone(), hashes::of(&moved));
        }
    }
    plan.replace_content(PROJECT_FILE, updated.to_toml());
    Ok(())
}

fn run_namespaced(project: &Project, namespaced: bool, args: &EditArgs, dir: &Path) -> Result<()> {
    if project.namespaced == namespaced {
        let scope = if namespaced {
            "the manager already watches only its own namespace"
        } else {
            "the manager already watches every namespace"
        };
        return already(scope, &[]);
    }
    let mut plan = plan_namespaced(project, namespaced, args.force, dir)?;
    let formatting = rustfmt::format_plan(&mut plan)?;
    ui::finish(
        &mut plan,
        &formatting,
        args.write.dry_run,
        &[
            "make manifests   # the manager's role as a Role or a ClusterRole",
            "make test",
        ],
    )
}

/// The files that follow the manager's scope besides the registries, which every command
/// renders: the role binding, the chart's, and the README's description.
const SCOPED_FILES: &[(TemplateSet, &str)] = &[
    (TemplateSet::Init, "config/rbac/role_binding.yaml"),
    (TemplateSet::Init, "README.md"),
    (
        TemplateSet::Helm,
        "dist/chart/templates/rbac/role_binding.yaml",
    ),
];

/// Switches the manager's scope: `NAMESPACED` in the controllers' registry, which the
/// controllers, crdgen and the tests read, and the files in `SCOPED_FILES` that still hold what
/// cargo-operator wrote (an edited one needs `--force`).
fn plan_namespaced(project: &Project, namespaced: bool, force: bool, dir: &Path) -> Result<Plan> {
    if namespaced && let Some(cluster_scoped) = project.resources.iter().find(|r| !r.namespaced) {
        bail!(
            "`{}` is cluster-scoped, which a manager watching one namespace cannot control; delete it with `cargo operator delete api` first, or keep the project cluster-wide",
            cluster_scoped.gvk()
        );
    }
    let updated = Project {
        namespaced,
        ..project.clone()
    };
    // Each set rendered once per scope, keeping the files that follow it.
    let render = |project: &Project| -> Result<BTreeMap<String, String>> {
        let context = TemplateContext::new(project, None);
        let mut files = BTreeMap::new();
        for set in [TemplateSet::Init, TemplateSet::Helm] {
            if set == TemplateSet::Helm && !project.helm {
                continue;
            }
            for file in templates::render_set(set, &context)? {
                if SCOPED_FILES.contains(&(set, file.path.as_str())) {
                    files.insert(file.path, file.content);
                }
            }
        }
        Ok(files)
    };
    let (before, after) = (render(project)?, render(&updated)?);
    let mut plan = Plan::new(dir, "pass `--force` to replace it");
    for (set, path) in SCOPED_FILES {
        if *set == TemplateSet::Helm && !project.helm {
            continue;
        }
        let (old, new) = (&before[*path], after[*path].clone());
        match plan.current(path)? {
            Some(on_disk) if on_disk != *old && on_disk != new && !force => bail!(
                "`{path}` was edited since cargo-operator wrote it; change its scope by hand, or pass `--force` to replace it"
            ),
            _ => plan.add_file(path, new, IfExists::Overwrite)?,
        }
    }
    registry::plan_project_files(&mut plan, Some(project), &updated, force)?;
    plan.add_file(PROJECT_FILE, updated.to_toml(), IfExists::Overwrite)?;
    Ok(plan)
}

/// The chart's scaffolded files and the project file, in memory.
pub fn plan(project: &Project, force: bool, dir: &Path) -> Result<Plan> {
    let updated = Project {
        helm: true,
        ..project.clone()
    };
    let mut plan = Plan::new(dir, "move it away, or pass `--force` to overwrite it");
    chart::plan_chart(&mut plan, None, &updated, force)?;
    registry::plan_project_files(&mut plan, Some(project), &updated, force)?;
    plan.add_file(PROJECT_FILE, updated.to_toml(), IfExists::Overwrite)?;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths_are_renamed_whole_and_once() {
        let renames = vec![
            ("api::v1".to_string(), "api::tutorial::v1".to_string()),
            (
                "controllers::foo".to_string(),
                "controllers::tutorial::foo".to_string(),
            ),
        ];
        let code = "use crate::api::v1::{Foo, FooStatus};\nuse tutorial::api::v1alpha1::Bar;\nuse x::controllers::foo::run;\nlet y = myapi::v1::X; controllers::foobar::run;\n";
        assert_eq!(
            rename_modules(code, &renames),
            "use crate::api::tutorial::v1::{Foo, FooStatus};\nuse tutorial::api::v1alpha1::Bar;\nuse x::controllers::tutorial::foo::run;\nlet y = myapi::v1::X; controllers::foobar::run;\n"
        );
    }
}
