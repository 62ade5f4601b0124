//! Start a real Kubernetes API server (etcd + kube-apiserver) for tests, without Go.
//!
//! This is a Rust take on controller-runtime's
//! [envtest](https://book.kubebuilder.io/reference/envtest) for [kube](https://docs.rs/kube)
//! users: [`TestEnv::start`] runs etcd and kube-apiserver on `127.0.0.1` with throwaway
//! certificates in a temporary folder and hands back an admin [`kube::Client`]. Dropping the
//! [`TestEnv`] (also while a test panics) stops both processes and removes the folder.
//!
//! No controllers, scheduler or kubelet run: objects are stored and validated, RBAC, CRDs,
//! admission and watches work, but pods never start and garbage collection does not happen.
//!
//! # Binaries
//!
//! etcd and kube-apiserver (and kubectl for [`TestEnv::kubectl`]) are found like envtest does:
//! `TEST_ASSET_ETCD` / `TEST_ASSET_KUBE_APISERVER` / `TEST_ASSET_KUBECTL`, then
//! `$KUBEBUILDER_ASSETS/<name>`, then [`TestEnvBuilder::binary_assets_dir`], then the newest
//! version in the `setup-envtest` store (`~/.local/share/kubebuilder-envtest/k8s/<X.Y.Z>-<os>-<arch>`).
//! See [`find_binary_with_hint`].
//!
//! # Example
//!
//! ```no_run
//! use k8s_openapi::api::core::v1::{Namespace, Pod};
//! use kube::Api;
//! use kube::api::ListParams;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let env = kube_envtest::TestEnv::builder()
//!     .crd_path("config/crd/bases") // optional: install CRDs and wait until they are served
//!     .start()
//!     .await?;
//!
//! // An admin client (CN=admin, O=system:masters).
//! let namespaces: Api<Namespace> = Api::all(env.client());
//! assert!(namespaces.get_opt("default").await?.is_some());
//!
//! // A client with only the permissions RBAC grants this service account.
//! let manager = env
//!     .client_for_user("system:serviceaccount:default:manager", &["system:serviceaccounts"])
//!     .await?;
//! let pods: Api<Pod> = Api::default_namespaced(manager);
//! assert!(pods.list(&ListParams::default()).await.is_err()); // 403: no Role bound yet
//!
//! // Run kubectl or your own binary against the environment.
//! let status = env.kubectl()?.args(["get", "namespaces"]).status()?;
//! assert!(status.success());
//! # Ok(())
//! # }
//! ```
//!
//! # Webhooks
//!
//! [`TestEnvBuilder::webhooks`] installs admission webhook configurations (from files such as
//! `config/webhook/manifests.yaml`, or Rust values) pointed at a webhook server the test runs
//! itself on loopback, like controller-runtime envtest's `WebhookInstallOptions`. Start
//! creates a CA and a serving certificate for `127.0.0.1`/`localhost`, picks a free port, and
//! rewrites every webhook's `clientConfig` (and the conversion webhook of every CRD it
//! installs with `strategy: Webhook`) to `https://127.0.0.1:<port><path>` with that CA as
//! `caBundle`. [`TestEnv::webhook_server`] tells the test where to listen:
//!
//! ```no_run
//! use kube_envtest::{TestEnv, WebhookInstallOptions};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let env = TestEnv::builder()
//!     .crd_path("config/crd/bases")
//!     .webhooks(WebhookInstallOptions::new().path("config/webhook/manifests.yaml"))
//!     .start()
//!     .await?;
//! let server = env.webhook_server().expect("webhooks were configured");
//! let cert = server.cert_dir().join(server.cert_name()); // tls.crt, key in tls.key
//! let listen_on = (server.host(), server.port()); // 127.0.0.1 and a free port
//! # let _ = (cert, listen_on);
//! // Start the webhook server there; the API server calls it for matching requests.
//! # Ok(())
//! # }
//! ```
//!
//! The configurations are readable from the API server when start returns, but a webhook only
//! takes effect once the test's server listens on the port (and the API server's admission
//! plugin has noticed the new configuration, usually within a second). Without a server,
//! matching requests fail under `failurePolicy: Fail` and pass under `Ignore`.
//!
//! # Dependencies
//!
//! Like other libraries built on `k8s-openapi`, this crate enables no Kubernetes version
//! feature: the application (or your `[dev-dependencies]`) picks one, e.g.
//! `k8s-openapi = { version = "0.29", features = ["latest"] }`.

#![warn(missing_docs)]

mod binaries;
mod certs;
mod crds;
mod error;
mod process;
mod webhooks;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};

pub use binaries::{Binary, DEFAULT_MISSING_BINARIES_HINT, find_binary, find_binary_with_hint};
pub use crds::read_crds;
pub use error::{Error, Result};
pub use webhooks::{LocalWebhookServer, WebhookInstallOptions};

use certs::{Pki, base64};
use process::{Proc, free_ports, http_get_ok, is_address_in_use};
use webhooks::PreparedWebhooks;

/// Name of the admin user of [`TestEnv::client`].
pub const ADMIN_USER: &str = "admin";
/// Group of the admin user; bound to `cluster-admin` by the default RBAC policy.
pub const ADMIN_GROUP: &str = "system:masters";
/// Field manager used when installing CRDs with server-side apply.
const FIELD_MANAGER: &str = "kube-envtest";
/// Attempts to start a process when a probed free port was taken before the process bound it.
const PORT_ATTEMPTS: usize = 5;
/// kube-apiserver flag (1.27+) bounding how long shutdown waits for watches to end.
const WATCH_GRACE_FLAG: &str = "--shutdown-watch-termination-grace-period";

/// Configures and starts a [`TestEnv`]. Create one with [`TestEnv::builder`].
#[derive(Debug, Clone)]
pub struct TestEnvBuilder {
    assets_dir: Option<PathBuf>,
    etcd_binary: Option<PathBuf>,
    apiserver_binary: Option<PathBuf>,
    kubectl_binary: Option<PathBuf>,
    etcd_args: Vec<OsString>,
    apiserver_args: Vec<OsString>,
    start_timeout: Duration,
    stop_timeout: Duration,
    crd_timeout: Duration,
    crds: Vec<CustomResourceDefinition>,
    crd_paths: Vec<PathBuf>,
    webhooks: Option<WebhookInstallOptions>,
    hint: String,
    kill_on_parent_death: bool,
}

impl Default for TestEnvBuilder {
    fn default() -> Self {
        TestEnvBuilder {
            assets_dir: None,
            etcd_binary: None,
            apiserver_binary: None,
            kubectl_binary: None,
            etcd_args: Vec::new(),
            apiserver_args: Vec::new(),
            start_timeout: Duration::from_secs(20),
            stop_timeout: Duration::from_secs(20),
            crd_timeout: Duration::from_secs(10),
            crds: Vec::new(),
            crd_paths: Vec::new(),
            webhooks: None,
            hint: DEFAULT_MISSING_BINARIES_HINT.to_string(),
            kill_on_parent_death: true,
        }
    }
}

impl TestEnvBuilder {
    /// Folder holding `etcd`, `kube-apiserver` and `kubectl`. As in controller-runtime,
    /// `TEST_ASSET_*` and `KUBEBUILDER_ASSETS` take precedence over it.
    pub fn binary_assets_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.assets_dir = Some(dir.into());
        self
    }

    /// Explicit path of the etcd binary; takes precedence over every other lookup.
    pub fn etcd_binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.etcd_binary = Some(path.into());
        self
    }

    /// Explicit path of the kube-apiserver binary; takes precedence over every other lookup.
    pub fn kube_apiserver_binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.apiserver_binary = Some(path.into());
        self
    }

    /// Explicit path of the kubectl binary; takes precedence over every other lookup.
    pub fn kubectl_binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.kubectl_binary = Some(path.into());
        self
    }

    /// Adds a kube-apiserver flag, e.g. `--feature-gates=Foo=true`. It comes after the
    /// defaults, so for single-valued flags it overrides them.
    pub fn apiserver_arg(mut self, arg: impl Into<OsString>) -> Self {
        self.apiserver_args.push(arg.into());
        self
    }

    /// Adds an etcd flag, after the defaults.
    pub fn etcd_arg(mut self, arg: impl Into<OsString>) -> Self {
        self.etcd_args.push(arg.into());
        self
    }

    /// How long each process may take to become ready (default 20 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// How long each process may take to exit after SIGTERM before it gets SIGKILL (default 20 s).
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// How long installed CRDs may take to appear in API discovery (default 10 s).
    pub fn crd_install_timeout(mut self, timeout: Duration) -> Self {
        self.crd_timeout = timeout;
        self
    }

    /// A CRD to install during start, e.g. `MyResource::crd()` from kube's `CustomResource` derive.
    pub fn crd(mut self, crd: CustomResourceDefinition) -> Self {
        self.crds.push(crd);
        self
    }

    /// CRDs to install during start.
    pub fn crds(mut self, crds: impl IntoIterator<Item = CustomResourceDefinition>) -> Self {
        self.crds.extend(crds);
        self
    }

    /// A CRD file or folder (see [`read_crds`]) to install during start.
    pub fn crd_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.crd_paths.push(path.into());
        self
    }

    /// Admission webhook configurations to install, pointed at a webhook server the test runs
    /// on loopback; see [`WebhookInstallOptions`] and [`TestEnv::webhook_server`].
    ///
    /// During start, a CA, a serving certificate and a free port are prepared, every webhook
    /// (and every installed CRD's conversion webhook) is pointed at that port with the CA as
    /// `caBundle`, and the configurations are created after the CRDs are served.
    pub fn webhooks(mut self, options: WebhookInstallOptions) -> Self {
        self.webhooks = Some(options);
        self
    }

    /// Replaces the "fix:" text of [`Error::BinaryNotFound`], e.g. with how your project
    /// builds or downloads the binaries. Defaults to [`DEFAULT_MISSING_BINARIES_HINT`].
    pub fn missing_binaries_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    /// On Linux, have the kernel SIGKILL etcd and kube-apiserver when the test process dies
    /// without running destructors (e.g. killed by a signal). Default true.
    pub fn kill_on_parent_death(mut self, enabled: bool) -> Self {
        self.kill_on_parent_death = enabled;
        self
    }

    /// Starts etcd and kube-apiserver, waits until the API server is healthy and the
    /// `default` namespace exists, then installs the configured CRDs.
    pub async fn start(self) -> Result<TestEnv> {
        let started = Instant::now();
        let etcd_bin = find_binary_with_hint(
            Binary::Etcd,
            self.etcd_binary.as_deref(),
            self.assets_dir.as_deref(),
            &self.hint,
        )?;
        let apiserver_bin = find_binary_with_hint(
            Binary::KubeApiserver,
            self.apiserver_binary.as_deref(),
            self.assets_dir.as_deref(),
            &self.hint,
        )?;
        // Read CRD files before starting anything so a typo fails fast.
        let mut crds = self.crds.clone();
        for path in &self.crd_paths {
            crds.extend(read_crds(path)?);
        }

        // Declared before the processes, so on an early return it is dropped after they stop.
        let dir = tempfile::Builder::new()
            .prefix("kube-envtest-")
            .tempdir()
            .map_err(|e| Error::io("creating the temp dir", e))?;
        let cert_dir = dir.path().join("certs");
        std::fs::create_dir(&cert_dir)
            .map_err(|e| Error::io(format!("creating {}", cert_dir.display()), e))?;
        let pki = Pki::generate()?;
        pki.write(&cert_dir)?;
        // Before CRD install: conversion webhooks must point at the port from the start.
        let webhooks = match self.webhooks.clone() {
            Some(options) => {
                let prepared =
                    PreparedWebhooks::prepare(options, dir.path().join("webhook-certs"))?;
                for crd in &mut crds {
                    prepared.rewrite_crd(crd)?;
                }
                Some(prepared)
            }
            None => None,
        };

        let (etcd, etcd_url) = self.start_etcd(&etcd_bin, dir.path()).await?;
        tracing::debug!(elapsed = ?started.elapsed(), %etcd_url, "etcd ready");

        let mut attempt = 0;
        let (apiserver, server_url, kubeconfig, config, client) = loop {
            attempt += 1;
            let [port] = free_ports::<1>()?;
            let server_url = format!("https://127.0.0.1:{port}");
            let args = self.apiserver_args(&apiserver_bin, &etcd_url, &cert_dir, port);
            let mut proc = Proc::new(
                "kube-apiserver",
                &apiserver_bin,
                args,
                dir.path().join("kube-apiserver.log"),
                self.stop_timeout,
                self.kill_on_parent_death,
            );
            let kubeconfig = make_kubeconfig(&server_url, &pki, ADMIN_USER, &[ADMIN_GROUP])?;
            let config =
                Config::from_custom_kubeconfig(kubeconfig.clone(), &KubeConfigOptions::default())
                    .await?;
            let client = Client::try_from(config.clone())?;
            proc.spawn()?;
            match wait_healthy(&mut proc, &client, self.start_timeout).await {
                Ok(()) => break (proc, server_url, kubeconfig, config, client),
                Err(e) if attempt < PORT_ATTEMPTS && is_address_in_use(&e) => {
                    tracing::debug!(port, "kube-apiserver port taken, retrying");
                }
                Err(e) => return Err(e),
            }
        };
        let kubeconfig_path = dir.path().join("kubeconfig");
        write_kubeconfig_file(&kubeconfig, &kubeconfig_path)?;
        tracing::debug!(elapsed = ?started.elapsed(), %server_url, "kube-apiserver ready");

        let env = TestEnv {
            apiserver,
            etcd,
            serving_ca_pem: pki.serving_ca_pem(),
            pki,
            client,
            config,
            kubeconfig,
            kubeconfig_path,
            server_url,
            etcd_url,
            start_timeout: self.start_timeout,
            crd_timeout: self.crd_timeout,
            kubectl_binary: self.kubectl_binary,
            assets_dir: self.assets_dir,
            hint: self.hint,
            webhook_server: webhooks.as_ref().map(|w| w.server.clone()),
            dir: Some(dir),
        };
        if !crds.is_empty() {
            env.install_crds(crds).await?;
        }
        if let Some(webhooks) = &webhooks {
            webhooks.install(&env.client).await?;
        }
        tracing::debug!(elapsed = ?started.elapsed(), server = %env.server_url, "test environment ready");
        Ok(env)
    }

    async fn start_etcd(&self, bin: &Path, dir: &Path) -> Result<(Proc, String)> {
        let no_fsync = supports_flag(bin, "--unsafe-no-fsync");
        let data_dir = dir.join("etcd-data");
        let mut attempt = 0;
        loop {
            attempt += 1;
            let [client_port, peer_port] = free_ports::<2>()?;
            let client_url = format!("http://127.0.0.1:{client_port}");
            let peer_url = format!("http://127.0.0.1:{peer_port}");
            // A failed attempt may have initialised the data dir with other peer URLs.
            let _ = std::fs::remove_dir_all(&data_dir);
            let mut args: Vec<OsString> = vec![
                "--name=kube-envtest".into(),
                flag("--data-dir", data_dir.as_os_str()),
                format!("--listen-client-urls={client_url}").into(),
                format!("--advertise-client-urls={client_url}").into(),
                format!("--listen-peer-urls={peer_url}").into(),
                format!("--initial-advertise-peer-urls={peer_url}").into(),
                format!("--initial-cluster=kube-envtest={peer_url}").into(),
            ];
            if no_fsync {
                // Test data is thrown away, so durability only costs time.
                args.push("--unsafe-no-fsync=true".into());
            }
            args.extend(self.etcd_args.iter().cloned());
            let mut proc = Proc::new(
                "etcd",
                bin,
                args,
                dir.join("etcd.log"),
                self.stop_timeout,
                self.kill_on_parent_death,
            );
            proc.spawn()?;
            match proc
                .wait_until(self.start_timeout, || http_get_ok(client_port, "/health"))
                .await
            {
                Ok(()) => return Ok((proc, client_url)),
                Err(e) if attempt < PORT_ATTEMPTS && is_address_in_use(&e) => {
                    tracing::debug!(client_port, peer_port, "etcd port taken, retrying");
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn apiserver_args(
        &self,
        bin: &Path,
        etcd_url: &str,
        cert_dir: &Path,
        port: u16,
    ) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            format!("--etcd-servers={etcd_url}").into(),
            flag("--cert-dir", cert_dir.as_os_str()),
            format!("--secure-port={port}").into(),
            "--bind-address=127.0.0.1".into(),
            // The default "lease" reconciler rejects a loopback advertise address, and without
            // one the apiserver needs a default route to pick an address.
            "--advertise-address=127.0.0.1".into(),
            "--endpoint-reconciler-type=none".into(),
            "--service-cluster-ip-range=10.0.0.0/24".into(),
            "--allow-privileged=true".into(),
            // No controller manager creates service account tokens.
            "--disable-admission-plugins=ServiceAccount".into(),
            "--authorization-mode=RBAC".into(),
            format!("--service-account-issuer=https://127.0.0.1:{port}").into(),
            flag(
                "--service-account-key-file",
                cert_dir.join("sa.pub").as_os_str(),
            ),
            flag(
                "--service-account-signing-key-file",
                cert_dir.join("sa.key").as_os_str(),
            ),
            flag(
                "--client-ca-file",
                cert_dir.join("client-ca.crt").as_os_str(),
            ),
        ];
        if supports_flag(bin, WATCH_GRACE_FLAG) {
            // Graceful shutdown otherwise waits for open watches (a controller under test
            // usually has some) until the stop timeout sends SIGKILL.
            args.push(format!("{WATCH_GRACE_FLAG}=1s").into());
        }
        args.extend(self.apiserver_args.iter().cloned());
        args
    }
}

fn flag(name: &str, value: &std::ffi::OsStr) -> OsString {
    let mut flag = OsString::from(name);
    flag.push("=");
    flag.push(value);
    flag
}

/// Whether `<bin> --help` lists `flag`; probed once per binary path and flag, so flags that
/// older releases reject are only passed where supported.
fn supports_flag(bin: &Path, flag: &'static str) -> bool {
    static CACHE: Mutex<BTreeMap<(PathBuf, &'static str), bool>> = Mutex::new(BTreeMap::new());
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    *cache.entry((bin.to_path_buf(), flag)).or_insert_with(|| {
        // Blocking, but it runs once per binary and takes a few milliseconds.
        std::process::Command::new(bin)
            .arg("--help")
            .output()
            .map(|out| {
                let has = |b: &[u8]| String::from_utf8_lossy(b).contains(flag);
                has(&out.stdout) || has(&out.stderr)
            })
            .unwrap_or(false)
    })
}

/// Waits for `/healthz` (as admin) and then for the `default` namespace, which the API
/// server creates shortly after it becomes healthy.
async fn wait_healthy(proc: &mut Proc, client: &Client, timeout: Duration) -> Result<()> {
    let started = Instant::now();
    proc.wait_until(timeout, || async {
        let Ok(request) = http::Request::get("/healthz").body(Vec::new()) else {
            return false;
        };
        client
            .request_text(request)
            .await
            .is_ok_and(|body| body == "ok")
    })
    .await?;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let remaining = timeout.saturating_sub(started.elapsed());
    proc.wait_until(remaining, || async {
        matches!(namespaces.get_opt("default").await, Ok(Some(_)))
    })
    .await
    .map_err(|e| match e {
        Error::StartTimeout {
            process,
            log,
            log_tail,
            ..
        } => Error::StartTimeout {
            process,
            timeout,
            log,
            log_tail: format!("{log_tail}\n(healthy, but namespace \"default\" did not appear)"),
        },
        other => other,
    })
}

fn make_kubeconfig(server_url: &str, pki: &Pki, user: &str, groups: &[&str]) -> Result<Kubeconfig> {
    let identity = pki.client_identity(user, groups)?;
    let value = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{
            "name": "kube-envtest",
            "cluster": {
                "server": server_url,
                "certificate-authority-data": base64(pki.serving_ca_pem().as_bytes()),
            },
        }],
        "users": [{
            "name": user,
            "user": {
                "client-certificate-data": base64(identity.cert_pem.as_bytes()),
                "client-key-data": base64(identity.key_pem.as_bytes()),
            },
        }],
        "contexts": [{
            "name": "kube-envtest",
            "context": { "cluster": "kube-envtest", "user": user, "namespace": "default" },
        }],
        "current-context": "kube-envtest",
    });
    // JSON is YAML, so the kubeconfig parser reads this text as is.
    Ok(Kubeconfig::from_yaml(&value.to_string())?)
}

fn write_kubeconfig_file(kubeconfig: &Kubeconfig, path: &Path) -> Result<()> {
    let context = || format!("writing kubeconfig {}", path.display());
    let text =
        serde_json::to_string_pretty(kubeconfig).map_err(|e| Error::io(context(), e.into()))?;
    std::fs::write(path, text).map_err(|e| Error::io(context(), e))
}

/// A running etcd + kube-apiserver pair. Dropping it stops both (kube-apiserver first) and
/// removes its temp dir, blocking the thread for about a second (kube-apiserver's graceful
/// shutdown); [`TestEnv::stop`] does the same without blocking the async runtime.
pub struct TestEnv {
    apiserver: Proc,
    etcd: Proc,
    pki: Pki,
    serving_ca_pem: String,
    client: Client,
    config: Config,
    kubeconfig: Kubeconfig,
    kubeconfig_path: PathBuf,
    server_url: String,
    etcd_url: String,
    start_timeout: Duration,
    crd_timeout: Duration,
    kubectl_binary: Option<PathBuf>,
    assets_dir: Option<PathBuf>,
    hint: String,
    webhook_server: Option<LocalWebhookServer>,
    /// `None` only after [`TestEnv::stop`] removed it.
    dir: Option<tempfile::TempDir>,
}

impl fmt::Debug for TestEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hand-written to keep private keys out of debug output.
        f.debug_struct("TestEnv")
            .field("server_url", &self.server_url)
            .field("etcd_url", &self.etcd_url)
            .field("apiserver_pid", &self.apiserver.pid())
            .field("etcd_pid", &self.etcd.pid())
            .field("temp_dir", &self.dir.as_ref().map(|d| d.path()))
            .field("webhook_server", &self.webhook_server)
            .finish_non_exhaustive()
    }
}

impl TestEnv {
    /// A builder to configure binaries, flags, timeouts and CRDs.
    pub fn builder() -> TestEnvBuilder {
        TestEnvBuilder::default()
    }

    /// Starts an environment with default settings; see [`TestEnvBuilder::start`].
    pub async fn start() -> Result<TestEnv> {
        TestEnvBuilder::default().start().await
    }

    /// A client for the admin user (`CN=admin`, `O=system:masters`). Cheap to clone.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// The admin client's configuration, e.g. to build a client with other timeouts.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A client authenticated as `user` in `groups` by a certificate signed by the
    /// environment's client CA. It has only the permissions RBAC grants that user or those
    /// groups (plus `system:authenticated`).
    ///
    /// ```no_run
    /// # async fn f(env: &kube_envtest::TestEnv) -> kube_envtest::Result<()> {
    /// let client = env
    ///     .client_for_user("system:serviceaccount:default:manager", &["system:serviceaccounts"])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn client_for_user(&self, user: &str, groups: &[&str]) -> Result<Client> {
        let kubeconfig = self.kubeconfig_for_user(user, groups)?;
        let config =
            Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await?;
        Ok(Client::try_from(config)?)
    }

    /// The admin kubeconfig (certificates embedded as data).
    pub fn kubeconfig(&self) -> &Kubeconfig {
        &self.kubeconfig
    }

    /// A kubeconfig for `user` in `groups`; see [`TestEnv::client_for_user`].
    pub fn kubeconfig_for_user(&self, user: &str, groups: &[&str]) -> Result<Kubeconfig> {
        make_kubeconfig(&self.server_url, &self.pki, user, groups)
    }

    /// Path of the admin kubeconfig file in the temp dir (removed with the environment).
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_path
    }

    /// Writes the admin kubeconfig to `path` (as JSON, which kubectl and kube read as YAML).
    pub fn write_kubeconfig(&self, path: impl AsRef<Path>) -> Result<()> {
        write_kubeconfig_file(&self.kubeconfig, path.as_ref())
    }

    /// A `kubectl` command already pointed at this environment with `--kubeconfig`.
    pub fn kubectl(&self) -> Result<std::process::Command> {
        let bin = find_binary_with_hint(
            Binary::Kubectl,
            self.kubectl_binary.as_deref(),
            self.assets_dir.as_deref(),
            &self.hint,
        )?;
        let mut cmd = std::process::Command::new(bin);
        cmd.arg(flag("--kubeconfig", self.kubeconfig_path.as_os_str()));
        Ok(cmd)
    }

    /// The API server URL, `https://127.0.0.1:<port>`.
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The etcd client URL, `http://127.0.0.1:<port>`.
    pub fn etcd_url(&self) -> &str {
        &self.etcd_url
    }

    /// PEM of the CA that signed the API server's serving certificate.
    pub fn serving_ca_pem(&self) -> &str {
        &self.serving_ca_pem
    }

    /// The temp dir holding certificates, etcd data, logs and the kubeconfig.
    pub fn temp_dir(&self) -> &Path {
        self.dir
            .as_ref()
            .map_or_else(|| Path::new(""), |d| d.path())
    }

    /// Where the test's webhook server must listen and which certificate it must serve;
    /// `Some` iff [`TestEnvBuilder::webhooks`] was called.
    ///
    /// The webhook configurations are installed (readable from the API server) when
    /// [`TestEnvBuilder::start`] returns, but they only take effect once a server listens on
    /// [`LocalWebhookServer::port`]: the API server calls it from then on, and its admission
    /// plugin may take a moment to notice new configurations.
    pub fn webhook_server(&self) -> Option<&LocalWebhookServer> {
        self.webhook_server.as_ref()
    }

    /// Process id of kube-apiserver, if running.
    pub fn apiserver_pid(&self) -> Option<u32> {
        self.apiserver.pid()
    }

    /// Process id of etcd, if running.
    pub fn etcd_pid(&self) -> Option<u32> {
        self.etcd.pid()
    }

    /// Path of the kube-apiserver log (stdout and stderr).
    pub fn apiserver_log(&self) -> &Path {
        &self.apiserver.log
    }

    /// Path of the etcd log (stdout and stderr).
    pub fn etcd_log(&self) -> &Path {
        &self.etcd.log
    }

    /// Creates or updates `crds` (server-side apply) and waits until API discovery serves
    /// every served version of each.
    pub async fn install_crds(
        &self,
        crds: impl IntoIterator<Item = CustomResourceDefinition>,
    ) -> Result<()> {
        let started = Instant::now();
        let api: Api<CustomResourceDefinition> = Api::all(self.client.clone());
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let mut installed = Vec::new();
        for mut crd in crds {
            // Fields the server owns would make the apply fail or be rejected.
            crd.metadata.resource_version = None;
            crd.metadata.uid = None;
            crd.metadata.managed_fields = None;
            crd.metadata.creation_timestamp = None;
            crd.status = None;
            let name = crd.metadata.name.clone().unwrap_or_default();
            api.patch(&name, &params, &Patch::Apply(&crd)).await?;
            installed.push(crd);
        }
        crds::wait_for_crds(&self.client, &installed, self.crd_timeout).await?;
        tracing::debug!(count = installed.len(), elapsed = ?started.elapsed(), "CRDs served");
        Ok(())
    }

    /// Reads CRDs from a file or folder (see [`read_crds`]) and installs them like
    /// [`TestEnv::install_crds`].
    pub async fn install_crds_from_path(&self, path: impl AsRef<Path>) -> Result<()> {
        self.install_crds(read_crds(path)?).await
    }

    /// Stops kube-apiserver and starts it again on the same port with the same etcd, e.g. to
    /// test that watches recover. Existing clients keep working once it is back.
    pub async fn restart_apiserver(&mut self) -> Result<()> {
        self.stop_apiserver().await;
        self.start_apiserver().await
    }

    /// Stops kube-apiserver and leaves etcd running, so a test can keep the API server away
    /// for as long as it likes; requests fail with connection errors until
    /// [`TestEnv::start_apiserver`]. Does nothing if it is already stopped.
    pub async fn stop_apiserver(&mut self) {
        self.apiserver.stop().await;
    }

    /// Starts kube-apiserver again after [`TestEnv::stop_apiserver`], on the same port and with
    /// the same etcd, and waits until it is healthy. The data is kept and existing clients
    /// (and the kubeconfig) keep working. Does nothing if it is already running.
    pub async fn start_apiserver(&mut self) -> Result<()> {
        if self.apiserver.pid().is_some() {
            return Ok(());
        }
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.apiserver.spawn()?;
            match wait_healthy(&mut self.apiserver, &self.client, self.start_timeout).await {
                Ok(()) => break,
                // The old socket can linger briefly; the port is ours, so wait and retry.
                Err(e) if attempt < PORT_ATTEMPTS && is_address_in_use(&e) => {
                    self.apiserver.stop().await;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => return Err(e),
            }
        }
        tracing::debug!(elapsed = ?started.elapsed(), "kube-apiserver started again");
        Ok(())
    }

    /// Stops kube-apiserver, then etcd (the reverse order can hang the API server), and
    /// removes the temp dir. Dropping the environment does the same, blocking the thread.
    pub async fn stop(mut self) -> Result<()> {
        self.apiserver.stop().await;
        self.etcd.stop().await;
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_path_buf();
            dir.close()
                .map_err(|e| Error::io(format!("removing {}", path.display()), e))?;
        }
        Ok(())
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        // Explicit order: kube-apiserver before etcd; the temp dir field is dropped after this.
        self.apiserver.stop_blocking();
        self.etcd.stop_blocking();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn test_env_is_send_and_sync() {
        assert_send_sync::<TestEnv>();
        assert_send_sync::<TestEnvBuilder>();
        assert_send_sync::<Error>();
        assert_send_sync::<WebhookInstallOptions>();
        assert_send_sync::<LocalWebhookServer>();
    }
}
