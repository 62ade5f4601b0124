//! Shared setup for the fault tests: a real API server with the tutorial's CRDs, its manager's
//! generated RBAC granted, and the tutorial's `manager` binary run as a process.

use std::path::{Path, PathBuf};

use futures::StreamExt;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};
use kube::api::{Api, ApiResource, DynamicObject, PostParams};
use kube::core::GroupVersionKind;
use kube_envtest::TestEnv;
use kube_operator_runtime::testing::{ManagerProcess, Permissions, grant_permissions};

/// How many requests a test's setup sends at once.
const CONCURRENT_REQUESTS: usize = 16;

/// The user the manager runs as.
pub const MANAGER_USER: &str = "tutorial-manager";
/// Where the Foos live and the manager keeps its Lease.
pub const NAMESPACE: &str = "default";
/// The tutorial's leader Lease (`LEASE_NAME` in its `lib.rs`).
pub const LEASE_NAME: &str = "tutorial.my.domain";
/// Flags that make the manager compete for the Lease in `NAMESPACE`.
pub const LEADER_ELECT: [&str; 3] = ["--leader-elect", "--leader-election-namespace", NAMESPACE];

fn tutorial_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/tutorial")
}

/// The tutorial's `manager` binary, from `TUTORIAL_MANAGER`.
///
/// # Panics
/// If the variable is unset or names no file.
pub fn manager_binary() -> PathBuf {
    let hint = "set TUTORIAL_MANAGER to the tutorial's manager binary: \
                (cd examples/tutorial && cargo build --locked --bin manager) and pass target/debug/manager";
    let path = PathBuf::from(std::env::var_os("TUTORIAL_MANAGER").expect(hint));
    assert!(path.is_file(), "{} is missing; {hint}", path.display());
    path
}

/// A real etcd and kube-apiserver with the tutorial's CRDs.
pub async fn start_env() -> TestEnv {
    let env = TestEnv::builder().start().await.unwrap();
    env.install_crds_from_path(tutorial_dir().join("config/crd/bases"))
        .await
        .unwrap();
    env
}

/// The manager's rules, as `make manifests` generated them.
pub fn manager_rules() -> Vec<PolicyRule> {
    let yaml = std::fs::read_to_string(tutorial_dir().join("config/rbac/role.yaml")).unwrap();
    let role: ClusterRole = serde_saphyr::from_str(&yaml).unwrap();
    role.rules.unwrap_or_default()
}

/// Grants `MANAGER_USER` what the generated manifests grant the manager.
pub async fn grant_manager_permissions(env: &TestEnv) {
    let permissions = Permissions::new(MANAGER_USER, manager_rules(), NAMESPACE);
    grant_permissions(&env.client(), &permissions)
        .await
        .unwrap();
}

/// The tutorial's manager, running as `MANAGER_USER` with `args`.
pub async fn start_manager(env: &TestEnv, name: &str, args: &[&str]) -> ManagerProcess {
    ManagerProcess::start(env, manager_binary(), name, MANAGER_USER, args).await
}

/// The Foo kind, untyped: the tutorial's types live in a crate of their own.
pub fn foos(env: &TestEnv) -> Api<DynamicObject> {
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk("tutorial.my.domain", "v1", "Foo"));
    Api::namespaced_with(env.client(), NAMESPACE, &resource)
}

/// The Pods of `NAMESPACE`, where the Foos' friends live.
pub fn pods(env: &TestEnv) -> Api<Pod> {
    Api::namespaced(env.client(), NAMESPACE)
}

/// Creates a Foo named `name` looking for a Pod named `friend`.
pub async fn create_foo(foos: &Api<DynamicObject>, name: &str, friend: &str) {
    let object: DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "tutorial.my.domain/v1",
        "kind": "Foo",
        "metadata": { "name": name },
        "spec": { "name": friend },
    }))
    .unwrap();
    foos.create(&PostParams::default(), &object).await.unwrap();
}

/// `status.happy` of every Foo, or `None` for a Foo not reconciled yet.
pub async fn happiness(foos: &Api<DynamicObject>) -> Vec<(String, Option<bool>)> {
    let list = foos.list(&Default::default()).await.unwrap();
    list.items
        .into_iter()
        .map(|object| {
            let happy = object.data["status"]["happy"].as_bool();
            (object.metadata.name.unwrap_or_default(), happy)
        })
        .collect()
}

/// Creates a Pod named `name` in `NAMESPACE`: a Foo's friend.
pub async fn create_pod(pods: &Api<Pod>, name: &str) {
    let pod: Pod = serde_json::from_value(serde_json::json!({
        "metadata": { "name": name },
        "spec": { "containers": [{ "name": "main", "image": "busybox" }] },
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
}

/// Whether every Foo is reconciled and happy, and there are `count` of them.
pub async fn all_happy(foos: &Api<DynamicObject>, count: usize) -> bool {
    let all = happiness(foos).await;
    all.len() == count && all.iter().all(|(_, happy)| *happy == Some(true))
}

/// Creates the Foos `foo-<i>` for every `i` in `indices`, each looking for `friend-<i>`, a few
/// at a time.
pub async fn create_foos(foos: &Api<DynamicObject>, indices: impl IntoIterator<Item = usize>) {
    futures::stream::iter(indices)
        .for_each_concurrent(CONCURRENT_REQUESTS, |i| async move {
            create_foo(foos, &format!("foo-{i}"), &format!("friend-{i}")).await;
        })
        .await;
}

/// Creates the Pods `friend-<i>` for every `i` in `indices`, a few at a time.
pub async fn create_friends(pods: &Api<Pod>, indices: impl IntoIterator<Item = usize>) {
    futures::stream::iter(indices)
        .for_each_concurrent(CONCURRENT_REQUESTS, |i| async move {
            create_pod(pods, &format!("friend-{i}")).await;
        })
        .await;
}

/// How many reconciles the manager's `foo` controller has failed, from its own metrics. A
/// failed Foo reconcile is one refused request: the reconcile reads the caches and writes once.
pub async fn failed_reconciles(manager: &ManagerProcess) -> u64 {
    let metrics = manager.metrics().await;
    metrics
        .lines()
        .filter(|line| {
            line.starts_with("controller_runtime_reconcile_errors_total{controller=\"foo\"")
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}
