//! RBAC rules as typed values: each controller declares what it needs, the manager's role is
//! their union, and the manifests are written from them.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::rbac::v1::PolicyRule;
use kube::Resource;

/// A rule granting `verbs` on one resource (or subresource, `foos/status`) of `api_group`
/// (`""` for the core group).
///
/// ```
/// let rule = kube_operator_runtime::rbac::policy_rule("", "pods", &["list", "watch"]);
/// assert_eq!(rule.resources, Some(vec!["pods".to_string()]));
/// ```
pub fn policy_rule(api_group: &str, resource: &str, verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![api_group.into()]),
        resources: Some(vec![resource.into()]),
        verbs: verbs.iter().map(|verb| verb.to_string()).collect(),
        ..Default::default()
    }
}

/// A rule granting `verbs` on the objects of `K`.
///
/// ```
/// use k8s_openapi::api::apps::v1::Deployment;
/// use kube_operator_runtime::rbac::{policy_rule, rule_for};
///
/// assert_eq!(rule_for::<Deployment>(&["get"]), policy_rule("apps", "deployments", &["get"]));
/// ```
pub fn rule_for<K: Resource<DynamicType = ()>>(verbs: &[&str]) -> PolicyRule {
    policy_rule(&K::group(&()), &K::plural(&()), verbs)
}

/// What [`finalizer`](crate::finalizer::finalizer) needs on `K`: `patch` to add and remove its
/// finalizer, and `update` on `<plural>/finalizers`, which the API server also asks of whoever
/// gives a child an owner reference that blocks the owner's deletion (as
/// [`apply_owned`](crate::owned::apply_owned) does).
pub fn finalizer_rules<K: Resource<DynamicType = ()>>() -> Vec<PolicyRule> {
    let group = K::group(&());
    let plural = K::plural(&());
    vec![
        policy_rule(&group, &plural, &["patch"]),
        policy_rule(&group, &format!("{plural}/finalizers"), &["update"]),
    ]
}

/// What a controller that [owns](crate::controller::ControllerBuilder::owns) `C` and
/// [applies](crate::owned::apply_owned) it needs: `list` and `watch` for the watch, `create`
/// and `patch` for server-side apply (creating by apply needs both).
pub fn owned_rules<C: Resource<DynamicType = ()>>() -> Vec<PolicyRule> {
    vec![rule_for::<C>(&["create", "list", "patch", "watch"])]
}

/// Merges the verbs of rules that target the same resources, so that two controllers watching
/// the same kind yield one rule. The output is sorted, so the generated role is stable.
///
/// ```
/// use kube_operator_runtime::rbac::{merge_rules, policy_rule};
///
/// let merged = merge_rules([
///     policy_rule("", "pods", &["watch"]),
///     policy_rule("", "pods", &["list", "watch"]),
/// ]);
/// assert_eq!(merged, [policy_rule("", "pods", &["list", "watch"])]);
/// ```
pub fn merge_rules(rules: impl IntoIterator<Item = PolicyRule>) -> Vec<PolicyRule> {
    type Target = (
        Option<Vec<String>>,
        Option<Vec<String>>,
        Option<Vec<String>>,
        Option<Vec<String>>,
    );
    let mut merged: BTreeMap<Target, BTreeSet<String>> = BTreeMap::new();
    for rule in rules {
        let target = (
            rule.api_groups,
            rule.resources,
            rule.resource_names,
            rule.non_resource_urls,
        );
        merged.entry(target).or_default().extend(rule.verbs);
    }
    merged
        .into_iter()
        .map(
            |((api_groups, resources, resource_names, non_resource_urls), verbs)| PolicyRule {
                api_groups,
                resources,
                resource_names,
                non_resource_urls,
                verbs: verbs.into_iter().collect(),
            },
        )
        .collect()
}

/// The rules of leader election, granted in the Lease's namespace: the manager gets the Lease,
/// creates it the first time, and takes, renews or releases it by a patch guarded by its
/// `resourceVersion`. Listing, watching or
/// deleting Leases would reach other programs' locks, so they are not granted.
pub fn leader_election_rules() -> Vec<PolicyRule> {
    vec![policy_rule(
        "coordination.k8s.io",
        "leases",
        &["create", "get", "patch"],
    )]
}

/// The rules the secure metrics server needs, cluster-wide since both reviews are: it asks the
/// API server who a scraper's token belongs to (TokenReview) and whether that user may
/// `get /metrics` (SubjectAccessReview). The generated `metrics-auth-role` grants them.
pub fn metrics_auth_rules() -> Vec<PolicyRule> {
    vec![
        policy_rule("authentication.k8s.io", "tokenreviews", &["create"]),
        policy_rule("authorization.k8s.io", "subjectaccessreviews", &["create"]),
    ]
}

/// The rule whoever scrapes `/metrics` (such as Prometheus's ServiceAccount) needs: the
/// generated `metrics-reader` ClusterRole.
pub fn metrics_reader_rules() -> Vec<PolicyRule> {
    vec![PolicyRule {
        non_resource_urls: Some(vec!["/metrics".into()]),
        verbs: vec!["get".into()],
        ..Default::default()
    }]
}

/// The rules a controller needs to record Kubernetes Events with kube's `Recorder`, which
/// creates an Event and patches it when it repeats.
pub fn event_rules() -> Vec<PolicyRule> {
    vec![policy_rule("events.k8s.io", "events", &["create", "patch"])]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_on_the_same_resources_merge_their_verbs() {
        let merged = merge_rules([
            policy_rule("apps", "deployments", &["watch", "list"]),
            policy_rule("", "pods", &["list", "watch"]),
            policy_rule("apps", "deployments", &["get", "list"]),
        ]);
        assert_eq!(
            merged,
            [
                policy_rule("", "pods", &["list", "watch"]),
                policy_rule("apps", "deployments", &["get", "list", "watch"]),
            ]
        );
    }

    #[test]
    fn leader_election_touches_nothing_but_leases() {
        let rules = leader_election_rules();
        assert_eq!(rules.len(), 1, "{rules:?}");
        let rule = &rules[0];
        assert_eq!(
            rule.api_groups.as_deref(),
            Some(&["coordination.k8s.io".to_string()][..])
        );
        assert_eq!(rule.resources.as_deref(), Some(&["leases".to_string()][..]));
        let mut verbs = rule.verbs.clone();
        verbs.sort();
        assert_eq!(verbs, ["create", "get", "patch"]);
        assert!(rule.non_resource_urls.is_none());
    }
}
