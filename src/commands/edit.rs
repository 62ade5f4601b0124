//! `cargo operator edit`: add an option to an existing project. `--helm` adds a Helm chart in
//! `dist/chart`, or refreshes the one there.
//!
//! The chart's templates for the Deployment, service account, bindings and metrics come from the
//! `helm` template set; its CRDs and roles come from the project's Rust code through `crdgen`,
//! like `config/`, and join the same plan. `values.yaml` and `Chart.yaml` belong to the user once written.

use std::path::Path;

use anyhow::{Result, bail};

use super::TemplateContext;
use super::manifests::{self, CHART_DIR};
use crate::cli::EditArgs;
use crate::project::{PROJECT_FILE, Project};
use crate::scaffold::{IfExists, Plan, rustfmt, templates};
use crate::ui;

pub fn run(args: EditArgs, dir: &Path) -> Result<()> {
    ui::print_notes(&args.kubebuilder.notes());
    let project = Project::load(dir)?;
    if !args.helm {
        bail!("nothing to change; pass `--helm` to add a Helm chart in `{CHART_DIR}`");
    }
    let mut plan = plan(&project, args.force, dir)?;
    let formatting = rustfmt::format_plan(&mut plan)?;
    // Before anything is written: a project that does not build gets no half-made chart.
    manifests::plan_crdgen_files(
        &mut plan,
        dir,
        true,
        "then run `cargo operator edit --helm` again",
    )?;
    if args.write.dry_run {
        ui::print_dry_run(&plan);
        return Ok(());
    }
    plan.apply()?;
    ui::print_changes(&plan);
    ui::print_formatting(&formatting);
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

/// The chart's scaffolded files and the project file, in memory.
pub fn plan(project: &Project, force: bool, dir: &Path) -> Result<Plan> {
    let updated = Project {
        helm: true,
        ..project.clone()
    };
    let context = TemplateContext::new(&updated, None);
    let mut plan = Plan::new(dir, "move it away, or pass `--force` to overwrite it");
    for file in templates::render_set("helm", &context)? {
        let if_exists = match file.if_exists {
            IfExists::Error if force => IfExists::Overwrite,
            other => other,
        };
        plan.add_file(&file.path, file.content, if_exists)?;
    }
    super::plan_project_files(&mut plan, dir, Some(project), &updated, force)?;
    plan.add_file(PROJECT_FILE, updated.to_toml(), IfExists::Overwrite)?;
    Ok(plan)
}
