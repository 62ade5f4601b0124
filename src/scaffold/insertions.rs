//! The lines commands add above the markers of YAML files `init` wrote (kustomizations, the
//! manager's environment), as tables, and the one way to add and to take them out again.

use anyhow::Result;

use super::context::TemplateContext;
use super::{Plan, markers, templates};
use crate::model::project::{Project, Resource};

/// A line added above a marker in a file `init` or an earlier `create api` wrote.
pub struct Insertion {
    /// The file's path, itself a template.
    pub file: &'static str,
    pub marker: &'static str,
    /// A template rendered with the same context as the files.
    pub fragment: &'static str,
}

/// What registers a new type's manifests in the kustomizations. Its module and CRD are listed
/// by the registry files, which are rendered whole (see `registry`).
pub const RESOURCE_INSERTIONS: &[Insertion] = &[
    Insertion {
        file: "config/crd/kustomization.yaml",
        marker: markers::CRD_KUSTOMIZE,
        fragment: "- bases/{{ resource.crd_file_name }}",
    },
    Insertion {
        file: "config/rbac/kustomization.yaml",
        marker: markers::RBAC_KUSTOMIZE,
        fragment: "- {{ resource.role_prefix }}_editor_role.yaml\n- {{ resource.role_prefix }}_viewer_role.yaml",
    },
    Insertion {
        file: "config/samples/Kustomization",
        marker: markers::SAMPLES_KUSTOMIZE,
        fragment: "- {{ resource.group }}_{{ resource.version }}_{{ resource.kind_snake }}.yaml",
    },
];

/// What a kind made by `create api --image` adds to the manager's Deployment: the image its
/// controller deploys, in `<KIND>_IMAGE` (the chart's manager template renders the same from
/// `PROJECT.toml`).
pub const DEPLOY_IMAGE_INSERTIONS: &[Insertion] = &[Insertion {
    file: "config/manager/manager.yaml",
    marker: markers::MANAGER_ENV,
    fragment: "- name: {{ resource.deploy_image.image_env_var }}\n  value: \"{{ resource.deploy_image.image }}\"",
}];

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

/// Takes out what `DEPLOY_IMAGE_INSERTIONS` added for `resource` (as `project` records it),
/// if it was made with `--image`.
pub fn remove_deploy_image_insertions(
    plan: &mut Plan,
    project: &Project,
    resource: &Resource,
) -> Result<()> {
    if resource.example.deploy_image().is_none() {
        return Ok(());
    }
    let context = TemplateContext::new(project, Some(resource));
    remove_all(plan, DEPLOY_IMAGE_INSERTIONS, &context)
}

/// Adds every insertion of `insertions`, rendered with `context`, above its marker.
pub fn insert_all(
    plan: &mut Plan,
    insertions: &[Insertion],
    context: &TemplateContext,
) -> Result<()> {
    for insertion in insertions {
        let file = templates::render_fragment(insertion.file, context)?;
        let fragment = templates::render_fragment(insertion.fragment, context)?;
        plan.insert_at_marker(&file, insertion.marker, &fragment)?;
    }
    Ok(())
}

/// Takes out what `insert_all` added with the same `insertions` and `context`.
pub fn remove_all(
    plan: &mut Plan,
    insertions: &[Insertion],
    context: &TemplateContext,
) -> Result<()> {
    for insertion in insertions {
        let file = templates::render_fragment(insertion.file, context)?;
        let fragment = templates::render_fragment(insertion.fragment, context)?;
        plan.remove_insertion(&file, &fragment)?;
    }
    Ok(())
}
