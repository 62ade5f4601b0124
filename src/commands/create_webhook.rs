//! `cargo operator create webhook`: admission and conversion webhooks for a kind the project
//! owns.
//!
//! The user writes small typed Rust (`impl Defaulter`, `impl Validator`, `TryFrom` between
//! versions); `kube-operator-runtime` serves it and crdgen writes the configurations from the
//! registry `src/webhooks/mod.rs`. The first webhook also brings the deploy config: the Service,
//! cert-manager's Issuer and Certificate, the manager's patch, the CA injection and a
//! NetworkPolicy, and the same in the Helm chart when the project has one.

use std::path::Path;

use anyhow::{Result, bail};

use super::TemplateContext;
use super::create_api::{Insertion, insert_all, record_hashes};
use crate::api_names::Version;
use crate::cli::CreateWebhookArgs;
use crate::names::WebhookNames;
use crate::project::{PROJECT_FILE, Project, Resource};
use crate::scaffold::{IfExists, Plan, markers, rustfmt, templates};
use crate::ui;

/// What registers the webhooks' deploy config in the kustomizations, the first time.
pub const WEBHOOK_INSERTIONS: &[Insertion] = &[
    Insertion {
        file: "config/default/kustomization.yaml",
        marker: markers::DEFAULT_RESOURCES,
        fragment: "- ../webhook\n- ../certmanager",
    },
    Insertion {
        file: "config/default/kustomization.yaml",
        marker: markers::CA_INJECTION,
        fragment: SERVICE_INTO_CERTIFICATE,
    },
    Insertion {
        file: "config/default/kustomization.yaml",
        marker: markers::DEFAULT_PATCHES,
        fragment: "# Serves the webhooks on :9443 with the certificate cert-manager makes.\n- path: manager_webhook_patch.yaml\n  target:\n    kind: Deployment",
    },
    Insertion {
        file: "config/network-policy/kustomization.yaml",
        marker: markers::NETWORK_POLICY,
        fragment: "- allow-webhook-traffic.yaml",
    },
];

/// What an admission webhook adds: its configurations (written by `make manifests`) and their
/// CA injection.
pub const ADMISSION_INSERTIONS: &[Insertion] = &[
    Insertion {
        file: "config/webhook/kustomization.yaml",
        marker: markers::WEBHOOK_MANIFESTS,
        fragment: "- manifests.yaml",
    },
    Insertion {
        file: "config/default/kustomization.yaml",
        marker: markers::CA_INJECTION,
        fragment: ADMISSION_CA_INJECTION,
    },
];

/// What a conversion adds: the CA injection into the kind's CRD.
pub const CONVERSION_INSERTIONS: &[Insertion] = &[Insertion {
    file: "config/default/kustomization.yaml",
    marker: markers::CA_INJECTION,
    fragment: CONVERSION_CA_INJECTION,
}];

/// The Service's name and namespace into the Certificate's DNS names
/// (`<service>.<namespace>.svc` and `….svc.cluster.local`), after kustomize prefixed them.
const SERVICE_INTO_CERTIFICATE: &str = "\
- source: {kind: Service, version: v1, name: webhook-service, fieldPath: .metadata.name}
  targets:
  - select: {kind: Certificate, group: cert-manager.io, version: v1, name: serving-cert}
    fieldPaths: [.spec.dnsNames.0, .spec.dnsNames.1]
    options: {delimiter: '.', index: 0, create: true}
- source: {kind: Service, version: v1, name: webhook-service, fieldPath: .metadata.namespace}
  targets:
  - select: {kind: Certificate, group: cert-manager.io, version: v1, name: serving-cert}
    fieldPaths: [.spec.dnsNames.0, .spec.dnsNames.1]
    options: {delimiter: '.', index: 1, create: true}";

/// `cert-manager.io/inject-ca-from: <namespace>/<certificate>` on both webhook configurations.
const ADMISSION_CA_INJECTION: &str = "\
- source: {kind: Certificate, group: cert-manager.io, version: v1, name: serving-cert, fieldPath: .metadata.namespace}
  targets:
  - select: {kind: MutatingWebhookConfiguration}
    fieldPaths:
    - .metadata.annotations.[cert-manager.io/inject-ca-from]
    options: {delimiter: '/', index: 0, create: true}
  - select: {kind: ValidatingWebhookConfiguration}
    fieldPaths:
    - .metadata.annotations.[cert-manager.io/inject-ca-from]
    options: {delimiter: '/', index: 0, create: true}
- source: {kind: Certificate, group: cert-manager.io, version: v1, name: serving-cert, fieldPath: .metadata.name}
  targets:
  - select: {kind: MutatingWebhookConfiguration}
    fieldPaths:
    - .metadata.annotations.[cert-manager.io/inject-ca-from]
    options: {delimiter: '/', index: 1, create: true}
  - select: {kind: ValidatingWebhookConfiguration}
    fieldPaths:
    - .metadata.annotations.[cert-manager.io/inject-ca-from]
    options: {delimiter: '/', index: 1, create: true}";

/// The same annotation on the CRD of a kind with a conversion webhook.
const CONVERSION_CA_INJECTION: &str = "\
- source: {kind: Certificate, group: cert-manager.io, version: v1, name: serving-cert, fieldPath: .metadata.namespace}
  targets:
  - select: {kind: CustomResourceDefinition, name: {{ resource.plural }}.{{ resource.api_group }}}
    fieldPaths:
    - .metadata.annotations.[cert-manager.io/inject-ca-from]
    options: {delimiter: '/', index: 0, create: true}
- source: {kind: Certificate, group: cert-manager.io, version: v1, name: serving-cert, fieldPath: .metadata.name}
  targets:
  - select: {kind: CustomResourceDefinition, name: {{ resource.plural }}.{{ resource.api_group }}}
    fieldPaths:
    - .metadata.annotations.[cert-manager.io/inject-ca-from]
    options: {delimiter: '/', index: 1, create: true}";

pub fn run(args: CreateWebhookArgs, dir: &Path) -> Result<()> {
    ui::print_notes(&args.kubebuilder.notes());
    let dry_run = args.write.dry_run;
    let force = args.force;
    let project = Project::load(dir)?;
    let resource = resolve(&args, &project)?;
    let (mut plan, mut updated) = plan(&project, &resource, force, dir)?;
    let formatting = rustfmt::format_plan(&mut plan)?;
    record_hashes(&mut plan, &mut updated, &resource)?;
    let note = if updated.helm {
        super::edit::missing_values_note(&plan, &updated)?
    } else {
        None
    };
    super::finish(
        &plan,
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

/// The kind's entry in `PROJECT.toml` with the requested webhooks added.
pub fn resolve(args: &CreateWebhookArgs, project: &Project) -> Result<Resource> {
    let Some(resource) = project
        .resources
        .iter()
        .find(|r| r.is(&args.group, &args.version, &args.kind))
    else {
        let listed: Vec<String> = project.owned().map(Resource::gvk).collect();
        bail!(
            "no API `{}/{}, Kind={}` in this project; create it first with `cargo operator create api --group {} --version {} --kind {}`{}",
            args.group,
            args.version,
            args.kind,
            args.group,
            args.version,
            args.kind,
            if listed.is_empty() {
                String::new()
            } else {
                format!(" (it has {})", listed.join("; "))
            }
        );
    };
    if !resource.source.is_project() {
        bail!(
            "`{}` is not a type this project defines, and webhooks are generated only for the project's own kinds",
            resource.gvk()
        );
    }
    // The runtime names admission webhooks `m<kind>-<version>.<group>` (`v…` when validating),
    // and the first part of such a name is a DNS label: 63 characters at most.
    let label = 1 + resource.kind.len() + 1 + resource.version.len();
    if (args.defaulting || args.programmatic_validation) && label > 63 {
        bail!(
            "kind `{}` is too long for an admission webhook, whose name starts `m{}-{}` ({label} characters, where Kubernetes allows 63); pick a kind of at most {} characters",
            resource.kind,
            resource.kind.to_ascii_lowercase(),
            resource.version,
            63 - 2 - resource.version.len()
        );
    }
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
    for path in [&args.defaulting_path, &args.validation_path]
        .into_iter()
        .flatten()
    {
        check_path(path)?;
    }
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
        webhooks.defaulting_path = args.defaulting_path.clone();
    }
    if args.programmatic_validation {
        if current.validation && !args.force {
            return Err(exists("validating"));
        }
        webhooks.validation = true;
        webhooks.validation_path = args.validation_path.clone();
    }
    if args.conversion {
        webhooks.conversion = true;
        webhooks.spoke = spokes(args, project, resource)?;
    }
    Ok(Resource {
        webhooks,
        ..resource.clone()
    })
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
    if args.spoke.is_empty() {
        bail!(
            "`--conversion` needs the versions to convert to and from `{}`: pass `--spoke` with {}",
            hub.version,
            versions.join(" or ")
        );
    }
    let mut spokes = hub.webhooks.spoke.clone();
    for spoke in &args.spoke {
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

/// A webhook path the API server and kustomize accept.
fn check_path(path: &str) -> Result<()> {
    let valid = path.starts_with('/')
        && path.len() > 1
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_.~".contains(c));
    if !valid {
        bail!(
            "webhook path `{path}` must start with `/` and hold only letters, digits and `/-_.~`, such as `/mutate-foo`"
        );
    }
    Ok(())
}

/// Every file `create webhook` writes or changes, in memory, and the project file it leaves.
pub fn plan(
    project: &Project,
    resource: &Resource,
    force: bool,
    dir: &Path,
) -> Result<(Plan, Project)> {
    let mut updated = project.clone();
    let slot = updated
        .resources
        .iter_mut()
        .find(|r| r.same_gvk(resource))
        .expect("resolve found the API");
    let before = std::mem::replace(slot, resource.clone()).webhooks;
    let mut context = TemplateContext::new(&updated, Some(resource));
    let webhook = WebhookNames::of(resource, &updated).expect("resolve added a webhook");
    context.webhook = Some(webhook.clone());
    context.sample = Some(super::create_api::owned_sample(
        &webhook.resource,
        &resource.example,
    )?);
    let mut plan = Plan::new(
        dir,
        "move it away, or pass `--force` to regenerate it (your edits to it are lost)",
    );
    let policy = |if_exists: IfExists| match if_exists {
        IfExists::Error if force => IfExists::Overwrite,
        other => other,
    };
    let added_admission = webhook.defaulting != before.defaulting
        || webhook.validation != before.validation
        || (force && resource.webhooks.admission());
    if added_admission {
        // Files still as generated take the new webhook in; edited ones need `--force`.
        for file in templates::render_set("webhook", &context)? {
            let if_exists = unless_edited(&plan, resource, &file, force)?;
            plan.add_file(&file.path, file.content, if_exists)?;
        }
    }
    if resource.webhooks.conversion {
        for spoke in &webhook.spokes {
            let new = !before.spoke.iter().any(|v| **v == spoke.resource.version);
            if new || force {
                context.spoke = Some(spoke.clone());
                for file in templates::render_set("webhook-spoke", &context)? {
                    plan.add_file(&file.path, file.content, policy(file.if_exists))?;
                }
            }
        }
        context.spoke = None;
        // Tests every spoke, so it is rewritten with each new one (or kept, if edited).
        for file in templates::render_set("webhook-conversion", &context)? {
            let if_exists = unless_edited(&plan, resource, &file, force)?;
            plan.add_file(&file.path, file.content, if_exists)?;
        }
    }

    // The deploy config, once per project: kept as they are when they exist.
    for file in templates::render_set("webhook-config", &context)? {
        plan.add_file(&file.path, file.content, IfExists::Skip)?;
    }
    insert_all(&mut plan, WEBHOOK_INSERTIONS, &context)?;
    if resource.webhooks.admission() {
        insert_all(&mut plan, ADMISSION_INSERTIONS, &context)?;
    }
    if resource.webhooks.conversion {
        insert_all(&mut plan, CONVERSION_INSERTIONS, &context)?;
    }
    if updated.helm {
        // The chart follows: its webhook templates the first time, and the manager's flags.
        super::edit::plan_chart(&mut plan, Some(project), &updated, force)?;
    }
    super::plan_project_files(&mut plan, Some(project), &updated, force)?;
    plan.add_file(PROJECT_FILE, updated.to_toml(), IfExists::Overwrite)?;
    Ok((plan, updated))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked() {
        assert!(check_path("/mutate-foo").is_ok());
        assert!(check_path("/a/b_c.d~e").is_ok());
        for bad in ["mutate", "/", "/with space", "/q?x=1"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }
}
