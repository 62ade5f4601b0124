//! One file per command. Each reads top-down: load the project file, resolve the flags into
//! validated values, plan every file in memory, apply the plan, save the project file, print.

pub mod completion;
pub mod create_api;
pub mod edit;
pub mod init;
pub mod manifests;
pub mod registry;
pub mod version;

use serde::Serialize;

use std::path::Path;

use anyhow::Result;

use crate::names::{ProjectNames, ResourceNames, copyright_year};
use crate::project::Project;
use crate::scaffold::{IfExists, Plan};

/// What every command that writes plans besides its own files: the registry files rendered
/// whole from the project file, and the vendored runtime crates (replaced with this binary's
/// copies, since no user edits them).
pub fn plan_project_files(
    plan: &mut Plan,
    dir: &Path,
    before: Option<&Project>,
    after: &Project,
    force: bool,
) -> Result<()> {
    registry::plan(plan, dir, before, after, force)?;
    for (path, contents) in crate::vendor::files() {
        plan.add_file(&path, contents.to_string(), IfExists::Overwrite)?;
    }
    Ok(())
}

/// The one context every template and fragment is rendered with.
#[derive(Debug, Serialize)]
pub struct TemplateContext {
    pub project: ProjectNames,
    /// The resource a `create api` is adding; absent for `init`.
    pub resource: Option<ResourceNames>,
    /// Every resource of the project, the new one included, in the order they were added.
    pub resources: Vec<ResourceNames>,
    /// The resources that have a controller.
    pub controllers: Vec<ResourceNames>,
    /// Every API version, sorted, with its kinds.
    pub versions: Vec<VersionNames>,
    /// The version a per-version template is rendered for.
    pub version: Option<VersionNames>,
}

/// One API version and the kinds it holds, sorted by module.
#[derive(Debug, Clone, Serialize)]
pub struct VersionNames {
    pub name: String,
    pub api_group: String,
    pub kinds: Vec<ResourceNames>,
}

impl TemplateContext {
    pub fn new(project: &Project, resource: Option<&crate::project::Resource>) -> Self {
        let resources: Vec<ResourceNames> = project
            .resources
            .iter()
            .map(|r| ResourceNames::new(r, &project.domain))
            .collect();
        let mut versions: Vec<VersionNames> = Vec::new();
        for r in &resources {
            match versions.iter_mut().find(|v| v.name == r.version) {
                Some(version) => version.kinds.push(r.clone()),
                None => versions.push(VersionNames {
                    name: r.version.clone(),
                    api_group: r.api_group.clone(),
                    kinds: vec![r.clone()],
                }),
            }
        }
        versions.sort_by(|a, b| a.name.cmp(&b.name));
        for version in &mut versions {
            version
                .kinds
                .sort_by(|a, b| a.kind_snake.cmp(&b.kind_snake));
        }
        let mut controllers: Vec<ResourceNames> =
            resources.iter().filter(|r| r.controller).cloned().collect();
        controllers.sort_by(|a, b| a.kind_snake.cmp(&b.kind_snake));
        TemplateContext {
            project: ProjectNames::new(project, copyright_year()),
            resource: resource.map(|r| ResourceNames::new(r, &project.domain)),
            resources,
            controllers,
            versions,
            version: None,
        }
    }
}
