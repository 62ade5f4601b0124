//! Children a controller keeps in line with their owner: controller-runtime's
//! `SetControllerReference` and a server-side apply, in one call.

use std::fmt::Debug;

use kube::{
    Api, Resource, ResourceExt,
    api::{Patch, PatchParams},
};
use serde::{Serialize, de::DeserializeOwned};

use crate::error::Error;

/// Applies `child` (server-side apply as `field_manager`, taking over conflicting fields) with
/// a controller owner reference to `owner`, and returns it as the API server stored it. Deleting
/// the owner then deletes the child (garbage collection), and a controller that
/// [owns](crate::controller::ControllerBuilder::owns) the child's kind reconciles the owner when the child
/// changes.
///
/// `child` holds only the fields this controller decides: what it leaves out, other managers
/// (an autoscaler's replicas, defaults) keep. Its namespace, when not set, is the owner's.
/// `api` reaches the child's namespace.
///
/// The controller needs [`rbac::owned_rules`](crate::rbac::owned_rules) on the child's kind
/// and `update` on the owner's `finalizers` ([`rbac::finalizer_rules`](crate::rbac::finalizer_rules)):
/// the owner reference blocks the owner's deletion until the child is gone.
///
/// # Errors
/// [`Error::InvalidOwner`] when the owner has no UID (it was not read from the API server), when
/// a namespaced owner would own an object of another namespace or a cluster-scoped one;
/// [`Error::Apply`] with the API server's answer otherwise.
///
/// ```no_run
/// # use k8s_openapi::api::core::v1::ConfigMap;
/// # use kube::{Api, ResourceExt};
/// use kube_operator_runtime::owned::apply_owned;
///
/// # async fn example(client: kube::Client, owner: ConfigMap) -> Result<(), kube_operator_runtime::Error> {
/// let mut copy = ConfigMap::default();
/// copy.metadata.name = Some(format!("{}-copy", owner.name_any()));
/// copy.data = owner.data.clone();
/// let api = Api::<ConfigMap>::namespaced(client, &owner.namespace().unwrap_or_default());
/// let stored = apply_owned(&api, &owner, copy, "widgets-controller").await?;
/// # let _ = stored;
/// # Ok(())
/// # }
/// ```
pub async fn apply_owned<K, C>(
    api: &Api<C>,
    owner: &K,
    mut child: C,
    field_manager: &str,
) -> Result<C, Error>
where
    K: Resource<DynamicType = ()>,
    C: Resource<DynamicType = ()> + Clone + Serialize + DeserializeOwned + Debug,
{
    let describe = |kind: &str, namespace: Option<String>, name: String| match namespace {
        Some(namespace) => format!("{kind} {namespace}/{name}"),
        None => format!("{kind} {name}"),
    };
    let invalid = |child: &C, reason| Error::InvalidOwner {
        child: describe(&C::kind(&()), child.namespace(), child.name_any()),
        owner: describe(&K::kind(&()), owner.namespace(), owner.name_any()),
        reason,
    };
    if let Some(owner_namespace) = owner.namespace() {
        let namespace = child
            .meta_mut()
            .namespace
            .get_or_insert_with(|| owner_namespace.clone());
        if *namespace != owner_namespace {
            return Err(invalid(
                &child,
                "a namespaced owner can own only objects of its own namespace",
            ));
        }
    }
    let Some(mut reference) = owner.controller_owner_ref(&()) else {
        return Err(invalid(
            &child,
            "the owner has no UID; pass it as read from the API server",
        ));
    };
    // As controller-runtime's SetControllerReference: foreground deletion of the owner waits
    // for the child.
    reference.block_owner_deletion = Some(true);
    let references = child.owner_references_mut();
    references.retain(|other| other.uid != reference.uid && other.controller != Some(true));
    references.push(reference);
    let name = child.name_any();
    api.patch(
        &name,
        &PatchParams::apply(field_manager).force(),
        &Patch::Apply(&child),
    )
    .await
    .map_err(|source| Error::Apply {
        object: describe(&C::kind(&()), child.namespace(), name),
        source,
    })
}
