//! Watches every Foo (as the admin, one watch for the whole run) and tells when all of them
//! look as expected.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use futures::StreamExt;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, CustomResource, ResourceExt};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::workload::{Expected, Key};

/// The Foo of the tutorial, as both the Rust and the Go operators define it. Go omits
/// `happy: false`, so a missing value reads as false.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug)]
#[kube(
    group = "tutorial.my.domain",
    version = "v1",
    kind = "Foo",
    namespaced,
    status = "FooStatus",
    schema = "disabled"
)]
pub struct FooSpec {
    pub name: String,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default)]
pub struct FooStatus {
    #[serde(default)]
    pub happy: Option<bool>,
}

#[derive(Default)]
struct State {
    /// Friend and happiness of every Foo, as last seen.
    foos: HashMap<Key, (String, bool)>,
    listed: bool,
    /// When the latest watch event arrived: the moment the state last changed.
    last_event: Option<Instant>,
}

pub struct Tracker {
    state: Arc<Mutex<State>>,
    changed: watch::Receiver<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Tracker {
    pub fn start(client: Client) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let (notify, changed) = watch::channel(());
        let shared = state.clone();
        let events = watcher(Api::<Foo>::all(client), watcher::Config::default()).default_backoff();
        let task = tokio::spawn(async move {
            futures::pin_mut!(events);
            while let Some(event) = events.next().await {
                let Ok(event) = event else { continue };
                let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
                match event {
                    watcher::Event::Apply(obj) | watcher::Event::InitApply(obj) => {
                        let key = Key::new(obj.namespace().unwrap_or_default(), obj.name_any());
                        let happy = obj.status.and_then(|s| s.happy).unwrap_or(false);
                        state.foos.insert(key, (obj.spec.name, happy));
                    }
                    watcher::Event::Delete(obj) => {
                        let key = Key::new(obj.namespace().unwrap_or_default(), obj.name_any());
                        state.foos.remove(&key);
                    }
                    watcher::Event::InitDone => state.listed = true,
                    watcher::Event::Init => {}
                }
                state.last_event = Some(Instant::now());
                drop(state);
                notify.send_replace(());
            }
        });
        Tracker {
            state,
            changed,
            task,
        }
    }

    /// Waits until every Foo matches `expected`, and returns when the watch event that made
    /// it so arrived. `alive` is checked on the way, to give up early if the operator died.
    pub async fn wait_for(
        &mut self,
        expected: &BTreeMap<Key, Expected>,
        timeout: Duration,
        mut alive: impl FnMut() -> Result<()>,
    ) -> Result<Instant> {
        let deadline = Instant::now() + timeout;
        loop {
            let wrong = {
                let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                let wrong = mismatches(&state, expected);
                match state.last_event {
                    Some(at) if state.listed && wrong == 0 => return Ok(at),
                    _ => wrong,
                }
            };
            alive()?;
            if Instant::now() > deadline {
                bail!("timed out after {timeout:?}: {wrong} Foos still wrong");
            }
            // Coalesces bursts of events: checking all Foos after each one would compete with
            // the operator for CPU.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = tokio::time::timeout(Duration::from_secs(1), self.changed.changed()).await;
        }
    }

    /// Waits until the watch has listed every Foo once.
    pub async fn wait_listed(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        while !self
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .listed
        {
            if Instant::now() > deadline {
                bail!("the Foo watch did not list within {timeout:?}");
            }
            let _ = tokio::time::timeout(Duration::from_millis(200), self.changed.changed()).await;
        }
        Ok(())
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn mismatches(state: &State, expected: &BTreeMap<Key, Expected>) -> usize {
    expected
        .iter()
        .filter(|(key, want)| match state.foos.get(*key) {
            Some((friend, happy)) => *friend != want.friend || *happy != want.happy,
            None => true,
        })
        .count()
}
