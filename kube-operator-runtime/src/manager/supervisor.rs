//! The running controllers, each on its own task and known by name.

use std::{collections::HashMap, future::Future, process::ExitCode, time::Duration};

use tokio::task::{Id, JoinError, JoinSet};
use tracing::{error, info};

use super::BoxError;
use crate::{controller::Shared, readiness::UnsyncedCache};

/// What a controller task ends with: an error, or a panic/cancellation.
type Exit = Result<Result<(), BoxError>, JoinError>;

pub(super) struct Controllers {
    shared: Shared,
    /// How long a controller may take to fill its caches before it counts as failed.
    cache_sync_timeout: Duration,
    tasks: JoinSet<Result<(), BoxError>>,
    names: HashMap<Id, &'static str>,
}

impl Controllers {
    pub(super) fn new(shared: Shared, cache_sync_timeout: Duration) -> Self {
        Self {
            shared,
            cache_sync_timeout,
            tasks: JoinSet::new(),
            names: HashMap::new(),
        }
    }

    /// Spawns `run` with its own handle on what the manager shares; `name` is what the manager
    /// logs when this controller stops, and what `/readyz` waits for until its caches are synced.
    pub(super) fn spawn<F>(&mut self, name: &'static str, run: impl FnOnce(Shared) -> F)
    where
        F: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        let readiness = self.shared.readiness.clone();
        let shutdown = self.shared.shutdown.clone();
        readiness.starting(name);
        // Caches that never fill (RBAC refusing the list, a CRD not installed) would otherwise
        // leave the manager unready for ever, with nothing saying why.
        let cache_sync_timeout = self.cache_sync_timeout;
        let sync_readiness = readiness.clone();
        let caches_never_synced = async move {
            tokio::time::sleep(cache_sync_timeout).await;
            if sync_readiness.is_synced(name) {
                std::future::pending::<()>().await;
            }
            never_synced(&sync_readiness.unsynced(name), cache_sync_timeout)
        };
        let running = run(self.shared.clone().named(name));
        // A kube Controller waits for its cache before reconciling, and a graceful shutdown
        // waits for that too, forever once its watch has stopped. Before the caches are synced
        // nothing is in flight, so a shutdown then simply drops the controller.
        let stopped_while_syncing = async move {
            shutdown.cancelled().await;
            if readiness.is_synced(name) {
                std::future::pending::<()>().await;
            }
        };
        let task = self.tasks.spawn(async move {
            tokio::select! {
                result = running => result,
                () = stopped_while_syncing => {
                    info!(controller = name, "stopped before its caches were synced");
                    Ok(())
                }
                message = caches_never_synced => Err(BoxError::from(message)),
            }
        });
        self.names.insert(task.id(), name);
    }

    pub(super) fn len(&self) -> usize {
        self.tasks.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Waits until the next controller stops; `None` once all have stopped.
    async fn join_next(&mut self) -> Option<(&'static str, Exit)> {
        let (id, exit) = match self.tasks.join_next_with_id().await? {
            Ok((id, result)) => (id, Ok(result)),
            Err(err) => (err.id(), Err(err)),
        };
        Some((self.names.remove(&id).unwrap_or("unknown"), exit))
    }

    /// Waits until every controller stops, or until the first one fails or panics: a manager
    /// missing one controller would look healthy while doing only part of its job, so it exits
    /// for Kubernetes to restart it.
    pub(super) async fn supervise(&mut self) -> ExitCode {
        while let Some((name, exit)) = self.join_next().await {
            match exit {
                Ok(Ok(())) => {
                    info!(controller = name, "controller stopped");
                    continue;
                }
                Ok(Err(err)) => error!(controller = name, error = %err, "controller failed"),
                Err(err) if err.is_panic() => error!(controller = name, "controller panicked"),
                Err(err) => error!(controller = name, error = %err, "controller was cancelled"),
            }
            return ExitCode::FAILURE;
        }
        ExitCode::SUCCESS
    }

    /// Aborts the controllers that are still running and waits for them.
    pub(super) async fn shutdown(&mut self) {
        self.tasks.shutdown().await;
    }
}

/// The one line a controller fails with when its caches did not sync in time: which kinds, what
/// their watches last met, and what to do about it.
fn never_synced(unsynced: &[UnsyncedCache], timeout: Duration) -> String {
    // A controller whose `run` made no watch through its `Shared` (or none under its name).
    if unsynced.is_empty() {
        return format!(
            "no cache registered within {timeout:?} (--cache-sync-timeout): build the \
             controller with `shared.controller(api)` from the `Shared` its `run` is given, \
             which registers its watches under the controller's name"
        );
    }
    let kinds: Vec<String> = unsynced
        .iter()
        .map(|cache| match &cache.last_error {
            Some(error) => format!("{} (last error: {})", cache.kind, error.message),
            None => cache.kind.clone(),
        })
        .collect();
    let codes: Vec<Option<u16>> = unsynced
        .iter()
        .map(|cache| cache.last_error.as_ref().and_then(|error| error.code))
        .collect();
    let hint = if codes.contains(&Some(403)) {
        "the manager's RBAC does not allow list and watch on them: regenerate \
         config/rbac/role.yaml (`make manifests`) and deploy it"
    } else if codes.contains(&Some(404)) {
        "the API server does not serve them: install their CRDs (`make install`)"
    } else {
        "check that the manager's RBAC allows list and watch on them, that their CRDs are \
         installed (`make install`), and that the API server is reachable"
    };
    format!(
        "caches not synced within {timeout:?} (--cache-sync-timeout): {}; {hint}",
        kinds.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client no test request reaches.
    fn offline_client() -> kube::Client {
        crate::test_support::mock_client().0
    }

    #[tokio::test]
    async fn shutdown_drops_a_controller_still_syncing_and_waits_for_one_that_runs() {
        let shared = Shared::new(offline_client());
        let mut controllers = Controllers::new(shared.clone(), Duration::from_secs(120));
        // Its cache never fills, and it never returns by itself.
        controllers.spawn("syncing", |shared| async move {
            let _cache = shared.readiness.cache_of("syncing", "Pod");
            std::future::pending::<Result<(), BoxError>>().await
        });
        // Synced, it finishes its work after the shutdown signal, as kube's graceful shutdown does.
        let (finished, finish) = tokio::sync::oneshot::channel::<()>();
        controllers.spawn("running", |shared| async move {
            shared.readiness.cache_of("running", "Pod").mark_synced();
            shared.shutdown.cancelled().await;
            let _ = finish.await;
            Ok(())
        });
        tokio::task::yield_now().await;

        shared.shutdown.cancel();
        let (name, exit) = tokio::time::timeout(Duration::from_secs(5), controllers.join_next())
            .await
            .expect("the syncing controller was not dropped")
            .unwrap();
        assert_eq!(name, "syncing");
        assert!(matches!(exit, Ok(Ok(()))), "{exit:?}");

        finished.send(()).unwrap();
        let (name, exit) = controllers.join_next().await.unwrap();
        assert_eq!(name, "running");
        assert!(matches!(exit, Ok(Ok(()))), "{exit:?}");
    }

    #[tokio::test]
    async fn a_failed_controller_fails_the_manager() {
        let shared = Shared::new(offline_client());
        let mut controllers = Controllers::new(shared, Duration::from_secs(120));
        controllers.spawn("broken", |_| async { Err(BoxError::from("no CRD")) });
        assert_eq!(controllers.supervise().await, ExitCode::FAILURE);
    }

    #[tokio::test(start_paused = true)]
    async fn a_controller_whose_caches_never_sync_fails_after_the_timeout() {
        let shared = Shared::new(offline_client());
        let mut controllers = Controllers::new(shared, Duration::from_secs(120));
        controllers.spawn("pods-forbidden", |shared| async move {
            let _cache = shared.readiness.cache_of("pods-forbidden", "Pod");
            std::future::pending::<Result<(), BoxError>>().await
        });
        let started = tokio::time::Instant::now();
        let (name, exit) = controllers.join_next().await.unwrap();
        assert_eq!(name, "pods-forbidden");
        assert_eq!(started.elapsed(), Duration::from_secs(120));
        let message = exit.unwrap().unwrap_err().to_string();
        assert!(
            message.contains("120s") && message.contains(": Pod;") && message.contains("RBAC"),
            "{message}"
        );
    }

    #[test]
    fn a_controller_that_registered_no_cache_is_told_how_to() {
        let message = never_synced(&[], Duration::from_secs(120));
        assert!(
            message.starts_with("no cache registered within 120s")
                && message.contains("shared.controller(api)"),
            "{message}"
        );
    }

    fn unsynced(kind: &str, code: Option<u16>) -> UnsyncedCache {
        UnsyncedCache {
            kind: kind.into(),
            last_error: code.map(|code| crate::readiness::WatchError {
                code: Some(code),
                message: format!("the API server said {code}"),
            }),
        }
    }

    #[test]
    fn a_cache_refused_by_rbac_is_named_with_its_error_and_the_rbac_hint() {
        let message = never_synced(
            &[unsynced("Pod", Some(403)), unsynced("Widget", None)],
            Duration::from_secs(120),
        );
        assert_eq!(
            message,
            "caches not synced within 120s (--cache-sync-timeout): Pod (last error: the API \
             server said 403), Widget; the manager's RBAC does not allow list and watch on them: \
             regenerate config/rbac/role.yaml (`make manifests`) and deploy it"
        );
    }

    #[test]
    fn a_kind_the_api_server_does_not_serve_points_at_its_crd() {
        let message = never_synced(&[unsynced("Widget", Some(404))], Duration::from_secs(5));
        assert!(
            message.ends_with("install their CRDs (`make install`)"),
            "{message}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_controller_whose_caches_synced_outlives_the_timeout() {
        let shared = Shared::new(offline_client());
        let mut controllers = Controllers::new(shared, Duration::from_secs(120));
        controllers.spawn("synced", |shared| async move {
            shared.readiness.cache_of("synced", "Pod").mark_synced();
            std::future::pending::<Result<(), BoxError>>().await
        });
        let outcome = tokio::time::timeout(Duration::from_secs(600), controllers.join_next()).await;
        assert!(outcome.is_err(), "the synced controller stopped");
    }
}
