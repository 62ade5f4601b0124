//! Load driver of the cargo-operator benchmark.
//!
//! One invocation is one run: a fresh etcd + kube-apiserver (kube-envtest) with an audit log,
//! the operator's CRD, N Foos and M Pods; then the operator is started and timed until every
//! Foo's status is right, a churn is applied and timed the same way, and the operator's memory,
//! CPU and API requests are recorded. The result is one JSON document. With `--floor`, the
//! driver makes the operator's writes itself instead (see `floor`).

mod audit;
mod floor;
mod metrics;
mod procfs;
mod tracker;
mod workload;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::core::v1::{Container, Namespace, Pod, PodSpec};
use kube::api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use kube_envtest::TestEnv;
use serde::Serialize;
use serde_json::json;
use tokio::process::{Child, Command};

use audit::AuditLog;
use metrics::RequestCounts;
use procfs::Usage;
use tracker::{Foo, FooSpec, Tracker};
use workload::{Change, Expected, Key, Workload};

/// The user the operator authenticates as; the audit policy logs only this user.
const OPERATOR_USER: &str = "bench-operator";
/// Requests in flight while the driver creates or changes objects.
const CONCURRENCY: usize = 32;
/// The operator is done with a phase when it made no request for this long.
const QUIET: Duration = Duration::from_secs(3);
/// Longest wait for the operator to go quiet after its statuses are right.
const QUIET_MAX: Duration = Duration::from_secs(120);

#[derive(Parser)]
#[command(about = "Runs one operator against a fresh API server and prints what it measured")]
struct Args {
    /// Name of the operator in the results.
    #[arg(long)]
    label: String,
    /// CRD file or folder of the operator.
    #[arg(long)]
    crd: PathBuf,
    #[arg(long)]
    foos: usize,
    #[arg(long)]
    pods: usize,
    /// Where the operator log, audit log and result go.
    #[arg(long)]
    workdir: PathBuf,
    /// Folder holding etcd, kube-apiserver and kubectl.
    #[arg(long)]
    assets: PathBuf,
    /// Longest wait for statuses to be right, per phase, in seconds.
    #[arg(long, default_value_t = 1800)]
    timeout: u64,
    /// Make the operator's writes from the driver instead of running an operator.
    #[arg(long, conflicts_with = "operator")]
    floor: bool,
    /// Foos written at once by `--floor`.
    #[arg(long, default_value_t = 256, requires = "floor")]
    floor_concurrency: usize,
    /// The operator binary and its arguments; metrics and probe addresses are appended.
    #[arg(last = true, required_unless_present = "floor")]
    operator: Vec<String>,
}

#[derive(Serialize)]
struct RunResult {
    label: String,
    foos: usize,
    pods: usize,
    /// Seconds the driver took to create the Foos and Pods.
    create_seconds: f64,
    initial: Phase,
    churn: Phase,
}

#[derive(Serialize)]
struct Phase {
    /// From operator start (initial) or the first churn request (churn) to the watch event
    /// that made the last Foo right.
    converge_seconds: f64,
    /// From the same start to the operator's last request that is not a watch.
    last_request_seconds: Option<f64>,
    /// Operator memory and CPU once it went quiet (CPU is cumulative since start); none for
    /// the floor, which has no process of its own.
    usage: Option<Usage>,
    /// What the phase cost the API server: its CPU over the phase and its memory at the end.
    /// The driver's own requests are in it too, the same for every operator.
    apiserver: ApiserverCost,
    /// `apiserver_request_total` increase over the phase: the operator's requests and the
    /// driver's (which creates, changes and watches the objects).
    apiserver_requests: RequestCounts,
    /// The operator's own requests, from the audit log.
    operator_requests: BTreeMap<String, u64>,
    status_writes: StatusWrites,
}

/// The API server's CPU and memory over one phase (/proc of kube-apiserver).
#[derive(Serialize)]
struct ApiserverCost {
    /// CPU seconds the API server spent from the phase's start until the operator went quiet.
    cpu_seconds: f64,
    /// Its resident set size when the phase started and when it ended, in KiB.
    rss_kib_before: u64,
    rss_kib_after: u64,
}

/// The operator's status writes (patch or update of foos/status) in a phase.
#[derive(Serialize)]
struct StatusWrites {
    total: u64,
    /// Foos whose `happy` had to change in this phase (absent counts as false).
    foos_to_change: usize,
    /// Of those, the ones written at least once.
    foos_to_change_written: usize,
    /// Writes to Foos whose `happy` did not have to change.
    writes_to_others: u64,
    /// Foos written more than once.
    foos_written_twice_or_more: usize,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.workdir)?;
    let result = run(&args).await?;
    let path = args.workdir.join("result.json");
    std::fs::write(&path, serde_json::to_string_pretty(&result)?)?;
    let usage = match &result.churn.usage {
        Some(usage) => format!(
            ", peak RSS {:.1} MiB, CPU {:.2}s",
            usage.peak_rss_kib as f64 / 1024.0,
            usage.cpu_seconds
        ),
        None => String::new(),
    };
    println!(
        "{} N={} M={}: converge {:.2}s, churn {:.2}s{usage} -> {}",
        result.label,
        result.foos,
        result.pods,
        result.initial.converge_seconds,
        result.churn.converge_seconds,
        path.display()
    );
    Ok(())
}

async fn run(args: &Args) -> Result<RunResult> {
    let workload = Workload {
        foos: args.foos,
        pods: args.pods,
    };
    let timeout = Duration::from_secs(args.timeout);
    let audit_path = args.workdir.join("audit.log");
    let _ = std::fs::remove_file(&audit_path);
    let policy_path = args.workdir.join("audit-policy.json");
    std::fs::write(&policy_path, audit::policy(OPERATOR_USER))?;

    let env = TestEnv::builder()
        .binary_assets_dir(&args.assets)
        .crd_path(&args.crd)
        .apiserver_arg(format!("--audit-policy-file={}", policy_path.display()))
        .apiserver_arg(format!("--audit-log-path={}", audit_path.display()))
        .start()
        .await
        .context("starting the API server")?;
    let client = env.client();

    let started = Instant::now();
    create_objects(&client, &workload).await?;
    let create_seconds = started.elapsed().as_secs_f64();

    // The driver's own watch lists every Foo before the operator starts, so that list is not
    // in the operator's phase.
    let mut tracker = Tracker::start(client.clone());
    tracker.wait_listed(timeout).await?;
    let mut audit = AuditLog::new(&audit_path);

    let kubeconfig = args.workdir.join("operator.kubeconfig");
    let config = env.kubeconfig_for_user(OPERATOR_USER, &["system:masters"])?;
    std::fs::write(&kubeconfig, serde_json::to_string_pretty(&config)?)?;

    let apiserver_pid = env.apiserver_pid().context("no kube-apiserver process")?;
    let before = metrics::request_totals(&client).await?;
    let apiserver_before = procfs::usage(apiserver_pid)?;
    // Either an operator process finds and makes the writes, or the floor makes them.
    let floor = match args.floor {
        true => Some(
            env.client_for_user(OPERATOR_USER, &["system:masters"])
                .await?,
        ),
        false => None,
    };
    let mut operator = match args.floor {
        true => None,
        false => Some(spawn_operator(&args.operator, &kubeconfig, &args.workdir)?),
    };
    let pid = operator
        .as_ref()
        .map(|child| child.id().context("operator exited at once"))
        .transpose()?;
    let expected = workload.expected_initial();
    let initial_changes = workload::status_changes(None, &expected);
    let initial_keys = keys(&initial_changes);
    let (start, start_wall) = (Instant::now(), jiff::Timestamp::now());

    let writes = floor_writes(floor.as_ref(), initial_changes, args);
    let converged = wait_converged(&mut tracker, &expected, timeout, operator.as_mut());
    let (converged, ()) = tokio::try_join!(converged, writes)?;
    wait_quiet(&audit).await;
    let after_initial = metrics::request_totals(&client).await?;
    let initial = Phase::measure(
        (pid, apiserver_pid),
        apiserver_before,
        converged - start,
        start_wall,
        &mut audit,
        metrics::delta(&before, &after_initial),
        &initial_keys,
    )?;

    let expected_after = workload.expected_after_churn();
    let churn_changes = workload::status_changes(Some(&expected), &expected_after);
    let churn_keys = keys(&churn_changes);
    let apiserver_before = procfs::usage(apiserver_pid)?;
    let (churn_start, churn_wall) = (Instant::now(), jiff::Timestamp::now());
    // The floor writes while the churn is applied: it knows the outcome already.
    let writes = floor_writes(floor.as_ref(), churn_changes, args);
    let converged = async {
        churn(&client, &workload).await?;
        wait_converged(&mut tracker, &expected_after, timeout, operator.as_mut()).await
    };
    let (converged, ()) = tokio::try_join!(converged, writes)?;
    wait_quiet(&audit).await;
    let after_churn = metrics::request_totals(&client).await?;
    let churn = Phase::measure(
        (pid, apiserver_pid),
        apiserver_before,
        converged - churn_start,
        churn_wall,
        &mut audit,
        metrics::delta(&after_initial, &after_churn),
        &churn_keys,
    )?;

    if let Some(operator) = &mut operator {
        stop(operator).await;
    }
    drop(tracker);
    env.stop().await?;
    Ok(RunResult {
        label: args.label.clone(),
        foos: args.foos,
        pods: args.pods,
        create_seconds,
        initial,
        churn,
    })
}

/// The floor's writes of a phase, when the driver is the floor; an operator finds its own.
async fn floor_writes(client: Option<&Client>, changes: Vec<Change>, args: &Args) -> Result<()> {
    match client {
        Some(client) => floor::write(client, changes, args.floor_concurrency).await,
        None => Ok(()),
    }
}

impl Phase {
    fn measure(
        (pid, apiserver_pid): (Option<u32>, u32),
        apiserver_before: Usage,
        converge: Duration,
        start: jiff::Timestamp,
        audit: &mut AuditLog,
        apiserver_requests: RequestCounts,
        to_change: &BTreeSet<Key>,
    ) -> Result<Phase> {
        let usage = pid.map(procfs::usage).transpose()?;
        let apiserver_after = procfs::usage(apiserver_pid)?;
        let apiserver = ApiserverCost {
            cpu_seconds: apiserver_after.cpu_seconds - apiserver_before.cpu_seconds,
            rss_kib_before: apiserver_before.rss_kib,
            rss_kib_after: apiserver_after.rss_kib,
        };
        let requests = audit.read_new()?;
        let last_request_seconds = requests
            .last_request
            .map(|at| at.duration_since(start).as_secs_f64());
        let writes = &requests.status_writes;
        let status_writes = StatusWrites {
            total: writes.values().sum(),
            foos_to_change: to_change.len(),
            foos_to_change_written: to_change.iter().filter(|k| writes.contains_key(k)).count(),
            writes_to_others: writes
                .iter()
                .filter(|(key, _)| !to_change.contains(key))
                .map(|(_, n)| n)
                .sum(),
            foos_written_twice_or_more: writes.values().filter(|n| **n > 1).count(),
        };
        Ok(Phase {
            converge_seconds: converge.as_secs_f64(),
            last_request_seconds,
            usage,
            apiserver,
            apiserver_requests,
            operator_requests: requests.by_verb,
            status_writes,
        })
    }
}

/// The Foos whose status a phase must change.
fn keys(changes: &[Change]) -> BTreeSet<Key> {
    changes.iter().map(|change| change.key.clone()).collect()
}

async fn create_objects(client: &Client, workload: &Workload) -> Result<()> {
    for namespace in workload::namespaces() {
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(namespace),
                ..Default::default()
            },
            ..Default::default()
        };
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await?;
    }
    let foos = workload
        .initial_foos()
        .into_iter()
        .map(|(key, friend)| create_foo(client, key, friend));
    let pods = workload
        .initial_pods()
        .into_iter()
        .map(|key| create_pod(client, key));
    // Boxed so that both kinds of futures fit in one stream.
    let creations: Vec<futures::future::BoxFuture<'_, Result<()>>> = foos
        .map(|f| Box::pin(f) as _)
        .chain(pods.map(|f| Box::pin(f) as _))
        .collect();
    run_concurrently(creations).await
}

async fn create_foo(client: &Client, key: Key, friend: String) -> Result<()> {
    let obj = Foo::new(&key.name, FooSpec { name: friend });
    Api::<Foo>::namespaced(client.clone(), &key.namespace)
        .create(&PostParams::default(), &obj)
        .await
        .with_context(|| format!("creating Foo {}/{}", key.namespace, key.name))?;
    Ok(())
}

/// A Pod that no kubelet will ever run: only its name matters.
async fn create_pod(client: &Client, key: Key) -> Result<()> {
    let pod = Pod {
        metadata: ObjectMeta {
            name: Some(key.name.clone()),
            ..Default::default()
        },
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "main".into(),
                image: Some("registry.invalid/pause:1".into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    };
    Api::<Pod>::namespaced(client.clone(), &key.namespace)
        .create(&PostParams::default(), &pod)
        .await
        .with_context(|| format!("creating Pod {}/{}", key.namespace, key.name))?;
    Ok(())
}

/// Deletes and creates Pods and changes Foos' friends, all at once.
async fn churn(client: &Client, workload: &Workload) -> Result<()> {
    let mut changes: Vec<futures::future::BoxFuture<'_, Result<()>>> = Vec::new();
    for key in workload.pods_to_delete() {
        changes.push(Box::pin(async move {
            // Unscheduled Pods are deleted at once, with no grace period.
            Api::<Pod>::namespaced(client.clone(), &key.namespace)
                .delete(&key.name, &DeleteParams::default())
                .await?;
            Ok(())
        }));
    }
    for key in workload.pods_to_create() {
        changes.push(Box::pin(create_pod(client, key)));
    }
    for (key, friend) in workload.foos_to_change() {
        changes.push(Box::pin(async move {
            let patch = json!({ "spec": { "name": friend } });
            Api::<Foo>::namespaced(client.clone(), &key.namespace)
                .patch(&key.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await?;
            Ok(())
        }));
    }
    run_concurrently(changes).await
}

async fn run_concurrently(tasks: Vec<futures::future::BoxFuture<'_, Result<()>>>) -> Result<()> {
    stream::iter(tasks)
        .buffer_unordered(CONCURRENCY)
        .try_collect::<()>()
        .await
}

fn spawn_operator(command: &[String], kubeconfig: &Path, workdir: &Path) -> Result<Child> {
    let [metrics_port, probe_port] = [
        kube_envtest::free_loopback_port()?,
        kube_envtest::free_loopback_port()?,
    ];
    let log = File::create(workdir.join("operator.log"))?;
    let (program, args) = command.split_first().context("no operator command")?;
    let mut command = Command::new(program);
    command
        .args(args)
        .arg(format!("--metrics-bind-address=127.0.0.1:{metrics_port}"))
        .arg(format!(
            "--health-probe-bind-address=127.0.0.1:{probe_port}"
        ))
        .env("KUBECONFIG", kubeconfig)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true);
    // The operator must not outlive a driver that is killed (Ctrl+C on run.sh).
    // SAFETY: prctl is async-signal-safe and only changes this child's own settings.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
        .spawn()
        .with_context(|| format!("starting {program}"))
}

/// Waits until every Foo is as `expected`; fails early if the operator process is gone.
async fn wait_converged(
    tracker: &mut Tracker,
    expected: &BTreeMap<Key, Expected>,
    timeout: Duration,
    mut operator: Option<&mut Child>,
) -> Result<Instant> {
    tracker
        .wait_for(expected, timeout, || match operator.as_mut() {
            Some(child) => match child.try_wait()? {
                Some(status) => bail!("the operator exited early: {status}; see operator.log"),
                None => Ok(()),
            },
            None => Ok(()),
        })
        .await
}

/// Waits until the operator made no request for [`QUIET`], so that the counts of a phase
/// hold all of its work, including writes after the statuses were already right.
async fn wait_quiet(audit: &AuditLog) {
    let deadline = Instant::now() + QUIET_MAX;
    let mut size = audit.len();
    let mut unchanged_since = Instant::now();
    while Instant::now() < deadline && unchanged_since.elapsed() < QUIET {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = audit.len();
        if now != size {
            size = now;
            unchanged_since = Instant::now();
        }
    }
}

/// SIGTERM, then SIGKILL if the operator is still there after 10 s.
async fn stop(operator: &mut Child) {
    if let Some(pid) = operator.id() {
        // SAFETY: kill only sends a signal to our own child.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    }
    if tokio::time::timeout(Duration::from_secs(10), operator.wait())
        .await
        .is_err()
    {
        let _ = operator.kill().await;
    }
}
