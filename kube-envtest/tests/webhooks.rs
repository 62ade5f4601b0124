//! Admission and conversion webhooks against a real kube-apiserver, served by a small HTTPS
//! server in this test on the port and certificate kube-envtest prepared.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, CustomResource, CustomResourceExt};
use kube_envtest::{Error, LocalWebhookServer, TestEnv, WebhookInstallOptions};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A CRD whose conversion webhook kube-envtest must point at the local server.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
#[kube(
    group = "hooks.example.com",
    version = "v1",
    kind = "Sprocket",
    namespaced
)]
struct SprocketSpec {
    teeth: u32,
}

/// As kubebuilder generates it: service references, plus a Service that is skipped.
const MANIFESTS: &str = r#"
apiVersion: v1
kind: Service
metadata:
  name: webhook-service
  namespace: system
spec:
  ports:
  - port: 443
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: configmap-checks
webhooks:
- name: deny-fail.hooks.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Fail
  timeoutSeconds: 5
  clientConfig:
    service: {name: webhook-service, namespace: system, path: /validate-fail}
  objectSelector:
    matchLabels: {webhook-test: fail}
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [CREATE]
    resources: [configmaps]
- name: deny-ignore.hooks.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Ignore
  timeoutSeconds: 5
  clientConfig:
    service: {name: webhook-service, namespace: system, path: /validate-ignore}
  objectSelector:
    matchLabels: {webhook-test: ignore}
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [CREATE]
    resources: [configmaps]
"#;

/// The test's webhook server; every review is denied with `denied by <path>`.
struct DenyingServer {
    task: JoinHandle<()>,
}

impl DenyingServer {
    async fn start(server: &LocalWebhookServer) -> Self {
        let dir = server.cert_dir();
        let certs = CertificateDer::pem_file_iter(dir.join(server.cert_name()))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(dir.join(server.key_name())).unwrap();
        let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        // No ALPN, so the API server speaks HTTP/1.1, which `respond` handles by hand.
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind((server.host(), server.port()))
            .await
            .unwrap();
        let task = tokio::spawn(async move {
            // Owned by the task, so aborting it also ends open connections.
            let mut connections = JoinSet::new();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                connections.spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(tcp).await
                        && let Err(e) = respond(&mut tls).await
                    {
                        eprintln!("webhook request failed: {e}");
                    }
                });
                while connections.try_join_next().is_some() {}
            }
        });
        DenyingServer { task }
    }

    /// Closes the listener and every connection before returning.
    async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Reads one HTTP/1.1 request with a Content-Length body and denies the AdmissionReview in it.
async fn respond<S: AsyncReadExt + AsyncWriteExt + Unpin>(stream: &mut S) -> std::io::Result<()> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let mut buf = Vec::new();
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(bad("connection closed in headers"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let path = head
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| bad("no request line"))?;
    let path = path.split('?').next().unwrap_or_default().to_string();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .ok_or_else(|| bad("no Content-Length"))?;
    while buf.len() < header_end + length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(bad("connection closed in body"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let review: serde_json::Value = serde_json::from_slice(&buf[header_end..header_end + length])
        .map_err(|e| bad(&e.to_string()))?;
    let uid = review["request"]["uid"].clone();
    let body = serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {
            "uid": uid,
            "allowed": false,
            "status": { "message": format!("denied by {path}"), "code": 403 },
        },
    })
    .to_string();
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

fn labelled(name: &str, label: Option<&str>) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: label.map(|l| BTreeMap::from([("webhook-test".to_string(), l.to_string())])),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The API error of creating `cm`, or `None` if it was created.
async fn create_error(cms: &Api<ConfigMap>, cm: &ConfigMap) -> Option<kube::core::Status> {
    match cms.create(&PostParams::default(), cm).await {
        Ok(_) => None,
        Err(kube::Error::Api(status)) => Some(*status),
        Err(e) => panic!("creating configmap: {e}"),
    }
}

/// The admission plugin picks up new configurations from an informer, so the first creates
/// may still get through; retries (with fresh names) until one is denied.
async fn denied_message(cms: &Api<ConfigMap>, label: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    for attempt in 0.. {
        let cm = labelled(&format!("{label}-{attempt}"), Some(label));
        if let Some(status) = create_error(cms, &cm).await {
            return status.message;
        }
        assert!(
            Instant::now() < deadline,
            "{label}: webhook never took effect"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    unreachable!()
}

fn sprocket_crd() -> CustomResourceDefinition {
    let mut crd = Sprocket::crd();
    crd.spec.conversion = Some(
        serde_json::from_value(serde_json::json!({
            "strategy": "Webhook",
            "webhook": {
                "conversionReviewVersions": ["v1"],
                "clientConfig": { "service": { "name": "webhook-service", "namespace": "system" } },
            },
        }))
        .unwrap(),
    );
    crd
}

fn unused_mutating() -> MutatingWebhookConfiguration {
    serde_json::from_value(serde_json::json!({
        "metadata": { "name": "configmap-defaults" },
        "webhooks": [{
            "name": "default.hooks.example.com",
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "failurePolicy": "Ignore",
            "clientConfig": { "service": { "name": "webhook-service", "namespace": "system", "path": "/mutate" } },
            "objectSelector": { "matchLabels": { "webhook-test": "never" } },
            "rules": [{ "apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["configmaps"] }],
        }],
    }))
    .unwrap()
}

#[tokio::test]
async fn validating_webhooks_deny_through_the_local_server_and_honour_failure_policy() {
    let manifests = tempfile::tempdir().unwrap();
    std::fs::write(manifests.path().join("manifests.yaml"), MANIFESTS).unwrap();
    let env = TestEnv::builder()
        .crd(sprocket_crd())
        .webhooks(
            WebhookInstallOptions::new()
                .path(manifests.path())
                .mutating([unused_mutating()]),
        )
        .start()
        .await
        .expect("start test environment");
    let server = env.webhook_server().expect("webhooks were configured");
    assert_eq!(server.host(), "127.0.0.1");
    assert_eq!(
        server.url("/validate-fail"),
        format!("https://127.0.0.1:{}/validate-fail", server.port())
    );
    assert!(server.cert_dir().starts_with(env.temp_dir()));
    for name in [server.cert_name(), server.key_name(), "ca.crt"] {
        assert!(server.cert_dir().join(name).is_file(), "{name}");
    }

    // What the API server stores points at the local server with the CA as caBundle.
    let client = env.client();
    let validating: Api<ValidatingWebhookConfiguration> = Api::all(client.clone());
    let stored = validating.get("configmap-checks").await.unwrap();
    let webhooks = stored.webhooks.unwrap();
    assert_eq!(webhooks.len(), 2);
    assert_eq!(
        webhooks[0].client_config.url.as_deref(),
        Some(server.url("/validate-fail").as_str())
    );
    assert!(webhooks[0].client_config.service.is_none());
    assert_eq!(
        webhooks[0].client_config.ca_bundle.as_ref().unwrap().0,
        server.ca_pem().as_bytes()
    );
    assert_eq!(webhooks[1].failure_policy.as_deref(), Some("Ignore"));
    let mutating: Api<MutatingWebhookConfiguration> = Api::all(client.clone());
    let stored = mutating.get("configmap-defaults").await.unwrap();
    assert_eq!(
        stored.webhooks.unwrap()[0].client_config.url.as_deref(),
        Some(server.url("/mutate").as_str())
    );
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let stored = crds.get("sprockets.hooks.example.com").await.unwrap();
    let conversion = stored.spec.conversion.unwrap().webhook.unwrap();
    let conversion_client = conversion.client_config.unwrap();
    assert_eq!(
        conversion_client.url.as_deref(),
        Some(server.url("/convert").as_str())
    );
    assert_eq!(
        conversion_client.ca_bundle.unwrap().0,
        server.ca_pem().as_bytes()
    );

    // With the server up, both webhooks deny (TLS verified against caBundle, path kept).
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    let running = DenyingServer::start(server).await;
    let message = denied_message(&cms, "fail").await;
    assert!(message.contains("denied by /validate-fail"), "{message}");
    assert!(message.contains("deny-fail.hooks.example.com"), "{message}");
    let message = denied_message(&cms, "ignore").await;
    assert!(message.contains("denied by /validate-ignore"), "{message}");
    // Objects the selectors do not match are not sent to the server.
    assert!(
        create_error(&cms, &labelled("unlabelled", None))
            .await
            .is_none()
    );

    // With the server gone, Fail rejects with a connection error and Ignore lets it through.
    running.stop().await;
    let status = create_error(&cms, &labelled("fail-after-stop", Some("fail")))
        .await
        .expect("failurePolicy Fail rejects without a server");
    assert!(
        status
            .message
            .contains("failed calling webhook \"deny-fail.hooks.example.com\""),
        "{}",
        status.message
    );
    assert!(
        status.message.contains("connection refused"),
        "{}",
        status.message
    );
    assert!(
        create_error(&cms, &labelled("ignore-after-stop", Some("ignore")))
            .await
            .is_none(),
        "failurePolicy Ignore lets requests through without a server"
    );
}

#[tokio::test]
async fn webhook_without_target_fails_start_with_a_clear_error() {
    let mut config = unused_mutating();
    config.webhooks.as_mut().unwrap()[0].client_config = Default::default();
    let err = TestEnv::builder()
        .webhooks(WebhookInstallOptions::new().mutating([config]))
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WebhookConfig(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "invalid webhook configuration: webhook \"default.hooks.example.com\" of \
         MutatingWebhookConfiguration \"configmap-defaults\" has neither clientConfig.service \
         nor clientConfig.url"
    );
}

#[tokio::test]
async fn unparsable_webhook_file_fails_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.yaml");
    std::fs::write(&path, "kind: ValidatingWebhookConfiguration\nwebhooks: [").unwrap();
    let err = TestEnv::builder()
        .webhooks(WebhookInstallOptions::new().path(&path))
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::WebhookFile { path: p, .. } if p == Path::new(&path)),
        "{err:?}"
    );
}

#[tokio::test]
async fn no_webhook_server_without_webhooks() {
    let env = TestEnv::start().await.expect("start test environment");
    assert!(env.webhook_server().is_none());
}
