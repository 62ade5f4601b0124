// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

//! What the tests under tests/ share: a real API server, a user holding exactly the manager's
//! permissions, polling, and the manager binary run as a process.

#![allow(dead_code)] // Each test file uses its own part of this module.

use std::{future::Future, path::PathBuf, process::Stdio, time::Duration};

use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use kube::{
    Api, Client,
    api::{ObjectMeta, PostParams},
};
use kube_envtest::TestEnv;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    process::{Child, Command},
};
use tutorial::{api, controllers, manager::LEASE_NAME};

/// How long a step may take before the test fails.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// The user the controllers and the manager run as.
pub const MANAGER_USER: &str = "tutorial-manager";
/// The namespace the tests work in, and where the manager keeps its Lease.
pub const NAMESPACE: &str = "default";

/// A real etcd and kube-apiserver with this operator's CRDs installed.
pub async fn start_env() -> TestEnv {
    TestEnv::builder()
        .crds(api::crds().unwrap())
        .missing_binaries_hint(
            "run the tests with `make test`, which builds them once with Go, or set KUBEBUILDER_ASSETS",
        )
        .start()
        .await
        .unwrap()
}

/// Polls `check` every 100 ms until it returns true, failing after `STEP_TIMEOUT`.
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    eventually_within(STEP_TIMEOUT, what, check).await;
}

/// Polls `check` every 100 ms until it returns true, failing after `timeout`.
pub async fn eventually_within<F, Fut>(timeout: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Grants `MANAGER_USER` exactly what `make manifests` grants the manager's service account:
/// the controllers' rules, and leader election in `NAMESPACE`.
pub async fn grant_manager_permissions(env: &TestEnv) {
    let pp = PostParams::default();
    let cluster_meta = |name: &str| ObjectMeta {
        name: Some(name.into()),
        ..Default::default()
    };
    let meta = |name: &str| ObjectMeta {
        namespace: Some(NAMESPACE.into()),
        ..cluster_meta(name)
    };
    let role_ref = |kind: &str, name: &str| RoleRef {
        api_group: Some("rbac.authorization.k8s.io".into()),
        kind: kind.into(),
        name: name.into(),
    };
    let subjects = Some(vec![Subject {
        kind: "User".into(),
        name: MANAGER_USER.into(),
        api_group: Some("rbac.authorization.k8s.io".into()),
        ..Default::default()
    }]);

    let controller_rules: Vec<PolicyRule> = controllers::policy_rules();
    let role = ClusterRole {
        metadata: cluster_meta("manager-role"),
        rules: Some(controller_rules),
        ..Default::default()
    };
    Api::<ClusterRole>::all(env.client())
        .create(&pp, &role)
        .await
        .unwrap();
    let binding = ClusterRoleBinding {
        metadata: cluster_meta("manager-rolebinding"),
        role_ref: role_ref("ClusterRole", "manager-role"),
        subjects: subjects.clone(),
    };
    Api::<ClusterRoleBinding>::all(env.client())
        .create(&pp, &binding)
        .await
        .unwrap();

    let role = Role {
        metadata: meta("leader-election-role"),
        rules: Some(controllers::leader_election_rules()),
    };
    Api::<Role>::namespaced(env.client(), NAMESPACE)
        .create(&pp, &role)
        .await
        .unwrap();
    let binding = RoleBinding {
        metadata: meta("leader-election-rolebinding"),
        role_ref: role_ref("Role", "leader-election-role"),
        subjects,
    };
    Api::<RoleBinding>::namespaced(env.client(), NAMESPACE)
        .create(&pp, &binding)
        .await
        .unwrap();
}

/// A client for `MANAGER_USER`; call `grant_manager_permissions` first.
pub async fn manager_client(env: &TestEnv) -> Client {
    env.client_for_user(MANAGER_USER, &[]).await.unwrap()
}

/// The manager binary, running as `MANAGER_USER` against the test's API server, its logs going
/// to a file that is printed when a test fails.
pub struct ManagerProcess {
    pub name: &'static str,
    child: Child,
    log: PathBuf,
    pub metrics_address: String,
    pub probe_address: String,
}

impl ManagerProcess {
    /// Starts the manager with `args` on top of loopback addresses for metrics and probes.
    pub async fn start(env: &TestEnv, name: &'static str, args: &[&str]) -> Self {
        let kubeconfig = env.temp_dir().join(format!("{name}.kubeconfig"));
        let config = env.kubeconfig_for_user(MANAGER_USER, &[]).unwrap();
        std::fs::write(&kubeconfig, serde_json::to_vec(&config).unwrap()).unwrap();
        let log = env.temp_dir().join(format!("{name}.log"));

        let metrics_address = free_loopback_address().await;
        let probe_address = free_loopback_address().await;
        let child = Command::new(env!("CARGO_BIN_EXE_manager"))
            .arg(format!("--metrics-bind-address={metrics_address}"))
            .arg(format!("--health-probe-bind-address={probe_address}"))
            .args(args)
            .env("KUBECONFIG", &kubeconfig)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        Self {
            name,
            child,
            log,
            metrics_address,
            probe_address,
        }
    }

    /// `GET path` on the probe address: the status code and body, or `None` while nothing
    /// listens.
    pub async fn probe(&self, path: &str) -> Option<(u16, String)> {
        http_get(&self.probe_address, path).await
    }

    /// The body of `/metrics`.
    pub async fn metrics(&self) -> String {
        let (status, body) = http_get(&self.metrics_address, "/metrics")
            .await
            .unwrap_or_else(|| panic!("{} serves no metrics", self.name));
        assert_eq!(status, 200, "{body}");
        body
    }

    /// The value of the metric sample `series` (name and labels), if present.
    pub async fn metric(&self, series: &str) -> Option<f64> {
        let metrics = http_get(&self.metrics_address, "/metrics").await?.1;
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|value| value.parse().ok())
    }

    /// Whether this manager says it holds the leader Lease.
    pub async fn is_leader(&self) -> bool {
        let series = ["leader_election_master_status{name=\"", LEASE_NAME, "\"}"].concat();
        self.metric(&series).await == Some(1.0)
    }

    /// Waits until `/readyz` answers 200.
    pub async fn wait_until_ready(&self) {
        let what = format!("{} is ready", self.name);
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        loop {
            let answer = self.probe("/readyz").await;
            if matches!(answer, Some((200, _))) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out after {STEP_TIMEOUT:?} waiting until {what}; /readyz said {answer:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends SIGTERM, as Kubernetes does to stop a Pod.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("manager still running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM {pid} failed");
    }

    /// Sends SIGKILL: the manager dies without releasing anything.
    pub async fn kill(&mut self) {
        self.child.kill().await.unwrap();
    }

    /// Waits for the manager to exit and returns whether it succeeded, failing after `timeout`.
    pub async fn wait_for_exit(&mut self, timeout: Duration) -> bool {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(status) => status.unwrap().success(),
            Err(_) => panic!("{} still running {timeout:?} after SIGTERM", self.name),
        }
    }

    /// What the manager logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ManagerProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- {} logs ---\n{}", self.name, self.logs());
        }
    }
}

/// A loopback address nothing listens on right now.
async fn free_loopback_address() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().to_string()
}

/// A minimal HTTP/1.1 GET: the status code and body, or `None` if the connection fails.
async fn http_get(address: &str, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(address).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}
