//! `cargo operator create webhook`: admission and conversion webhooks for a kind the project
//! owns, and admission webhooks for a built-in kind or another project's (Kubebuilder's
//! "webhooks for core and external types").
//!
//! The user writes small typed Rust (`impl Defaulter`, `impl Validator`, `TryFrom` between
//! versions; for a kind it does not own, a type of its own that implements `CustomDefaulter<K>`
//! and `CustomValidator<K>`); `kube-operator-runtime` serves it and crdgen writes the
//! configurations from the registry `src/webhooks/mod.rs`. The first webhook also brings the
//! deploy config: the Service, cert-manager's Issuer and Certificate, the manager's patch, the
//! CA injection and a NetworkPolicy, and the same in the Helm chart when the project has one.

use std::path::Path;

use anyhow::{Result, bail};

use crate::cli::CreateWebhookArgs;
use crate::model::core_kinds;
use crate::model::external_crd::{self, ExternalCrd};
use crate::model::names::{ResourceNames, WebhookNames};
use crate::model::project::{PROJECT_FILE, Project, Resource, Source};
use crate::plugins::PluginCommand;
use crate::scaffold::context::TemplateContext;
use crate::scaffold::{
    IfExists, Plan, chart, registry, resource_files, rustfmt, templates, templates::TemplateSet,
    webhook_config,
};
use crate::ui;
use crate::values::{Version, WebhookPath, parse};

pub fn run(args: CreateWebhookArgs, dir: &Path) -> Result<()> {
    let mut notes = args
        .kubebuilder
        .plugins
        .parse(PluginCommand::CreateWebhook)?
        .notes();
    notes.extend(args.kubebuilder.notes());
    ui::print_notes(&notes);
    let dry_run = args.write.dry_run;
    let force = args.force;
    let project = Project::load(dir)?;
    let request = resolve(&args, &project, dir)?;
    let (mut plan, mut updated) = plan(&project, &request, force, dir)?;
    let formatting = rustfmt::format_plan(&mut plan)?;
    resource_files::record_hashes(&mut plan, &mut updated, &request.resource)?;
    let note = if updated.helm {
        chart::missing_values_note(&plan, &updated)?
    } else {
        None
    };
    ui::finish(
        &mut plan,
        &formatting,
        dry_run,
        &[
            "edit the new files under src/webhooks/ (TODO(user) marks the places)",
            "make manifests   # the webhook configurations and CRD conversion from the Rust code",
            "make test        # the generated tests run the webhooks on a real API server",
            "make run         # runs without webhooks (ENABLE_WEBHOOKS=false); see docs/webhooks.md",
        ],
    )?;
    ui::print_notes(note.as_slice());
    Ok(())
}

/// A validated `create webhook` request.
pub struct Request {
    /// The kind's entry in `PROJECT.toml` with the requested webhooks added; a built-in or
    /// external kind not yet in the project is added without a controller, as Kubebuilder's
    /// PROJECT records it.
    pub resource: Resource,
    /// The CRD of an external kind this command adds to the project, as read.
    pub external: Option<(ExternalCrd, String)>,
}

/// The kind's entry in `PROJECT.toml` with the requested webhooks added.
pub fn resolve(args: &CreateWebhookArgs, project: &Project, dir: &Path) -> Result<Request> {
    if let Some(path) = &args.external_api_path {
        bail!(
            "`--external-api-path {path}` names a Go package; cargo-operator generates Rust types from the CRD itself, so pass `--external-api-crd <the CRD's YAML file>`"
        );
    }
    let group =
        external_crd::external_group(Some(&args.group), args.external_api_domain.as_deref())?
            .unwrap_or_else(|| args.group.clone());
    let (resource, external) = find_kind(args, project, dir, &group)?;
    if args.conversion && !resource.source.is_project() {
        bail!(
            "`{}` {}; `--conversion` is only for kinds this project owns",
            resource.gvk(),
            if resource.source == Source::Core {
                "is built into Kubernetes, which converts between its versions itself"
            } else {
                "is owned by another project, whose CRD names the webhook that converts its versions"
            }
        );
    }
    if let Some(plural) = &args.plural
        && **plural != *resource.plural
    {
        let recorded = project.resources.iter().any(|r| r.same_gvk(&resource));
        bail!(
            "`{}` has plural `{}` {}, not `{plural}`; pass `--plural={}` or leave it out",
            resource.gvk(),
            resource.plural,
            match resource.source {
                _ if recorded => "in `PROJECT.toml`",
                Source::Core => "as Kubernetes serves it",
                _ => "as its CRD names it",
            },
            resource.plural
        );
    }
    let resource = &resource;
    if !(args.defaulting || args.programmatic_validation || args.conversion) {
        bail!(
            "say which webhook to create: `--defaulting`, `--programmatic-validation` or `--conversion --spoke <version>`"
        );
    }
    if !args.spoke.is_empty() && !args.conversion {
        bail!("`--spoke` names the versions of a conversion; add `--conversion`");
    }
    if args.defaulting_path.is_some() && !args.defaulting {
        bail!("`--defaulting-path` is the path of a defaulting webhook; add `--defaulting`");
    }
    if args.validation_path.is_some() && !args.programmatic_validation {
        bail!(
            "`--validation-path` is the path of a validating webhook; add `--programmatic-validation`"
        );
    }
    let defaulting_path: Option<WebhookPath> =
        args.defaulting_path.as_deref().map(parse).transpose()?;
    let validation_path: Option<WebhookPath> =
        args.validation_path.as_deref().map(parse).transpose()?;
    let current = &resource.webhooks;
    let mut webhooks = current.clone();
    let exists = |what: &str| {
        anyhow::anyhow!(
            "`{}` already has a {what} webhook; pass `--force` to regenerate its files (your edits to them are lost)",
            resource.gvk()
        )
    };
    if args.defaulting {
        if current.defaulting && !args.force {
            return Err(exists("defaulting"));
        }
        webhooks.defaulting = true;
        webhooks.defaulting_path = defaulting_path;
    }
    if args.programmatic_validation {
        if current.validation && !args.force {
            return Err(exists("validating"));
        }
        webhooks.validation = true;
        webhooks.validation_path = validation_path;
    }
    if args.conversion {
        webhooks.conversion = true;
        webhooks.spoke = spokes(args, project, resource)?;
    }
    let resource = Resource {
        webhooks,
        ..resource.clone()
    };
    check_files_are_free(project, &resource)?;
    Ok(Request { resource, external })
}

/// The kind the flags name: in the project already, a built-in kind, or an external kind from
/// `--external-api-crd` (with its CRD, to add).
fn find_kind(
    args: &CreateWebhookArgs,
    project: &Project,
    dir: &Path,
    group: &str,
) -> Result<(Resource, Option<(ExternalCrd, String)>)> {
    let existing = project
        .resources
        .iter()
        .find(|r| r.is(group, &args.version, &args.kind));
    if let Some(path) = &args.external_api_crd {
        let (crd, text, version) = external_crd::read_external_crd(
            project,
            dir,
            path,
            &args.kind,
            Some(group),
            Some(&args.version),
        )?;
        if let Some(existing) = existing {
            // Added before (by `create api --external-api-crd`): its copy of the CRD stays.
            return Ok((existing.clone(), None));
        }
        let resource = Resource::external(&crd, &version, false)?;
        return Ok((resource, Some((crd, text))));
    }
    if let Some(existing) = existing {
        return Ok((existing.clone(), None));
    }
    let gvk = format!("{group}/{}, Kind={}", args.version, args.kind);
    let owns_group = project.owned().any(|r| *r.group == *group);
    if !owns_group && let Some(core) = core_kinds::find(group, &args.version, &args.kind) {
        return Ok((Resource::core(core, false)?, None));
    }
    if !owns_group && core_kinds::is_core_group(group) {
        bail!(
            "`{gvk}` is not a built-in kind cargo-operator knows; it knows {} in `{group}`. For a custom resource of another project, pass `--external-api-crd <its CRD file>`",
            match core_kinds::known_in(group) {
                known if known.is_empty() => "none".to_string(),
                known => known,
            }
        );
    }
    if args.external_api_domain.is_some() || group.contains('.') {
        bail!(
            "no kind `{gvk}` in this project; for a kind another project owns, pass its CRD with `--external-api-crd <file>`"
        );
    }
    let listed: Vec<String> = project.owned().map(Resource::gvk).collect();
    bail!(
        "no API `{gvk}` in this project; create it first with `cargo operator create api --group {group} --version {} --kind {}`{}",
        args.version,
        args.kind,
        if listed.is_empty() {
            String::new()
        } else {
            format!(" (it has {})", listed.join("; "))
        }
    );
}

/// Refuses webhooks whose files another kind's webhooks already have: in a one-group layout,
/// `src/webhooks/v1/` holds every group's `v1` kinds, so two kinds of one name would share one.
fn check_files_are_free(project: &Project, resource: &Resource) -> Result<()> {
    let Some(new) = WebhookNames::of(resource, project) else {
        return Ok(());
    };
    for other in project.resources.iter().filter(|r| !r.same_gvk(resource)) {
        if let Some(theirs) = WebhookNames::of(other, project)
            && (theirs.file == new.file || theirs.test_file == new.test_file)
        {
            bail!(
                "the webhooks of `{}` would be written to `{}`, which holds those of `{}`; run `cargo operator edit --multigroup` first, so each group has a folder",
                resource.gvk(),
                new.file,
                other.gvk()
            );
        }
    }
    Ok(())
}

/// The spoke versions of a conversion through `hub`, checked: versions of the same kind that
/// are neither the hub nor converted elsewhere.
fn spokes(args: &CreateWebhookArgs, project: &Project, hub: &Resource) -> Result<Vec<Version>> {
    let others: Vec<&Resource> = project
        .owned()
        .filter(|r| r.group == hub.group && r.kind == hub.kind && !r.same_gvk(hub))
        .collect();
    if others.is_empty() {
        bail!(
            "kind `{}` has only version `{}`, so there is nothing to convert; add another with `cargo operator create api --group {} --version <version> --kind {} --controller=false`",
            hub.kind,
            hub.version,
            hub.group,
            hub.kind
        );
    }
    let versions: Vec<String> = others.iter().map(|r| format!("`{}`", r.version)).collect();
    // Kubebuilder's `--conversion` before `--spoke` existed: every other version is a spoke.
    let requested: Vec<String> = if args.spoke.is_empty() {
        ui::print_notes(&[format!(
            "`--conversion` without `--spoke`: {} convert{} through hub `{}`, as every other version of `{}`; pass `--spoke` to choose",
            versions.join(" and "),
            if versions.len() == 1 { "s" } else { "" },
            hub.version,
            hub.kind
        )]);
        others.iter().map(|r| r.version.to_string()).collect()
    } else {
        args.spoke.clone()
    };
    let mut spokes = hub.webhooks.spoke.clone();
    for spoke in &requested {
        if *spoke == *hub.version {
            bail!("`{spoke}` is the hub (`--version`); pass the other versions to `--spoke`");
        }
        let Some(other) = others.iter().find(|r| *r.version == **spoke) else {
            bail!(
                "kind `{}` has no version `{spoke}`; pass {} to `--spoke`, or create it with `cargo operator create api`",
                hub.kind,
                versions.join(" or ")
            );
        };
        if other.webhooks.conversion {
            bail!(
                "`{spoke}` is already the hub of `{}`'s conversion; a kind converts through one hub",
                hub.kind
            );
        }
        if spokes.contains(&other.version) {
            if !args.force {
                bail!(
                    "`{spoke}` already converts through `{}`; pass `--force` to regenerate its conversion (your edits to it are lost)",
                    hub.version
                );
            }
        } else {
            spokes.push(other.version.clone());
        }
    }
    if let Some(hub_elsewhere) = others.iter().find(|r| r.webhooks.conversion) {
        bail!(
            "`{}` is already the hub of `{}`'s conversion; add spokes there with `--version {}`",
            hub_elsewhere.version,
            hub.kind,
            hub_elsewhere.version
        );
    }
    Ok(spokes)
}

/// Every file `create webhook` writes or changes, in memory, and the project file it leaves.
pub fn plan(
    project: &Project,
    request: &Request,
    force: bool,
    dir: &Path,
) -> Result<(Plan, Project)> {
    let resource = &request.resource;
    let mut updated = project.clone();
    let before = match updated.resources.iter_mut().find(|r| r.same_gvk(resource)) {
        Some(slot) => std::mem::replace(slot, resource.clone()).webhooks,
        None => {
            updated.resources.push(resource.clone());
            Default::default()
        }
    };
    let mut context = TemplateContext::new(&updated, Some(resource));
    let webhook = WebhookNames::of(resource, &updated).expect("resolve added a webhook");
    context.webhook = Some(webhook.clone());
    let mut plan = Plan::new(
        dir,
        "move it away, or pass `--force` to regenerate it (your edits to it are lost)",
    );
    let policy = |if_exists: IfExists| match if_exists {
        IfExists::Error if force => IfExists::Overwrite,
        other => other,
    };
    if let Some((crd, text)) = &request.external {
        // An external kind new to the project: its CRD's copy and Rust types, as `create api
        // --external-api-crd` writes them.
        resource_files::add_external_kind_files(
            &mut plan,
            &webhook.resource,
            crd,
            text,
            &context.project.rust_header,
            policy(IfExists::Error),
        )?;
    }
    context.sample = Some(sample(&plan, request, &webhook.resource)?);
    let added_admission = webhook.defaulting != before.defaulting
        || webhook.validation != before.validation
        || (force && resource.webhooks.admission());
    // A kind the project owns implements the runtime's traits on its own type; any other kind
    // gets a type of the user's that implements `CustomDefaulter`/`CustomValidator` for it.
    let set = if resource.source.is_project() {
        TemplateSet::Webhook
    } else {
        TemplateSet::WebhookCustom
    };
    if added_admission {
        // Files still as generated take the new webhook in; edited ones need `--force`.
        for file in templates::render_set(set, &context)? {
            let if_exists = unless_edited(&plan, resource, &file, force)?;
            plan.add_file(&file.path, file.content, if_exists)?;
        }
    }
    if resource.webhooks.conversion {
        for spoke in &webhook.spokes {
            let new = !before.spoke.iter().any(|v| **v == spoke.resource.version);
            if new || force {
                context.spoke = Some(spoke.clone());
                for file in templates::render_set(TemplateSet::WebhookSpoke, &context)? {
                    plan.add_file(&file.path, file.content, policy(file.if_exists))?;
                }
            }
        }
        context.spoke = None;
        // Tests every spoke, so it is rewritten with each new one (or kept, if edited).
        for file in templates::render_set(TemplateSet::WebhookConversion, &context)? {
            let if_exists = unless_edited(&plan, resource, &file, force)?;
            plan.add_file(&file.path, file.content, if_exists)?;
        }
    }

    // The deploy config, once per project, and the lines of these webhooks.
    webhook_config::add(&mut plan, &context, &resource.webhooks)?;
    if updated.helm {
        // The chart follows: its webhook templates the first time, and the manager's flags.
        chart::plan_chart(&mut plan, Some(project), &updated, force)?;
    }
    registry::plan_project_files(&mut plan, Some(project), &updated, force)?;
    plan.add_file(PROJECT_FILE, updated.to_toml(), IfExists::Overwrite)?;
    Ok((plan, updated))
}

/// The JSON of a valid object of the kind, which the generated test creates.
fn sample(plan: &Plan, request: &Request, names: &ResourceNames) -> Result<String> {
    let resource = &request.resource;
    let name = format!("{}-01", names.kind_lower);
    let value = match resource.source {
        Source::Project => return resource_files::owned_sample(names, &resource.example),
        Source::Core => core_kinds::find(&names.group, &names.version, &names.kind)
            .expect("resolve found the built-in kind")
            .sample(&name),
        Source::External => match &request.external {
            Some((crd, _)) => crd.sample(&names.version, &name)?,
            None => {
                // Added earlier: the CRD is the project's copy.
                let path = &names.external_crd_file;
                let Some(text) = plan.current(path)? else {
                    bail!(
                        "`{path}`, the CRD of `{}`, is missing; put it back, or pass it again with `--external-api-crd <file>` after `cargo operator delete api`",
                        resource.gvk()
                    );
                };
                ExternalCrd::parse(&text, path)?.sample(&names.version, &name)?
            }
        },
    };
    Ok(serde_json::to_string_pretty(&value)?)
}

/// How to write a file that gains a webhook: over the existing one while it is still what
/// cargo-operator wrote for this API, else as its template says (an error without `--force`).
fn unless_edited(
    plan: &Plan,
    resource: &Resource,
    file: &templates::Rendered,
    force: bool,
) -> Result<IfExists> {
    let unedited = match plan.current(&file.path)? {
        None => true,
        Some(on_disk) => resource.is_untouched(&file.path, &on_disk),
    };
    Ok(match file.if_exists {
        _ if unedited => IfExists::Overwrite,
        IfExists::Error if force => IfExists::Overwrite,
        other => other,
    })
}
