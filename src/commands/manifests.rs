//! `cargo operator manifests`: the CRDs and roles, computed from the project's Rust code by its
//! `crdgen` binary, written into `config/` and, once the project has one, the Helm chart.
//!
//! crdgen prints the files as JSON (`--json`) rather than writing them, so they go through the
//! same `Plan` as every other file: all or nothing, with created/updated/unchanged lines.

use std::path::Path;

use anyhow::{Result, bail};

use crate::cli::ManifestsArgs;
use crate::model::project::Project;
use crate::scaffold::crdgen::CHART_DIR;
use crate::scaffold::{Plan, crdgen};
use crate::ui;

pub fn run(args: ManifestsArgs, dir: &Path) -> Result<()> {
    let project = Project::load(dir)?;
    if project.helm && !dir.join(CHART_DIR).join("Chart.yaml").is_file() {
        bail!(
            "`PROJECT.toml` records a Helm chart, but `{CHART_DIR}/Chart.yaml` is missing; restore the chart with `cargo operator edit --helm`"
        );
    }
    let mut plan = Plan::new(dir, "move it away");
    crdgen::plan_crdgen_files(
        &mut plan,
        dir,
        project.helm,
        "then run `cargo operator manifests` again",
    )?;
    ui::record_in_project_file(&mut plan)?;
    if args.write.dry_run {
        ui::print_dry_run(&plan);
        return Ok(());
    }
    plan.apply()?;
    ui::print_changes(&plan);
    Ok(())
}
