//! The roles: the manager's (a ClusterRole, or a Role when it watches its own namespace only)
//! and the leader-election Role.

use k8s_openapi::api::rbac::v1::{ClusterRole, Role};
use kube::core::ObjectMeta;

use super::Manifests;
use crate::rbac;

/// The manager's role, of the kind its scope needs.
pub(super) enum ManagerRole {
    Cluster(ClusterRole),
    Namespaced(Role),
}

impl Manifests {
    pub(super) fn manager_role(&self) -> ManagerRole {
        let rules = Some(self.manager_rules.clone());
        if self.namespaced {
            // kustomize replaces `system` with the deployment's namespace.
            ManagerRole::Namespaced(Role {
                metadata: object_meta("manager-role", Some("system")),
                rules,
            })
        } else {
            ManagerRole::Cluster(ClusterRole {
                metadata: object_meta("manager-role", None),
                rules,
                ..Default::default()
            })
        }
    }
}

/// The Role that lets the manager hold its leader-election Lease, in its own namespace.
pub(super) fn leader_election_role() -> Role {
    Role {
        metadata: object_meta("leader-election-role", Some("system")),
        rules: Some(rbac::leader_election_rules()),
    }
}

pub(super) fn object_meta(name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: namespace.map(Into::into),
        ..Default::default()
    }
}
