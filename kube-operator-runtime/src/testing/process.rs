//! The manager binary run as a process against kube-envtest, as Kubernetes would run it.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use kube_envtest::TestEnv;
use tokio::process::{Child, Command};

use super::{
    STEP_TIMEOUT,
    https::{ServerTrust, http_get, https_get},
};

/// A manager binary running as a user of the test's API server, serving metrics and probes on
/// loopback, with its logs going to a file that is printed when the test fails.
///
/// ```no_run
/// # async fn example(env: &kube_envtest::TestEnv) {
/// use kube_operator_runtime::testing::ManagerProcess;
///
/// // In a project's tests/: env!("CARGO_BIN_EXE_manager").
/// let mut manager = ManagerProcess::start(env, "/path/to/manager", "manager", "my-user", &[]).await;
/// manager.wait_until_ready().await;
/// manager.terminate();
/// assert!(manager.wait_for_exit(std::time::Duration::from_secs(10)).await);
/// # }
/// ```
pub struct ManagerProcess {
    name: String,
    child: Child,
    log: PathBuf,
    metrics_address: String,
    probe_address: String,
    metrics_secure: bool,
}

impl ManagerProcess {
    /// Starts `binary` as `user` (with no groups), named `name` in messages, with `args` on top
    /// of loopback addresses for metrics and probes.
    ///
    /// # Panics
    /// If the kubeconfig or the log file cannot be written, or the binary cannot be started.
    pub async fn start(
        env: &TestEnv,
        binary: impl AsRef<Path>,
        name: &str,
        user: &str,
        args: &[&str],
    ) -> Self {
        let kubeconfig = env.temp_dir().join(format!("{name}.kubeconfig"));
        let config = env.kubeconfig_for_user(user, &[]).expect("a kubeconfig");
        std::fs::write(&kubeconfig, serde_json::to_vec(&config).expect("JSON"))
            .expect("writable temporary folder");
        let log = env.temp_dir().join(format!("{name}.log"));

        let metrics_address = free_loopback_address();
        let probe_address = free_loopback_address();
        // Plain HTTP on loopback unless the test asks for secure metrics.
        let metrics_secure = args
            .iter()
            .any(|arg| *arg == "--metrics-secure" || *arg == "--metrics-secure=true");
        let mut command = Command::new(binary.as_ref());
        command
            .arg(format!("--metrics-bind-address={metrics_address}"))
            .arg(format!("--health-probe-bind-address={probe_address}"));
        if !args.iter().any(|arg| arg.starts_with("--metrics-secure")) {
            command.arg("--metrics-secure=false");
        }
        let child = command
            .args(args)
            .env("KUBECONFIG", &kubeconfig)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("writable log file"))
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", binary.as_ref().display()));
        Self {
            name: name.into(),
            child,
            log,
            metrics_address,
            probe_address,
            metrics_secure,
        }
    }

    /// `GET path` on the probe address: the status code and body, or `None` while nothing
    /// listens.
    pub async fn probe(&self, path: &str) -> Option<(u16, String)> {
        http_get(&self.probe_address, path).await
    }

    /// The body of `/metrics`, served over plain HTTP (the default of a `ManagerProcess`).
    ///
    /// # Panics
    /// If the manager serves no metrics or answers with an error.
    pub async fn metrics(&self) -> String {
        let (status, body) = self
            .plain_metrics()
            .await
            .unwrap_or_else(|| panic!("{} serves no metrics", self.name));
        assert_eq!(status, 200, "{body}");
        body
    }

    /// The value of the metric sample `series` (name and labels, as in
    /// `controller_runtime_reconcile_total{controller="foo",result="success"}`), if present.
    pub async fn metric(&self, series: &str) -> Option<f64> {
        let metrics = self.plain_metrics().await?.1;
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|value| value.parse().ok())
    }

    /// Whether this manager says it holds the leader Lease `lease_name`.
    pub async fn is_leader(&self, lease_name: &str) -> bool {
        let series = format!("leader_election_master_status{{name=\"{lease_name}\"}}");
        self.metric(&series).await == Some(1.0)
    }

    /// `GET /metrics` over HTTPS with `bearer_token`, from a manager started with
    /// `--metrics-secure`: the status code and body, or `None` while nothing answers. The
    /// manager's self-signed certificate is accepted unchecked.
    ///
    /// # Panics
    /// If the manager was started without `--metrics-secure`.
    pub async fn scrape_securely(&self, bearer_token: Option<&str>) -> Option<(u16, String)> {
        assert!(
            self.metrics_secure,
            "start {} with --metrics-secure to scrape it over HTTPS",
            self.name
        );
        let trust = ServerTrust::AnyCertificate;
        https_get(&self.metrics_address, "/metrics", bearer_token, &trust).await
    }

    async fn plain_metrics(&self) -> Option<(u16, String)> {
        assert!(
            !self.metrics_secure,
            "{} serves metrics over HTTPS; use scrape_securely",
            self.name
        );
        http_get(&self.metrics_address, "/metrics").await
    }

    /// Waits until `/readyz` answers 200, and `/readyz/caches` too: the manager serves, and
    /// its controllers (none while it stands by for the Lease) hold their first lists.
    ///
    /// # Panics
    /// After [`STEP_TIMEOUT`], with the last answer.
    pub async fn wait_until_ready(&self) {
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        for path in ["/readyz", "/readyz/caches"] {
            loop {
                let answer = self.probe(path).await;
                if matches!(answer, Some((200, _))) {
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "timed out after {STEP_TIMEOUT:?} waiting until {} is ready; {path} said {answer:?}",
                    self.name
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// Sends SIGTERM, as Kubernetes does to stop a Pod.
    ///
    /// # Panics
    /// If the process has exited already.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("manager still running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("the kill command");
        assert!(status.success(), "kill -TERM {pid} failed");
    }

    /// Sends SIGKILL: the manager dies without releasing anything.
    pub async fn kill(&mut self) {
        self.child.kill().await.expect("a running manager to kill");
    }

    /// Waits for the manager to exit and returns whether it succeeded.
    ///
    /// # Panics
    /// If it still runs after `timeout`.
    pub async fn wait_for_exit(&mut self, timeout: Duration) -> bool {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(status) => status.expect("the manager's exit status").success(),
            Err(_) => panic!("{} still running {timeout:?} after SIGTERM", self.name),
        }
    }

    /// The manager's process id, while it runs.
    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// Whether the manager has not exited yet.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
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

/// A loopback address nothing listens on right now, chosen as kube-envtest chooses its own.
fn free_loopback_address() -> String {
    let port = kube_envtest::free_loopback_port().expect("a free loopback port");
    format!("127.0.0.1:{port}")
}
