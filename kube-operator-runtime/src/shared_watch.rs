//! One watch and one cache per kind (and selector) in a manager, however many controllers use
//! them: controller-runtime's shared informers.
//!
//! The first controller to ask for a watch starts it on a task of its own; each controller gets
//! its own stream of the objects the watch touches, and the same store. A controller that comes
//! later gets every object already listed, and is synced at once if the first list is in. Each
//! stream holds at most [`BUFFERED`] objects: the watch waits for a controller that falls
//! behind, as a watch feeding one controller directly would, rather than hold a copy of
//! every object.
//!
//! kube's own shared streams (`reflect_shared`) are not used: they are behind an unstable
//! feature, and drop deleted objects (the runtime triggers on deletes so that a pending requeue
//! of a gone object is dropped at once).

use std::{
    any::{Any, TypeId},
    collections::HashMap,
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
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::{index::Index, initial_list::watch_objects, kind::Reconciled, readiness::CacheSync};

/// How many touched objects a controller's stream holds before the watch waits for it.
const BUFFERED: usize = 256;

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
        K: Reconciled,
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
    objects: mpsc::Sender<Option<K>>,
    synced: CacheSync,
}

impl<K> SharedWatch<K>
where
    K: Reconciled,
{
    fn start(api: Api<K>, config: watcher::Config, shutdown: CancellationToken) -> Arc<Self> {
        let events = watch_objects(api, config)
            // Nothing the runtime reads needs managed fields, and they are often most of an
            // object's size.
            .modify(|obj| obj.managed_fields_mut().clear());
        Self::fed_by(events, shutdown)
    }

    /// The watch fed by `events`, on a task of its own until `shutdown`.
    fn fed_by(
        events: impl Stream<Item = watcher::Result<watcher::Event<K>>> + Send + 'static,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let (store, writer) = reflector::store();
        let watch = Arc::new(Self {
            store,
            state: Mutex::new(Fanout {
                listed: false,
                subscribers: Vec::new(),
                indexes: Vec::new(),
            }),
        });
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
            // Decided under the lock, sent after it: a send may wait for a slow controller.
            let (touched, receivers) = {
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
                state
                    .subscribers
                    .retain(|subscriber| !subscriber.objects.is_closed());
                let touched = match event {
                    // Deleted objects trigger too: a deleted object's pending requeue (often
                    // minutes away) then comes due at once and is dropped as `ObjectNotFound`,
                    // instead of holding memory until it fires. The reconciler never sees them.
                    watcher::Event::Apply(obj)
                    | watcher::Event::InitApply(obj)
                    | watcher::Event::Delete(obj) => obj,
                    watcher::Event::InitDone => {
                        state.listed = true;
                        for subscriber in &state.subscribers {
                            subscriber.synced.mark_synced();
                            // kube's controller waits for the store with `wait_until_ready`,
                            // which wakes only the last of several waiters: every other
                            // controller of this store is woken here, so that it looks again.
                            // A full stream has objects to wake it already.
                            let _ = subscriber.objects.try_send(None);
                        }
                        continue;
                    }
                    watcher::Event::Init => continue,
                };
                let receivers: Vec<_> = state
                    .subscribers
                    .iter()
                    .map(|subscriber| subscriber.objects.clone())
                    .collect();
                (touched, receivers)
            };
            for receiver in receivers {
                // A controller that stopped is dropped at the next event.
                let _ = receiver.send(Some(touched.clone())).await;
            }
        }
    }

    /// The objects the watch touches from now on, for one controller; `synced` is marked when
    /// the first list is in (now, if it is). Objects listed already come first.
    pub(crate) fn subscribe(
        &self,
        synced: CacheSync,
    ) -> impl Stream<Item = watcher::Result<K>> + Send + 'static + use<K> {
        let mut state = lock(&self.state);
        let listed = if state.listed {
            synced.mark_synced();
            self.store.state()
        } else {
            Vec::new()
        };
        let (objects, received) = mpsc::channel(BUFFERED);
        state.subscribers.push(Subscriber { objects, synced });
        // What was listed before this controller came, then what the watch touches.
        let listed = futures::stream::iter(listed.into_iter().map(|obj| Ok(K::clone(&obj))));
        listed.chain(tokio_stream_of(received))
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
    mut received: mpsc::Receiver<Option<K>>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readiness::Readiness;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::core::ObjectMeta;
    use watcher::Event::{Delete, Init, InitApply, InitDone};

    fn config_map(name: &str) -> ConfigMap {
        ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// The names of the next `count` objects of `stream`.
    async fn next_names(
        stream: &mut (impl Stream<Item = watcher::Result<ConfigMap>> + Unpin),
        count: usize,
    ) -> Vec<String> {
        let mut names = Vec::new();
        for _ in 0..count {
            let obj = tokio::time::timeout(std::time::Duration::from_secs(5), stream.next())
                .await
                .expect("an object was not passed on")
                .unwrap()
                .unwrap();
            names.push(obj.metadata.name.unwrap());
        }
        names
    }

    #[tokio::test]
    async fn every_controller_sees_every_object_and_a_late_one_starts_from_the_store() {
        // More than a stream holds: the watch waits for the slower controller.
        let count = 3 * BUFFERED;
        let (feed, events) = futures::channel::mpsc::unbounded();
        let watch = SharedWatch::<ConfigMap>::fed_by(events, CancellationToken::new());
        let readiness = Readiness::default();
        let mut first = Box::pin(watch.subscribe(readiness.cache_of("first", "ConfigMap")));
        let mut second = Box::pin(watch.subscribe(readiness.cache_of("second", "ConfigMap")));

        feed.unbounded_send(Ok(Init)).unwrap();
        for n in 0..count {
            feed.unbounded_send(Ok(InitApply(config_map(&format!("cm-{n}")))))
                .unwrap();
        }
        feed.unbounded_send(Ok(InitDone)).unwrap();
        let expected: Vec<String> = (0..count).map(|n| format!("cm-{n}")).collect();
        // Each controller drains its stream on its own, as the manager's tasks do.
        let (seen_first, seen_second) = tokio::join!(
            next_names(&mut first, count),
            next_names(&mut second, count)
        );
        assert_eq!(seen_first, expected);
        assert_eq!(seen_second, expected);
        tokio::time::timeout(std::time::Duration::from_secs(5), async {
            while !(readiness.is_synced("first") && readiness.is_synced("second")) {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the first list did not mark both controllers synced");
        assert_eq!(watch.store().state().len(), count);

        // A controller that comes later starts from what was listed, synced at once.
        let mut late = Box::pin(watch.subscribe(readiness.cache_of("late", "ConfigMap")));
        assert!(readiness.is_synced("late"));
        assert_eq!(next_names(&mut late, count).await.len(), count);

        // A deletion reaches every controller.
        feed.unbounded_send(Ok(Delete(config_map("cm-7")))).unwrap();
        for stream in [&mut first, &mut second, &mut late] {
            assert_eq!(next_names(stream, 1).await, ["cm-7"]);
        }
        assert_eq!(watch.store().state().len(), count - 1);
    }
}
