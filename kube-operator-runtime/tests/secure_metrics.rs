//! The secure metrics server against a real API server: only a token whose user may
//! `get /metrics` is served, and the manager needs nothing but the metrics-auth rules to check.
// kube-envtest comes with the `testing` feature. A `[[test]]` entry with required-features would
// break the vendored copy of this crate in generated projects, which has no tests/ folder.
#![cfg(feature = "testing")]

use clap::Parser;
use k8s_openapi::api::{
    authentication::v1::{TokenRequest, TokenRequestSpec},
    core::v1::ServiceAccount,
    rbac::v1::{ClusterRole, ClusterRoleBinding, RoleRef, Subject},
};
use kube::{
    Api, Client,
    api::{ObjectMeta, PostParams},
};
use kube_envtest::TestEnv;
use kube_operator_runtime::{
    Manager, ManagerArgs, rbac,
    testing::{ServerTrust, eventually, http_get, https_get},
};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, KeyUsagePurpose};

const NAMESPACE: &str = "default";
const MANAGER_USER: &str = "metrics-manager";

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    manager: ManagerArgs,
}

#[tokio::test]
async fn metrics_are_served_only_to_tokens_allowed_to_get_them() {
    let env = TestEnv::builder()
        .missing_binaries_hint(
            "run scripts/test.sh, which builds them once, or set KUBEBUILDER_ASSETS",
        )
        .start()
        .await
        .unwrap();
    let admin = env.client();
    grant(
        &admin,
        "metrics-auth",
        rbac::metrics_auth_rules(),
        user(MANAGER_USER),
    )
    .await;
    grant(
        &admin,
        "metrics-reader",
        rbac::metrics_reader_rules(),
        service_account("prometheus"),
    )
    .await;
    let reader_token = token_of(&admin, "prometheus").await;
    let stranger_token = token_of(&admin, "stranger").await;

    // The test's own CA signs the serving certificate, so the client verifies it for real.
    let certs = tempfile::tempdir().unwrap();
    let ca_pem = write_serving_cert(certs.path());
    let address = free_loopback_address();
    let args = Args::parse_from([
        "manager".to_string(),
        format!("--metrics-bind-address={address}"),
        format!("--metrics-cert-path={}", certs.path().display()),
        "--health-probe-bind-address=0".to_string(),
    ]);
    let manager_client = env.client_for_user(MANAGER_USER, &[]).await.unwrap();
    let manager =
        tokio::spawn(Manager::new(args.manager, "metrics-test").run_with_client(manager_client));

    let trust = ServerTrust::Ca(ca_pem);
    let get = |token: Option<String>| {
        let (address, trust) = (address.clone(), trust.clone());
        async move { https_get(&address, "/metrics", token.as_deref(), &trust).await }
    };
    eventually("the metrics server answers", || async {
        get(None).await.is_some()
    })
    .await;

    let (status, body) = get(None).await.unwrap();
    assert_eq!(status, 401, "no token: {body}");
    let (status, body) = get(Some("not-a-token".into())).await.unwrap();
    assert_eq!(status, 401, "a token the API server does not know: {body}");
    let (status, body) = get(Some(stranger_token)).await.unwrap();
    assert_eq!(status, 403, "a token without metrics-reader: {body}");
    assert!(
        body.contains("system:serviceaccount:default:stranger"),
        "{body}"
    );
    let (status, body) = get(Some(reader_token)).await.unwrap();
    assert_eq!(status, 200, "a token bound to metrics-reader: {body}");
    assert!(body.ends_with("# EOF\n"), "not OpenMetrics text:\n{body}");

    manager.abort();
}

#[tokio::test]
async fn plain_http_metrics_are_available_when_asked_for() {
    let address = free_loopback_address();
    let args = Args::parse_from([
        "manager".to_string(),
        format!("--metrics-bind-address={address}"),
        "--metrics-secure=false".to_string(),
        "--health-probe-bind-address=0".to_string(),
    ]);
    // No request reaches the API server: plain metrics check nobody.
    let (service, _api_server) = tower_test::mock::pair::<
        http::Request<kube::client::Body>,
        http::Response<kube::client::Body>,
    >();
    let manager = tokio::spawn(
        Manager::new(args.manager, "metrics-test").run_with_client(Client::new(service, NAMESPACE)),
    );
    eventually("the plain metrics server answers", || async {
        http_get(&address, "/metrics").await.is_some()
    })
    .await;
    let (status, body) = http_get(&address, "/metrics").await.unwrap();
    assert_eq!(status, 200, "{body}");
    // Secure clients get nowhere: it does not speak TLS.
    assert!(
        https_get(&address, "/metrics", None, &ServerTrust::AnyCertificate)
            .await
            .is_none()
    );
    manager.abort();
}

fn user(name: &str) -> Subject {
    Subject {
        kind: "User".into(),
        name: name.into(),
        api_group: Some("rbac.authorization.k8s.io".into()),
        ..Default::default()
    }
}

fn service_account(name: &str) -> Subject {
    Subject {
        kind: "ServiceAccount".into(),
        name: name.into(),
        namespace: Some(NAMESPACE.into()),
        ..Default::default()
    }
}

async fn grant(
    admin: &Client,
    role: &str,
    rules: Vec<k8s_openapi::api::rbac::v1::PolicyRule>,
    subject: Subject,
) {
    let pp = PostParams::default();
    let metadata = ObjectMeta {
        name: Some(role.into()),
        ..Default::default()
    };
    let cluster_role = ClusterRole {
        metadata: metadata.clone(),
        rules: Some(rules),
        ..Default::default()
    };
    Api::<ClusterRole>::all(admin.clone())
        .create(&pp, &cluster_role)
        .await
        .unwrap();
    let binding = ClusterRoleBinding {
        metadata,
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "ClusterRole".into(),
            name: role.into(),
        },
        subjects: Some(vec![subject]),
    };
    Api::<ClusterRoleBinding>::all(admin.clone())
        .create(&pp, &binding)
        .await
        .unwrap();
}

/// A token of a new ServiceAccount `name`, as Prometheus would mount one.
async fn token_of(admin: &Client, name: &str) -> String {
    let accounts = Api::<ServiceAccount>::namespaced(admin.clone(), NAMESPACE);
    let account = ServiceAccount {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    accounts
        .create(&PostParams::default(), &account)
        .await
        .unwrap();
    let request = TokenRequest {
        spec: Some(TokenRequestSpec::default()),
        ..Default::default()
    };
    accounts
        .create_token_request(name, &PostParams::default(), &request)
        .await
        .unwrap()
        .status
        .and_then(|status| status.token)
        .expect("a token")
}

/// Writes `tls.crt` and `tls.key` for 127.0.0.1 into `dir`, signed by a new CA; returns the
/// CA's PEM.
fn write_serving_cert(dir: &std::path::Path) -> String {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    std::fs::write(dir.join("tls.crt"), cert.pem()).unwrap();
    std::fs::write(dir.join("tls.key"), key.serialize_pem()).unwrap();
    ca.pem()
}

fn free_loopback_address() -> String {
    format!("127.0.0.1:{}", kube_envtest::free_loopback_port().unwrap())
}
