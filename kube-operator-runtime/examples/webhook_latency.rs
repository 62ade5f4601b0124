//! How long admission takes with the runtime's webhook server: a benchmark, not a test.
//!
//! A real kube-apiserver (kube-envtest) calls a validating webhook that a [`Manager`] serves
//! in-process over HTTPS, as in a cluster. It prints:
//! - the time kube-envtest takes to start with the webhook configured; what the API server takes
//!   to refuse a request before any server listens (its first call to a new webhook waits for
//!   the configuration to be ready); and, from starting the manager, the time to its webhook
//!   server listening and to the first request the webhook admitted;
//! - the latency of `ROUNDS` server-side dry-run creates of a kind with the webhook, and of as
//!   many of a kind without one (the API server alone), interleaved so that both meet the same
//!   machine, with their medians and ratio.
//!
//! ```sh
//! export KUBEBUILDER_ASSETS=$(scripts/envtest-assets.sh | tail -n 1)
//! cargo run --release -p kube-operator-runtime --features testing --example webhook_latency
//! ```

use std::time::{Duration, Instant};

use clap::Parser;
use kube::{
    Api, CustomResource, CustomResourceExt,
    api::{ObjectMeta, PostParams},
};
use kube_envtest::TestEnv;
use kube_operator_runtime::{
    Manager, ManagerArgs,
    testing::{webhook_args, webhook_install_options},
    webhook::{Denied, Validation, Validator, Webhooks},
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Requests per kind.
const ROUNDS: usize = 1_000;

/// A kind whose creates go through the validating webhook.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
#[kube(
    group = "bench.example.com",
    version = "v1",
    kind = "Checked",
    namespaced
)]
pub struct CheckedSpec {
    name: String,
}

/// The same kind without a webhook: what the API server costs alone.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
#[kube(
    group = "bench.example.com",
    version = "v1",
    kind = "Plain",
    namespaced
)]
pub struct PlainSpec {
    name: String,
}

impl Validator for Checked {
    fn validate_create(&self) -> Validation {
        if self.spec.name.is_empty() {
            return Err(Denied::invalid("spec.name", "must not be empty"));
        }
        Ok(Vec::new())
    }
}

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    manager: ManagerArgs,
}

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        ..Default::default()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let webhooks = Webhooks::new().validating::<Checked>();
    let env_started = Instant::now();
    let env = TestEnv::builder()
        .crds(vec![Checked::crd(), Plain::crd()])
        .webhooks(webhook_install_options(&webhooks))
        .start()
        .await
        .expect("start kube-envtest (set KUBEBUILDER_ASSETS)");
    let env_ready = env_started.elapsed();
    let server = env.webhook_server().expect("webhooks were installed");
    let mut flags = vec![
        "manager".to_string(),
        "--health-probe-bind-address=0".into(),
    ];
    flags.extend(webhook_args(server));
    let args = Args::parse_from(flags).manager;

    let checked = Api::<Checked>::namespaced(env.client(), "default");
    let plain = Api::<Plain>::namespaced(env.client(), "default");
    let dry_run = PostParams {
        dry_run: true,
        ..Default::default()
    };

    // One request before the manager runs: it fails (nothing listens, `failurePolicy: Fail`),
    // and shows what the API server spends on its first call to a new webhook.
    let checked_object = |name: &str| Checked::new(name, CheckedSpec { name: name.into() });
    let at = Instant::now();
    let refused = checked
        .create(&dry_run, &checked_object("early"))
        .await
        .is_err();
    let cold_refusal = at.elapsed();
    assert!(refused, "admitted with no webhook server");

    let started = Instant::now();
    let manager = tokio::spawn(
        Manager::new(args, "webhook-latency")
            .webhooks(webhooks)
            .run_with_client(env.client()),
    );
    // The API server retries a webhook it could not reach with a growing delay, so a request
    // sent before the server listens measures that delay; wait for the port first.
    let address = (server.host().to_string(), server.port());
    while tokio::net::TcpStream::connect(address.clone())
        .await
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let listening = started.elapsed();
    while checked
        .create(&dry_run, &checked_object("first"))
        .await
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let first_answer = started.elapsed();

    let mut with_webhook = Vec::with_capacity(ROUNDS);
    let mut without = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let name = format!("object-{round}");
        let at = Instant::now();
        checked
            .create(&dry_run, &checked_object(&name))
            .await
            .expect("admitted");
        with_webhook.push(at.elapsed());
        let at = Instant::now();
        plain
            .create(
                &dry_run,
                &Plain {
                    metadata: meta(&name),
                    spec: PlainSpec { name: name.clone() },
                },
            )
            .await
            .expect("created");
        without.push(at.elapsed());
    }
    with_webhook.sort();
    without.sort();
    manager.abort();

    println!(
        "kube-envtest up (etcd, kube-apiserver, CRDs, webhook configurations): {:.0} ms",
        millis(env_ready)
    );
    println!(
        "a request before the manager started: refused after {:.1} ms",
        millis(cold_refusal)
    );
    println!(
        "after starting the manager: listening {:.1} ms, first admission answer {:.1} ms",
        millis(listening),
        millis(first_answer),
    );
    println!("{ROUNDS} dry-run creates each, interleaved (ms):");
    println!("{:<26}{:>8}{:>8}{:>8}", "", "p50", "p90", "p99");
    for (label, sorted) in [
        ("with the webhook", &with_webhook),
        ("API server alone", &without),
    ] {
        println!(
            "{label:<26}{:>8.2}{:>8.2}{:>8.2}",
            millis(percentile(sorted, 0.5)),
            millis(percentile(sorted, 0.9)),
            millis(percentile(sorted, 0.99)),
        );
    }
    let p50 = |sorted: &[Duration]| millis(percentile(sorted, 0.5));
    println!(
        "webhook's share of the p50: +{:.2} ms ({:.2}x the API server alone)",
        p50(&with_webhook) - p50(&without),
        p50(&with_webhook) / p50(&without)
    );
}
