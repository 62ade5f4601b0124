//! The control plane: etcd and kube-apiserver started on free loopback ports with throwaway
//! certificates, the admin's client and kubeconfig, and kube-apiserver stopped and started
//! again; both stopped, kube-apiserver first, when it is dropped.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};

use crate::certs::Pki;
use crate::error::{Error, Result};
use crate::kubeconfig::{make_kubeconfig, write_kubeconfig_file};
use crate::ports::free_ports;
use crate::process::{Proc, http_get_ok, is_address_in_use};

/// Name of the admin user of [`TestEnv::client`](crate::TestEnv::client).
pub const ADMIN_USER: &str = "admin";
/// Group of the admin user; bound to `cluster-admin` by the default RBAC policy.
pub const ADMIN_GROUP: &str = "system:masters";
/// Attempts to start a process when a probed free port was taken before the process bound it.
const PORT_ATTEMPTS: usize = 5;
/// kube-apiserver flag (1.27+) bounding how long shutdown waits for watches to end.
const WATCH_GRACE_FLAG: &str = "--shutdown-watch-termination-grace-period";

/// How the control plane's processes are run: extra flags, timeouts, and whether the kernel
/// kills them with the test process.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) etcd_args: Vec<OsString>,
    pub(crate) apiserver_args: Vec<OsString>,
    pub(crate) start_timeout: Duration,
    pub(crate) stop_timeout: Duration,
    pub(crate) kill_on_parent_death: bool,
}

/// A running etcd and kube-apiserver, and the admin's client for them.
pub(crate) struct ControlPlane {
    pub(crate) apiserver: Proc,
    pub(crate) etcd: Proc,
    pub(crate) pki: Pki,
    pub(crate) serving_ca_pem: String,
    pub(crate) client: Client,
    pub(crate) config: Config,
    pub(crate) kubeconfig: Kubeconfig,
    pub(crate) kubeconfig_path: PathBuf,
    pub(crate) server_url: String,
    pub(crate) etcd_url: String,
    start_timeout: Duration,
}

impl ControlPlane {
    /// Makes the certificates in `dir/certs`, starts etcd then kube-apiserver (their data, logs
    /// and the admin kubeconfig in `dir`), and waits until the API server is healthy and the
    /// `default` namespace exists.
    pub(crate) async fn start(
        settings: &Settings,
        etcd_bin: &Path,
        apiserver_bin: &Path,
        dir: &Path,
    ) -> Result<Self> {
        let started = Instant::now();
        let cert_dir = dir.join("certs");
        std::fs::create_dir(&cert_dir)
            .map_err(|e| Error::io(format!("creating {}", cert_dir.display()), e))?;
        let pki = Pki::generate()?;
        pki.write(&cert_dir)?;

        let (etcd, etcd_url) = settings.start_etcd(etcd_bin, dir).await?;
        tracing::debug!(elapsed = ?started.elapsed(), %etcd_url, "etcd ready");

        let mut attempt = 0;
        let (apiserver, server_url, kubeconfig, config, client) = loop {
            attempt += 1;
            let [port] = free_ports::<1>()?;
            let server_url = format!("https://127.0.0.1:{port}");
            let args = settings.apiserver_args(apiserver_bin, &etcd_url, &cert_dir, port);
            let mut proc = Proc::new(
                "kube-apiserver",
                apiserver_bin,
                args,
                dir.join("kube-apiserver.log"),
                settings.stop_timeout,
                settings.kill_on_parent_death,
            );
            let kubeconfig = make_kubeconfig(&server_url, &pki, ADMIN_USER, &[ADMIN_GROUP])?;
            let config =
                Config::from_custom_kubeconfig(kubeconfig.clone(), &KubeConfigOptions::default())
                    .await?;
            let client = Client::try_from(config.clone())?;
            proc.spawn()?;
            match wait_healthy(&mut proc, &client, settings.start_timeout).await {
                Ok(()) => break (proc, server_url, kubeconfig, config, client),
                Err(e) if attempt < PORT_ATTEMPTS && is_address_in_use(&e) => {
                    tracing::debug!(port, "kube-apiserver port taken, retrying");
                }
                Err(e) => return Err(e),
            }
        };
        let kubeconfig_path = dir.join("kubeconfig");
        write_kubeconfig_file(&kubeconfig, &kubeconfig_path)?;
        tracing::debug!(elapsed = ?started.elapsed(), %server_url, "kube-apiserver ready");
        Ok(Self {
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
            start_timeout: settings.start_timeout,
        })
    }

    /// A kubeconfig for `user` in `groups`, with a client certificate of the control plane's
    /// client CA.
    pub(crate) fn kubeconfig_for_user(&self, user: &str, groups: &[&str]) -> Result<Kubeconfig> {
        make_kubeconfig(&self.server_url, &self.pki, user, groups)
    }

    /// Stops kube-apiserver and leaves etcd running. Does nothing if it is already stopped.
    pub(crate) async fn stop_apiserver(&mut self) {
        self.apiserver.stop().await;
    }

    /// Starts kube-apiserver again on the same port with the same etcd, and waits until it is
    /// healthy. Does nothing if it is already running.
    pub(crate) async fn start_apiserver(&mut self) -> Result<()> {
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

    /// Stops kube-apiserver, then etcd (the reverse order can hang the API server).
    pub(crate) async fn stop(&mut self) {
        self.apiserver.stop().await;
        self.etcd.stop().await;
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        // Explicit order: kube-apiserver before etcd.
        self.apiserver.stop_blocking();
        self.etcd.stop_blocking();
    }
}

impl Settings {
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

/// `name=value`, for a flag whose value is a path.
pub(crate) fn flag(name: &str, value: &std::ffi::OsStr) -> OsString {
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
        // Blocking, but it runs once per binary and flag, and `--help` only prints.
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
