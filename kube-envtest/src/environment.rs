//! The test environment: a control plane with the CRDs and webhook configurations a test asks
//! for installed, clients for the admin or any user, and kubectl pointed at it.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};

use crate::assets;
use crate::binaries::{Binary, DEFAULT_MISSING_BINARIES_HINT, find_binary_with_hint};
use crate::control_plane::{ControlPlane, Settings, flag};
use crate::crds::{self, FIELD_MANAGER, read_crds};
use crate::error::{Error, Result};
use crate::kubeconfig::write_kubeconfig_file;
use crate::webhooks::{LocalWebhookServer, PreparedWebhooks, WebhookInstallOptions};

/// Configures and starts a [`TestEnv`]. Create one with [`TestEnv::builder`].
#[derive(Debug, Clone)]
pub struct TestEnvBuilder {
    assets_dir: Option<PathBuf>,
    etcd_binary: Option<PathBuf>,
    apiserver_binary: Option<PathBuf>,
    kubectl_binary: Option<PathBuf>,
    control_plane: Settings,
    crd_timeout: Duration,
    crds: Vec<CustomResourceDefinition>,
    crd_paths: Vec<PathBuf>,
    webhooks: Option<WebhookInstallOptions>,
    hint: String,
    fetch_missing: bool,
}

impl Default for TestEnvBuilder {
    fn default() -> Self {
        TestEnvBuilder {
            assets_dir: None,
            etcd_binary: None,
            apiserver_binary: None,
            kubectl_binary: None,
            control_plane: Settings {
                etcd_args: Vec::new(),
                apiserver_args: Vec::new(),
                start_timeout: Duration::from_secs(20),
                stop_timeout: Duration::from_secs(20),
                kill_on_parent_death: true,
            },
            crd_timeout: Duration::from_secs(10),
            crds: Vec::new(),
            crd_paths: Vec::new(),
            webhooks: None,
            hint: DEFAULT_MISSING_BINARIES_HINT.to_string(),
            fetch_missing: true,
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
        self.control_plane.apiserver_args.push(arg.into());
        self
    }

    /// Adds an etcd flag, after the defaults.
    pub fn etcd_arg(mut self, arg: impl Into<OsString>) -> Self {
        self.control_plane.etcd_args.push(arg.into());
        self
    }

    /// How long each process may take to become ready (default 20 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.control_plane.start_timeout = timeout;
        self
    }

    /// How long each process may take to exit after SIGTERM before it gets SIGKILL (default 20 s).
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.control_plane.stop_timeout = timeout;
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

    /// Whether start downloads etcd and kube-apiserver when none are found locally and none
    /// were pointed at (no explicit path, `TEST_ASSET_*` or `KUBEBUILDER_ASSETS`), and builds
    /// them from Go modules when the download is impossible; see [`assets::find_or_fetch`].
    /// Default true.
    pub fn fetch_missing_binaries(mut self, enabled: bool) -> Self {
        self.fetch_missing = enabled;
        self
    }

    /// On Linux, have the kernel SIGKILL etcd and kube-apiserver when the test process dies
    /// without running destructors (e.g. killed by a signal). Default true.
    pub fn kill_on_parent_death(mut self, enabled: bool) -> Self {
        self.control_plane.kill_on_parent_death = enabled;
        self
    }

    /// Starts etcd and kube-apiserver, waits until the API server is healthy and the
    /// `default` namespace exists, then installs the configured CRDs.
    pub async fn start(self) -> Result<TestEnv> {
        let started = Instant::now();
        let (etcd_bin, apiserver_bin, fetched) = self.find_or_fetch_binaries().await?;
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
        let control_plane =
            ControlPlane::start(&self.control_plane, &etcd_bin, &apiserver_bin, dir.path()).await?;

        let env = TestEnv {
            control_plane,
            crd_timeout: self.crd_timeout,
            kubectl_binary: self.kubectl_binary,
            // kubectl comes from the folder just fetched, unless the test named another.
            assets_dir: self.assets_dir.or(fetched),
            hint: self.hint,
            webhook_server: webhooks.as_ref().map(|w| w.server.clone()),
            dir: Some(dir),
        };
        if !crds.is_empty() {
            env.install_crds(crds).await?;
        }
        if let Some(webhooks) = &webhooks {
            webhooks.install(&env.control_plane.client).await?;
        }
        tracing::debug!(elapsed = ?started.elapsed(), server = %env.control_plane.server_url, "test environment ready");
        Ok(env)
    }
}

impl TestEnvBuilder {
    /// etcd and kube-apiserver, found locally or else fetched (then also the folder fetched).
    async fn find_or_fetch_binaries(&self) -> Result<(PathBuf, PathBuf, Option<PathBuf>)> {
        let find = |binary, explicit: &Option<PathBuf>| {
            find_binary_with_hint(
                binary,
                explicit.as_deref(),
                self.assets_dir.as_deref(),
                &self.hint,
            )
        };
        let not_found = match find(Binary::Etcd, &self.etcd_binary)
            .and_then(|etcd| Ok((etcd, find(Binary::KubeApiserver, &self.apiserver_binary)?)))
        {
            Ok((etcd, apiserver)) => return Ok((etcd, apiserver, None)),
            Err(not_found) => not_found,
        };
        // Binaries the test or the environment pointed at are never replaced by a download.
        let pointed_at = self.etcd_binary.is_some()
            || self.apiserver_binary.is_some()
            || [
                "KUBEBUILDER_ASSETS",
                Binary::Etcd.env_var(),
                Binary::KubeApiserver.env_var(),
            ]
            .iter()
            .any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()));
        let Error::BinaryNotFound {
            binary, searched, ..
        } = &not_found
        else {
            return Err(not_found);
        };
        if !self.fetch_missing || pointed_at {
            return Err(not_found);
        }
        let where_ = searched.join("; ");
        let why = format!("no {binary} binary found locally ({where_})");
        let download = assets::Download::from_env()?;
        let dir = tokio::task::spawn_blocking(move || assets::fetch_or_build(&download))
            .await
            .map_err(|e| Error::Assets(format!("{why}; the download stopped: {e}")))?
            .map_err(|e| Error::Assets(format!("{why}; {e}")))?;
        Ok((dir.join("etcd"), dir.join("kube-apiserver"), Some(dir)))
    }
}

/// A running etcd + kube-apiserver pair. Dropping it stops both (kube-apiserver first) and
/// removes its temp dir, blocking the thread while kube-apiserver shuts down gracefully;
/// [`TestEnv::stop`] does the same without blocking the async runtime.
pub struct TestEnv {
    /// Declared before `dir`, so that the processes stop before their folder is removed.
    control_plane: ControlPlane,
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
            .field("server_url", &self.control_plane.server_url)
            .field("etcd_url", &self.control_plane.etcd_url)
            .field("apiserver_pid", &self.control_plane.apiserver.pid())
            .field("etcd_pid", &self.control_plane.etcd.pid())
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
        self.control_plane.client.clone()
    }

    /// The admin client's configuration, e.g. to build a client with other timeouts.
    pub fn config(&self) -> &Config {
        &self.control_plane.config
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
        &self.control_plane.kubeconfig
    }

    /// A kubeconfig for `user` in `groups`; see [`TestEnv::client_for_user`].
    pub fn kubeconfig_for_user(&self, user: &str, groups: &[&str]) -> Result<Kubeconfig> {
        self.control_plane.kubeconfig_for_user(user, groups)
    }

    /// Path of the admin kubeconfig file in the temp dir (removed with the environment).
    pub fn kubeconfig_path(&self) -> &Path {
        &self.control_plane.kubeconfig_path
    }

    /// Writes the admin kubeconfig to `path` (as JSON, which kubectl and kube read as YAML).
    pub fn write_kubeconfig(&self, path: impl AsRef<Path>) -> Result<()> {
        write_kubeconfig_file(&self.control_plane.kubeconfig, path.as_ref())
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
        cmd.arg(flag(
            "--kubeconfig",
            self.control_plane.kubeconfig_path.as_os_str(),
        ));
        Ok(cmd)
    }

    /// The API server URL, `https://127.0.0.1:<port>`.
    pub fn server_url(&self) -> &str {
        &self.control_plane.server_url
    }

    /// The etcd client URL, `http://127.0.0.1:<port>`.
    pub fn etcd_url(&self) -> &str {
        &self.control_plane.etcd_url
    }

    /// PEM of the CA that signed the API server's serving certificate.
    pub fn serving_ca_pem(&self) -> &str {
        &self.control_plane.serving_ca_pem
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
        self.control_plane.apiserver.pid()
    }

    /// Process id of etcd, if running.
    pub fn etcd_pid(&self) -> Option<u32> {
        self.control_plane.etcd.pid()
    }

    /// Path of the kube-apiserver log (stdout and stderr).
    pub fn apiserver_log(&self) -> &Path {
        &self.control_plane.apiserver.log
    }

    /// Path of the etcd log (stdout and stderr).
    pub fn etcd_log(&self) -> &Path {
        &self.control_plane.etcd.log
    }

    /// Creates or updates `crds` (server-side apply) and waits until API discovery serves
    /// every served version of each.
    pub async fn install_crds(
        &self,
        crds: impl IntoIterator<Item = CustomResourceDefinition>,
    ) -> Result<()> {
        let started = Instant::now();
        let api: Api<CustomResourceDefinition> = Api::all(self.control_plane.client.clone());
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
        crds::wait_for_crds(&self.control_plane.client, &installed, self.crd_timeout).await?;
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
        self.control_plane.stop_apiserver().await;
    }

    /// Starts kube-apiserver again after [`TestEnv::stop_apiserver`], on the same port and with
    /// the same etcd, and waits until it is healthy. The data is kept and existing clients
    /// (and the kubeconfig) keep working. Does nothing if it is already running.
    pub async fn start_apiserver(&mut self) -> Result<()> {
        self.control_plane.start_apiserver().await
    }

    /// Stops kube-apiserver, then etcd (the reverse order can hang the API server), and
    /// removes the temp dir. Dropping the environment does the same, blocking the thread.
    pub async fn stop(mut self) -> Result<()> {
        self.control_plane.stop().await;
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_path_buf();
            dir.close()
                .map_err(|e| Error::io(format!("removing {}", path.display()), e))?;
        }
        Ok(())
    }
}
