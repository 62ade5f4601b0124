//! One watch and one cache per kind (and selector) in a manager, however many controllers use
//! them: controller-runtime's shared informers.
//!
//! The first controller to ask for a watch starts it on a task of its own; each controller gets
//! its own stream of the objects the watch touches, and the same store. A controller that comes
//! later gets every object already listed, and is synced at once if the first list is in.
//!
//! kube's own shared streams (`reflect_shared`) are not used: they are behind an unstable
//! feature, drop deleted objects (the runtime triggers on deletes so that a pending requeue of
//! a gone object is dropped at once), and let one slow subscriber hold up the watch for all.

use std::{
    any::{Any, TypeId},
    collections::HashMap,
    fmt::Debug,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use futures::{Stream, StreamExt};
use kube::{
    Api, Resource, ResourceExt,
    runtime::{
        WatchStreamExt,
        reflector::{self, Store, store::Writer},
        watcher,
    },
};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::{CacheSync, Index, initial_list::watch_objects};

/// The watches of one manager, by kind, URL and selectors. Cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct SharedWatches {
    watches: Arc<Mutex<HashMap<WatchKey, Arc<dyn Any + Send + Sync>>>>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct WatchKey {
    kind: TypeId,
    url: String,
    labels: Option<String>,
    fields: Option<String>,
}

impl std::fmt::Debug for SharedWatches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedWatches")
            .field("watches", &lock(&self.watches).len())
            .finish()
    }
}

impl SharedWatches {
    /// The watch of the objects of `api` that `config` selects, started on first use and
    /// stopped with `shutdown`.
    pub(crate) fn watch<K>(
        &self,
        api: Api<K>,
        config: watcher::Config,
        shutdown: &CancellationToken,
    ) -> Arc<SharedWatch<K>>
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    {
        let key = WatchKey {
            kind: TypeId::of::<K>(),
            url: api.resource_url().to_string(),
            labels: config.label_selector.clone(),
            fields: config.field_selector.clone(),
        };
        let mut watches = lock(&self.watches);
        if let Some(watch) = watches
            .get(&key)
            .and_then(|watch| watch.clone().downcast().ok())
        {
            return watch;
        }
        let watch = SharedWatch::start(api, config, shutdown.clone());
        watches.insert(key, watch.clone());
        watch
    }
}

/// One watch, its store, and the controllers fed by it.
pub(crate) struct SharedWatch<K: Resource<DynamicType = ()> + 'static> {
    store: Store<K>,
    state: Mutex<Fanout<K>>,
}

struct Fanout<K: Resource<DynamicType = ()> + 'static> {
    /// Whether the first list is in.
    listed: bool,
    subscribers: Vec<Subscriber<K>>,
    indexes: Vec<Index<K>>,
}

struct Subscriber<K> {
    /// An object touched, or `None` to wake the controller once the store is ready.
    objects: mpsc::UnboundedSender<Option<K>>,
    synced: CacheSync,
}

impl<K> SharedWatch<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    fn start(api: Api<K>, config: watcher::Config, shutdown: CancellationToken) -> Arc<Self> {
        let (store, writer) = reflector::store();
        let watch = Arc::new(Self {
            store,
            state: Mutex::new(Fanout {
                listed: false,
                subscribers: Vec::new(),
                indexes: Vec::new(),
            }),
        });
        let events = watch_objects(api, config)
            // Nothing the runtime reads needs managed fields, and they are often most of an
            // object's size.
            .modify(|obj| obj.managed_fields_mut().clear());
        let running = watch.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = running.run(events, writer) => {}
                () = shutdown.cancelled() => {}
            }
        });
        watch
    }

    async fn run(
        &self,
        events: impl Stream<Item = watcher::Result<watcher::Event<K>>>,
        mut writer: Writer<K>,
    ) {
        let mut events = std::pin::pin!(events);
        while let Some(event) = events.next().await {
            let mut state = lock(&self.state);
            let event = match event {
                Ok(event) => event,
                Err(err) => {
                    if !state.listed {
                        for subscriber in &state.subscribers {
                            subscriber.synced.record_error(&err);
                        }
                    }
                    continue;
                }
            };
            for index in &state.indexes {
                index.apply_watcher_event(&event);
            }
            writer.apply_watcher_event(&event);
            match &event {
                // Deleted objects trigger too: a deleted object's pending requeue (often
                // minutes away) then comes due at once and is dropped as `ObjectNotFound`,
                // instead of holding memory until it fires. The reconciler never sees them.
                watcher::Event::Apply(obj)
                | watcher::Event::InitApply(obj)
                | watcher::Event::Delete(obj) => {
                    state
                        .subscribers
                        .retain(|subscriber| subscriber.objects.send(Some(obj.clone())).is_ok());
                }
                watcher::Event::InitDone => {
                    state.listed = true;
                    for subscriber in &state.subscribers {
                        subscriber.synced.mark_synced();
                        // kube's controller waits for the store with `wait_until_ready`, which
                        // wakes only the last of several waiters: every other controller of
                        // this store is woken here, so that it looks again.
                        let _ = subscriber.objects.send(None);
                    }
                }
                watcher::Event::Init => {}
            }
        }
    }

    /// The objects the watch touches from now on, for one controller; `synced` is marked when
    /// the first list is in (now, if it is). Objects listed already come first.
    pub(crate) fn subscribe(
        &self,
        synced: CacheSync,
    ) -> impl Stream<Item = watcher::Result<K>> + Send + 'static + use<K> {
        let (objects, received) = mpsc::unbounded_channel();
        let mut state = lock(&self.state);
        if state.listed {
            for obj in self.store.state() {
                let _ = objects.send(Some(K::clone(&obj)));
            }
            synced.mark_synced();
        }
        state.subscribers.push(Subscriber { objects, synced });
        tokio_stream_of(received)
    }

    /// Keeps `index` current with the watch, filled with what it holds already.
    pub(crate) fn add_index(&self, index: Index<K>) {
        let mut state = lock(&self.state);
        if state.listed {
            index.apply_watcher_event(&watcher::Event::Init);
            for obj in self.store.state() {
                index.apply_watcher_event(&watcher::Event::InitApply(K::clone(&obj)));
            }
            index.apply_watcher_event(&watcher::Event::InitDone);
        }
        state.indexes.push(index);
    }

    /// The cache every controller of the watch reads.
    pub(crate) fn store(&self) -> Store<K> {
        self.store.clone()
    }
}

/// The objects `received`, leaving out the wake-ups (after which the stream is pending again,
/// the controller having been polled).
fn tokio_stream_of<K: Send + 'static>(
    mut received: mpsc::UnboundedReceiver<Option<K>>,
) -> impl Stream<Item = watcher::Result<K>> + Send + 'static {
    futures::stream::poll_fn(move |cx| {
        loop {
            match received.poll_recv(cx) {
                std::task::Poll::Ready(Some(None)) => continue,
                std::task::Poll::Ready(Some(Some(obj))) => {
                    return std::task::Poll::Ready(Some(Ok(obj)));
                }
                std::task::Poll::Ready(None) => return std::task::Poll::Ready(None),
                std::task::Poll::Pending => return std::task::Poll::Pending,
            }
        }
    })
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
