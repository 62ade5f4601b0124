//! The files that only list what `PROJECT.toml` holds: `src/api/mod.rs`, `src/controllers/mod.rs`,
//! `src/webhooks/mod.rs` and the `mod.rs` of each folder between them and the types,
//! controllers or webhooks (per version, per group in the layout by group, and under
//! `src/api/external/`), and `tests/integration/main.rs`, the modules of the integration test
//! binary.
//!
//! Every command renders them whole from the project file instead of inserting lines above
//! markers: rustfmt may rewrap any line (a long `pub use` breaks across lines), and an insertion
//! into a wrapped line breaks the file. They are the project's, but not for hand edits: one that
//! no longer matches what the previous project file renders was edited, and is only replaced
//! with `--force`.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};

use super::context::{ModuleList, TemplateContext};
use crate::model::project::Project;
use crate::scaffold::{IfExists, Plan, templates, templates::TemplateSet};

/// What every command that writes plans besides its own files: the registry files rendered
/// whole from the project file, and the vendored runtime crates (replaced with this binary's
/// copies, since no user edits them).
pub fn plan_project_files(
    plan: &mut Plan,
    before: Option<&Project>,
    after: &Project,
    force: bool,
) -> Result<()> {
    // Flags never make a project that `PROJECT.toml` would refuse once written.
    after
        .check()
        .map_err(|problem| anyhow::anyhow!(problem.message))?;
    self::plan(plan, before, after, force)?;
    for (path, contents) in crate::vendor::files() {
        plan.add_file(&path, contents.to_string(), IfExists::Overwrite)?;
    }
    Ok(())
}

/// Plans the registry files of `after`. `before` is the project file as the command found it
/// (`None` for `init`), which says what the files on disk should hold if nobody edited them.
pub fn plan(plan: &mut Plan, before: Option<&Project>, after: &Project, force: bool) -> Result<()> {
    let previous = match before {
        Some(before) => render(before)?,
        None => Vec::new(),
    };
    let rendered = render(after)?;
    for (path, old) in &previous {
        // A list nothing belongs to any more (the last kind of a version was deleted, or the
        // layout changed) goes, unless someone added code to it.
        if rendered.iter().any(|(new_path, _)| new_path == path) {
            continue;
        }
        if let Some(on_disk) = plan.current(path)?
            && !force
            && !same_code(&on_disk, old)
        {
            bail!(
                "`{path}` was edited by hand, but cargo-operator would delete it now that `PROJECT.toml` lists nothing for it; move your code into another module, or pass `--force`"
            );
        }
        plan.remove_file(path)?;
    }
    for (path, content) in rendered {
        let on_disk = plan.current(&path)?;
        if let Some(on_disk) = &on_disk
            && !force
            && !same_code(on_disk, &content)
            && !previous
                .iter()
                .any(|(old_path, old)| *old_path == path && same_code(on_disk, old))
        {
            bail!(
                "`{path}` was edited by hand, but cargo-operator writes it whole from `PROJECT.toml`; move your code into another module, or pass `--force` to replace it"
            );
        }
        plan.add_file(&path, content, IfExists::Overwrite)?;
    }
    Ok(())
}

/// Every registry file of `project`, as rendered (before rustfmt).
pub fn render(project: &Project) -> Result<Vec<(String, String)>> {
    let mut context = TemplateContext::new(project, None);
    let mut files: Vec<(String, String)> = templates::render_set(TemplateSet::Registry, &context)?
        .into_iter()
        .map(|file| (file.path, file.content))
        .collect();
    for module in module_lists(&context) {
        context.module = Some(module);
        for file in templates::render_set(TemplateSet::RegistryModule, &context)? {
            files.push((file.path, file.content));
        }
    }
    Ok(files)
}

/// The `mod.rs` files between `src/api/mod.rs` (or `src/controllers/mod.rs`) and the files of
/// the types and controllers: per version, and per group in a project of several groups.
fn module_lists(context: &TemplateContext) -> Vec<ModuleList> {
    // Keyed by file, so each folder gets one list whatever the order of the resources.
    let mut lists: BTreeMap<String, ModuleList> = BTreeMap::new();
    let mut add = |file: String, doc: String, adds: &str, module: &str, uses: Option<String>| {
        let list = lists.entry(file.clone()).or_insert_with(|| ModuleList {
            file,
            doc,
            adds: adds.into(),
            mods: Vec::new(),
            uses: Vec::new(),
        });
        if !list.mods.iter().any(|m| m == module) {
            list.mods.push(module.into());
        }
        list.uses.extend(uses);
    };
    let add_kinds = "add kinds with `cargo operator create api`";
    for r in &context.resources {
        if r.core {
            continue;
        }
        let version_dir = format!("src/api/{}", r.api_module.replace("::", "/"));
        let uses = if r.owned {
            format!("{0}::{{{1}, {1}Spec, {1}Status}}", r.kind_snake, r.kind)
        } else {
            format!("{}::{}", r.kind_snake, r.kind)
        };
        let version_doc = if r.owned {
            format!(
                "Version `{}` of the `{}` API group.",
                r.version, r.api_group
            )
        } else {
            format!(
                "Version `{}` of the `{}` API group, generated from its CRD in `config/crd/external/`.",
                r.version, r.api_group
            )
        };
        add(
            format!("{version_dir}/mod.rs"),
            version_doc,
            add_kinds,
            &r.kind_snake,
            Some(uses),
        );
        let group_dir = version_dir.rsplit_once('/').map_or("", |(dir, _)| dir);
        if r.external || context.project.multigroup {
            add(
                format!("{group_dir}/mod.rs"),
                format!("The `{}` API group, one module per version.", r.api_group),
                add_kinds,
                &r.version,
                None,
            );
        }
        if r.external {
            add(
                "src/api/external/mod.rs".into(),
                "Types of custom resources other projects own, one module per API group.".into(),
                "add kinds with `cargo operator create api --external-api-crd`",
                &r.group_module,
                None,
            );
        }
    }
    for c in &context.controllers {
        if let Some((group, module)) = c.path.split_once("::") {
            add(
                format!("src/controllers/{group}/mod.rs"),
                format!(
                    "The controllers of the `{}` API group.",
                    c.resource.api_group_or_core()
                ),
                "add controllers with `cargo operator create api`",
                module,
                None,
            );
        }
    }
    let add_webhooks = "add webhooks with `cargo operator create webhook`";
    // A folder may hold the webhooks of several groups (in one version folder, the project's
    // kind beside Pod's and Deployment's): its doc then names none.
    let mut groups_in: BTreeMap<String, (BTreeSet<&str>, Option<&str>)> = BTreeMap::new();
    for w in &context.webhooks {
        let mut modules: Vec<&str> = Vec::new();
        if w.admission() {
            modules.push(&w.path);
        }
        if w.conversion {
            modules.extend(w.spokes.iter().map(|s| s.path.as_str()));
        }
        for path in modules {
            // `v1::foo` or `tutorial::v1::foo`: a list in each folder on the way.
            let parts: Vec<&str> = path.split("::").collect();
            for depth in 1..parts.len() {
                let dir = parts[..depth].join("/");
                let group = w.resource.api_group_or_core();
                let doc = if depth + 1 == parts.len() {
                    format!(
                        "The webhooks of version `{}` of the `{group}` API group.",
                        parts[depth - 1],
                    )
                } else {
                    format!("The webhooks of the `{group}` API group, one module per version.")
                };
                let file = format!("src/webhooks/{dir}/mod.rs");
                let entry = groups_in.entry(file.clone()).or_default();
                entry.0.insert(group);
                entry.1 = (depth + 1 == parts.len()).then_some(parts[depth - 1]);
                add(file, doc, add_webhooks, parts[depth], None);
            }
        }
    }
    for (file, (groups, version)) in groups_in {
        if groups.len() > 1
            && let Some(list) = lists.get_mut(&file)
        {
            list.doc = match version {
                Some(version) => format!(
                    "The webhooks of kinds of version `{version}` in several API groups, one module per kind."
                ),
                None => "The webhooks of several API groups of one name, one module per version."
                    .to_string(),
            };
        }
    }
    let mut lists: Vec<ModuleList> = lists.into_values().collect();
    for list in &mut lists {
        list.mods.sort();
        list.uses.sort();
    }
    lists
}

/// Whether two versions of a file hold the same code whatever rustfmt did to its layout: line
/// breaks, indentation, and the trailing commas it adds or drops when it wraps a list.
fn same_code(a: &str, b: &str) -> bool {
    let code = |text: &str| {
        text.split_whitespace()
            .collect::<String>()
            .replace(",}", "}")
            .replace(",)", ")")
            .replace(",]", "]")
    };
    code(a) == code(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_does_not_count_as_an_edit() {
        assert!(same_code(
            "pub use foo::{Foo, FooSpec};\n",
            "pub use foo::{\n    Foo,\n    FooSpec,\n};\n"
        ));
        assert!(!same_code(
            "pub mod foo;\n",
            "pub mod foo;\npub mod mine;\n"
        ));
    }
}
