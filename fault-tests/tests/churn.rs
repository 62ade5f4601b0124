//! Ten rounds of creating 1,000 Foos, waiting for every status, and deleting them all: the
//! manager's memory should not grow round after round, and deleted Foos must not leave warnings
//! behind (a pending requeue of a deleted Foo used to log "controller error").
//!
//! Memory held for a while after a Foo is gone is not a leak if it is let go: the runtime's
//! `EventPublisher` remembers each Event it published for 6 minutes (to count repeats). So the
//! rounds are paced to span more than that, and the later rounds show whether memory keeps
//! growing or levels off.
//!
//! Long (about 8 minutes), so not in `scripts/test.sh`. Run with
//! `TUTORIAL_MANAGER=$PWD/examples/tutorial/target/release/manager cargo test -p fault-tests
//! --test churn -- --ignored --nocapture`; it prints the manager's RSS after each round.
//! `CHURN_ROUNDS=16` runs longer.

use std::time::{Duration, Instant};

use fault_tests::{
    create_foos, create_friends, foos, grant_manager_permissions, happiness, pods, start_env,
    start_manager,
};
use kube::api::{DeleteParams, ListParams};
use kube_operator_runtime::testing::eventually_within;

/// Rounds unless `CHURN_ROUNDS` says otherwise: more show better whether memory levels off.
const ROUNDS: usize = 10;
const FOOS: usize = 1_000;
/// Creating 1,000 Foos and reconciling them all, on a small machine with a debug build.
const ROUND_BOUND: Duration = Duration::from_secs(180);
/// One round starts this long after the previous one: ten of them outlast the Events' records.
const ROUND_EVERY: Duration = Duration::from_secs(45);

#[tokio::test]
#[ignore = "takes minutes; run by hand, see the module docs"]
async fn memory_stays_flat_and_logs_stay_quiet_over_rounds_of_1000_foos() {
    let env = start_env().await;
    grant_manager_permissions(&env).await;
    let foos = foos(&env);
    let pods = pods(&env);
    create_friends(&pods, (0..FOOS).step_by(2)).await;
    let mut manager = start_manager(&env, "manager", &[]).await;
    manager.wait_until_ready().await;
    let pid = manager.id().expect("a running manager");
    let mut samples = vec![rss_kib(pid)];

    let rounds = std::env::var("CHURN_ROUNDS").ok().map_or(ROUNDS, |rounds| {
        rounds.parse().expect("CHURN_ROUNDS is a number")
    });
    for round in 1..=rounds {
        let started = Instant::now();
        create_foos(&foos, 0..FOOS).await;
        // Foos without a friend read `happy: false` from the start; the others must turn happy.
        eventually_within(ROUND_BOUND, "every Foo is right", || async {
            let all = happiness(&foos).await;
            all.len() == FOOS
                && all.iter().all(|(name, happy)| {
                    let even = name.trim_start_matches("foo-").parse::<usize>().unwrap() % 2 == 0;
                    *happy == Some(even)
                })
        })
        .await;
        foos.delete_collection(&DeleteParams::default(), &ListParams::default())
            .await
            .unwrap();
        eventually_within(ROUND_BOUND, "every Foo is gone", || async {
            happiness(&foos).await.is_empty()
        })
        .await;
        // Let the manager see the deletions and drop what it held.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let took = started.elapsed();
        let rss = rss_kib(pid);
        eprintln!(
            "round {round}: {FOOS} Foos created, reconciled and deleted in {took:?}; RSS {rss} KiB"
        );
        samples.push(rss);
        tokio::time::sleep(ROUND_EVERY.saturating_sub(took)).await;
    }

    assert!(manager.is_running(), "manager exited:\n{}", manager.logs());
    let logs = manager.logs();
    let noisy: Vec<_> = logs
        .lines()
        .filter(|line| line.contains("WARN") || line.contains("ERROR"))
        .collect();
    assert!(
        noisy.is_empty(),
        "warnings while Foos came and went:\n{}",
        noisy.join("\n")
    );
    eprintln!("RSS in KiB, at start and after each round: {samples:?}");
}

/// The resident set size of process `pid`, from `/proc`.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status")
}
