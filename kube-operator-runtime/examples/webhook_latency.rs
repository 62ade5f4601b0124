//! How long admission takes with the runtime's webhook server, and with controller-runtime's: a
//! benchmark, not a test.
//!
//! A real kube-apiserver (kube-envtest) calls a validating webhook served over HTTPS by a process
//! of its own, as in a cluster: this example's own binary running the runtime's [`Manager`]
//! (`serve`), then, with `--go-webhook`, `bench/go-webhook` (controller-runtime's webhook server,
//! the same validation). Each server runs `PASSES` times, in turns that swap which goes first
//! (Rust, Go, Go, Rust, ...), so that neither always meets a fresher API server. For each it
//! prints the time from its first start to listening and to the first request it admitted, the
//! latency of `ROUNDS` server-side dry-run creates of a kind with the webhook and of as many of a
//! kind without one (the API server alone), interleaved so that both meet the same machine, what
//! the webhook adds at p50/p90/p99, and the server's largest peak memory. Before any server
//! runs, it prints what the API server takes to refuse a request (its first call to a new
//! webhook waits for the configuration to be ready).
//!
//! ```sh
//! export KUBEBUILDER_ASSETS=$(scripts/envtest-assets.sh | tail -n 1)
//! (cd bench/go-webhook && go build -o /tmp/go-webhook .)
//! cargo run --release -p kube-operator-runtime --features testing --example webhook_latency -- \
//!     --go-webhook /tmp/go-webhook
//! ```

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, Instant},
};

use clap::{Parser, Subcommand};
use kube::{
    Api, Client, CustomResource, CustomResourceExt,
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
/// How many times each server is started, its share of `ROUNDS` measured each time.
const PASSES: usize = 4;

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
    /// Also measure this controller-runtime webhook server (`bench/go-webhook`, built).
    #[arg(long)]
    go_webhook: Option<PathBuf>,
    #[command(subcommand)]
    serve: Option<Serve>,
}

#[derive(Subcommand)]
enum Serve {
    /// Serve the webhook with the runtime's manager (what the measuring run starts).
    Serve {
        #[command(flatten)]
        manager: ManagerArgs,
    },
}

fn webhooks() -> Webhooks {
    Webhooks::new().validating::<Checked>()
}

/// A webhook server under test: a program and the flags that make it serve what kube-envtest
/// configured.
struct Server {
    label: &'static str,
    program: PathBuf,
    args: Vec<String>,
}

/// What one server's run measured.
struct Measured {
    label: &'static str,
    listening: Duration,
    first_answer: Duration,
    with_webhook: Vec<Duration>,
    without: Vec<Duration>,
    peak_rss_kib: u64,
}

impl Measured {
    /// Both passes' latencies; the first pass's start times (a cold start); the larger peak.
    fn and(mut self, later: Measured) -> Measured {
        self.with_webhook.extend(later.with_webhook);
        self.without.extend(later.without);
        self.peak_rss_kib = self.peak_rss_kib.max(later.peak_rss_kib);
        self
    }
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
async fn main() -> ExitCode {
    let args = Args::parse();
    match args.serve {
        Some(Serve::Serve { manager }) => {
            // Only the webhook server runs: no controllers, no leader election.
            Manager::new(manager, "webhook-latency")
                .webhooks(webhooks())
                .run()
                .await
        }
        None => {
            measure(args.go_webhook.as_deref()).await;
            ExitCode::SUCCESS
        }
    }
}

async fn measure(go_webhook: Option<&Path>) {
    let env_started = Instant::now();
    let env = TestEnv::builder()
        .crds(vec![Checked::crd(), Plain::crd()])
        .webhooks(webhook_install_options(&webhooks()))
        .start()
        .await
        .expect("start kube-envtest (set KUBEBUILDER_ASSETS)");
    let env_ready = env_started.elapsed();
    let server = env.webhook_server().expect("webhooks were installed");
    let kubeconfig = env.kubeconfig_path().to_path_buf();

    // One request before any server runs: it fails (nothing listens, `failurePolicy: Fail`),
    // and shows what the API server spends on its first call to a new webhook.
    let at = Instant::now();
    let refused = Api::<Checked>::namespaced(env.client(), "default")
        .create(&dry_run(), &checked_object("early"))
        .await
        .is_err();
    let cold_refusal = at.elapsed();
    assert!(refused, "admitted with no webhook server");

    let mut servers = vec![Server {
        label: "Rust, kube-operator-runtime",
        program: std::env::current_exe().expect("this program's path"),
        args: [
            vec!["serve".to_string(), "--health-probe-bind-address=0".into()],
            webhook_args(server),
        ]
        .concat(),
    }];
    if let Some(go_webhook) = go_webhook {
        servers.push(Server {
            label: "Go, controller-runtime",
            program: go_webhook.to_path_buf(),
            args: webhook_args(server),
        });
    }
    let address = (server.host().to_string(), server.port());
    let mut results: Vec<Option<Measured>> = servers.iter().map(|_| None).collect();
    for pass in 0..PASSES {
        let mut order: Vec<usize> = (0..servers.len()).collect();
        if pass % 2 == 1 {
            order.reverse();
        }
        for index in order {
            let measured =
                measure_server(&env.client(), &servers[index], &address, &kubeconfig).await;
            results[index] = Some(match results[index].take() {
                None => measured,
                Some(earlier) => earlier.and(measured),
            });
        }
    }
    let results: Vec<Measured> = results.into_iter().flatten().collect();

    println!(
        "kube-envtest up (etcd, kube-apiserver, CRDs, webhook configurations): {:.0} ms",
        millis(env_ready)
    );
    println!(
        "a request before any webhook server started: refused after {:.1} ms",
        millis(cold_refusal)
    );
    println!(
        "{ROUNDS} dry-run creates each, with and without the webhook, interleaved, over {PASSES} starts of each server (ms):"
    );
    println!(
        "{:<30}{:>11}{:>12}{:>8}{:>8}{:>8}{:>8}{:>8}{:>8}{:>11}",
        "server",
        "listening",
        "1st answer",
        "p50",
        "p90",
        "p99",
        "+p50",
        "+p90",
        "+p99",
        "peak RSS"
    );
    for m in &results {
        let mut with_webhook = m.with_webhook.clone();
        let mut without = m.without.clone();
        with_webhook.sort();
        without.sort();
        let at = |sorted: &[Duration], p| millis(percentile(sorted, p));
        println!(
            "{:<30}{:>11.1}{:>12.1}{:>8.2}{:>8.2}{:>8.2}{:>8.2}{:>8.2}{:>8.2}{:>7.1} MiB",
            m.label,
            millis(m.listening),
            millis(m.first_answer),
            at(&with_webhook, 0.5),
            at(&with_webhook, 0.9),
            at(&with_webhook, 0.99),
            at(&with_webhook, 0.5) - at(&without, 0.5),
            at(&with_webhook, 0.9) - at(&without, 0.9),
            at(&with_webhook, 0.99) - at(&without, 0.99),
            m.peak_rss_kib as f64 / 1024.0,
        );
    }
    println!("(+pXX: with the webhook minus the API server alone, in the same server's run)");
}

/// Starts `server`, waits for its first admitted request, times `ROUNDS` creates with and
/// without the webhook, and stops it.
async fn measure_server(
    client: &Client,
    server: &Server,
    address: &(String, u16),
    kubeconfig: &Path,
) -> Measured {
    let checked = Api::<Checked>::namespaced(client.clone(), "default");
    let plain = Api::<Plain>::namespaced(client.clone(), "default");
    let started = Instant::now();
    let mut child = tokio::process::Command::new(&server.program)
        .args(&server.args)
        .env("KUBECONFIG", kubeconfig)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", server.program.display()));
    // The API server retries a webhook it could not reach with a growing delay, so a request
    // sent before the server listens measures that delay; wait for the port first.
    while tokio::net::TcpStream::connect(address.clone())
        .await
        .is_err()
    {
        assert!(
            child.try_wait().unwrap().is_none(),
            "{} exited",
            server.label
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let listening = started.elapsed();
    while checked
        .create(&dry_run(), &checked_object("first"))
        .await
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let first_answer = started.elapsed();

    let rounds = ROUNDS / PASSES;
    let mut with_webhook = Vec::with_capacity(rounds);
    let mut without = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let name = format!("object-{round}");
        let at = Instant::now();
        checked
            .create(&dry_run(), &checked_object(&name))
            .await
            .expect("admitted");
        with_webhook.push(at.elapsed());
        let at = Instant::now();
        plain
            .create(
                &dry_run(),
                &Plain {
                    metadata: meta(&name),
                    spec: PlainSpec { name: name.clone() },
                },
            )
            .await
            .expect("created");
        without.push(at.elapsed());
    }
    let pid = child.id().expect("still running");
    let peak_rss_kib = peak_rss_kib(pid);
    child.kill().await.expect("stopping the server");
    Measured {
        label: server.label,
        listening,
        first_answer,
        with_webhook,
        without,
        peak_rss_kib,
    }
}

fn dry_run() -> PostParams {
    PostParams {
        dry_run: true,
        ..Default::default()
    }
}

fn checked_object(name: &str) -> Checked {
    Checked::new(name, CheckedSpec { name: name.into() })
}

/// VmHWM of a process, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}
