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
    /// The lines: `templates/fragments/<fragment>.yaml.jinja`, rendered with the same context
    /// as the files.
    pub fragment: &'static str,
}

impl Insertion {
    /// The file it goes into, for `context`.
    pub fn file(&self, context: &TemplateContext) -> Result<String> {
        templates::render_fragment(self.file, context)
    }

    /// Its lines, for `context`.
    pub fn lines(&self, context: &TemplateContext) -> Result<String> {
        templates::render_named_fragment(self.fragment, context)
    }
}

/// What registers a new type's manifests in the kustomizations. Its module and CRD are listed
/// by the registry files, which are rendered whole (see `registry`).
pub const RESOURCE_INSERTIONS: &[Insertion] = &[
    Insertion {
        file: "config/crd/kustomization.yaml",
        marker: markers::CRD_KUSTOMIZE,
        fragment: "crd-kustomization",
    },
    Insertion {
        file: "config/rbac/kustomization.yaml",
        marker: markers::RBAC_KUSTOMIZE,
        fragment: "rbac-kustomization",
    },
    Insertion {
        file: "config/samples/Kustomization",
        marker: markers::SAMPLES_KUSTOMIZE,
        fragment: "samples-kustomization",
    },
];

/// What a kind made by `create api --image` adds to the manager's Deployment: the image its
/// controller deploys, in `<KIND>_IMAGE` (the chart's manager template renders the same from
/// `PROJECT.toml`).
pub const DEPLOY_IMAGE_INSERTIONS: &[Insertion] = &[Insertion {
    file: "config/manager/manager.yaml",
    marker: markers::MANAGER_ENV,
    fragment: "manager-image-env",
}];

/// What registers the webhooks' deploy config in the kustomizations, the first time.
pub const WEBHOOK_INSERTIONS: &[Insertion] = &[
    Insertion {
        file: "config/default/kustomization.yaml",
        marker: markers::DEFAULT_RESOURCES,
        fragment: "default-webhook-resources",
    },
    Insertion {
        file: "config/default/kustomization.yaml",
        marker: markers::CA_INJECTION,
        fragment: "service-into-certificate",
    },
    Insertion {
        file: "config/default/kustomization.yaml",
        marker: markers::DEFAULT_PATCHES,
        fragment: "default-webhook-patch",
    },
    Insertion {
        file: "config/network-policy/kustomization.yaml",
        marker: markers::NETWORK_POLICY,
        fragment: "network-policy-webhook",
    },
];

/// What an admission webhook adds: its configurations (written by `make manifests`) and their
/// CA injection.
pub const ADMISSION_INSERTIONS: &[Insertion] = &[
    Insertion {
        file: "config/webhook/kustomization.yaml",
        marker: markers::WEBHOOK_MANIFESTS,
        fragment: "webhook-manifests",
    },
    Insertion {
        file: "config/default/kustomization.yaml",
        marker: markers::CA_INJECTION,
        fragment: "admission-ca-injection",
    },
];

/// What a conversion adds: the CA injection into the kind's CRD.
pub const CONVERSION_INSERTIONS: &[Insertion] = &[Insertion {
    file: "config/default/kustomization.yaml",
    marker: markers::CA_INJECTION,
    fragment: "conversion-ca-injection",
}];

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
        let file = insertion.file(context)?;
        let fragment = insertion.lines(context)?;
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
        let file = insertion.file(context)?;
        let fragment = insertion.lines(context)?;
        plan.remove_insertion(&file, &fragment)?;
    }
    Ok(())
}
