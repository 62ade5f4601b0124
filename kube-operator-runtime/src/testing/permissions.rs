//! The manager's permissions, granted to a test user exactly as `make manifests` grants them to
//! the manager's service account, so that a rule missing from the code fails a test.

use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use kube::{
    Api, Client,
    api::{ObjectMeta, PostParams},
};

use crate::rbac;

/// Who gets which rules, and where.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Permissions {
    /// The user the tests run the controllers or the manager as.
    pub user: String,
    /// The union of the controllers' rules.
    pub manager_rules: Vec<PolicyRule>,
    /// Where the tests work and the manager keeps its Lease.
    pub namespace: String,
    /// Whether the manager's rules hold in `namespace` only (a Role) or cluster-wide.
    pub namespaced: bool,
}

impl Permissions {
    /// `manager_rules` cluster-wide, leader election in `namespace`, and the secure metrics
    /// server's reviews ([`rbac::metrics_auth_rules`]), for `user`.
    pub fn new(
        user: impl Into<String>,
        manager_rules: Vec<PolicyRule>,
        namespace: impl Into<String>,
    ) -> Self {
        Self {
            user: user.into(),
            manager_rules,
            namespace: namespace.into(),
            namespaced: false,
        }
    }

    /// Grants the manager's rules in the namespace only, as a namespaced project does.
    pub fn namespaced(mut self, namespaced: bool) -> Self {
        self.namespaced = namespaced;
        self
    }
}

/// Creates the roles and bindings of `permissions` with `admin`, a client allowed to.
///
/// # Errors
/// What the API server answered to the first request that failed.
pub async fn grant_permissions(
    admin: &Client,
    permissions: &Permissions,
) -> Result<(), kube::Error> {
    let pp = PostParams::default();
    let namespace = permissions.namespace.as_str();
    let meta = |name: &str, namespace: Option<&str>| ObjectMeta {
        name: Some(name.into()),
        namespace: namespace.map(Into::into),
        ..Default::default()
    };
    let role_ref = |kind: &str, name: &str| RoleRef {
        api_group: Some("rbac.authorization.k8s.io".into()),
        kind: kind.into(),
        name: name.into(),
    };
    let subjects = Some(vec![Subject {
        kind: "User".into(),
        name: permissions.user.clone(),
        api_group: Some("rbac.authorization.k8s.io".into()),
        ..Default::default()
    }]);
    let roles = Api::<Role>::namespaced(admin.clone(), namespace);
    let bindings = Api::<RoleBinding>::namespaced(admin.clone(), namespace);

    let rules = Some(permissions.manager_rules.clone());
    if permissions.namespaced {
        let role = Role {
            metadata: meta("manager-role", Some(namespace)),
            rules,
        };
        roles.create(&pp, &role).await?;
        let binding = RoleBinding {
            metadata: meta("manager-rolebinding", Some(namespace)),
            role_ref: role_ref("Role", "manager-role"),
            subjects: subjects.clone(),
        };
        bindings.create(&pp, &binding).await?;
    } else {
        let role = ClusterRole {
            metadata: meta("manager-role", None),
            rules,
            ..Default::default()
        };
        Api::<ClusterRole>::all(admin.clone())
            .create(&pp, &role)
            .await?;
        let binding = ClusterRoleBinding {
            metadata: meta("manager-rolebinding", None),
            role_ref: role_ref("ClusterRole", "manager-role"),
            subjects: subjects.clone(),
        };
        Api::<ClusterRoleBinding>::all(admin.clone())
            .create(&pp, &binding)
            .await?;
    }

    // The reviews behind secure metrics are cluster-scoped, so even a namespaced project's
    // manager holds this ClusterRole.
    let role = ClusterRole {
        metadata: meta("metrics-auth-role", None),
        rules: Some(rbac::metrics_auth_rules()),
        ..Default::default()
    };
    Api::<ClusterRole>::all(admin.clone())
        .create(&pp, &role)
        .await?;
    let binding = ClusterRoleBinding {
        metadata: meta("metrics-auth-rolebinding", None),
        role_ref: role_ref("ClusterRole", "metrics-auth-role"),
        subjects: subjects.clone(),
    };
    Api::<ClusterRoleBinding>::all(admin.clone())
        .create(&pp, &binding)
        .await?;

    let role = Role {
        metadata: meta("leader-election-role", Some(namespace)),
        rules: Some(rbac::leader_election_rules()),
    };
    roles.create(&pp, &role).await?;
    let binding = RoleBinding {
        metadata: meta("leader-election-rolebinding", Some(namespace)),
        role_ref: role_ref("Role", "leader-election-role"),
        subjects,
    };
    bindings.create(&pp, &binding).await?;
    Ok(())
}
