//! The kinds Kubernetes serves itself that `create api --resource=false` can put a controller
//! over: their group, version, plural and scope, and the smallest object of each that the API
//! server accepts, which the controller's generated envtest test creates.
//!
//! k8s-openapi has every type, but not the facts a scaffold needs (scope, a valid object), so
//! the common kinds are listed here; a kind missing from this list is refused with the list.

use serde_json::{Value, json};

/// One built-in kind.
pub struct CoreKind {
    /// `core` for the core group (`/api/v1`), as Kubebuilder names it.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
    /// The fields besides apiVersion, kind and metadata of a minimal valid object.
    body: fn() -> Value,
}

impl CoreKind {
    /// A minimal valid object named `name`.
    pub fn sample(&self, name: &str) -> Value {
        let api_version = match self.group {
            "core" => self.version.to_string(),
            group => format!("{group}/{}", self.version),
        };
        let mut object = json!({
            "apiVersion": api_version,
            "kind": self.kind,
            "metadata": { "name": name },
        });
        if let (Value::Object(object), Value::Object(body)) = (&mut object, (self.body)()) {
            object.extend(body);
        }
        object
    }
}

/// Labels shared by the workload samples' selectors and Pod templates.
fn pod_template() -> Value {
    json!({
        "metadata": { "labels": { "app": "example" } },
        "spec": { "containers": [{ "name": "app", "image": "registry.k8s.io/pause:3.10" }] },
    })
}

fn selector() -> Value {
    json!({ "matchLabels": { "app": "example" } })
}

macro_rules! core_kind {
    ($group:literal, $version:literal, $kind:literal, $plural:literal, $namespaced:literal, $body:expr) => {
        CoreKind {
            group: $group,
            version: $version,
            kind: $kind,
            plural: $plural,
            namespaced: $namespaced,
            body: $body,
        }
    };
}

pub const CORE_KINDS: &[CoreKind] = &[
    core_kind!(
        "core",
        "v1",
        "ConfigMap",
        "configmaps",
        true,
        || json!({ "data": { "key": "value" } })
    ),
    core_kind!("core", "v1", "Namespace", "namespaces", false, || json!({})),
    core_kind!(
        "core",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        true,
        || json!({
            "spec": { "accessModes": ["ReadWriteOnce"], "resources": { "requests": { "storage": "1Gi" } } },
        })
    ),
    core_kind!("core", "v1", "Pod", "pods", true, || {
        let template = pod_template();
        json!({ "spec": template["spec"] })
    }),
    core_kind!(
        "core",
        "v1",
        "Secret",
        "secrets",
        true,
        || json!({ "stringData": { "key": "value" } })
    ),
    core_kind!("core", "v1", "Service", "services", true, || json!({
        "spec": { "selector": { "app": "example" }, "ports": [{ "port": 80 }] },
    })),
    core_kind!(
        "core",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        true,
        || json!({})
    ),
    core_kind!("apps", "v1", "DaemonSet", "daemonsets", true, || json!({
        "spec": { "selector": selector(), "template": pod_template() },
    })),
    core_kind!("apps", "v1", "Deployment", "deployments", true, || json!({
        "spec": { "selector": selector(), "template": pod_template() },
    })),
    core_kind!("apps", "v1", "ReplicaSet", "replicasets", true, || json!({
        "spec": { "selector": selector(), "template": pod_template() },
    })),
    core_kind!(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        true,
        || json!({
            "spec": { "selector": selector(), "template": pod_template() },
        })
    ),
    core_kind!("batch", "v1", "CronJob", "cronjobs", true, || {
        let mut template = pod_template();
        template["spec"]["restartPolicy"] = json!("Never");
        json!({ "spec": { "schedule": "*/5 * * * *", "jobTemplate": { "spec": { "template": template } } } })
    }),
    core_kind!("batch", "v1", "Job", "jobs", true, || {
        let mut template = pod_template();
        template["spec"]["restartPolicy"] = json!("Never");
        json!({ "spec": { "template": template } })
    }),
    core_kind!(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        true,
        || json!({
            "spec": {
                "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "example" },
                "maxReplicas": 3,
            },
        })
    ),
    core_kind!(
        "coordination.k8s.io",
        "v1",
        "Lease",
        "leases",
        true,
        || json!({ "spec": {} })
    ),
    core_kind!(
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        true,
        || json!({
            "spec": { "defaultBackend": { "service": { "name": "example", "port": { "number": 80 } } } },
        })
    ),
    core_kind!(
        "networking.k8s.io",
        "v1",
        "IngressClass",
        "ingressclasses",
        false,
        || json!({
            "spec": { "controller": "example.com/ingress-controller" },
        })
    ),
    core_kind!(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        true,
        || json!({
            "spec": { "podSelector": {} },
        })
    ),
    core_kind!(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        true,
        || json!({
            "spec": { "minAvailable": 1, "selector": selector() },
        })
    ),
    core_kind!(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        false,
        || json!({ "rules": [] })
    ),
    core_kind!(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        false,
        || json!({
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view" },
        })
    ),
    core_kind!(
        "rbac.authorization.k8s.io",
        "v1",
        "Role",
        "roles",
        true,
        || json!({ "rules": [] })
    ),
    core_kind!(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        true,
        || json!({
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view" },
        })
    ),
    core_kind!(
        "scheduling.k8s.io",
        "v1",
        "PriorityClass",
        "priorityclasses",
        false,
        || json!({ "value": 1000 })
    ),
    core_kind!(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        false,
        || json!({
            "provisioner": "example.com/provisioner",
        })
    ),
];

/// Whether `group` is one Kubernetes serves, as `--group` names it (`core`, `apps`,
/// `networking.k8s.io`): a controller asked for over an unknown kind there was meant to be a
/// built-in one. A project's own group may share the name, since its API group ends in its domain.
pub fn is_core_group(group: &str) -> bool {
    group == "core" || group.ends_with(".k8s.io") || CORE_KINDS.iter().any(|k| k.group == group)
}

/// The built-in kind `group`/`version`/`kind` names, if it is one this scaffold knows.
pub fn find(group: &str, version: &str, kind: &str) -> Option<&'static CoreKind> {
    CORE_KINDS
        .iter()
        .find(|k| k.group == group && k.version == version && k.kind == kind)
}

/// The kinds of `group`, for the message refusing an unknown one: `Deployment (apps/v1), …`.
pub fn known_in(group: &str) -> String {
    let kinds: Vec<String> = CORE_KINDS
        .iter()
        .filter(|k| k.group == group)
        .map(|k| format!("{} ({})", k.kind, k.version))
        .collect();
    kinds.join(", ")
}

/// Resources every cluster serves, with the short names kubectl also resolves: a custom
/// resource with one of these plurals is hidden behind the built-in in `kubectl get <plural>`.
const BUILT_IN_RESOURCES: &[(&str, &[&str])] = &[
    ("apiservices", &[]),
    ("bindings", &[]),
    ("certificatesigningrequests", &["csr"]),
    ("clusterrolebindings", &[]),
    ("clusterroles", &[]),
    ("componentstatuses", &["cs"]),
    ("configmaps", &["cm"]),
    ("controllerrevisions", &[]),
    ("cronjobs", &["cj"]),
    ("csidrivers", &[]),
    ("csinodes", &[]),
    ("csistoragecapacities", &[]),
    ("customresourcedefinitions", &["crd", "crds"]),
    ("daemonsets", &["ds"]),
    ("deployments", &["deploy"]),
    ("endpoints", &["ep"]),
    ("endpointslices", &[]),
    ("events", &["ev"]),
    ("flowschemas", &[]),
    ("horizontalpodautoscalers", &["hpa"]),
    ("ingressclasses", &[]),
    ("ingresses", &["ing"]),
    ("ipaddresses", &["ip"]),
    ("jobs", &[]),
    ("leases", &[]),
    ("limitranges", &["limits"]),
    ("mutatingadmissionpolicies", &[]),
    ("mutatingadmissionpolicybindings", &[]),
    ("mutatingwebhookconfigurations", &[]),
    ("namespaces", &["ns"]),
    ("networkpolicies", &["netpol"]),
    ("nodes", &["no"]),
    ("persistentvolumeclaims", &["pvc"]),
    ("persistentvolumes", &["pv"]),
    ("poddisruptionbudgets", &["pdb"]),
    ("pods", &["po"]),
    ("podtemplates", &[]),
    ("priorityclasses", &["pc"]),
    ("prioritylevelconfigurations", &[]),
    ("replicasets", &["rs"]),
    ("replicationcontrollers", &["rc"]),
    ("resourceclaims", &[]),
    ("resourceclaimtemplates", &[]),
    ("resourcequotas", &["quota"]),
    ("resourceslices", &[]),
    ("rolebindings", &[]),
    ("roles", &[]),
    ("runtimeclasses", &[]),
    ("secrets", &[]),
    ("serviceaccounts", &["sa"]),
    ("servicecidrs", &[]),
    ("services", &["svc"]),
    ("statefulsets", &["sts"]),
    ("storageclasses", &["sc"]),
    ("validatingadmissionpolicies", &[]),
    ("validatingadmissionpolicybindings", &[]),
    ("validatingwebhookconfigurations", &[]),
    ("volumeattachments", &[]),
    ("volumeattributesclasses", &["vac"]),
];

/// The built-in resource that `plural` would be taken for by kubectl, if any.
pub fn shadowed_built_in(plural: &str) -> Option<&'static str> {
    BUILT_IN_RESOURCES
        .iter()
        .find(|(name, short)| *name == plural || short.contains(&plural))
        .map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_carry_their_api_version_and_name() {
        let deployment = find("apps", "v1", "Deployment").unwrap();
        let sample = deployment.sample("deployment-01");
        assert_eq!(sample["apiVersion"], "apps/v1");
        assert_eq!(sample["metadata"]["name"], "deployment-01");
        assert_eq!(sample["spec"]["selector"]["matchLabels"]["app"], "example");
        let config_map = find("core", "v1", "ConfigMap").unwrap();
        assert_eq!(config_map.sample("c")["apiVersion"], "v1");
    }

    #[test]
    fn each_kind_is_listed_once_and_plurals_are_lower_case() {
        for (i, kind) in CORE_KINDS.iter().enumerate() {
            assert!(
                CORE_KINDS[i + 1..]
                    .iter()
                    .all(|other| (other.group, other.kind) != (kind.group, kind.kind)),
                "{} listed twice",
                kind.kind
            );
            assert_eq!(kind.plural, kind.plural.to_ascii_lowercase());
        }
        assert!(is_core_group("apps") && is_core_group("networking.k8s.io"));
        assert!(!is_core_group("tutorial"));
    }
}
