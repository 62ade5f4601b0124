//! The one context every template and fragment is rendered with, made from `PROJECT.toml`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::names::{
    ControllerNames, ProjectNames, ResourceNames, SpokeNames, WebhookNames, copyright_year,
};
use crate::model::project::{Project, Resource};

/// The one context every template and fragment is rendered with.
#[derive(Debug, Serialize)]
pub struct TemplateContext {
    pub project: ProjectNames,
    /// The resource a `create api` is adding; absent for `init`.
    pub resource: Option<ResourceNames>,
    /// The controller a `create api` is adding.
    pub controller: Option<ControllerNames>,
    /// The JSON of the object the new controller's test creates (kinds the project does not own).
    pub sample: Option<String>,
    /// Every resource of the project, the new one included, in the order they were added.
    pub resources: Vec<ResourceNames>,
    /// The resources whose types (and CRDs) this project defines.
    pub owned: Vec<ResourceNames>,
    /// Every controller, sorted by module path.
    pub controllers: Vec<ControllerNames>,
    /// The modules directly under `crate::controllers`: a controller each, or a group each.
    pub controller_modules: Vec<String>,
    /// The modules directly under `crate::api`: a version each, or a group each, and `external`.
    pub api_modules: Vec<String>,
    /// A module file that only lists modules, rendered by the `registry-module` set.
    pub module: Option<ModuleList>,
    /// The webhooks of every version that has some, in the order the versions were added.
    pub webhooks: Vec<WebhookNames>,
    /// The modules directly under `crate::webhooks`: a version each, or a group each.
    pub webhook_modules: Vec<String>,
    /// The modules of the integration test binary (`tests/integration/main.rs`) besides
    /// `support`: the manager's tests, each controller's, each version's webhooks', each
    /// conversion's.
    pub test_modules: Vec<String>,
    /// The webhooks a `create webhook` is adding.
    pub webhook: Option<WebhookNames>,
    /// The spoke whose conversion a `create webhook` is adding.
    pub spoke: Option<SpokeNames>,
    /// Every marker line by name (`{{ markers.crd_kustomize }}`), from `markers::ALL`.
    pub markers: BTreeMap<&'static str, &'static str>,
}

/// A `mod.rs` that only declares submodules and re-exports their types.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleList {
    pub file: String,
    /// The module's doc line.
    pub doc: String,
    /// Ends "edits here are refused; …": the command that adds to it.
    pub adds: String,
    pub mods: Vec<String>,
    /// `foo::{Foo, FooSpec, FooStatus}`: what `pub use` brings up.
    pub uses: Vec<String>,
}

impl TemplateContext {
    pub fn new(project: &Project, resource: Option<&Resource>) -> Self {
        let resources: Vec<ResourceNames> = project
            .resources
            .iter()
            .map(|r| ResourceNames::new(r, project))
            .collect();
        let owned: Vec<ResourceNames> = resources.iter().filter(|r| r.owned).cloned().collect();
        let mut controllers: Vec<ControllerNames> = project
            .resources
            .iter()
            .flat_map(|r| ControllerNames::of(r, project))
            .collect();
        controllers.sort_by(|a, b| a.path.cmp(&b.path));
        let top = |path: &str| path.split("::").next().unwrap_or(path).to_string();
        let mut controller_modules: Vec<String> =
            controllers.iter().map(|c| top(&c.path)).collect();
        controller_modules.dedup();
        let mut api_modules: Vec<String> = owned.iter().map(|r| top(&r.api_module)).collect();
        if resources.iter().any(|r| r.external) {
            api_modules.push("external".into());
        }
        // In rustfmt's order, so a formatted registry still reads as unedited.
        api_modules.sort();
        api_modules.dedup();
        let webhooks: Vec<WebhookNames> = project
            .resources
            .iter()
            .filter_map(|r| WebhookNames::of(r, project))
            .collect();
        let mut webhook_modules: Vec<String> = webhooks
            .iter()
            .flat_map(|w| {
                let admission = w.admission().then(|| top(&w.path));
                admission
                    .into_iter()
                    .chain(w.spokes.iter().map(|s| top(&s.path)))
            })
            .collect();
        webhook_modules.sort();
        webhook_modules.dedup();
        let mut test_modules: Vec<String> = std::iter::once("manager".to_string())
            .chain(controllers.iter().map(|c| c.test_module.clone()))
            .chain(webhooks.iter().flat_map(|w| {
                let admission = w.admission().then(|| w.test_module.clone());
                let conversion = w.conversion.then(|| w.conversion_test_module.clone());
                admission.into_iter().chain(conversion)
            }))
            .collect();
        // In rustfmt's order, so a formatted registry still reads as unedited.
        test_modules.sort();
        test_modules.dedup();
        TemplateContext {
            project: ProjectNames::new(project, copyright_year()),
            resource: resource.map(|r| ResourceNames::new(r, project)),
            controller: None,
            sample: None,
            resources,
            owned,
            controllers,
            controller_modules,
            api_modules,
            module: None,
            webhooks,
            webhook_modules,
            test_modules,
            webhook: None,
            spoke: None,
            markers: super::markers::ALL.iter().copied().collect(),
        }
    }
}
