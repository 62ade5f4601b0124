//! What the probes report. `/readyz` (the Pod's readiness, so the webhook Service's endpoints):
//! ready once the manager started and its webhook server, if any, serves. `/readyz/caches`:
//! ready once every running controller has filled its caches.
//!
//! The two are apart because the first must not wait for the second: a controller's first list
//! may need the Pod's own conversion webhook (a controller watching a version other than the
//! stored one), which the API server reaches only through a ready Pod. Caches that never fill
//! still stop the manager, through `--cache-sync-timeout`.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use kube::runtime::watcher;
use tokio::sync::watch;

use crate::watch_backoff::api_status;

/// Whether the manager serves, and which controllers are still filling their caches: what
/// `/readyz` and `/readyz/caches` report. Cheap to clone; clones share the state.
///
/// ```
/// use kube_operator_runtime::readiness::Readiness;
///
/// let readiness = Readiness::default();
/// readiness.started();
/// let pods = readiness.cache_of("widget", "Pod");
/// assert_eq!(readiness.check(), Ok(()));
/// assert!(readiness.check_caches().is_err());
/// pods.mark_synced();
/// assert_eq!(readiness.check_caches(), Ok(()));
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
    /// `Some(false)` from the moment the manager has webhooks to serve until the server listens
    /// with its certificate loaded.
    webhook_serving: Option<bool>,
    /// Per controller, its caches; none until it registers the first one.
    caches: BTreeMap<&'static str, Vec<Cache>>,
}

/// One cache, as the watch filling it left it.
#[derive(Debug)]
struct Cache {
    kind: String,
    synced: bool,
    /// The watch's last error while the cache waited for its first list.
    last_error: Option<WatchError>,
}

/// Why a cache has not been filled yet, as the API server answered its watch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchError {
    /// The HTTP status the API server gave, if it answered at all.
    pub code: Option<u16>,
    /// The error, as the watch reported it.
    pub message: String,
}

/// A cache of a controller's that has not received its first list yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsyncedCache {
    /// The kind it holds.
    pub kind: String,
    /// The watch's last error, if any.
    pub last_error: Option<WatchError>,
}

impl Readiness {
    /// Counts `controller` as not ready until it registers its caches with `cache` and each of
    /// them is synced.
    pub fn starting(&self, controller: &'static str) {
        self.lock().caches.entry(controller).or_default();
    }

    /// A new cache of `controller`, not synced yet. Prefer [`cache_of`](Self::cache_of), which
    /// lets a cache that never syncs be reported by its kind.
    pub fn cache(&self, controller: &'static str) -> CacheSync {
        self.cache_of(controller, "(a cache of unknown kind)")
    }

    /// A new cache of `controller`, holding objects of `kind`, not synced yet.
    pub fn cache_of(&self, controller: &'static str, kind: impl Into<String>) -> CacheSync {
        let mut state = self.lock();
        let caches = state.caches.entry(controller).or_default();
        caches.push(Cache {
            kind: kind.into(),
            synced: false,
            last_error: None,
        });
        CacheSync {
            synced: Arc::new(watch::Sender::new(false)),
            readiness: self.clone(),
            controller,
            index: caches.len() - 1,
        }
    }

    /// The caches of `controller` still waiting for their first list, with the last error each
    /// one's watch met.
    pub fn unsynced(&self, controller: &str) -> Vec<UnsyncedCache> {
        let state = self.lock();
        let caches = state.caches.get(controller).map(Vec::as_slice);
        caches
            .unwrap_or_default()
            .iter()
            .filter(|cache| !cache.synced)
            .map(|cache| UnsyncedCache {
                kind: cache.kind.clone(),
                last_error: cache.last_error.clone(),
            })
            .collect()
    }

    /// Whether every cache `controller` registered holds its first list.
    pub fn is_synced(&self, controller: &str) -> bool {
        self.lock()
            .caches
            .get(controller)
            .is_some_and(|caches| all_synced(caches))
    }

    /// Marks the end of startup: from now on, only syncing controllers keep the manager unready.
    pub fn started(&self) {
        self.lock().started = true;
    }

    /// Counts the manager as not ready until [`webhook_serving`](Self::webhook_serving).
    pub(crate) fn webhook_starting(&self) {
        self.lock().webhook_serving = Some(false);
    }

    /// Records that the webhook server listens with a certificate: the API server's calls are
    /// answered from now on.
    pub(crate) fn webhook_serving(&self) {
        self.lock().webhook_serving = Some(true);
    }

    /// `/readyz`: `Ok` once the manager started and serves its webhooks, if any; otherwise
    /// what it is waiting for. Caches are not waited for: see [`check_caches`](Self::check_caches).
    pub fn check(&self) -> Result<(), String> {
        let state = self.lock();
        if state.webhook_serving == Some(false) {
            return Err("webhook server not serving yet".into());
        }
        if !state.started {
            return Err("manager is starting".into());
        }
        Ok(())
    }

    /// `/readyz/caches`: `Ok` once every running controller's caches hold their first list
    /// (a manager standing by for the Lease runs none); otherwise the controllers still
    /// syncing.
    pub fn check_caches(&self) -> Result<(), String> {
        let state = self.lock();
        if !state.started {
            return Err("manager is starting".into());
        }
        let syncing: Vec<&str> = state
            .caches
            .iter()
            .filter(|(_, caches)| !all_synced(caches))
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

/// Whether a controller has registered its caches and each holds its first list.
fn all_synced(caches: &[Cache]) -> bool {
    !caches.is_empty() && caches.iter().all(|cache| cache.synced)
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
    index: usize,
}

impl CacheSync {
    /// Records that the cache holds its first full list; later calls change nothing.
    pub fn mark_synced(&self) {
        if !self.synced.send_replace(true) {
            self.update(|cache| {
                cache.synced = true;
                cache.last_error = None;
            });
        }
    }

    /// Records why the watch filling the cache failed, while it has no first list yet: what the
    /// manager reports if the cache never syncs.
    pub fn record_error(&self, error: &watcher::Error) {
        if *self.synced.borrow() {
            return;
        }
        // The API server's own words when it answered: kube's rendering adds the whole Status.
        let error = match api_status(error) {
            Some(status) => WatchError {
                code: Some(status.code),
                message: format!("{} ({})", status.message, status.code),
            },
            None => WatchError {
                code: None,
                message: error.to_string(),
            },
        };
        self.update(|cache| cache.last_error = Some(error));
    }

    fn update(&self, change: impl FnOnce(&mut Cache)) {
        let mut state = self.readiness.lock();
        if let Some(cache) = state
            .caches
            .get_mut(self.controller)
            .and_then(|caches| caches.get_mut(self.index))
        {
            change(cache);
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
    async fn caches_are_synced_once_every_cache_of_every_controller_is() {
        let readiness = Readiness::default();
        assert_eq!(readiness.check_caches(), Err("manager is starting".into()));

        readiness.starting("example");
        readiness.started();
        // Ready to serve while the caches fill.
        assert_eq!(readiness.check(), Ok(()));
        // Not synced before the controller registers its caches either.
        assert_eq!(
            readiness.check_caches(),
            Err("caches not synced yet: example".into())
        );
        let objects = readiness.cache_of("example", "Widget");
        let pods = readiness.cache_of("example", "Pod");
        assert_eq!(
            readiness.check_caches(),
            Err("caches not synced yet: example".into())
        );

        objects.mark_synced();
        objects.mark_synced();
        assert!(!readiness.is_synced("example"));
        pods.mark_synced();
        assert!(readiness.is_synced("example"));
        assert_eq!(readiness.check_caches(), Ok(()));
    }

    #[test]
    fn not_ready_until_the_webhook_server_serves() {
        let readiness = Readiness::default();
        readiness.started();
        readiness.webhook_starting();
        assert_eq!(
            readiness.check(),
            Err("webhook server not serving yet".into())
        );
        readiness.webhook_serving();
        assert_eq!(readiness.check(), Ok(()));
    }

    #[test]
    fn unsynced_caches_name_their_kind_and_last_watch_error() {
        let readiness = Readiness::default();
        let objects = readiness.cache_of("example", "Widget");
        let pods = readiness.cache_of("example", "Pod");
        let forbidden = kube::core::Status::failure(
            "pods is forbidden: User \"manager\" cannot list resource \"pods\"",
            "Forbidden",
        )
        .with_code(403);
        pods.record_error(&watcher::Error::InitialListFailed(kube::Error::Api(
            forbidden.boxed(),
        )));
        objects.mark_synced();
        let unsynced = readiness.unsynced("example");
        assert_eq!(unsynced.len(), 1, "{unsynced:?}");
        assert_eq!(unsynced[0].kind, "Pod");
        let error = unsynced[0].last_error.as_ref().expect("the 403 is kept");
        assert_eq!(error.code, Some(403));
        assert_eq!(
            error.message,
            "pods is forbidden: User \"manager\" cannot list resource \"pods\" (403)"
        );

        // Once synced, the cache is no longer reported and later errors are not kept.
        pods.mark_synced();
        pods.record_error(&watcher::Error::NoResourceVersion);
        assert_eq!(readiness.unsynced("example"), []);
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
