// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

//! What the integration tests share: a real API server with this operator's CRDs, a user
//! holding exactly the manager's permissions, and the manager binary run as a process.

#![allow(dead_code)] // Each test module uses its own part of this one.

use std::path::Path;

use kube::Client;
use kube_envtest::TestEnv;
use kube_envtest::TestEnvBuilder;
use kube_operator_runtime::testing::{
    ManagerProcess, Permissions, grant_permissions, webhook_args, webhook_install_options,
};
use tutorial::{api, controllers, webhooks};

/// The user the controllers and the manager run as.
pub const MANAGER_USER: &str = "tutorial-manager";
/// The namespace the tests work in, and where the manager keeps its Lease.
pub const NAMESPACE: &str = "default";
/// The manager's flags for leader election in `NAMESPACE`, with a Lease that expires 5 s after
/// its leader dies instead of Kubernetes' 15 s, so that a takeover costs the tests seconds.
pub const LEADER_ELECT: [&str; 6] = [
    "--leader-elect",
    "--leader-election-namespace",
    NAMESPACE,
    "--leader-elect-lease-duration=5s",
    "--leader-elect-renew-deadline=4s",
    "--leader-elect-retry-period=1s",
];

/// Where `cargo operator create api --external-api-crd` keeps the CRDs of kinds other projects
/// own; their controllers need them served, as they are in a real cluster.
const EXTERNAL_CRDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/external");

/// A real etcd and kube-apiserver with this operator's CRDs, and the external ones it uses,
/// installed. It calls no webhooks: see `start_env_with_webhooks`.
pub async fn start_env() -> TestEnv {
    start(TestEnv::builder().crds(api::crds().unwrap())).await
}

/// Like `start_env`, with the webhooks of `src/webhooks/mod.rs` installed as in a cluster, but
/// pointed at `https://127.0.0.1:<port>` with a certificate made for the test: a manager
/// started with `start_manager_with_webhooks` serves them.
pub async fn start_env_with_webhooks() -> TestEnv {
    let webhooks = webhooks::webhooks();
    let crds = webhooks.with_conversion(api::crds().unwrap());
    start(
        TestEnv::builder()
            .crds(crds)
            .webhooks(webhook_install_options(&webhooks)),
    )
    .await
}

async fn start(mut env: TestEnvBuilder) -> TestEnv {
    if Path::new(EXTERNAL_CRDS).is_dir() {
        env = env.crd_path(EXTERNAL_CRDS);
    }
    // Without KUBEBUILDER_ASSETS, etcd and kube-apiserver are downloaded on the first run.
    env.start().await.unwrap()
}

/// Grants `MANAGER_USER` exactly what `make manifests` grants the manager's service account:
/// the controllers' rules (in `NAMESPACE` alone in a namespaced project), and leader election in
/// `NAMESPACE`.
pub async fn grant_manager_permissions(env: &TestEnv) {
    let permissions = Permissions::new(MANAGER_USER, controllers::policy_rules(), NAMESPACE)
        .namespaced(controllers::NAMESPACED);
    grant_permissions(&env.client(), &permissions)
        .await
        .unwrap();
}

/// A client for `MANAGER_USER`; call `grant_manager_permissions` first.
pub async fn manager_client(env: &TestEnv) -> Client {
    env.client_for_user(MANAGER_USER, &[]).await.unwrap()
}

/// The manager binary, running as `MANAGER_USER` with `args`, without its webhooks.
pub async fn start_manager(env: &TestEnv, name: &str, args: &[&str]) -> ManagerProcess {
    run_manager(env, name, vec!["--enable-webhooks=false".into()], args).await
}

/// The manager binary serving its webhooks where `start_env_with_webhooks` told the API server
/// to call them.
pub async fn start_manager_with_webhooks(
    env: &TestEnv,
    name: &str,
    args: &[&str],
) -> ManagerProcess {
    let server = env
        .webhook_server()
        .expect("start the API server with `start_env_with_webhooks`");
    run_manager(env, name, webhook_args(server), args).await
}

async fn run_manager(
    env: &TestEnv,
    name: &str,
    mut flags: Vec<String>,
    args: &[&str],
) -> ManagerProcess {
    flags.extend(args.iter().map(|arg| arg.to_string()));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    ManagerProcess::start(
        env,
        env!("CARGO_BIN_EXE_manager"),
        name,
        MANAGER_USER,
        &flags,
    )
    .await
}
