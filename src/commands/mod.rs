//! One file per command. Each reads top-down: load the project file, resolve the flags into
//! validated values, plan every file in memory, apply the plan, save the project file, print.

pub mod completion;
pub mod create_api;
pub mod edit;
pub mod init;
pub mod manifests;
pub mod version;

use serde::Serialize;

use crate::names::{ProjectNames, ResourceNames, copyright_year};
use crate::project::Project;

/// The one context every template and fragment is rendered with.
#[derive(Debug, Serialize)]
pub struct TemplateContext {
    pub project: ProjectNames,
    /// The resource a `create api` is adding; absent for `init`.
    pub resource: Option<ResourceNames>,
    /// Every resource of the project, the new one included.
    pub resources: Vec<ResourceNames>,
}

impl TemplateContext {
    pub fn new(project: &Project, resource: Option<&crate::project::Resource>) -> Self {
        TemplateContext {
            project: ProjectNames::new(project, copyright_year()),
            resource: resource.map(|r| ResourceNames::new(r, &project.domain)),
            resources: project
                .resources
                .iter()
                .map(|r| ResourceNames::new(r, &project.domain))
                .collect(),
        }
    }
}
