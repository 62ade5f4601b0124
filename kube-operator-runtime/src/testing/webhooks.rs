//! A project's webhooks installed in kube-envtest and served by its manager in a test.

use kube_envtest::{LocalWebhookServer, WebhookInstallOptions};

use crate::webhook::Webhooks;

/// The webhook configurations of `webhooks`, for `TestEnvBuilder::webhooks`: kube-envtest points
/// them (and the conversion webhooks of the CRDs it installs, from
/// [`Webhooks::with_conversion`]) at a loopback server.
///
/// ```no_run
/// # async fn example(webhooks: kube_operator_runtime::webhook::Webhooks, crds: Vec<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition>) {
/// use kube_operator_runtime::testing::{webhook_args, webhook_install_options};
///
/// let env = kube_envtest::TestEnv::builder()
///     .crds(webhooks.with_conversion(crds))
///     .webhooks(webhook_install_options(&webhooks))
///     .start()
///     .await
///     .unwrap();
/// let server = env.webhook_server().unwrap();
/// // Parse the manager's flags with these, and run it.
/// let args = webhook_args(server);
/// # let _ = args;
/// # }
/// ```
pub fn webhook_install_options(webhooks: &Webhooks) -> WebhookInstallOptions {
    WebhookInstallOptions::new()
        .mutating(webhooks.mutating_configuration())
        .validating(webhooks.validating_configuration())
}

/// The manager flags that serve the webhooks where kube-envtest's API server calls them:
/// `--webhook-host`, `--webhook-port`, `--webhook-cert-path`, `--webhook-cert-name` and
/// `--webhook-key-name`.
pub fn webhook_args(server: &LocalWebhookServer) -> Vec<String> {
    vec![
        format!("--webhook-host={}", server.host()),
        format!("--webhook-port={}", server.port()),
        format!("--webhook-cert-path={}", server.cert_dir().display()),
        format!("--webhook-cert-name={}", server.cert_name()),
        format!("--webhook-key-name={}", server.key_name()),
    ]
}
