//! `cargo operator create api`: a custom resource type and its controller.

use std::path::Path;

use anyhow::{Result, bail};

use super::TemplateContext;
use crate::cli::CreateApiArgs;
use crate::names::{kind_module, plural_of};
use crate::project::{Example, PROJECT_FILE, Project, Resource};
use crate::scaffold::markers;
use crate::scaffold::{IfExists, Plan, rustfmt, templates};
use crate::{ui, validate};

/// A line added above a marker in a file `init` or an earlier `create api` wrote.
struct Insertion {
    /// The file's path, itself a template.
    file: &'static str,
    marker: &'static str,
    /// A template rendered with the same context as the files.
    fragment: &'static str,
}

/// What registers a new type's manifests in the kustomizations. Its module and CRD are listed
/// by the registry files, which are rendered whole (see `registry`).
const RESOURCE_INSERTIONS: &[Insertion] = &[
    Insertion {
        file: "config/crd/kustomization.yaml",
        marker: markers::CRD_KUSTOMIZE,
        fragment: "- bases/{{ resource.crd_file_name }}",
    },
    Insertion {
        file: "config/rbac/kustomization.yaml",
        marker: markers::RBAC_KUSTOMIZE,
        fragment: "- {{ resource.kind_snake }}_editor_role.yaml\n- {{ resource.kind_snake }}_viewer_role.yaml",
    },
    Insertion {
        file: "config/samples/kustomization.yaml",
        marker: markers::SAMPLES_KUSTOMIZE,
        fragment: "- {{ resource.group }}_{{ resource.version }}_{{ resource.kind_snake }}.yaml",
    },
];

pub fn run(args: CreateApiArgs, dir: &Path) -> Result<()> {
    let project = Project::load(dir)?;
    let request = resolve(args, &project)?;
    let mut plan = plan(&project, &request, dir)?;
    let formatting = rustfmt::format_plan(&mut plan)?;
    plan.apply()?;
    ui::print_changes(&plan);
    ui::print_formatting(&formatting);
    ui::print_next_steps(&[
        "make manifests   # CRD and RBAC YAML from the Rust types",
        "make install     # apply the CRDs to the cluster",
        "make run         # run the manager against the cluster",
    ]);
    Ok(())
}

/// A validated `create api` request.
#[derive(Debug, Clone)]
pub struct Request {
    pub resource: Resource,
    /// Generate the type (and its manifests).
    pub with_resource: bool,
    /// Generate the controller.
    pub with_controller: bool,
    pub force: bool,
}

pub fn resolve(args: CreateApiArgs, project: &Project) -> Result<Request> {
    validate::group(&args.group, &project.domain)?;
    validate::version(&args.version)?;
    validate::kind(&args.kind)?;
    validate::kind_module(&args.kind, &kind_module(&args.kind))?;
    let plural = match args.plural {
        Some(plural) => plural,
        None => plural_of(&args.kind),
    };
    validate::plural(&plural)?;

    if let Some(group) = project.group()
        && group != args.group
    {
        bail!(
            "this project's APIs are in group `{group}`, and projects hold one group; use `--group {group}`, or start another project for group `{}`",
            args.group
        );
    }
    let namespaced = args.namespaced.unwrap_or(true);
    if project.namespaced && !namespaced {
        bail!(
            "this project's manager watches one namespace, so it cannot own the cluster-scoped kind `{}`; drop `--namespaced=false`",
            args.kind
        );
    }

    let with_resource = ui::confirm_unless_given(args.resource, "Create Resource", true)?;
    let with_controller = ui::confirm_unless_given(args.controller, "Create Controller", true)?;
    if !with_resource && !with_controller {
        bail!(
            "nothing to create with `--resource=false` and `--controller=false`; leave one of them out"
        );
    }

    let existing = project
        .resources
        .iter()
        .find(|r| r.group == args.group && r.version == args.version && r.kind == args.kind);
    let resource = Resource {
        group: args.group,
        version: args.version,
        kind: args.kind,
        plural,
        namespaced,
        controller: with_controller || existing.is_some_and(|r| r.controller),
        example: if args.skeleton {
            Example::Skeleton
        } else {
            Example::PodFriend
        },
    };
    let api = format!(
        "{}/{}, Kind={}",
        resource.group, resource.version, resource.kind
    );

    match existing {
        Some(existing) if !args.force && (with_resource || existing.controller) => bail!(
            "API `{api}` already exists; pass `--force` to regenerate its files (your edits to them are lost)"
        ),
        None if !with_resource => bail!(
            "the project has no type for `{api}` to control; leave out `--resource=false` to create it"
        ),
        _ => {}
    }
    // An existing type keeps its scope and example; `--force` regenerates what it was.
    let resource = match existing {
        Some(existing) if !with_resource => Resource {
            controller: true,
            ..existing.clone()
        },
        _ => resource,
    };

    for other in project.resources.iter().filter(|r| !r.same_gvk(&resource)) {
        if with_controller && other.kind == resource.kind && other.controller {
            bail!(
                "kind `{}` already has a controller (for version `{}`); create version `{}` with `--controller=false`",
                resource.kind,
                other.version,
                resource.version
            );
        }
        if other.group == resource.group
            && other.plural == resource.plural
            && other.kind != resource.kind
        {
            bail!(
                "plural `{}` is already the resource name of kind `{}`; pass another `--plural`",
                resource.plural,
                other.kind
            );
        }
        if other.version == resource.version {
            let clashes = |a: &str, b: &str| {
                ["Spec", "Status"]
                    .iter()
                    .any(|suffix| format!("{a}{suffix}") == b)
            };
            if clashes(&other.kind, &resource.kind) || clashes(&resource.kind, &other.kind) {
                bail!(
                    "kind `{}` clashes with the Rust types generated for kind `{}` in `{}`; pick another kind",
                    resource.kind,
                    other.kind,
                    resource.version
                );
            }
        }
    }

    Ok(Request {
        resource,
        with_resource,
        with_controller,
        force: args.force,
    })
}

/// Every file `create api` writes or changes, in memory.
pub fn plan(project: &Project, request: &Request, dir: &Path) -> Result<Plan> {
    let mut updated = project.clone();
    match updated
        .resources
        .iter_mut()
        .find(|r| r.same_gvk(&request.resource))
    {
        Some(slot) => *slot = request.resource.clone(),
        None => updated.resources.push(request.resource.clone()),
    }
    let context = TemplateContext::new(&updated, Some(&request.resource));
    let mut plan = Plan::new(dir, "move it away, or pass `--force` to overwrite it");
    let policy = |if_exists: IfExists| match if_exists {
        IfExists::Error if request.force => IfExists::Overwrite,
        other => other,
    };

    if request.with_resource {
        for file in templates::render_set("resource", &context)? {
            plan.add_file(&file.path, file.content, policy(file.if_exists))?;
        }
        insert_all(&mut plan, RESOURCE_INSERTIONS, &context)?;
    }
    if request.with_controller {
        let set = match request.resource.example {
            Example::PodFriend => "controller-pod-friend",
            Example::Skeleton => "controller-skeleton",
        };
        for file in templates::render_set(set, &context)? {
            plan.add_file(&file.path, file.content, policy(file.if_exists))?;
        }
    }
    super::plan_project_files(&mut plan, dir, Some(project), &updated, request.force)?;
    plan.add_file(PROJECT_FILE, updated.to_toml(), IfExists::Overwrite)?;
    Ok(plan)
}

fn insert_all(plan: &mut Plan, insertions: &[Insertion], context: &TemplateContext) -> Result<()> {
    for insertion in insertions {
        let file = templates::render_fragment(insertion.file, context)?;
        let fragment = templates::render_fragment(insertion.fragment, context)?;
        plan.insert_at_marker(&file, insertion.marker, &fragment)?;
    }
    Ok(())
}
