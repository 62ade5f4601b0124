//! `cargo operator create api`: a custom resource type and its controller.

use std::path::Path;

use anyhow::{Result, bail};

use super::TemplateContext;
use crate::api_names::{Group, Kind, Plural, Version};
use crate::cli::CreateApiArgs;
use crate::names::plural_of;
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
        file: "config/samples/Kustomization",
        marker: markers::SAMPLES_KUSTOMIZE,
        fragment: "- {{ resource.group }}_{{ resource.version }}_{{ resource.kind_snake }}.yaml",
    },
];

pub fn run(args: CreateApiArgs, dir: &Path) -> Result<()> {
    ui::print_notes(&args.kubebuilder.notes());
    let dry_run = args.write.dry_run;
    let project = Project::load(dir)?;
    let request = resolve(args, &project)?;
    let mut plan = plan(&project, &request, dir)?;
    let formatting = rustfmt::format_plan(&mut plan)?;
    if dry_run {
        ui::print_dry_run(&plan);
        return Ok(());
    }
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
    let kind: Kind = parse(&args.kind)?;
    // Checked before anything is asked, so nobody answers questions only to be refused.
    let plural: Plural = parse(&args.plural.unwrap_or_else(|| plural_of(&kind)))?;
    // As in the article: the group defaults to the project's (or its name), the version to v1.
    let default_group = match project.group() {
        Some(group) => group.to_string(),
        None => project.project_name.clone(),
    };
    let group: Group = parse(&ui::input_unless_given(
        args.group,
        "Group",
        &default_group,
    )?)?;
    validate::group(&group, &project.domain)?;
    let version: Version = parse(&ui::input_unless_given(args.version, "Version", "v1")?)?;

    if let Some(project_group) = project.group()
        && *project_group != group
    {
        bail!(
            "this project's APIs are in group `{project_group}`, and projects hold one group; use `--group {project_group}`, or start another project for group `{group}`"
        );
    }
    if let Some(built_in) = shadowed_built_in(&plural) {
        ui::warn(&format!(
            "plural `{plural}` is also the built-in resource `{built_in}`, so `kubectl get {plural}` lists the built-in one; name yours `{plural}.{group}.{}` in kubectl, or pass another `--plural`",
            project.domain
        ));
    }
    let namespaced = args.namespaced.unwrap_or(true);
    if project.namespaced && !namespaced {
        bail!(
            "this project's manager watches one namespace, so it cannot own the cluster-scoped kind `{kind}`; drop `--namespaced=false`"
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
        .find(|r| r.group == group && r.version == version && r.kind == kind);
    let resource = Resource {
        group,
        version,
        kind,
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

/// A flag's value as one of the validated name types, with the type's own message.
fn parse<T: std::str::FromStr<Err = String>>(value: &str) -> Result<T> {
    value
        .parse()
        .map_err(|message: String| anyhow::anyhow!(message))
}

/// Resources every cluster serves, with the short names kubectl also resolves: a custom
/// resource with one of these plurals is hidden behind the built-in in `kubectl get <plural>`.
const BUILT_IN_RESOURCES: &[(&str, &[&str])] = &[
    ("apiservices", &[]),
    ("bindings", &[]),
    ("certificatesigningrequests", &["csr"]),
    ("clusterrolebindings", &[]),
    ("clusterroles", &[]),
    ("componentstatuses", &["cs"]),
    ("configmaps", &["cm"]),
    ("controllerrevisions", &[]),
    ("cronjobs", &["cj"]),
    ("csidrivers", &[]),
    ("csinodes", &[]),
    ("csistoragecapacities", &[]),
    ("customresourcedefinitions", &["crd", "crds"]),
    ("daemonsets", &["ds"]),
    ("deployments", &["deploy"]),
    ("endpoints", &["ep"]),
    ("endpointslices", &[]),
    ("events", &["ev"]),
    ("flowschemas", &[]),
    ("horizontalpodautoscalers", &["hpa"]),
    ("ingressclasses", &[]),
    ("ingresses", &["ing"]),
    ("ipaddresses", &["ip"]),
    ("jobs", &[]),
    ("leases", &[]),
    ("limitranges", &["limits"]),
    ("mutatingadmissionpolicies", &[]),
    ("mutatingadmissionpolicybindings", &[]),
    ("mutatingwebhookconfigurations", &[]),
    ("namespaces", &["ns"]),
    ("networkpolicies", &["netpol"]),
    ("nodes", &["no"]),
    ("persistentvolumeclaims", &["pvc"]),
    ("persistentvolumes", &["pv"]),
    ("poddisruptionbudgets", &["pdb"]),
    ("pods", &["po"]),
    ("podtemplates", &[]),
    ("priorityclasses", &["pc"]),
    ("prioritylevelconfigurations", &[]),
    ("replicasets", &["rs"]),
    ("replicationcontrollers", &["rc"]),
    ("resourceclaims", &[]),
    ("resourceclaimtemplates", &[]),
    ("resourcequotas", &["quota"]),
    ("resourceslices", &[]),
    ("rolebindings", &[]),
    ("roles", &[]),
    ("runtimeclasses", &[]),
    ("secrets", &[]),
    ("serviceaccounts", &["sa"]),
    ("servicecidrs", &[]),
    ("services", &["svc"]),
    ("statefulsets", &["sts"]),
    ("storageclasses", &["sc"]),
    ("validatingadmissionpolicies", &[]),
    ("validatingadmissionpolicybindings", &[]),
    ("validatingwebhookconfigurations", &[]),
    ("volumeattachments", &[]),
    ("volumeattributesclasses", &["vac"]),
];

/// The built-in resource that `plural` would be taken for by kubectl, if any.
fn shadowed_built_in(plural: &str) -> Option<&'static str> {
    BUILT_IN_RESOURCES
        .iter()
        .find(|(name, short)| *name == plural || short.contains(&plural))
        .map(|(name, _)| *name)
}

fn insert_all(plan: &mut Plan, insertions: &[Insertion], context: &TemplateContext) -> Result<()> {
    for insertion in insertions {
        let file = templates::render_fragment(insertion.file, context)?;
        let fragment = templates::render_fragment(insertion.fragment, context)?;
        plan.insert_at_marker(&file, insertion.marker, &fragment)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_and_short_names_of_built_ins_are_found() {
        assert_eq!(shadowed_built_in("services"), Some("services"));
        assert_eq!(shadowed_built_in("svc"), Some("services"));
        assert_eq!(shadowed_built_in("jobs"), Some("jobs"));
        assert_eq!(shadowed_built_in("foos"), None);
    }
}
