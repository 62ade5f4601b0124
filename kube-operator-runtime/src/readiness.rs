//! What `/readyz` reports: ready once every running controller has filled its caches.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use tokio::sync::watch;

/// Which controllers are still filling their caches: what `/readyz` reports. Cheap to clone;
/// clones share the state.
///
/// ```
/// use kube_operator_runtime::Readiness;
///
/// let readiness = Readiness::default();
/// readiness.started();
/// let pods = readiness.cache("widget");
/// assert!(readiness.check().is_err());
/// pods.mark_synced();
/// assert_eq!(readiness.check(), Ok(()));
/// ```
///
/// A manager standing by for the leader Lease runs no controller and so is ready: were it not,
/// a rolling update would wait forever for a new Pod that cannot lead until the old one leaves.
#[derive(Clone, Debug, Default)]
pub struct Readiness {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    started: bool,
    /// Per controller, how many of its caches have not received their first list yet; `None`
    /// until it registers the first one.
    unsynced_caches: BTreeMap<&'static str, Option<usize>>,
}

impl Readiness {
    /// Counts `controller` as not ready until it registers its caches with `cache` and each of
    /// them is synced.
    pub fn starting(&self, controller: &'static str) {
        self.lock()
            .unsynced_caches
            .entry(controller)
            .or_insert(None);
    }

    /// A new cache of `controller`, not synced yet.
    pub fn cache(&self, controller: &'static str) -> CacheSync {
        let mut state = self.lock();
        let unsynced = state.unsynced_caches.entry(controller).or_insert(None);
        *unsynced = Some(unsynced.unwrap_or(0) + 1);
        CacheSync {
            synced: Arc::new(watch::Sender::new(false)),
            readiness: self.clone(),
            controller,
        }
    }

    /// Whether every cache `controller` registered holds its first list.
    pub fn is_synced(&self, controller: &str) -> bool {
        self.lock().unsynced_caches.get(controller) == Some(&Some(0))
    }

    /// Marks the end of startup: from now on, only syncing controllers keep the manager unready.
    pub fn started(&self) {
        self.lock().started = true;
    }

    /// `Ok` when ready, otherwise what the manager is waiting for.
    pub fn check(&self) -> Result<(), String> {
        let state = self.lock();
        if !state.started {
            return Err("manager is starting".into());
        }
        let syncing: Vec<&str> = state
            .unsynced_caches
            .iter()
            .filter(|(_, unsynced)| **unsynced != Some(0))
            .map(|(controller, _)| *controller)
            .collect();
        if syncing.is_empty() {
            Ok(())
        } else {
            Err(format!("caches not synced yet: {}", syncing.join(", ")))
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether one cache holds its first full list. Clones share the flag.
///
/// Unlike `Store::wait_until_ready`, which wakes only the last of several waiters, any number
/// of tasks may `wait` on it at once.
#[derive(Clone, Debug)]
pub struct CacheSync {
    synced: Arc<watch::Sender<bool>>,
    readiness: Readiness,
    controller: &'static str,
}

impl CacheSync {
    /// Records that the cache holds its first full list; later calls change nothing.
    pub fn mark_synced(&self) {
        if !self.synced.send_replace(true) {
            let mut state = self.readiness.lock();
            if let Some(Some(unsynced)) = state.unsynced_caches.get_mut(self.controller) {
                *unsynced = unsynced.saturating_sub(1);
            }
        }
    }

    /// Waits until the cache holds its first full list.
    pub async fn wait(&self) {
        let mut synced = self.synced.subscribe();
        // The sender lives as long as `self`, so this cannot fail.
        let _ = synced.wait_for(|synced| *synced).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn ready_once_started_and_every_cache_synced() {
        let readiness = Readiness::default();
        assert_eq!(readiness.check(), Err("manager is starting".into()));

        readiness.starting("example");
        readiness.started();
        // Not ready before the controller registers its caches either.
        assert_eq!(
            readiness.check(),
            Err("caches not synced yet: example".into())
        );
        let objects = readiness.cache("example");
        let pods = readiness.cache("example");
        assert_eq!(
            readiness.check(),
            Err("caches not synced yet: example".into())
        );

        objects.mark_synced();
        objects.mark_synced();
        assert!(!readiness.is_synced("example"));
        pods.mark_synced();
        assert!(readiness.is_synced("example"));
        assert_eq!(readiness.check(), Ok(()));
    }

    #[tokio::test]
    async fn every_waiter_wakes_when_the_cache_syncs() {
        let cache = Readiness::default().cache("example");
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.wait().await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(waiters.iter().all(|waiter| !waiter.is_finished()));

        cache.mark_synced();
        for waiter in waiters {
            tokio::time::timeout(Duration::from_secs(5), waiter)
                .await
                .expect("a waiter was not woken")
                .unwrap();
        }
    }
}
