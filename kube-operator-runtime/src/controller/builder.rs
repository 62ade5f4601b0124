//! [`ControllerBuilder`]: one controller's watches, set up in one place and run through the
//! runtime's own watch machinery.
//!
//! kube's `Controller::owns` and `Controller::watches` build plain watchers whose only pause
//! after an error is the controller's trigger backoff, which the runtime sets to zero (each of
//! its watches pauses by itself). A watch added that way meets a 403 in a tight loop. Every watch
//! added here is a runtime watch instead: its own backoff, a streamed first list, managed
//! fields dropped, its first list counted towards readiness, and reconciles held until every
//! watch of the controller has listed once.

use std::sync::Arc;

use futures::Stream;
use kube::{
    Api, Resource,
    core::PartialObjectMeta,
    runtime::{Controller, Predicate, WatchStreamExt, controller, reflector::ObjectRef, watcher},
};
use tracing::info;

use super::{ErrorBackoff, ManagedController, Shared};
use crate::{
    concurrency::MAX_CONCURRENT_RECONCILES, index::Index, kind::Reconciled,
    presence::PresenceWatch, readiness::CacheSync, watch_backoff::SourcesPauseThemselves,
};

type BoxPredicate<K> = Box<dyn Fn(&K) -> Option<u64> + Send + Sync>;
type AddTrigger<K> = Box<dyn FnOnce(Controller<K>) -> Controller<K> + Send>;

/// One controller, as controller-runtime's builder and kube's `Controller` describe it: the
/// kind it reconciles, which of its objects and changes it sees, the kinds it owns or watches,
/// and how many reconciles may run at once. Made by [`Shared::controller`].
///
/// ```no_run
/// # use std::sync::Arc;
/// # use k8s_openapi::api::{apps::v1::Deployment, core::v1::{ConfigMap, Secret}};
/// # use kube::{Api, runtime::{controller::Action, predicates, reflector::ObjectRef, watcher}};
/// # use kube_operator_runtime::Shared;
/// # async fn reconcile(obj: Arc<ConfigMap>, _ctx: Arc<()>) -> Result<Action, kube::Error> {
/// #     Ok(Action::await_change())
/// # }
/// # fn error_policy(_obj: Arc<ConfigMap>, _error: &kube::Error, _ctx: Arc<()>) -> Action {
/// #     Action::await_change()
/// # }
/// async fn run(shared: Shared) -> Result<(), kube::Error> {
///     let client = shared.client.clone();
///     shared
///         .controller(Api::<ConfigMap>::all(client.clone()))
///         // Only the config maps labelled for this operator.
///         .with_config(watcher::Config::default().labels("app.kubernetes.io/managed-by=widgets"))
///         // Deployments whose controller owner reference names a config map.
///         .owns(Api::<Deployment>::all(client.clone()))
///         // A Secret triggers the config map of the same name.
///         .watches(Api::<Secret>::all(client), |secret: Secret| {
///             Some(ObjectRef::<ConfigMap>::new(&secret.metadata.name?).within(&secret.metadata.namespace?))
///         })
///         .concurrency(4)
///         .run(reconcile, error_policy, Arc::new(()))
///         .await;
///     Ok(())
/// }
/// ```
///
/// # Guarantees
/// - Each watch pauses after its own errors (0.8 s doubling to 10 s, with jitter) and re-lists
///   at once after its watch expires; an RBAC slip on an added kind never spins.
/// - No reconcile starts before every watch of the controller has its first list: a reconcile
///   never decides from a half-filled view.
/// - `/readyz` and `--cache-sync-timeout` name each watch's kind and its last error.
///
/// # Caveats
/// - A predicate filters only the reconciled kind's own changes, as controller-runtime's
///   `WithEventFilter` on `For`. A generation predicate lets no status-only or metadata-only
///   change through, deletion included; use [`finalizer`](crate::finalizer::finalizer) for
///   cleanup that must run.
#[must_use = "a controller does nothing until it is run"]
pub struct ControllerBuilder<K: Reconciled> {
    shared: Shared,
    name: &'static str,
    api: Api<K>,
    config: watcher::Config,
    predicate: Option<BoxPredicate<K>>,
    concurrency: u16,
    indexes: Vec<Index<K>>,
    triggers: Vec<AddTrigger<K>>,
    /// Every other watch's first list, which reconciles wait for.
    caches: Vec<CacheSync>,
    backoff: ErrorBackoff<K>,
    /// What feeds the controller besides its own kind, for the startup log.
    sources: Vec<String>,
}

impl Shared {
    /// A controller of `api`'s objects, named as the manager registered it
    /// ([`Manager::controller`](crate::Manager::controller)); outside a manager, after its kind
    /// in lower case. Add watches and options, then [`run`](ControllerBuilder::run) it.
    pub fn controller<K: Reconciled>(&self, api: Api<K>) -> ControllerBuilder<K> {
        ControllerBuilder::new(self.clone(), self.controller_name::<K>(), api)
    }

    /// The name the manager registered this handle's controller under; outside a manager,
    /// `K`'s kind in lower case.
    pub(crate) fn controller_name<K: Resource<DynamicType = ()>>(&self) -> &'static str {
        self.controller_name.unwrap_or_else(|| {
            // A controller run outside a manager, as in tests: named once per watch it makes,
            // so the leak is bounded by the watches started.
            Box::leak(K::kind(&()).to_lowercase().into_boxed_str())
        })
    }
}

impl<K: Reconciled> ControllerBuilder<K> {
    pub(super) fn new(shared: Shared, name: &'static str, api: Api<K>) -> Self {
        Self {
            shared,
            name,
            api,
            config: watcher::Config::default(),
            predicate: None,
            concurrency: MAX_CONCURRENT_RECONCILES,
            indexes: Vec::new(),
            triggers: Vec::new(),
            caches: Vec::new(),
            backoff: ErrorBackoff::default(),
            sources: Vec::new(),
        }
    }

    /// The name that labels this controller's logs, metrics and readiness.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Watches only the objects `config` selects (label and field selectors, a page size):
    /// controller-runtime's `WithEventFilter` by label, done by the API server.
    pub fn with_config(mut self, config: watcher::Config) -> Self {
        self.config = config;
        self
    }

    /// Reconciles an object only when `predicate`'s hash of it changes, such as
    /// `kube::runtime::predicates::generation` (controller-runtime's
    /// `GenerationChangedPredicate`): status updates, the controller's own included, then
    /// trigger nothing.
    pub fn predicate(mut self, predicate: impl Predicate<K> + Send + Sync + 'static) -> Self {
        self.predicate = Some(Box::new(move |obj: &K| predicate.hash_property(obj)));
        self
    }

    /// At most `concurrency` reconciles at once (different objects; one object is never
    /// reconciled twice at once); [`MAX_CONCURRENT_RECONCILES`] unless set. controller-runtime's
    /// `MaxConcurrentReconciles`. 0 means no limit.
    pub fn concurrency(mut self, concurrency: u16) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// Keeps `index` current with this controller's cache, so that a trigger can find the
    /// objects with a key without visiting every object (controller-runtime's field index).
    pub fn index(mut self, index: &Index<K>) -> Self {
        self.indexes.push(index.clone());
        self
    }

    /// Reconciles the owner of each `C` whose controller owner reference names a `K`, when the
    /// `C` changes or goes: controller-runtime's `Owns`. Give children that reference with
    /// [`apply_owned`](crate::owned::apply_owned).
    pub fn owns<C: Reconciled>(self, api: Api<C>) -> Self {
        self.owns_with(api, watcher::Config::default())
    }

    /// Like [`owns`](Self::owns), watching only the children `config` selects.
    pub fn owns_with<C: Reconciled>(mut self, api: Api<C>, config: watcher::Config) -> Self {
        let children = self.watch(api, config);
        self.triggers
            .push(Box::new(move |controller| controller.owns_stream(children)));
        self
    }

    /// Reconciles the objects `mapper` names for each `W` that changes or goes:
    /// controller-runtime's `Watches` with `EnqueueRequestsFromMapFunc`.
    pub fn watches<W, I>(self, api: Api<W>, mapper: impl Fn(W) -> I + Send + Sync + 'static) -> Self
    where
        W: Reconciled,
        I: IntoIterator<Item = ObjectRef<K>> + 'static,
        I::IntoIter: Send,
    {
        self.watches_with(api, watcher::Config::default(), mapper)
    }

    /// Like [`watches`](Self::watches), watching only the objects `config` selects.
    pub fn watches_with<W, I>(
        mut self,
        api: Api<W>,
        config: watcher::Config,
        mapper: impl Fn(W) -> I + Send + Sync + 'static,
    ) -> Self
    where
        W: Reconciled,
        I: IntoIterator<Item = ObjectRef<K>> + 'static,
        I::IntoIter: Send,
    {
        let others = self.watch(api, config);
        self.triggers.push(Box::new(move |controller| {
            controller.watches_stream(others, mapper)
        }));
        self
    }

    /// Reconciles the objects `mapper` names for each `W` that appears or disappears, from a
    /// [`PresenceWatch`] (made by [`Shared::watch_presence`]; keep a clone of its `names` for the
    /// reconciler first).
    pub fn watches_presence<W, I>(
        mut self,
        presence: PresenceWatch<W>,
        mapper: impl Fn(PartialObjectMeta<W>) -> I + Send + Sync + 'static,
    ) -> Self
    where
        W: Reconciled,
        I: IntoIterator<Item = ObjectRef<K>> + 'static,
        I::IntoIter: Send,
    {
        self.sources
            .push(format!("metadata source: {}", W::kind(&())));
        self.caches.push(presence.synced);
        let changes = presence.changes;
        self.triggers.push(Box::new(move |controller| {
            controller.watches_stream(changes, mapper)
        }));
        self
    }

    /// The per-object backoff of this controller: put a clone in the reconciler's context, and
    /// let `error_policy` ask it how long to wait. Successful reconciles and deleted objects
    /// reset it.
    pub fn backoff(&self) -> ErrorBackoff<K> {
        self.backoff.clone()
    }

    /// Reconciles until the manager stops: see [`ManagedController::run`].
    pub async fn run<Ctx, E, Fut>(
        self,
        reconcile: impl FnMut(Arc<K>, Arc<Ctx>) -> Fut,
        error_policy: impl Fn(Arc<K>, &E, Arc<Ctx>) -> controller::Action,
        context: Arc<Ctx>,
    ) where
        Ctx: Send + Sync + 'static,
        E: std::error::Error + crate::metrics::ErrorReason + Send + 'static,
        Fut: std::future::Future<Output = Result<controller::Action, E>> + Send + 'static,
    {
        self.build().run(reconcile, error_policy, context).await;
    }

    /// The kube `Controller` with every watch added, for what this builder does not offer
    /// (`ManagedController::map`).
    pub fn build(self) -> ManagedController<K> {
        let Self {
            shared,
            name,
            api,
            config,
            predicate,
            concurrency,
            indexes,
            triggers,
            mut caches,
            backoff,
            sources,
        } = self;
        info!(
            controller = name,
            group = &*K::group(&()),
            kind = &*K::kind(&()),
            "starting controller"
        );
        for source in [format!("kind source: {}", K::kind(&()))]
            .into_iter()
            .chain(sources)
        {
            info!(controller = name, source, "starting event source");
        }
        // Shared with every controller of the manager that watches the same objects.
        let watch = shared.watches.watch(api, config, &shared.shutdown);
        for index in indexes {
            watch.add_index(index);
        }
        let synced = shared.readiness.cache_of(name, K::kind(&()));
        caches.push(synced.clone());
        let touched = watch.subscribe(synced);
        let cache = watch.store();
        let controller = match predicate {
            Some(predicate) => Controller::for_stream(
                touched.predicate_filter(predicate, Default::default()),
                cache.clone(),
            ),
            None => Controller::for_stream(touched, cache.clone()),
        };
        let controller = triggers.into_iter().fold(
            controller
                .with_config(controller::Config::default().concurrency(concurrency))
                .trigger_backoff(SourcesPauseThemselves)
                .graceful_shutdown_on(shared.shutdown.clone().cancelled_owned()),
            |controller, add| add(controller),
        );
        ManagedController {
            name,
            controller,
            cache,
            backoff,
            caches,
            concurrency,
            shared,
        }
    }

    /// A watch of another kind for this controller, shared with the manager's other
    /// controllers, registered for readiness now.
    fn watch<W: Reconciled>(
        &mut self,
        api: Api<W>,
        config: watcher::Config,
    ) -> impl Stream<Item = watcher::Result<W>> + Send + 'static {
        self.sources.push(format!("kind source: {}", W::kind(&())));
        let synced = self.shared.readiness.cache_of(self.name, W::kind(&()));
        self.caches.push(synced.clone());
        let shared = &self.shared;
        shared
            .watches
            .watch(api, config, &shared.shutdown)
            .subscribe(synced)
    }
}
