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
    let namespace = permissions.namespace.as_str();
    let user = Subject {
        kind: "User".into(),
        name: permissions.user.clone(),
        api_group: Some("rbac.authorization.k8s.io".into()),
        ..Default::default()
    };
    let manager_scope = permissions.namespaced.then_some(namespace);
    let manager_rules = permissions.manager_rules.clone();
    grant_role(admin, "manager", manager_rules, manager_scope, &user).await?;
    // The reviews behind secure metrics are cluster-scoped, so even a namespaced project's
    // manager holds this ClusterRole.
    grant_role(
        admin,
        "metrics-auth",
        rbac::metrics_auth_rules(),
        None,
        &user,
    )
    .await?;
    let leader_election = rbac::leader_election_rules();
    grant_role(
        admin,
        "leader-election",
        leader_election,
        Some(namespace),
        &user,
    )
    .await
}

/// Creates `<name>-role` with `rules` and binds it to `subject` as `<name>-rolebinding`: a Role
/// and RoleBinding in `namespace`, or cluster-wide ones for `None`.
async fn grant_role(
    admin: &Client,
    name: &str,
    rules: Vec<PolicyRule>,
    namespace: Option<&str>,
    subject: &Subject,
) -> Result<(), kube::Error> {
    let pp = PostParams::default();
    let meta = |name: String| ObjectMeta {
        name: Some(name),
        namespace: namespace.map(Into::into),
        ..Default::default()
    };
    let role_name = format!("{name}-role");
    let binding_name = format!("{name}-rolebinding");
    let role_ref = |kind: &str| RoleRef {
        api_group: Some("rbac.authorization.k8s.io".into()),
        kind: kind.into(),
        name: role_name.clone(),
    };
    let subjects = Some(vec![subject.clone()]);
    match namespace {
        Some(namespace) => {
            let role = Role {
                metadata: meta(role_name.clone()),
                rules: Some(rules),
            };
            Api::<Role>::namespaced(admin.clone(), namespace)
                .create(&pp, &role)
                .await?;
            let binding = RoleBinding {
                metadata: meta(binding_name),
                role_ref: role_ref("Role"),
                subjects,
            };
            Api::<RoleBinding>::namespaced(admin.clone(), namespace)
                .create(&pp, &binding)
                .await?;
        }
        None => {
            let role = ClusterRole {
                metadata: meta(role_name.clone()),
                rules: Some(rules),
                ..Default::default()
            };
            Api::<ClusterRole>::all(admin.clone())
                .create(&pp, &role)
                .await?;
            let binding = ClusterRoleBinding {
                metadata: meta(binding_name),
                role_ref: role_ref("ClusterRole"),
                subjects,
            };
            Api::<ClusterRoleBinding>::all(admin.clone())
                .create(&pp, &binding)
                .await?;
        }
    }
    Ok(())
}
