//! `cargo operator init`: a new operator project in the current directory.

use std::path::Path;

use anyhow::{Result, bail};

use crate::cli::InitArgs;
use crate::model::project::{LAYOUT, PROJECT_FILE, Project};
use crate::plugins::{Plugin, PluginCommand};
use crate::scaffold::context::TemplateContext;
use crate::scaffold::{
    IfExists, Plan, grafana, registry, rustfmt, templates, templates::TemplateSet,
};
use crate::ui;
use crate::values::rules;

pub fn run(args: InitArgs, dir: &Path) -> Result<()> {
    if dir.join(PROJECT_FILE).exists() {
        bail!(
            "this directory already holds an operator project (`{PROJECT_FILE}` exists); add an API with `cargo operator create api`"
        );
    }
    let plugins = args.kubebuilder.plugins.parse(PluginCommand::Init)?;
    let mut notes = plugins.notes();
    notes.extend(args.kubebuilder.notes());
    ui::print_notes(&notes);
    let dry_run = args.write.dry_run;
    let project = Project {
        grafana: plugins.contains(Plugin::Grafana),
        ..resolve(args, dir)?
    };
    let mut plan = plan(&project, dir)?;
    let formatting = rustfmt::format_plan(&mut plan)?;
    ui::finish(
        &mut plan,
        &formatting,
        dry_run,
        &["cargo operator create api --kind Foo", "make test"],
    )
}

fn resolve(args: InitArgs, dir: &Path) -> Result<Project> {
    rules::domain(&args.domain)?;
    let project_name = match args.project_name {
        Some(name) => name,
        None => {
            let Some(name) = dir.file_name().and_then(|n| n.to_str()) else {
                bail!("cannot name the project after this directory; pass `--project-name`");
            };
            rules::project_name(name)
                .map_err(|err| anyhow::anyhow!("{err} (it defaults to the directory's name)"))?;
            name.to_string()
        }
    };
    rules::project_name(&project_name)?;
    Ok(Project {
        layout: LAYOUT.into(),
        cli_version: env!("CARGO_PKG_VERSION").into(),
        domain: args.domain,
        project_name,
        repo: args.repo,
        owner: args.owner,
        license: args.license,
        namespaced: args.namespaced,
        helm: false,
        grafana: false,
        autoupdate: false,
        multigroup: args.multigroup,
        files: Default::default(),
        resources: Vec::new(),
    })
}

/// Every file `init` writes, in memory.
pub fn plan(project: &Project, dir: &Path) -> Result<Plan> {
    let context = TemplateContext::new(project, None);
    let mut plan = Plan::new(
        dir,
        "`init` never replaces files, so move it away or run `init` in an empty directory",
    );
    for file in templates::render_set(TemplateSet::Init, &context)? {
        plan.add_file(&file.path, file.content, file.if_exists)?;
    }
    // Kubebuilder's grafana plugin runs at `init` too.
    if project.grafana {
        grafana::plan(&mut plan, project, false)?;
    }
    registry::plan_project_files(&mut plan, None, project, false)?;
    plan.add_file(PROJECT_FILE, project.to_toml(), IfExists::Error)?;
    Ok(plan)
}
