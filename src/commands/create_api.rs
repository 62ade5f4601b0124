//! `cargo operator create api`: a custom resource type and its controller.

use std::path::Path;

use anyhow::{Result, bail};

use crate::cli::CreateApiArgs;
use crate::model::core_kinds;
use crate::model::external_crd::{self, ExternalCrd};
use crate::model::names::{ControllerNames, ResourceNames};
use crate::model::project::{DeployImage, Example, PROJECT_FILE, Project, Resource, Source};
use crate::plugins::{Plugin, PluginCommand, Plugins};
use crate::scaffold::context::TemplateContext;
use crate::scaffold::{
    IfExists, Plan, chart, insertions, registry, resource_files, rustfmt, templates,
    templates::TemplateSet,
};
use crate::ui;
use crate::values::rules;
use crate::values::spelling::{group_module, kind_module, plural_of};
use crate::values::{ControllerName, Group, Kind, Plural, Version, parse};

pub fn run(args: CreateApiArgs, dir: &Path) -> Result<()> {
    let plugins = args.kubebuilder.plugins.parse(PluginCommand::CreateApi)?;
    let mut notes = plugins.notes();
    notes.extend(args.kubebuilder.notes());
    ui::print_notes(&notes);
    let dry_run = args.write.dry_run;
    let project = Project::load(dir)?;
    let request = resolve(args, &plugins, &project, dir)?;
    let (mut plan, mut updated) = plan(&project, &request, dir)?;
    let formatting = rustfmt::format_plan(&mut plan)?;
    resource_files::record_hashes(&mut plan, &mut updated, &request.resource)?;
    ui::finish(
        &mut plan,
        &formatting,
        dry_run,
        &[
            "make manifests   # CRD and RBAC YAML from the Rust types",
            "make install     # apply the CRDs to the cluster",
            "make run         # run the manager against the cluster",
        ],
    )
}

/// A validated `create api` request.
pub struct Request {
    /// The API's entry in `PROJECT.toml` after this command.
    pub resource: Resource,
    /// Generate the type (and its manifests): only for kinds the project owns.
    pub with_resource: bool,
    /// The controller to generate: the kind's own (`None` name) or a named one.
    pub controller: Option<Option<ControllerName>>,
    /// The CRD of a kind another project owns, as read.
    pub external: Option<(ExternalCrd, String)>,
    pub force: bool,
}

pub fn resolve(
    args: CreateApiArgs,
    plugins: &Plugins,
    project: &Project,
    dir: &Path,
) -> Result<Request> {
    if let Some(path) = &args.external_api_path {
        bail!(
            "`--external-api-path {path}` names a Go package; cargo-operator generates Rust types from the CRD itself, so pass `--external-api-crd <the CRD's YAML file>`"
        );
    }
    let kind: Kind = parse(&args.kind)?;
    let controller_name: Option<ControllerName> =
        args.controller_name.as_deref().map(parse).transpose()?;
    let deploy_image = resolve_deploy_image(&args, plugins.contains(Plugin::DeployImage))?;
    if let Some(path) = args.external_api_crd.clone() {
        return resolve_external(args, project, dir, kind, &path, controller_name);
    }
    if let Some(domain) = &args.external_api_domain {
        bail!(
            "`--external-api-domain={domain}` completes the group of a kind another project owns; pass that kind's CRD with `--external-api-crd <file>`"
        );
    }
    // Checked before anything is asked, so nobody answers questions only to be refused.
    let plural: Option<Plural> = args.plural.as_deref().map(parse).transpose()?;
    // As in the article: the group defaults to the project's (or its name), the version to v1.
    let default_group = match project.group() {
        Some(group) => group.to_string(),
        None => project.project_name.clone(),
    };
    let group: Group = parse(&ui::input_unless_given(
        args.group.clone(),
        "Group",
        &default_group,
    )?)?;
    let version: Version = parse(&ui::input_unless_given(
        args.version.clone(),
        "Version",
        "v1",
    )?)?;
    let existing = project
        .resources
        .iter()
        .find(|r| r.is(&group, &version, &kind))
        .cloned();
    let owned_exists = existing.as_ref().is_some_and(|r| r.source.is_project());
    // `--resource=true` asks for a type of the project's own in `<group>.<domain>`, as in
    // Kubebuilder (its book makes a CronJob in `batch.tutorial.kubebuilder.io`); without it, a
    // built-in group, version and kind mean the kind Kubernetes serves.
    if !owned_exists
        && args.resource != Some(true)
        && let Some(core) = core_kinds::find(&group, &version, &kind)
    {
        if deploy_image.is_some() {
            bail!(
                "`{group}/{version}, Kind={kind}` is built into Kubernetes, but `--image` makes a kind of this project whose controller deploys the image; pick a group of your own"
            );
        }
        return resolve_core(args, project, existing, core, controller_name);
    }
    if args.resource == Some(false) && existing.is_none() && core_kinds::is_core_group(&group) {
        bail!(
            "`{group}/{version}, Kind={kind}` is not a built-in kind cargo-operator knows; it knows {} in `{group}`. For a custom resource of another project, pass `--external-api-crd <its CRD file>`",
            match core_kinds::known_in(&group) {
                known if known.is_empty() => "none".to_string(),
                known => known,
            }
        );
    }
    let plural = match plural {
        Some(plural) => plural,
        None => parse(&plural_of(&kind))?,
    };
    rules::group(&group, &project.domain)?;
    rules::kind_is_not_reserved(&kind)?;

    if !project.multigroup
        && let Some(project_group) = project.group()
        && *project_group != group
    {
        bail!(
            "this project's APIs are in group `{project_group}`, and one-group projects hold one; use `--group {project_group}`, or run `cargo operator edit --multigroup` first to add group `{group}`"
        );
    }
    if project.multigroup {
        rules::group_module(&group)?;
    }
    if let Some(built_in) = core_kinds::shadowed_built_in(&plural) {
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

    // `--image` makes both (`resolve_deploy_image` refused `=false`): nothing to ask.
    let (with_resource, with_controller) = if deploy_image.is_some() {
        (true, true)
    } else {
        (
            ui::confirm_unless_given(args.resource, "Create Resource", true)?,
            ui::confirm_unless_given(args.controller, "Create Controller", true)?,
        )
    };
    if !with_resource && !with_controller {
        bail!(
            "nothing to create with `--resource=false` and `--controller=false`; leave one of them out"
        );
    }
    let controller_name = match controller_name {
        None if args.force && with_controller => existing.as_ref().and_then(kind_named_controller),
        name => name,
    };

    // Another version of a kind that is not the Pod-friend example (a skeleton, or a
    // deploy-image kind) starts from the skeleton's type, not from a Foo's `spec.name`.
    let beside_a_skeleton = project.owned().any(|r| {
        r.group == group
            && r.kind == kind
            && r.version != version
            && r.example != Example::PodFriend
    });
    let resource = Resource {
        group,
        version,
        kind,
        plural,
        namespaced,
        controller: with_controller && controller_name.is_none(),
        example: match deploy_image {
            Some(options) => Example::DeployImage(options),
            None if args.skeleton || beside_a_skeleton => Example::Skeleton,
            None => Example::PodFriend,
        },
        source: Source::Project,
        own_controller_name: None,
        named_controllers: Vec::new(),
        files: Default::default(),
        webhooks: Default::default(),
    };
    let api = resource.gvk();

    match &existing {
        Some(existing)
            if !args.force
                && (with_resource || (existing.controller && controller_name.is_none())) =>
        {
            bail!(
                "API `{api}` already exists; pass `--force` to regenerate its files (your edits to them are lost)"
            )
        }
        None if !with_resource => bail!(
            "the project has no type for `{api}` to control; leave out `--resource=false` to create it"
        ),
        _ => {}
    }
    // An existing type keeps its scope, example and controllers; `--force` regenerates what it was.
    let resource = match existing {
        Some(existing) => Resource {
            controller: existing.controller || resource.controller,
            ..if with_resource {
                Resource {
                    own_controller_name: existing.own_controller_name.clone(),
                    named_controllers: existing.named_controllers.clone(),
                    files: existing.files.clone(),
                    ..resource
                }
            } else {
                existing
            }
        },
        None => resource,
    };
    let resource = with_named_controller(resource, controller_name.as_ref(), args.force)?;

    for other in project.resources.iter().filter(|r| !r.same_gvk(&resource)) {
        if let (Some(mine), Some(theirs)) = (
            ResourceNames::new(&resource, project).deploy_image,
            ResourceNames::new(other, project).deploy_image,
        ) && mine.image_env_var == theirs.image_env_var
        {
            bail!(
                "`{}` already sets the image of `{}`, a kind of the same name; pick another kind",
                mine.image_env_var,
                other.gvk()
            );
        }
        if with_controller
            && controller_name.is_none()
            && other.kind == resource.kind
            && other.group == resource.group
            && other.controller
        {
            bail!(
                "kind `{}` already has a controller (for version `{}`); create version `{}` with `--controller=false`, or name a second controller with `--controller-name`",
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
        if other.version == resource.version && other.group == resource.group {
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

    let resource = name_own_controller(project, resource);
    let controller = with_controller.then_some(controller_name);
    check_controller_is_new(project, &resource, controller.as_ref())?;
    Ok(Request {
        resource,
        with_resource,
        controller,
        external: None,
        force: args.force,
    })
}

/// A controller of `resource` named after its kind (`--controller-name=captain` for `Captain`):
/// the kind's controller as Kubebuilder sees it, which `--force` without a name regenerates.
fn kind_named_controller(resource: &Resource) -> Option<ControllerName> {
    let module = kind_module(&resource.kind);
    resource
        .named_controllers
        .iter()
        .find(|name| name.replace('-', "_") == module)
        .cloned()
}

/// The deploy-image options of `create api --image …` (Kubebuilder's
/// `--plugins=deploy-image/v1-alpha`, which `plugin_named` says was given), checked; `None`
/// without `--image`.
fn resolve_deploy_image(args: &CreateApiArgs, plugin_named: bool) -> Result<Option<DeployImage>> {
    let flags = &args.deploy_image;
    let Some(image) = &flags.image else {
        if plugin_named {
            bail!(
                "the deploy-image plugin needs the image to deploy; pass `--image`, such as `--image=memcached:1.6.26-alpine3.19`"
            );
        }
        if let Some(flag) = flags.image_options_given().first() {
            bail!(
                "`{flag}` configures the container of the image that `--image` deploys; pass `--image` too, or leave `{flag}` out"
            );
        }
        return Ok(None);
    };
    let conflict = if args.external_api_crd.is_some() {
        Some("`--external-api-crd` (a kind another project owns)")
    } else if args.resource == Some(false) {
        Some("`--resource=false` (no type)")
    } else if args.controller == Some(false) {
        Some("`--controller=false` (no controller)")
    } else if args.skeleton {
        Some("`--skeleton` (another controller)")
    } else if args.controller_name.is_some() {
        Some("`--controller-name` (a second controller)")
    } else if args.namespaced == Some(false) {
        Some("`--namespaced=false` (a cluster-scoped kind, with no namespace for the Deployment)")
    } else {
        None
    };
    if let Some(conflict) = conflict {
        bail!(
            "`--image` makes a new namespaced kind and the controller that deploys the image, which rules out {conflict}; drop one of the two"
        );
    }
    checked("--image", Some(image), rules::image_reference)?;
    let command = checked(
        "--image-container-command",
        flags.image_container_command.as_deref(),
        rules::container_command,
    )?
    .unwrap_or_default();
    let container_port = checked(
        "--image-container-port",
        flags.image_container_port.as_deref(),
        rules::container_port,
    )?;
    let run_as_user = checked(
        "--run-as-user",
        flags.run_as_user.as_deref(),
        rules::run_as_user,
    )?;
    Ok(Some(DeployImage {
        image: image.clone(),
        command,
        container_port,
        run_as_user,
    }))
}

/// `value`, when given, checked by `check`; a refusal names `flag`.
fn checked<T>(
    flag: &str,
    value: Option<&str>,
    check: impl Fn(&str) -> Result<T>,
) -> Result<Option<T>> {
    value
        .map(|value| check(value).map_err(|err| anyhow::anyhow!("`{flag}`: {err}")))
        .transpose()
}

/// Adds `name` to the kind's named controllers (once).
fn with_named_controller(
    mut resource: Resource,
    name: Option<&ControllerName>,
    force: bool,
) -> Result<Resource> {
    if let Some(name) = name {
        if resource.named_controllers.contains(name) {
            if !force {
                bail!(
                    "controller `{name}` already exists; pass `--force` to regenerate its files (your edits to them are lost)"
                );
            }
        } else {
            resource.named_controllers.push(name.clone());
        }
    }
    Ok(resource)
}

/// In the layout by group, names the kind's own controller `<group>-<kind>` (as Kubebuilder
/// names controllers there) when the same kind in another group has a controller under the
/// kind's name already: controller names are unique in a manager. Only then, so no other name
/// changes; the name is recorded, so it stays when the other kind goes.
fn name_own_controller(project: &Project, mut resource: Resource) -> Resource {
    if !project.multigroup || !resource.controller || resource.own_controller_name.is_some() {
        return resource;
    }
    let plain = kind_module(&resource.kind);
    let taken = project
        .resources
        .iter()
        .filter(|other| other.group != resource.group && other.kind == resource.kind)
        .flat_map(|other| ControllerNames::of(other, project))
        .any(|other| !other.named && other.name == plain);
    if taken {
        resource.own_controller_name = Some(format!(
            "{}-{plain}",
            group_module(&resource.group).replace('_', "-")
        ));
    }
    resource
}

/// The controller of `resource` that `name` picks: the kind's own for `None`, else the named one.
fn controller_of(
    resource: &Resource,
    project: &Project,
    name: &Option<ControllerName>,
) -> Option<ControllerNames> {
    ControllerNames::of(resource, project)
        .into_iter()
        .find(|c| match name {
            Some(name) => c.named && c.name == **name,
            None => !c.named,
        })
}

/// Refuses a controller whose module or name another controller of the project already has.
fn check_controller_is_new(
    project: &Project,
    resource: &Resource,
    controller: Option<&Option<ControllerName>>,
) -> Result<()> {
    let Some(name) = controller else {
        return Ok(());
    };
    let Some(new) = controller_of(resource, project, name) else {
        return Ok(());
    };
    for existing in &project.resources {
        for other in ControllerNames::of(existing, project) {
            // Regenerating a controller (`--force`) meets itself.
            let itself =
                existing.same_gvk(resource) && other.named == new.named && other.name == new.name;
            if !itself && (other.path == new.path || other.name == new.name) {
                bail!(
                    "controller `{}` already exists (for `{}`); name this one with `--controller-name`",
                    other.name,
                    other.resource.api_version
                );
            }
        }
    }
    Ok(())
}

/// A controller over a kind Kubernetes serves itself.
fn resolve_core(
    args: CreateApiArgs,
    project: &Project,
    existing: Option<Resource>,
    core: &core_kinds::CoreKind,
    controller_name: Option<ControllerName>,
) -> Result<Request> {
    let fresh = Resource::core(core, controller_name.is_none())?;
    let gvk = fresh.gvk();
    // Said, not asked: Kubebuilder users may expect a new type (its book makes a CronJob).
    if args.resource.is_none() {
        ui::print_notes(&[format!(
            "`{gvk}` is built into Kubernetes, so this adds a controller for it and no new type; for a type of your own in `{}.{}`, pass `--resource`",
            core.group, project.domain
        )]);
    }
    if args.controller == Some(false) {
        bail!(
            "`{gvk}` is built into Kubernetes, so there is nothing to create without a controller; leave out `--controller=false`"
        );
    }
    if project.namespaced && !core.namespaced {
        bail!(
            "this project's manager watches one namespace, so it cannot control the cluster-scoped kind `{}`",
            core.kind
        );
    }
    if existing
        .as_ref()
        .is_some_and(|e| controller_name.is_none() && e.controller && !args.force)
    {
        bail!(
            "a controller for `{gvk}` already exists; pass `--force` to regenerate it, or name a second one with `--controller-name`"
        );
    }
    unowned_request(project, existing, fresh, controller_name, None, args.force)
}

/// A controller over a custom resource another project owns, from its CRD file.
fn resolve_external(
    args: CreateApiArgs,
    project: &Project,
    dir: &Path,
    kind: Kind,
    path: &Path,
    controller_name: Option<ControllerName>,
) -> Result<Request> {
    if args.resource == Some(true) {
        bail!(
            "`--resource=true` creates a type this project owns, but `--external-api-crd` is for a kind another project owns; drop `--resource`"
        );
    }
    if args.controller == Some(false) {
        bail!(
            "with `--external-api-crd` there is nothing to create but a controller; leave out `--controller=false`"
        );
    }
    let group =
        external_crd::external_group(args.group.as_deref(), args.external_api_domain.as_deref())?;
    let (crd, text, version) = external_crd::read_external_crd(
        project,
        dir,
        path,
        &kind,
        group.as_deref(),
        args.version.as_deref(),
    )?;
    let shown = path.display().to_string();
    if args.namespaced.is_some_and(|n| n != crd.namespaced) {
        bail!(
            "`{shown}` makes `{}` {}; leave out `--namespaced`",
            crd.kind,
            if crd.namespaced {
                "namespaced"
            } else {
                "cluster-scoped"
            }
        );
    }
    if project.namespaced && !crd.namespaced {
        bail!(
            "this project's manager watches one namespace, so it cannot control the cluster-scoped kind `{}`",
            crd.kind
        );
    }
    let existing = project
        .resources
        .iter()
        .find(|r| r.is(&crd.group, &version, &kind))
        .cloned();
    let fresh = Resource::external(&crd, &version, controller_name.is_none())?;
    // A kind added for its webhooks alone (`create webhook --external-api-crd`) takes its
    // first controller without `--force`.
    if let Some(existing) = &existing
        && !args.force
        && (existing.source != Source::External
            || (controller_name.is_none() && existing.controller))
    {
        bail!(
            "API `{}` already exists; pass `--force` to regenerate its files (your edits to them are lost)",
            existing.gvk()
        );
    }
    unowned_request(
        project,
        existing,
        fresh,
        controller_name,
        Some((crd, text)),
        args.force,
    )
}

/// The request for a controller over a kind the project does not own: the kind's entry (the
/// one `PROJECT.toml` has, or `fresh`) with the controller added.
fn unowned_request(
    project: &Project,
    existing: Option<Resource>,
    fresh: Resource,
    controller_name: Option<ControllerName>,
    external: Option<(ExternalCrd, String)>,
    force: bool,
) -> Result<Request> {
    let controller_name = match controller_name {
        None if force => existing.as_ref().and_then(kind_named_controller),
        name => name,
    };
    let resource = match existing {
        Some(existing) => Resource {
            controller: existing.controller || controller_name.is_none(),
            ..existing
        },
        None => fresh,
    };
    let resource = with_named_controller(resource, controller_name.as_ref(), force)?;
    let resource = name_own_controller(project, resource);
    let controller = Some(controller_name);
    check_controller_is_new(project, &resource, controller.as_ref())?;
    Ok(Request {
        resource,
        with_resource: false,
        controller,
        external,
        force,
    })
}

/// Every file `create api` writes or changes, in memory, and the project file it leaves.
pub fn plan(project: &Project, request: &Request, dir: &Path) -> Result<(Plan, Project)> {
    let mut updated = project.clone();
    match updated
        .resources
        .iter_mut()
        .find(|r| r.same_gvk(&request.resource))
    {
        Some(slot) => *slot = request.resource.clone(),
        None => updated.resources.push(request.resource.clone()),
    }
    let mut context = TemplateContext::new(&updated, Some(&request.resource));
    let mut plan = Plan::new(dir, "move it away, or pass `--force` to overwrite it");
    let policy = |if_exists: IfExists| match if_exists {
        IfExists::Error if request.force => IfExists::Overwrite,
        other => other,
    };
    let names = context.resource.clone().expect("set above");
    // The object a controller's generated test creates.
    let sample_name = format!("{}-01", names.kind_lower);

    if request.with_resource {
        for file in templates::render_set(TemplateSet::Resource, &context)? {
            plan.add_file(&file.path, file.content, policy(file.if_exists))?;
        }
        insertions::insert_all(&mut plan, insertions::RESOURCE_INSERTIONS, &context)?;
        // Regenerated (`--force`): the image it deployed, if any, gives way to the new one.
        if let Some(before) = project
            .resources
            .iter()
            .find(|r| r.same_gvk(&request.resource))
        {
            insertions::remove_deploy_image_insertions(&mut plan, project, before)?;
        }
        if request.resource.example.deploy_image().is_some() {
            insertions::insert_all(&mut plan, insertions::DEPLOY_IMAGE_INSERTIONS, &context)?;
        }
    }
    if let Some((crd, text)) = &request.external {
        let version = request.resource.version.to_string();
        // A kind already in the project (for a webhook, or another controller) keeps its CRD's
        // copy and types unless regenerated with `--force`.
        let known = project
            .resources
            .iter()
            .any(|r| r.same_gvk(&request.resource));
        if !known || request.force {
            resource_files::add_external_kind_files(
                &mut plan,
                &names,
                crd,
                text,
                &context.project.rust_header,
                policy(IfExists::Error),
            )?;
        }
        context.sample = Some(resource_files::sample_json(
            &crd.sample(&version, &sample_name)?,
        )?);
    }
    if request.resource.source == Source::Core
        && let Some(core) = core_kinds::find(&names.group, &names.version, &names.kind)
    {
        context.sample = Some(resource_files::sample_json(&core.sample(&sample_name))?);
    }
    if request.resource.source == Source::Project {
        context.sample = Some(resource_files::owned_sample(
            &names,
            &request.resource.example,
        )?);
    }
    if let Some(name) = &request.controller {
        let controller = controller_of(&request.resource, &updated, name)
            .expect("the request's controller is in its resource");
        context.controller = Some(controller.clone());
        for file in templates::render_set(controller.code.into(), &context)? {
            plan.add_file(&file.path, file.content, policy(file.if_exists))?;
        }
    }
    registry::plan_project_files(&mut plan, Some(project), &updated, request.force)?;
    if updated.helm {
        // The chart's manager sets the image of each kind made with `--image`.
        chart::plan_chart(&mut plan, Some(project), &updated, request.force)?;
    }
    plan.add_file(PROJECT_FILE, updated.to_toml(), IfExists::Overwrite)?;
    Ok((plan, updated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_and_short_names_of_built_ins_are_found() {
        assert_eq!(core_kinds::shadowed_built_in("services"), Some("services"));
        assert_eq!(core_kinds::shadowed_built_in("svc"), Some("services"));
        assert_eq!(core_kinds::shadowed_built_in("jobs"), Some("jobs"));
        assert_eq!(core_kinds::shadowed_built_in("foos"), None);
    }
}
