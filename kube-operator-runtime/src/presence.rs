//! Watching another kind for objects that appear or disappear, through an index of their names.
//!
//! A controller whose objects refer to others by name (a Foo looking for a Pod called
//! `spec.name`) needs to know which exist, not what they hold. [`Shared::watch_presence`](crate::Shared::watch_presence) keeps
//! the names and namespaces alone, from a metadata-only watch, and yields an object only when it
//! appears or disappears: a Pod that changes a few times per second while it starts triggers
//! nothing.

use std::collections::HashSet;

use futures::{Stream, StreamExt, stream, stream::BoxStream};
use kube::{
    Resource,
    core::{ObjectMeta, PartialObjectMeta, PartialObjectMetaExt},
    runtime::{reflector::ObjectRef, watcher},
};

use crate::{index::Index, readiness::CacheSync};

/// The names of one kind's objects, and the stream of its objects that appeared or
/// disappeared. Made by [`Shared::watch_presence`](crate::Shared::watch_presence).
#[non_exhaustive]
pub struct PresenceWatch<K: Resource<DynamicType = ()> + 'static> {
    /// Every object of the kind by name, whatever its namespace, kept current: "is there one
    /// named X?" (`names.contains_key("X")`) without visiting them all.
    pub names: Index<PartialObjectMeta<K>>,
    /// Set once `names` holds the first list; a reconciler reading `names` waits for it.
    pub synced: CacheSync,
    /// Each object that appeared or disappeared, once `names` shows the change; feed it to
    /// `Controller::watches_stream`.
    pub changes: BoxStream<'static, watcher::Result<PartialObjectMeta<K>>>,
}

/// Applies watch `events` to `names` (an index by name) and yields each object that appeared
/// or disappeared, as name and namespace.
///
/// Compared to `reflect(writer).touched_objects()` this drops updates of objects that already
/// existed (each reconcile would otherwise race the watch event of what it just wrote), and after
/// a re-list it yields what changed while the watch was down, once `names` holds the new list.
/// The first list yields nothing: a reconciler waits for it (`synced` says when it is in), and
/// every object of the controller's own kind is reconciled after it anyway.
pub fn presence_changes<K>(
    events: impl Stream<Item = watcher::Result<watcher::Event<PartialObjectMeta<K>>>>,
    names: Index<PartialObjectMeta<K>>,
    synced: CacheSync,
) -> impl Stream<Item = watcher::Result<PartialObjectMeta<K>>>
where
    K: Resource<DynamicType = ()> + Clone,
{
    let mut listed_once = false;
    // What the ongoing re-list returned so far.
    let mut relisted = HashSet::new();
    events.flat_map(move |event| {
        let event = match event {
            Ok(event) => event.modify(keep_name_only),
            Err(err) => {
                synced.record_error(&err);
                return stream::iter(vec![Err(err)]);
            }
        };
        let mut changes = Vec::new();
        match &event {
            watcher::Event::Apply(obj) if !names.has(&ObjectRef::from_obj(obj)) => {
                changes.push(obj.clone());
            }
            watcher::Event::Delete(obj) => changes.push(obj.clone()),
            watcher::Event::Init => relisted.clear(),
            watcher::Event::InitApply(obj) if listed_once => {
                relisted.insert(ObjectRef::from_obj(obj));
            }
            watcher::Event::InitDone if listed_once => {
                // Gone: known before the re-list but not listed again.
                changes.extend(
                    names
                        .objects()
                        .into_iter()
                        .filter(|obj_ref| !relisted.contains(obj_ref))
                        .map(|obj_ref| meta_of(&obj_ref)),
                );
                relisted.retain(|obj_ref| !names.has(obj_ref));
            }
            _ => {}
        }
        names.apply_watcher_event(&event);
        if let watcher::Event::InitDone = event {
            // New: listed but not known before; yielded only now that `names` holds them, so
            // that the reconciler sees them.
            changes.extend(relisted.drain().map(|obj_ref| meta_of(&obj_ref)));
            listed_once = true;
            synced.mark_synced();
        }
        stream::iter(changes.into_iter().map(Ok).collect::<Vec<_>>())
    })
}

/// Only names matter; dropping labels, annotations and managed fields keeps what is held small
/// in large clusters.
fn keep_name_only<K>(obj: &mut PartialObjectMeta<K>) {
    let meta = &mut obj.metadata;
    *meta = ObjectMeta {
        name: meta.name.take(),
        namespace: meta.namespace.take(),
        ..Default::default()
    };
}

fn meta_of<K: Resource<DynamicType = ()>>(
    obj_ref: &ObjectRef<PartialObjectMeta<K>>,
) -> PartialObjectMeta<K> {
    ObjectMeta {
        name: Some(obj_ref.name.clone()),
        namespace: obj_ref.namespace.clone(),
        ..Default::default()
    }
    .into_response_partial()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readiness::Readiness;
    use k8s_openapi::api::core::v1::Pod;
    use kube::ResourceExt;

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

        let names = Index::new(|pod: &PartialObjectMeta<Pod>| pod.metadata.name.clone());
        let changes: Vec<String> = presence_changes(stream::iter(events), names.clone(), synced)
            .map(|change| match change {
                // Whether a reconciler, reading the index, sees the object.
                Ok(pod) if names.has(&ObjectRef::from_obj(&pod)) => {
                    format!("+{}/{}", pod.namespace().unwrap(), pod.name_any())
                }
                Ok(pod) => format!("-{}/{}", pod.namespace().unwrap(), pod.name_any()),
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
        let mut known: Vec<String> = names.objects().into_iter().map(|pod| pod.name).collect();
        known.sort();
        assert_eq!(known, ["p1", "p4"]);
        assert!(names.contains_key("p1") && names.contains_key("p4"));
        assert!(!names.contains_key("p2") && !names.contains_key("p3"));
    }
}
