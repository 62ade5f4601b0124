//! Admission and conversion webhooks served by the test itself on loopback: certificates,
//! a port, and webhook configurations (and CRD conversion settings) pointed at them.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use k8s_openapi::ByteString;
use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, Patch, PatchParams};
use kube::{Client, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::certs::WebhookCerts;
use crate::crds::{FIELD_MANAGER, read_documents};
use crate::error::{Error, Result};
use crate::ports::free_ports;
use crate::process::POLL_INTERVAL;

/// Host the local webhook server listens on; the serving certificate is valid for it.
const HOST: &str = "127.0.0.1";
/// File names in [`LocalWebhookServer::cert_dir`], as controller-runtime's webhook server
/// expects them by default.
const CERT_NAME: &str = "tls.crt";
const KEY_NAME: &str = "tls.key";
const CA_NAME: &str = "ca.crt";
/// Path of a CRD conversion webhook whose service reference has none (what kubebuilder
/// scaffolds for conversion).
const DEFAULT_CONVERSION_PATH: &str = "/convert";
const ADMISSION_API_VERSION: &str = "admissionregistration.k8s.io/v1";

/// Admission webhook configurations to install when a [`TestEnv`](crate::TestEnv) starts,
/// pointed at a webhook server the test runs on loopback (see [`LocalWebhookServer`]); the
/// counterpart of controller-runtime envtest's `WebhookInstallOptions`.
///
/// Every webhook's `clientConfig` is rewritten to
/// `url: https://127.0.0.1:<port><service.path or "/">` with the `caBundle` of a fresh CA,
/// and so is the conversion webhook of every CRD the environment installs with
/// `strategy: Webhook` (default path `/convert`). A webhook given by `url` keeps that URL's
/// path but is pointed at the local server as well. Everything else (rules, selectors,
/// `failurePolicy`, `sideEffects`, ...) is kept.
///
/// ```no_run
/// # async fn f() -> kube_envtest::Result<()> {
/// use kube_envtest::{TestEnv, WebhookInstallOptions};
///
/// let env = TestEnv::builder()
///     .crd_path("config/crd/bases")
///     .webhooks(WebhookInstallOptions::new().path("config/webhook/manifests.yaml"))
///     .start()
///     .await?;
/// let server = env.webhook_server().expect("webhooks were configured");
/// // Run the webhook server with these settings; the API server calls it from now on.
/// let (port, cert_dir) = (server.port(), server.cert_dir());
/// # let _ = (port, cert_dir);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct WebhookInstallOptions {
    paths: Vec<PathBuf>,
    mutating: Vec<MutatingWebhookConfiguration>,
    validating: Vec<ValidatingWebhookConfiguration>,
    timeout: Duration,
}

impl Default for WebhookInstallOptions {
    fn default() -> Self {
        WebhookInstallOptions {
            paths: Vec::new(),
            mutating: Vec::new(),
            validating: Vec::new(),
            timeout: Duration::from_secs(10),
        }
    }
}

impl WebhookInstallOptions {
    /// No configurations yet; certificates and a port are still prepared, e.g. for CRD
    /// conversion webhooks alone.
    pub fn new() -> Self {
        Self::default()
    }

    /// A YAML/JSON file, or a folder of them (not recursive), such as
    /// `config/webhook/manifests.yaml`: every `admissionregistration.k8s.io/v1`
    /// `MutatingWebhookConfiguration` and `ValidatingWebhookConfiguration` document in it is
    /// installed; documents of other kinds are skipped.
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.paths.push(path.into());
        self
    }

    /// Mutating webhook configurations to install.
    pub fn mutating(
        mut self,
        configs: impl IntoIterator<Item = MutatingWebhookConfiguration>,
    ) -> Self {
        self.mutating.extend(configs);
        self
    }

    /// Validating webhook configurations to install.
    pub fn validating(
        mut self,
        configs: impl IntoIterator<Item = ValidatingWebhookConfiguration>,
    ) -> Self {
        self.validating.extend(configs);
        self
    }

    /// How long the installed configurations may take to be readable from the API server
    /// (default 10 s).
    pub fn install_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// Where the test's webhook server must listen, and the certificate it must serve; from
/// [`TestEnv::webhook_server`](crate::TestEnv::webhook_server).
///
/// The API server only reaches the webhooks once a server listens there: until then (and
/// after it stops), requests they match fail with a connection error under
/// `failurePolicy: Fail` and pass unchecked under `Ignore`.
#[derive(Debug, Clone)]
pub struct LocalWebhookServer {
    port: u16,
    cert_dir: PathBuf,
    ca_pem: String,
}

impl LocalWebhookServer {
    /// The host to listen on, `127.0.0.1`.
    pub fn host(&self) -> &str {
        HOST
    }

    /// A loopback port that was free when the environment started.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A folder inside the environment's temp dir (removed with it) holding the serving
    /// certificate ([`cert_name`](Self::cert_name)), its key ([`key_name`](Self::key_name))
    /// and the CA certificate (`ca.crt`).
    pub fn cert_dir(&self) -> &Path {
        &self.cert_dir
    }

    /// File name of the PEM serving certificate in [`cert_dir`](Self::cert_dir), `tls.crt`;
    /// valid for `127.0.0.1` and `localhost`.
    pub fn cert_name(&self) -> &str {
        CERT_NAME
    }

    /// File name of the serving certificate's PKCS#8 PEM key in
    /// [`cert_dir`](Self::cert_dir), `tls.key`.
    pub fn key_name(&self) -> &str {
        KEY_NAME
    }

    /// PEM of the CA that signed the serving certificate: the `caBundle` of every rewritten
    /// webhook.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// `https://127.0.0.1:<port><path>`, e.g. `url("/validate")`.
    pub fn url(&self, path: &str) -> String {
        local_url(self.port, path)
    }
}

fn local_url(port: u16, path: &str) -> String {
    let slash = if path.starts_with('/') { "" } else { "/" };
    format!("https://{HOST}:{port}{slash}{path}")
}

/// The webhook side of a starting environment: configurations read and rewritten, certificates
/// written, port chosen. Built before the CRDs are installed, since it rewrites them too.
#[derive(Debug)]
pub(crate) struct PreparedWebhooks {
    pub server: LocalWebhookServer,
    mutating: Vec<MutatingWebhookConfiguration>,
    validating: Vec<ValidatingWebhookConfiguration>,
    timeout: Duration,
}

impl PreparedWebhooks {
    /// Reads the configured files, writes fresh certificates into `cert_dir` (created), picks a
    /// port and points every webhook at it.
    pub(crate) fn prepare(options: WebhookInstallOptions, cert_dir: PathBuf) -> Result<Self> {
        let mut mutating = options.mutating;
        let mut validating = options.validating;
        for path in &options.paths {
            let (m, v) = read_webhook_configs(path)?;
            mutating.extend(m);
            validating.extend(v);
        }

        let certs = WebhookCerts::generate()?;
        std::fs::create_dir(&cert_dir)
            .map_err(|e| Error::io(format!("creating {}", cert_dir.display()), e))?;
        for (name, content) in [
            (CERT_NAME, &certs.cert_pem),
            (KEY_NAME, &certs.key_pem),
            (CA_NAME, &certs.ca_pem),
        ] {
            let path = cert_dir.join(name);
            std::fs::write(&path, content)
                .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        }
        let [port] = free_ports::<1>()?;
        let server = LocalWebhookServer {
            port,
            cert_dir,
            ca_pem: certs.ca_pem,
        };

        for config in &mut mutating {
            rewrite_mutating(config, &server)?;
        }
        for config in &mut validating {
            rewrite_validating(config, &server)?;
        }
        Ok(PreparedWebhooks {
            server,
            mutating,
            validating,
            timeout: options.timeout,
        })
    }

    /// Points the conversion webhook of `crd`, if it has one, at the local server.
    pub(crate) fn rewrite_crd(&self, crd: &mut CustomResourceDefinition) -> Result<()> {
        rewrite_crd_conversion(crd, &self.server)
    }

    /// Creates or updates (server-side apply) every configuration and waits until the API
    /// server returns each of them.
    pub(crate) async fn install(&self, client: &Client) -> Result<()> {
        let started = Instant::now();
        let mut installed = Vec::new();
        for config in &self.mutating {
            installed.push(apply(client, config.clone()).await?);
        }
        for config in &self.validating {
            installed.push(apply(client, config.clone()).await?);
        }
        let deadline = started + self.timeout;
        loop {
            let mut pending = Vec::new();
            for (kind, name) in &installed {
                let readable = match *kind {
                    MUTATING => get_exists::<MutatingWebhookConfiguration>(client, name).await,
                    _ => get_exists::<ValidatingWebhookConfiguration>(client, name).await,
                };
                if !readable {
                    pending.push(format!("{kind}/{name}"));
                }
            }
            if pending.is_empty() {
                tracing::debug!(count = installed.len(), elapsed = ?started.elapsed(), "webhook configurations installed");
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::WebhookTimeout {
                    pending,
                    timeout: self.timeout,
                });
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }
}

const MUTATING: &str = "MutatingWebhookConfiguration";
const VALIDATING: &str = "ValidatingWebhookConfiguration";

/// Either kind of webhook configuration, so applying and reading back is written once.
trait WebhookConfigObject:
    Resource<DynamicType = (), Scope = k8s_openapi::ClusterResourceScope>
    + Clone
    + std::fmt::Debug
    + Serialize
    + DeserializeOwned
{
    const KIND_NAME: &'static str;
}

impl WebhookConfigObject for MutatingWebhookConfiguration {
    const KIND_NAME: &'static str = MUTATING;
}

impl WebhookConfigObject for ValidatingWebhookConfiguration {
    const KIND_NAME: &'static str = VALIDATING;
}

async fn apply<K: WebhookConfigObject>(
    client: &Client,
    mut config: K,
) -> Result<(&'static str, String)> {
    let meta = config.meta_mut();
    // Fields the server owns would make the apply fail or be rejected.
    meta.resource_version = None;
    meta.uid = None;
    meta.managed_fields = None;
    meta.creation_timestamp = None;
    let name = meta.name.clone().unwrap_or_default();
    let api: Api<K> = Api::all(client.clone());
    let params = PatchParams::apply(FIELD_MANAGER).force();
    api.patch(&name, &params, &Patch::Apply(&config)).await?;
    Ok((K::KIND_NAME, name))
}

async fn get_exists<K: WebhookConfigObject>(client: &Client, name: &str) -> bool {
    let api: Api<K> = Api::all(client.clone());
    matches!(
        tokio::time::timeout(Duration::from_secs(2), api.get_opt(name)).await,
        Ok(Ok(Some(_)))
    )
}

/// Every `admissionregistration.k8s.io/v1` mutating and validating webhook configuration in
/// a file or folder (see [`read_documents`]); other kinds are skipped.
pub(crate) fn read_webhook_configs(
    path: &Path,
) -> Result<(
    Vec<MutatingWebhookConfiguration>,
    Vec<ValidatingWebhookConfiguration>,
)> {
    let file_err = |path: &Path, message: String| Error::WebhookFile {
        path: path.to_path_buf(),
        message,
    };
    let mut mutating = Vec::new();
    let mut validating = Vec::new();
    for (file, doc) in read_documents(path, file_err)? {
        let kind = doc
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or_default()
            .to_string();
        if kind != MUTATING && kind != VALIDATING {
            continue;
        }
        let api_version = doc
            .get("apiVersion")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        if api_version != ADMISSION_API_VERSION {
            // Skipping it silently would leave a test wondering why its webhook never runs.
            return Err(file_err(
                &file,
                format!(
                    "{kind} has apiVersion {api_version:?}; only {ADMISSION_API_VERSION} is supported"
                ),
            ));
        }
        let parse_err = |e: serde_json::Error| file_err(&file, format!("invalid {kind}: {e}"));
        if kind == MUTATING {
            mutating.push(serde_json::from_value(doc).map_err(parse_err)?);
        } else {
            validating.push(serde_json::from_value(doc).map_err(parse_err)?);
        }
    }
    Ok((mutating, validating))
}

/// Path of a webhook: the service's path, else the path (and query) of its URL, else `None`
/// when the client config names neither.
fn webhook_path(
    service_path: Option<Option<&str>>,
    url: Option<&str>,
    default: &str,
) -> Option<String> {
    if let Some(path) = service_path {
        return Some(
            path.filter(|p| !p.is_empty())
                .unwrap_or(default)
                .to_string(),
        );
    }
    let url = url?;
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme
        .find(['/', '?'])
        .map_or("", |i| &after_scheme[i..]);
    Some(if path.is_empty() {
        default.to_string()
    } else {
        path.to_string()
    })
}

fn missing_target(what: String) -> Error {
    Error::WebhookConfig(format!(
        "{what} has neither clientConfig.service nor clientConfig.url"
    ))
}

fn validate_name(kind: &str, name: Option<&str>) -> Result<String> {
    match name {
        Some(name) if !name.is_empty() => Ok(name.to_string()),
        _ => Err(Error::WebhookConfig(format!(
            "a {kind} has no metadata.name"
        ))),
    }
}

/// Points one admission webhook's client config at the local server.
fn rewrite_admission_client(
    client: &mut k8s_openapi::api::admissionregistration::v1::WebhookClientConfig,
    server: &LocalWebhookServer,
    what: impl FnOnce() -> String,
) -> Result<()> {
    let service_path = client.service.as_ref().map(|s| s.path.as_deref());
    let path = webhook_path(service_path, client.url.as_deref(), "/")
        .ok_or_else(|| missing_target(what()))?;
    client.service = None;
    client.url = Some(server.url(&path));
    client.ca_bundle = Some(ByteString(server.ca_pem.as_bytes().to_vec()));
    Ok(())
}

/// Points every webhook of a mutating configuration at the local server.
pub(crate) fn rewrite_mutating(
    config: &mut MutatingWebhookConfiguration,
    server: &LocalWebhookServer,
) -> Result<()> {
    let name = validate_name(MUTATING, config.metadata.name.as_deref())?;
    for webhook in config.webhooks.iter_mut().flatten() {
        rewrite_admission_client(&mut webhook.client_config, server, || {
            format!("webhook {:?} of {MUTATING} {name:?}", webhook.name)
        })?;
    }
    Ok(())
}

/// Points every webhook of a validating configuration at the local server.
pub(crate) fn rewrite_validating(
    config: &mut ValidatingWebhookConfiguration,
    server: &LocalWebhookServer,
) -> Result<()> {
    let name = validate_name(VALIDATING, config.metadata.name.as_deref())?;
    for webhook in config.webhooks.iter_mut().flatten() {
        rewrite_admission_client(&mut webhook.client_config, server, || {
            format!("webhook {:?} of {VALIDATING} {name:?}", webhook.name)
        })?;
    }
    Ok(())
}

/// Points the conversion webhook of a CRD with `strategy: Webhook` at the local server;
/// other CRDs are left alone.
pub(crate) fn rewrite_crd_conversion(
    crd: &mut CustomResourceDefinition,
    server: &LocalWebhookServer,
) -> Result<()> {
    let name = crd.metadata.name.clone().unwrap_or_default();
    let Some(conversion) = crd.spec.conversion.as_mut() else {
        return Ok(());
    };
    if conversion.strategy != "Webhook" {
        return Ok(());
    }
    let what = || format!("the conversion webhook of CRD {name:?}");
    let client = conversion
        .webhook
        .as_mut()
        .and_then(|w| w.client_config.as_mut())
        .ok_or_else(|| missing_target(what()))?;
    let service_path = client.service.as_ref().map(|s| s.path.as_deref());
    let path = webhook_path(service_path, client.url.as_deref(), DEFAULT_CONVERSION_PATH)
        .ok_or_else(|| missing_target(what()))?;
    client.service = None;
    client.url = Some(server.url(&path));
    client.ca_bundle = Some(ByteString(server.ca_pem.as_bytes().to_vec()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> LocalWebhookServer {
        LocalWebhookServer {
            port: 9443,
            cert_dir: PathBuf::from("/nonexistent"),
            ca_pem: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n".into(),
        }
    }

    fn validating(client_config: serde_json::Value) -> ValidatingWebhookConfiguration {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": { "name": "checks" },
            "webhooks": [{
                "name": "vwidget.example.com",
                "admissionReviewVersions": ["v1"],
                "sideEffects": "None",
                "failurePolicy": "Fail",
                "timeoutSeconds": 3,
                "clientConfig": client_config,
                "rules": [{
                    "apiGroups": [""], "apiVersions": ["v1"],
                    "operations": ["CREATE", "UPDATE"], "resources": ["configmaps"],
                }],
            }],
        }))
        .unwrap()
    }

    #[test]
    fn service_becomes_local_url_with_ca_bundle_and_the_rest_is_kept() {
        let mut config = validating(serde_json::json!({
            "service": { "name": "webhook-service", "namespace": "system", "path": "/validate-widget", "port": 443 },
        }));
        let before = serde_json::to_value(&config).unwrap();
        rewrite_validating(&mut config, &server()).unwrap();

        let webhook = &config.webhooks.as_ref().unwrap()[0];
        let client = &webhook.client_config;
        assert!(client.service.is_none());
        assert_eq!(
            client.url.as_deref(),
            Some("https://127.0.0.1:9443/validate-widget")
        );
        assert_eq!(
            client.ca_bundle.as_ref().unwrap().0,
            server().ca_pem.as_bytes()
        );
        // Only clientConfig changed.
        let mut after = serde_json::to_value(&config).unwrap();
        let mut before = before;
        after["webhooks"][0]
            .as_object_mut()
            .unwrap()
            .remove("clientConfig");
        before["webhooks"][0]
            .as_object_mut()
            .unwrap()
            .remove("clientConfig");
        assert_eq!(after, before);
    }

    #[test]
    fn service_without_path_goes_to_root_and_url_keeps_its_path() {
        let mut config = validating(serde_json::json!({
            "service": { "name": "svc", "namespace": "system" },
        }));
        rewrite_validating(&mut config, &server()).unwrap();
        assert_eq!(
            config.webhooks.unwrap()[0].client_config.url.as_deref(),
            Some("https://127.0.0.1:9443/")
        );

        let mut mutating: MutatingWebhookConfiguration = serde_json::from_value(serde_json::json!({
            "metadata": { "name": "defaults" },
            "webhooks": [
                { "name": "a.example.com", "admissionReviewVersions": ["v1"], "sideEffects": "None",
                  "clientConfig": { "url": "https://webhook.example.com:8443/mutate?x=1" } },
                { "name": "b.example.com", "admissionReviewVersions": ["v1"], "sideEffects": "None",
                  "clientConfig": { "url": "https://webhook.example.com" } },
            ],
        }))
        .unwrap();
        rewrite_mutating(&mut mutating, &server()).unwrap();
        let urls: Vec<_> = mutating
            .webhooks
            .unwrap()
            .into_iter()
            .map(|w| w.client_config.url.unwrap())
            .collect();
        assert_eq!(
            urls,
            [
                "https://127.0.0.1:9443/mutate?x=1",
                "https://127.0.0.1:9443/"
            ]
        );
    }

    #[test]
    fn webhook_without_service_or_url_is_an_error() {
        let mut config = validating(serde_json::json!({}));
        let err = rewrite_validating(&mut config, &server())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "invalid webhook configuration: webhook \"vwidget.example.com\" of \
             ValidatingWebhookConfiguration \"checks\" has neither clientConfig.service nor clientConfig.url"
        );
    }

    fn crd(conversion: serde_json::Value) -> CustomResourceDefinition {
        serde_json::from_value(serde_json::json!({
            "metadata": { "name": "widgets.example.com" },
            "spec": {
                "group": "example.com",
                "names": { "kind": "Widget", "plural": "widgets" },
                "scope": "Namespaced",
                "versions": [{ "name": "v1", "served": true, "storage": true }],
                "conversion": conversion,
            },
        }))
        .unwrap()
    }

    #[test]
    fn crd_conversion_webhook_is_pointed_at_the_local_server() {
        let mut with_path = crd(serde_json::json!({
            "strategy": "Webhook",
            "webhook": {
                "conversionReviewVersions": ["v1"],
                "clientConfig": { "service": { "name": "svc", "namespace": "system", "path": "/convert-widgets" } },
            },
        }));
        rewrite_crd_conversion(&mut with_path, &server()).unwrap();
        let webhook = with_path.spec.conversion.unwrap().webhook.unwrap();
        let client = webhook.client_config.unwrap();
        assert!(client.service.is_none());
        assert_eq!(
            client.url.as_deref(),
            Some("https://127.0.0.1:9443/convert-widgets")
        );
        assert_eq!(client.ca_bundle.unwrap().0, server().ca_pem.as_bytes());
        assert_eq!(webhook.conversion_review_versions, ["v1"]);

        let mut default_path = crd(serde_json::json!({
            "strategy": "Webhook",
            "webhook": {
                "conversionReviewVersions": ["v1"],
                "clientConfig": { "service": { "name": "svc", "namespace": "system" } },
            },
        }));
        rewrite_crd_conversion(&mut default_path, &server()).unwrap();
        let client = default_path
            .spec
            .conversion
            .unwrap()
            .webhook
            .unwrap()
            .client_config
            .unwrap();
        assert_eq!(
            client.url.as_deref(),
            Some("https://127.0.0.1:9443/convert")
        );
    }

    #[test]
    fn crds_without_webhook_conversion_are_untouched() {
        let original = crd(serde_json::json!({ "strategy": "None" }));
        let mut rewritten = original.clone();
        rewrite_crd_conversion(&mut rewritten, &server()).unwrap();
        assert_eq!(rewritten, original);

        let mut missing = crd(serde_json::json!({
            "strategy": "Webhook",
            "webhook": { "conversionReviewVersions": ["v1"] },
        }));
        let err = rewrite_crd_conversion(&mut missing, &server()).unwrap_err();
        assert!(
            err.to_string()
                .contains("conversion webhook of CRD \"widgets.example.com\" has neither"),
            "{err}"
        );
    }

    #[test]
    fn files_yield_both_kinds_and_skip_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifests.yaml");
        std::fs::write(
            &path,
            r#"---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: mutating-webhook-configuration
webhooks:
- admissionReviewVersions: [v1]
  clientConfig:
    service: {name: webhook-service, namespace: system, path: /mutate}
  name: mwidget.example.com
  sideEffects: None
---
apiVersion: v1
kind: Service
metadata:
  name: webhook-service
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: validating-webhook-configuration
webhooks:
- admissionReviewVersions: [v1]
  clientConfig:
    service: {name: webhook-service, namespace: system, path: /validate}
  name: vwidget.example.com
  sideEffects: None
"#,
        )
        .unwrap();
        let (mutating, validating) = read_webhook_configs(dir.path()).unwrap();
        assert_eq!(mutating.len(), 1);
        assert_eq!(validating.len(), 1);
        assert_eq!(
            validating[0].metadata.name.as_deref(),
            Some("validating-webhook-configuration")
        );

        std::fs::write(&path, "kind: [unclosed").unwrap();
        let err = read_webhook_configs(&path).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "reading webhook configurations from {}: ",
                path.display()
            )),
            "{err}"
        );

        std::fs::write(
            &path,
            "apiVersion: admissionregistration.k8s.io/v1beta1\nkind: ValidatingWebhookConfiguration\n",
        )
        .unwrap();
        let err = read_webhook_configs(&path).unwrap_err().to_string();
        assert!(
            err.contains("only admissionregistration.k8s.io/v1"),
            "{err}"
        );

        let missing = dir.path().join("missing.yaml");
        assert!(matches!(
            read_webhook_configs(&missing),
            Err(Error::WebhookFile { .. })
        ));
    }
}
