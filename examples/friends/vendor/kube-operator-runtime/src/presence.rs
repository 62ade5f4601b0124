//! Watching another kind for objects that appear or disappear, through a cache of their names.
//!
//! A controller whose objects refer to others by name (a Foo looking for a Pod called
//! `spec.name`) needs to know which exist, not what they hold. [`Shared::watch_presence`] keeps
//! a metadata-only cache of name and namespace, and yields an object only when it appears or
//! disappears: a Pod that changes a few times per second while it starts triggers nothing.

use std::{collections::HashSet, fmt::Debug};

use futures::{Stream, StreamExt, stream, stream::BoxStream};
use kube::{
    Api, Resource,
    core::{ObjectMeta, PartialObjectMeta},
    runtime::{
        WatchStreamExt,
        reflector::{self, ObjectRef, Store, store::Writer},
        watcher,
    },
};
use serde::de::DeserializeOwned;
use tracing::info;

use crate::{CacheSync, Shared, watch_backoff::backoff_unless_expired};

/// A metadata-only cache of one kind, and the stream of its objects that appeared or
/// disappeared. Made by [`Shared::watch_presence`].
#[non_exhaustive]
pub struct PresenceWatch<K: Resource<DynamicType = ()> + 'static> {
    /// Name and namespace of every object of the kind, kept current.
    pub cache: Store<PartialObjectMeta<K>>,
    /// Set once `cache` holds the first list; a reconciler reading `cache` waits for it.
    pub synced: CacheSync,
    /// Each object that appeared or disappeared, once `cache` shows the change; feed it to
    /// `Controller::watches_stream`.
    pub changes: BoxStream<'static, watcher::Result<PartialObjectMeta<K>>>,
}

impl Shared {
    /// Watches the metadata of `api`'s objects for the controller `controller`, keeping only
    /// their names and namespaces: see [`PresenceWatch`]. The cache counts towards
    /// `controller`'s readiness.
    ///
    /// ```no_run
    /// # use k8s_openapi::api::core::v1::Pod;
    /// # use kube::{Api, core::PartialObjectMeta};
    /// # fn example(shared: kube_operator_runtime::Shared) {
    /// let pods = shared.watch_presence("foo", Api::<PartialObjectMeta<Pod>>::all(shared.client.clone()));
    /// let jack_exists = pods.cache.find(|pod| pod.metadata.name.as_deref() == Some("jack")).is_some();
    /// # }
    /// ```
    pub fn watch_presence<K>(
        &self,
        controller: &'static str,
        api: Api<PartialObjectMeta<K>>,
    ) -> PresenceWatch<K>
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    {
        info!(
            controller,
            source = format!("metadata source: {}", K::kind(&())),
            "starting event source"
        );
        let (cache, writer) = reflector::store();
        let events =
            backoff_unless_expired(watcher(api, watcher::Config::default().any_semantic())).modify(
                |obj| {
                    // Only names matter; dropping labels, annotations and managed fields keeps the
                    // cache small in large clusters.
                    let meta = &mut obj.metadata;
                    *meta = ObjectMeta {
                        name: meta.name.take(),
                        namespace: meta.namespace.take(),
                        ..Default::default()
                    };
                },
            );
        let synced = self.readiness.cache_of(controller, K::kind(&()));
        let changes = presence_changes(events, writer, synced.clone()).boxed();
        PresenceWatch {
            cache,
            synced,
            changes,
        }
    }
}

/// Applies watch `events` to the cache behind `writer` and yields each object that appeared or
/// disappeared.
///
/// Compared to `reflect(writer).touched_objects()` this drops updates of objects that already
/// existed (each reconcile would otherwise race the watch event of what it just wrote), and after
/// a re-list it yields what changed while the watch was down, once the cache holds the new list.
/// The first list yields nothing: a reconciler waits for it (`synced` says when it is in), and
/// every object of the controller's own kind is reconciled after it anyway.
pub fn presence_changes<K>(
    events: impl Stream<Item = watcher::Result<watcher::Event<K>>>,
    mut writer: Writer<K>,
    synced: CacheSync,
) -> impl Stream<Item = watcher::Result<K>>
where
    K: Resource<DynamicType = ()> + Clone,
{
    let cache = writer.as_reader();
    let mut listed_once = false;
    // What the ongoing re-list returned so far.
    let mut relisted = HashSet::new();
    events.flat_map(move |event| {
        let event = match event {
            Ok(event) => event,
            Err(err) => {
                synced.record_error(&err);
                return stream::iter(vec![Err(err)]);
            }
        };
        let mut changes = Vec::new();
        match &event {
            watcher::Event::Apply(obj) if cache.get(&ObjectRef::from_obj(obj)).is_none() => {
                changes.push(obj.clone());
            }
            watcher::Event::Delete(obj) => changes.push(obj.clone()),
            watcher::Event::Init => relisted.clear(),
            watcher::Event::InitApply(obj) if listed_once => {
                relisted.insert(ObjectRef::from_obj(obj));
            }
            watcher::Event::InitDone if listed_once => {
                // Gone: cached before the re-list but not listed again.
                changes.extend(
                    cache
                        .state()
                        .into_iter()
                        .filter(|obj| !relisted.contains(&ObjectRef::from_obj(obj.as_ref())))
                        .map(|obj| K::clone(&obj)),
                );
                relisted.retain(|obj_ref| cache.get(obj_ref).is_none());
            }
            _ => {}
        }
        writer.apply_watcher_event(&event);
        if let watcher::Event::InitDone = event {
            // New: listed but not cached before; yielded only now that the cache holds them,
            // so that the reconciler sees them.
            changes.extend(
                relisted
                    .drain()
                    .filter_map(|obj_ref| cache.get(&obj_ref))
                    .map(|obj| K::clone(&obj)),
            );
            listed_once = true;
            synced.mark_synced();
        }
        stream::iter(changes.into_iter().map(Ok).collect::<Vec<_>>())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Readiness;
    use k8s_openapi::api::core::v1::Pod;
    use kube::{ResourceExt, core::PartialObjectMetaExt};

    fn pod(namespace: &str, name: &str) -> PartialObjectMeta<Pod> {
        ObjectMeta {
            name: Some(name.into()),
            namespace: Some(namespace.into()),
            ..Default::default()
        }
        .into_response_partial()
    }

    #[tokio::test]
    async fn presence_changes_yields_objects_that_appear_or_disappear() {
        use watcher::Event::{Apply, Delete, Init, InitApply, InitDone};
        let (cache, writer) = reflector::store();
        let readiness = Readiness::default();
        readiness.started();
        let synced = readiness.cache_of("foo", "Pod");
        let events = [
            // The first list triggers nothing: every object is reconciled anyway.
            Ok(Init),
            Ok(InitApply(pod("a", "p1"))),
            Ok(InitApply(pod("a", "p2"))),
            Ok(InitDone),
            // An update of a known object changes nothing.
            Ok(Apply(pod("a", "p1"))),
            Ok(Apply(pod("b", "p3"))),
            Ok(Delete(pod("a", "p2"))),
            Err(watcher::Error::NoResourceVersion),
            // A re-list after the watch was down: p3 vanished, p4 appeared.
            Ok(Init),
            Ok(InitApply(pod("a", "p1"))),
            Ok(InitApply(pod("c", "p4"))),
            Ok(InitDone),
        ];

        let changes: Vec<String> = presence_changes(stream::iter(events), writer, synced)
            .map(|change| match change {
                // Whether a reconciler, reading the cache, sees the object.
                Ok(pod) => match cache.get(&ObjectRef::from_obj(&pod)) {
                    Some(_) => format!("+{}/{}", pod.namespace().unwrap(), pod.name_any()),
                    None => format!("-{}/{}", pod.namespace().unwrap(), pod.name_any()),
                },
                Err(_) => "error".to_string(),
            })
            .collect()
            .await;

        assert_eq!(changes, ["+b/p3", "-a/p2", "error", "-b/p3", "+c/p4"]);
        assert_eq!(
            readiness.check(),
            Ok(()),
            "the first list did not mark the cache synced"
        );
        let mut cached: Vec<String> = cache.state().iter().map(|pod| pod.name_any()).collect();
        cached.sort();
        assert_eq!(cached, ["p1", "p4"]);
    }
}
