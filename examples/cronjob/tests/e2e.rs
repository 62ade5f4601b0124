// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

//! End to end: the manager as `make deploy` installed it in the cluster of your kubeconfig. It
//! becomes Available, its Pod Ready, and its metrics answer through their Service to a token
//! bound to the metrics-reader role.
//!
//! These tests deploy nothing themselves, and run only with `RUN_E2E=1`; without it they pass
//! at once, so `make test` needs no cluster. `.github/workflows/test-e2e.yml` runs them on Kind:
//!
//! ```sh
//! make docker-build IMG=example.com/cronjob:v0.0.1
//! kind load docker-image example.com/cronjob:v0.0.1
//! make deploy IMG=example.com/cronjob:v0.0.1
//! RUN_E2E=1 cargo test --test e2e
//! ```

use std::time::Duration;

use k8s_openapi::api::{
    apps::v1::Deployment,
    authentication::v1::{TokenRequest, TokenRequestSpec},
    core::v1::{Pod, ServiceAccount},
    rbac::v1::ClusterRoleBinding,
};
use kube::{
    Api, Client,
    api::{DeleteParams, ListParams, LogParams, Patch, PatchParams, PostParams},
};
use kube_operator_runtime::testing::eventually_within;
use serde::Deserialize;
use serde_json::json;

/// The variable that turns these tests on.
const GATE: &str = "RUN_E2E";
/// How long the manager may take to start: its image is pulled and its probes must pass.
const START_TIMEOUT: Duration = Duration::from_secs(180);
/// How long the Pod that calls `/metrics` may take, its image pulled and the call retried.
const METRICS_TIMEOUT: Duration = Duration::from_secs(180);
/// The image of the Pod that calls `/metrics` from inside the cluster.
const CURL_IMAGE: &str = "curlimages/curl:8.11.1";
/// The account whose token reads `/metrics`, as Prometheus's would.
const METRICS_READER: &str = "e2e-metrics-reader";
/// A series the manager serves from its first moment.
const ALWAYS_SERVED: &str = "process_resident_memory_bytes ";

/// Whether to run; a test that is off says so and how to turn it on.
fn enabled(test: &str) -> bool {
    if std::env::var_os(GATE).is_some_and(|value| !value.is_empty()) {
        return true;
    }
    eprintln!(
        "{test}: skipped; set {GATE}=1 to check the manager `make deploy` installed in the cluster of your kubeconfig"
    );
    false
}

/// The names `make deploy` gives: config/default's namespace and name prefix.
struct Deployed {
    namespace: String,
    name_prefix: String,
}

impl Deployed {
    fn read() -> Deployed {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Kustomization {
            namespace: String,
            name_prefix: String,
        }
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/config/default/kustomization.yaml"
        );
        let yaml = std::fs::read_to_string(path).unwrap();
        let Kustomization {
            namespace,
            name_prefix,
        } = serde_saphyr::from_str(&yaml).unwrap();
        Deployed {
            namespace,
            name_prefix,
        }
    }

    fn name(&self, name: &str) -> String {
        format!("{}{name}", self.name_prefix)
    }
}

/// Waits until the manager's Deployment is Available, and returns its Pods' label selector.
async fn wait_until_available(client: &Client, deployed: &Deployed) -> String {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &deployed.namespace);
    let name = deployed.name("controller-manager");
    eventually_within(
        START_TIMEOUT,
        &format!("Deployment {}/{name} Available", deployed.namespace),
        || async {
            let Ok(Some(deployment)) = deployments.get_opt(&name).await else {
                return false;
            };
            let conditions = deployment.status.and_then(|status| status.conditions);
            conditions.unwrap_or_default().iter().any(|c| {
                c.type_.as_deref() == Some("Available") && c.status.as_deref() == Some("True")
            })
        },
    )
    .await;
    let deployment = deployments.get(&name).await.unwrap();
    let labels = deployment.spec.selector.match_labels.unwrap();
    labels
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[tokio::test]
async fn the_manager_becomes_available_and_its_pod_ready() {
    if !enabled("the_manager_becomes_available_and_its_pod_ready") {
        return;
    }
    let client = Client::try_default().await.unwrap();
    let deployed = Deployed::read();
    let selector = wait_until_available(&client, &deployed).await;
    let pods: Api<Pod> = Api::namespaced(client, &deployed.namespace);
    eventually_within(
        START_TIMEOUT,
        &format!("the manager's Pod ({selector}) Ready"),
        || async {
            let Ok(list) = pods.list(&ListParams::default().labels(&selector)).await else {
                return false;
            };
            let running: Vec<&Pod> = list
                .items
                .iter()
                .filter(|pod| pod.metadata.deletion_timestamp.is_none())
                .collect();
            !running.is_empty()
                && running.iter().all(|pod| {
                    let conditions = pod.status.as_ref().and_then(|s| s.conditions.as_ref());
                    conditions
                        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
                })
        },
    )
    .await;
}

#[tokio::test]
async fn metrics_answer_through_their_service_to_a_token_bound_to_metrics_reader() {
    if !enabled("metrics_answer_through_their_service_to_a_token_bound_to_metrics_reader") {
        return;
    }
    let client = Client::try_default().await.unwrap();
    let deployed = Deployed::read();
    let namespace = deployed.namespace.as_str();
    wait_until_available(&client, &deployed).await;

    // Prometheus's side, as config/rbac/metrics_reader_role.yaml says to set it up: an account
    // bound to the metrics-reader ClusterRole. Applied, so that a second run finds them as is.
    let apply = PatchParams::apply("e2e").force();
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    let account = json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": { "name": METRICS_READER, "namespace": namespace },
    });
    accounts
        .patch(METRICS_READER, &apply, &Patch::Apply(account))
        .await
        .unwrap();
    let binding_name = deployed.name(METRICS_READER);
    let binding = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": { "name": binding_name },
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": deployed.name("metrics-reader"),
        },
        "subjects": [{ "kind": "ServiceAccount", "name": METRICS_READER, "namespace": namespace }],
    });
    Api::<ClusterRoleBinding>::all(client.clone())
        .patch(&binding_name, &apply, &Patch::Apply(binding))
        .await
        .unwrap();
    let request = TokenRequest {
        spec: Some(TokenRequestSpec {
            expiration_seconds: Some(600),
            ..TokenRequestSpec::default()
        }),
        ..TokenRequest::default()
    };
    let token = accounts
        .create_token_request(METRICS_READER, &PostParams::default(), &request)
        .await
        .unwrap()
        .status
        .expect("a token")
        .token;

    // From inside the cluster, through the Service, as Prometheus scrapes: a Pod that calls
    // /metrics until it answers, in the restricted namespace, so it is restricted too.
    let url = format!(
        "https://{}.{namespace}.svc:8443/metrics",
        deployed.name("controller-manager-metrics-service")
    );
    let curl: Pod = serde_json::from_value(json!({
        "metadata": { "generateName": "e2e-metrics-" },
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": false,
            "securityContext": {
                "runAsNonRoot": true,
                "runAsUser": 65532,
                "seccompProfile": { "type": "RuntimeDefault" },
            },
            "containers": [{
                "name": "curl",
                "image": CURL_IMAGE,
                "command": ["/bin/sh", "-c"],
                "args": ["for i in $(seq 1 30); do curl -sS -k --fail-with-body -H \"Authorization: Bearer $TOKEN\" \"$URL\" && exit 0; sleep 2; done; exit 1"],
                "env": [{ "name": "TOKEN", "value": token }, { "name": "URL", "value": url }],
                "securityContext": {
                    "allowPrivilegeEscalation": false,
                    "readOnlyRootFilesystem": true,
                    "capabilities": { "drop": ["ALL"] },
                },
            }],
        },
    }))
    .unwrap();
    let pods: Api<Pod> = Api::namespaced(client, namespace);
    let name = pods
        .create(&PostParams::default(), &curl)
        .await
        .unwrap()
        .metadata
        .name
        .unwrap();
    eventually_within(
        METRICS_TIMEOUT,
        &format!("Pod {namespace}/{name} calling {url} to finish"),
        || async {
            let phase = pods
                .get(&name)
                .await
                .ok()
                .and_then(|pod| pod.status?.phase)
                .unwrap_or_default();
            assert_ne!(
                phase,
                "Failed",
                "{url} never answered 200: {}",
                pods.logs(&name, &LogParams::default())
                    .await
                    .unwrap_or_default()
            );
            phase == "Succeeded"
        },
    )
    .await;
    let metrics = pods.logs(&name, &LogParams::default()).await.unwrap();
    pods.delete(&name, &DeleteParams::default()).await.unwrap();
    assert!(metrics.contains(ALWAYS_SERVED), "{metrics}");
}
