//! What every controller is built from: the manager's [`Shared`] handle, a kube `Controller` set
//! up with its own cache, and the loop that runs it with metrics and per-object backoff.

use std::{
    collections::HashMap,
    fmt::Debug,
    future::Future,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures::{StreamExt, future};

mod builder;
mod watch_presence;

pub use crate::{concurrency::MAX_CONCURRENT_RECONCILES, kind::Reconciled};
pub use builder::ControllerBuilder;
use k8s_openapi::NamespaceResourceScope;
use kube::{
    Api, Client, Resource,
    api::ListParams,
    runtime::{
        Controller, controller,
        controller::Action,
        reflector::{ObjectRef, Store},
    },
};
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::{
    error::Error,
    metrics::{ErrorReason, Metrics},
    readiness::{CacheSync, Readiness},
    shared_watch::SharedWatches,
    state::States,
};

/// What every controller gets from the manager. Cheap to clone.
#[derive(Clone)]
#[non_exhaustive]
pub struct Shared {
    /// The manager's client.
    pub client: Client,
    /// Where reconciles are counted and timed.
    pub metrics: Arc<Metrics>,
    /// What `/readyz` reports; each cache a controller fills registers here.
    pub readiness: Readiness,
    /// Cancelled when the manager stops: controllers finish the reconciles in flight and return.
    pub shutdown: CancellationToken,
    /// The name the manager registered the controller under, which its watches report as.
    controller_name: Option<&'static str>,
    states: States,
    /// One watch per kind and selector, whichever controllers use it.
    watches: SharedWatches,
}

impl Shared {
    /// What a controller needs to run on its own, as in tests: fresh metrics, readiness and
    /// shutdown token.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            metrics: Arc::default(),
            readiness: Readiness::default(),
            shutdown: CancellationToken::new(),
            controller_name: None,
            states: States::default(),
            watches: SharedWatches::default(),
        }
    }

    /// What the manager shares: its client, metrics, readiness and shutdown token, and the
    /// values of [`Manager::state`](crate::Manager::state).
    pub(crate) fn for_manager(
        client: Client,
        metrics: Arc<Metrics>,
        readiness: Readiness,
        states: States,
    ) -> Self {
        Self {
            client,
            metrics,
            readiness,
            shutdown: CancellationToken::new(),
            controller_name: None,
            states,
            watches: SharedWatches::default(),
        }
    }

    /// This handle as the manager gives it to the controller registered as `name`: what
    /// [`controller`](Self::controller) names its controller.
    pub fn named(mut self, name: &'static str) -> Self {
        self.controller_name = Some(name);
        self
    }

    /// Adds `value` for controllers to read with [`state`](Self::state), as
    /// [`Manager::state`](crate::Manager::state) does; for tests that run a controller alone.
    pub fn with_state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.insert(value);
        self
    }

    /// The value of type `T` that `main.rs` gave the manager ([`Manager::state`](crate::Manager::state)):
    /// a flag, a client of another service, a field manager.
    ///
    /// # Errors
    /// [`Error::MissingState`] when none was given, naming the type.
    ///
    /// ```
    /// # use kube_operator_runtime::Shared;
    /// struct Settings { image: String }
    /// # fn example(client: kube::Client) -> Result<(), kube_operator_runtime::Error> {
    /// let shared = Shared::new(client).with_state(Settings { image: "nginx:1.29".into() });
    /// assert_eq!(shared.state::<Settings>()?.image, "nginx:1.29");
    /// # Ok(())
    /// # }
    /// ```
    pub fn state<T: Send + Sync + 'static>(&self) -> Result<Arc<T>, Error> {
        self.states.get()
    }
}

/// A kube `Controller` made by [`ControllerBuilder::build`], with what running it needs.
#[non_exhaustive]
pub struct ManagedController<K>
where
    K: Reconciled,
{
    /// The name that labels this controller's logs and metrics.
    pub name: &'static str,
    /// The kube controller itself, for what [`ControllerBuilder`] does not offer. Watches added
    /// to it directly are plain kube watchers: no per-watch backoff, no readiness, and their
    /// first list is not waited for.
    pub controller: Controller<K>,
    /// The cache of every object the controller watches.
    pub cache: Store<K>,
    backoff: ErrorBackoff<K>,
    /// Every watch's first list, which reconciles wait for.
    caches: Vec<CacheSync>,
    concurrency: u16,
    shared: Shared,
}

impl<K> ManagedController<K>
where
    K: Reconciled,
{
    /// Changes the controller, such as to add watches.
    pub fn map(mut self, change: impl FnOnce(Controller<K>) -> Controller<K>) -> Self {
        self.controller = change(self.controller);
        self
    }

    /// The per-object backoff of this controller: put a clone in the reconciler's context, and
    /// let `error_policy` ask it how long to wait. Successful reconciles and deleted objects
    /// reset it.
    pub fn backoff(&self) -> ErrorBackoff<K> {
        self.backoff.clone()
    }

    /// Reconciles until the manager stops, counting and timing each reconcile
    /// (`controller_runtime_reconcile_*`). No reconcile starts before every watch of the
    /// controller has its first list. Failed reconciles are logged by `error_policy`,
    /// which decides when to retry.
    pub async fn run<Ctx, E, Fut>(
        self,
        mut reconcile: impl FnMut(Arc<K>, Arc<Ctx>) -> Fut,
        error_policy: impl Fn(Arc<K>, &E, Arc<Ctx>) -> Action,
        context: Arc<Ctx>,
    ) where
        Ctx: Send + Sync + 'static,
        E: std::error::Error + ErrorReason + Send + 'static,
        Fut: Future<Output = Result<Action, E>> + Send + 'static,
    {
        let Self {
            name,
            controller,
            backoff,
            caches,
            concurrency,
            shared,
            ..
        } = self;
        let metrics = shared
            .metrics
            .controller_with_concurrency(name, concurrency);
        let synced = AllSynced::new(caches);
        controller
            .run(
                move |obj, ctx| {
                    let synced = synced.clone();
                    let reconciling = metrics.clone().measure(reconcile(obj, ctx));
                    async move {
                        synced.wait().await;
                        reconciling.await
                    }
                },
                error_policy,
                context,
            )
            .for_each(|result| {
                match result {
                    Ok((obj, _)) => backoff.reset(&obj),
                    // Already logged by error_policy.
                    Err(controller::Error::ReconcilerFailed(..)) => {}
                    // A requeued object that was deleted meanwhile: nothing to do.
                    Err(controller::Error::ObjectNotFound(obj)) => {
                        debug!(controller = name, object = %obj, "object is gone");
                        let mut gone = ObjectRef::<K>::new(&obj.name);
                        gone.namespace = obj.namespace;
                        backoff.reset(&gone);
                    }
                    Err(err) => warn!(controller = name, error = %err, "controller error"),
                }
                future::ready(())
            })
            .await;
        debug!(controller = name, "controller stopped");
    }
}

/// Whether every cache of a controller holds its first list; after the first yes, a load.
#[derive(Clone)]
struct AllSynced {
    caches: Arc<[CacheSync]>,
    done: Arc<AtomicBool>,
}

impl AllSynced {
    fn new(caches: Vec<CacheSync>) -> Self {
        Self {
            caches: caches.into(),
            done: Arc::default(),
        }
    }

    async fn wait(&self) {
        if self.done.load(Ordering::Acquire) {
            return;
        }
        for cache in self.caches.iter() {
            cache.wait().await;
        }
        self.done.store(true, Ordering::Release);
    }
}

/// The objects of a namespaced kind that a controller watches: those in the namespace of the
/// kubeconfig (or of the Pod the manager runs in) when the project is `namespaced`, else those
/// in every namespace. Projects pass their registry's `NAMESPACED`, so switching a project's
/// scope (`cargo operator edit --namespaced`) changes one constant, not every controller.
///
/// ```no_run
/// # use k8s_openapi::api::core::v1::ConfigMap;
/// # fn example(client: kube::Client) {
/// let config_maps = kube_operator_runtime::watched_api::<ConfigMap>(client, false);
/// # }
/// ```
pub fn watched_api<K>(client: Client, namespaced: bool) -> Api<K>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>,
{
    if namespaced {
        Api::default_namespaced(client)
    } else {
        Api::all(client)
    }
}

/// Fails fast, as controller-runtime does, when the API server does not serve `K` (its CRD is
/// not installed) or cannot be reached: a controller whose watch never succeeds would otherwise
/// only log retries.
///
/// ```no_run
/// # use k8s_openapi::api::core::v1::ConfigMap;
/// # async fn example(client: kube::Client) -> Result<(), kube_operator_runtime::Error> {
/// kube_operator_runtime::ensure_served(&kube::Api::<ConfigMap>::all(client)).await?;
/// # Ok(())
/// # }
/// ```
pub async fn ensure_served<K>(api: &Api<K>) -> Result<(), Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
{
    let kind = || format!("{}/{}", K::api_version(&()), K::kind(&()));
    match api.list_metadata(&ListParams::default().limit(1)).await {
        Ok(_) => Ok(()),
        // A 404 with a plain-text body for a group/version nobody serves.
        Err(kube::Error::Api(status)) if status.code == 404 => {
            Err(Error::NotServed { kind: kind() })
        }
        Err(source) => Err(Error::CannotList {
            kind: kind(),
            source,
        }),
    }
}

/// Per-object exponential backoff for failed reconciles (1 s, 2 s, 4 s, … up to 5 minutes), so
/// one broken object is retried quickly at first without hammering the API server when it stays
/// broken. Clones share the counts.
///
/// ```
/// use std::time::Duration;
/// use k8s_openapi::api::core::v1::ConfigMap;
/// use kube::runtime::reflector::ObjectRef;
/// use kube_operator_runtime::ErrorBackoff;
///
/// let backoff = ErrorBackoff::<ConfigMap>::default();
/// let mut settings = ConfigMap::default();
/// settings.metadata.name = Some("settings".into());
/// assert_eq!(backoff.next_delay(&settings), Duration::from_secs(1));
/// assert_eq!(backoff.next_delay(&settings), Duration::from_secs(2));
/// backoff.reset(&ObjectRef::from_obj(&settings));
/// assert_eq!(backoff.next_delay(&settings), Duration::from_secs(1));
/// ```
pub struct ErrorBackoff<K: Resource<DynamicType = ()>> {
    failures: Arc<Mutex<HashMap<ObjectRef<K>, u32>>>,
}

impl<K: Resource<DynamicType = ()>> Clone for ErrorBackoff<K> {
    fn clone(&self) -> Self {
        Self {
            failures: self.failures.clone(),
        }
    }
}

impl<K: Resource<DynamicType = ()>> Default for ErrorBackoff<K> {
    fn default() -> Self {
        Self {
            failures: Arc::default(),
        }
    }
}

impl<K: Resource<DynamicType = ()>> ErrorBackoff<K> {
    const FIRST: Duration = Duration::from_secs(1);
    const MAX: Duration = Duration::from_secs(300);

    /// Counts one more failure of `obj` and returns how long to wait before retrying it.
    pub fn next_delay(&self, obj: &K) -> Duration {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let count = failures.entry(ObjectRef::from_obj(obj)).or_insert(0);
        let delay = Self::FIRST
            .saturating_mul(1 << (*count).min(16))
            .min(Self::MAX);
        *count = count.saturating_add(1);
        delay
    }

    /// Forgets the failures of an object that reconciled successfully or is gone.
    pub fn reset(&self, obj: &ObjectRef<K>) {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(obj);
    }

    /// How many objects have failures on record.
    pub fn len(&self) -> usize {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no object has failures on record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::core::ObjectMeta;

    #[test]
    fn error_backoff_doubles_per_failure_and_resets() {
        let backoff = ErrorBackoff::<ConfigMap>::default();
        let obj = ConfigMap {
            metadata: ObjectMeta {
                name: Some("settings".into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let delays: Vec<u64> = (0..12)
            .map(|_| backoff.next_delay(&obj).as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        assert_eq!(backoff.clone().len(), 1);

        backoff.reset(&ObjectRef::from_obj(&obj));
        assert!(backoff.is_empty());
        assert_eq!(backoff.next_delay(&obj), Duration::from_secs(1));
    }

    #[tokio::test]
    async fn ensure_served_reports_a_kind_the_api_server_does_not_serve() {
        let (client, mut handle) = crate::test_support::mock_client();
        let checking = tokio::spawn(async move {
            ensure_served(&Api::<ConfigMap>::all(client))
                .await
                .map_err(|err| err.to_string())
        });

        // What the API server answers for a CRD that is not installed.
        let (request, respond) = handle.next_request().await.unwrap();
        assert_eq!(request.uri().path(), "/api/v1/configmaps");
        assert_eq!(request.uri().query(), Some("&limit=1"));
        let mut response =
            http::Response::new(kube::client::Body::from(b"404 page not found".to_vec()));
        *response.status_mut() = http::StatusCode::NOT_FOUND;
        respond.send_response(response);

        let error = checking.await.unwrap().unwrap_err();
        assert_eq!(
            error,
            "v1/ConfigMap is not served by the API server; is its CRD installed? (`make install`)"
        );
    }
}
