//! Lookups by a field in a watched cache, without scanning it: the equivalent of
//! controller-runtime's field indexes.
//!
//! A kube `Store` answers "which objects match?" only by visiting every object. A controller that
//! asks once per reconcile ("is there a Pod named X?") or once per event ("which Foos look for
//! X?") then does O(N·M) work at startup. An [`Index`] is kept current by the same watch events
//! as the cache it sits beside, and answers in O(1).

use std::{
    collections::{HashMap, HashSet},
    fmt,
    sync::{Arc, PoisonError, RwLock},
};

use kube::{
    Resource,
    runtime::{reflector::ObjectRef, watcher},
};

type KeysOf<K> = dyn Fn(&K) -> Vec<String> + Send + Sync;

/// The objects of a watched cache, by the keys a function gives each of them (a field's value,
/// most often). Clones share the same index.
///
/// Made with [`Index::new`], then fed by the watch it belongs to:
/// [`ControllerBuilder::index`](crate::controller::ControllerBuilder::index) for a controller's
/// own kind; [`PresenceWatch::names`](crate::presence::PresenceWatch::names) is one already.
///
/// ```
/// use k8s_openapi::api::core::v1::ConfigMap;
/// use kube_operator_runtime::Index;
///
/// // Config maps by the value of their `owner` label.
/// let by_owner = Index::new(|cm: &ConfigMap| cm.metadata.labels.as_ref()?.get("owner").cloned());
/// assert!(by_owner.get("team-a").is_empty());
/// ```
pub struct Index<K: Resource<DynamicType = ()>> {
    keys_of: Arc<KeysOf<K>>,
    state: Arc<RwLock<State<K>>>,
}

struct State<K: Resource<DynamicType = ()>> {
    entries: Entries<K>,
    /// Filled by a (re-)list and swapped in when it is complete, as the cache does, so that a
    /// re-list never shows a half-empty index.
    relisting: Option<Entries<K>>,
}

/// Both maps share one allocation of each object reference and of each key: an index is kept
/// for every object of a kind, so its size per object is what counts.
struct Entries<K: Resource<DynamicType = ()>> {
    by_key: HashMap<Arc<str>, Holders<K>>,
    keys_by_object: HashMap<Arc<ObjectRef<K>>, Box<[Arc<str>]>>,
}

/// The objects with one key. A key is most often one object's, held inline without a table;
/// a key many objects share is a set, so that removing one of them (a mass delete) does not
/// walk the others.
enum Holders<K: Resource<DynamicType = ()>> {
    One(Arc<ObjectRef<K>>),
    Many(HashSet<Arc<ObjectRef<K>>>),
}

impl<K: Resource<DynamicType = ()>> Holders<K> {
    fn insert(&mut self, obj: Arc<ObjectRef<K>>) {
        match self {
            Self::One(held) if *held == obj => {}
            Self::One(held) => *self = Self::Many(HashSet::from([held.clone(), obj])),
            Self::Many(set) => {
                set.insert(obj);
            }
        }
    }

    /// Removes `obj`; whether none is left.
    fn remove(&mut self, obj: &ObjectRef<K>) -> bool {
        match self {
            Self::One(held) => **held == *obj,
            Self::Many(set) => {
                set.remove(obj);
                set.is_empty()
            }
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Arc<ObjectRef<K>>> {
        let (one, many) = match self {
            Self::One(held) => (Some(held), None),
            Self::Many(set) => (None, Some(set.iter())),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }
}

impl<K: Resource<DynamicType = ()>> Default for Entries<K> {
    fn default() -> Self {
        Self {
            by_key: HashMap::new(),
            keys_by_object: HashMap::new(),
        }
    }
}

impl<K: Resource<DynamicType = ()>> Entries<K> {
    fn insert(&mut self, obj: ObjectRef<K>, mut keys: Vec<String>) {
        self.remove(&obj);
        if keys.is_empty() {
            return;
        }
        keys.sort_unstable();
        keys.dedup();
        let obj = Arc::new(obj);
        let keys: Box<[Arc<str>]> = keys
            .into_iter()
            .map(|key| {
                let shared = match self.by_key.get_key_value(key.as_str()) {
                    Some((shared, _)) => shared.clone(),
                    None => Arc::from(key),
                };
                match self.by_key.get_mut(&shared) {
                    Some(holders) => holders.insert(obj.clone()),
                    None => {
                        self.by_key
                            .insert(shared.clone(), Holders::One(obj.clone()));
                    }
                }
                shared
            })
            .collect();
        self.keys_by_object.insert(obj, keys);
    }

    fn remove(&mut self, obj: &ObjectRef<K>) {
        let Some(keys) = self.keys_by_object.remove(obj) else {
            return;
        };
        for key in keys.iter() {
            if let Some(holders) = self.by_key.get_mut(&**key)
                && holders.remove(obj)
            {
                self.by_key.remove(&**key);
            }
        }
    }
}

impl<K: Resource<DynamicType = ()>> Clone for Index<K> {
    fn clone(&self) -> Self {
        Self {
            keys_of: self.keys_of.clone(),
            state: self.state.clone(),
        }
    }
}

impl<K: Resource<DynamicType = ()>> fmt::Debug for Index<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Index")
            .field("keys", &self.read().entries.by_key.len())
            .finish()
    }
}

impl<K: Resource<DynamicType = ()>> Index<K> {
    /// An empty index of objects by the keys `keys_of` returns for each: an `Option<String>` for
    /// one key or none, a `Vec<String>` for several.
    pub fn new<I>(keys_of: impl Fn(&K) -> I + Send + Sync + 'static) -> Self
    where
        I: IntoIterator<Item = String>,
    {
        Self {
            keys_of: Arc::new(move |obj| keys_of(obj).into_iter().collect()),
            state: Arc::new(RwLock::new(State {
                entries: Entries::default(),
                relisting: None,
            })),
        }
    }

    /// The objects with `key`, in no particular order.
    pub fn get(&self, key: &str) -> Vec<ObjectRef<K>> {
        self.read()
            .entries
            .by_key
            .get(key)
            .map(|objects| objects.iter().map(|obj| ObjectRef::clone(obj)).collect())
            .unwrap_or_default()
    }

    /// Whether any object has `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.read().entries.by_key.contains_key(key)
    }

    /// Whether the index holds `obj` (under any key).
    pub(crate) fn has(&self, obj: &ObjectRef<K>) -> bool {
        self.read().entries.keys_by_object.contains_key(obj)
    }

    /// Every object the index holds (under any key).
    pub(crate) fn objects(&self) -> Vec<ObjectRef<K>> {
        self.read()
            .entries
            .keys_by_object
            .keys()
            .map(|obj| ObjectRef::clone(obj))
            .collect()
    }

    /// Applies a watch event, as a cache's writer does. Feed it every event of the watch (before
    /// or after the cache; both only change at the same events).
    pub fn apply_watcher_event(&self, event: &watcher::Event<K>) {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        match event {
            watcher::Event::Apply(obj) => {
                let keys = (self.keys_of)(obj);
                state.entries.insert(object_ref(obj), keys);
            }
            watcher::Event::Delete(obj) => state.entries.remove(&object_ref(obj)),
            watcher::Event::Init => state.relisting = Some(Entries::default()),
            watcher::Event::InitApply(obj) => {
                let keys = (self.keys_of)(obj);
                state
                    .relisting
                    .get_or_insert_with(Entries::default)
                    .insert(object_ref(obj), keys);
            }
            watcher::Event::InitDone => {
                if let Some(listed) = state.relisting.take() {
                    state.entries = listed;
                }
            }
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State<K>> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Name and namespace only: the resource version and UID that `ObjectRef::from_obj` copies too
/// would double the index's size, and lookups ignore them.
fn object_ref<K: Resource<DynamicType = ()>>(obj: &K) -> ObjectRef<K> {
    let meta = obj.meta();
    let mut obj_ref = ObjectRef::new(meta.name.as_deref().unwrap_or_default());
    obj_ref.namespace = meta.namespace.clone();
    obj_ref
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::core::ObjectMeta;
    use watcher::Event::{Apply, Delete, Init, InitApply, InitDone};

    /// A config map `namespace/name` whose `friend` key holds `friend`.
    fn config_map(namespace: &str, name: &str, friend: &str) -> ConfigMap {
        ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(namespace.into()),
                ..Default::default()
            },
            data: Some([("friend".to_string(), friend.to_string())].into()),
            ..Default::default()
        }
    }

    fn by_friend() -> Index<ConfigMap> {
        Index::new(|cm: &ConfigMap| cm.data.as_ref()?.get("friend").cloned())
    }

    fn names(index: &Index<ConfigMap>, key: &str) -> Vec<String> {
        let mut names: Vec<String> = index
            .get(key)
            .into_iter()
            .map(|obj| format!("{}/{}", obj.namespace.unwrap(), obj.name))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn an_index_follows_adds_changes_and_deletes() {
        let index = by_friend();
        index.apply_watcher_event(&Apply(config_map("a", "one", "jack")));
        index.apply_watcher_event(&Apply(config_map("b", "two", "jack")));
        index.apply_watcher_event(&Apply(config_map("a", "three", "joe")));
        assert_eq!(names(&index, "jack"), ["a/one", "b/two"]);
        assert!(index.contains_key("joe"));

        // `two` changes its friend; `three` is deleted.
        index.apply_watcher_event(&Apply(config_map("b", "two", "joe")));
        index.apply_watcher_event(&Delete(config_map("a", "three", "joe")));
        assert_eq!(names(&index, "jack"), ["a/one"]);
        assert_eq!(names(&index, "joe"), ["b/two"]);

        index.apply_watcher_event(&Delete(config_map("b", "two", "joe")));
        assert!(!index.contains_key("joe"), "an empty key stays behind");
        assert!(index.get("nobody").is_empty());
    }

    #[test]
    fn a_key_shared_by_many_objects_loses_them_one_by_one() {
        let index = by_friend();
        let count = 20_000;
        for n in 0..count {
            index.apply_watcher_event(&Apply(config_map("a", &format!("cm-{n}"), "jack")));
        }
        assert_eq!(index.get("jack").len(), count);
        // Each removal leaves the other holders of the key in place.
        for n in 0..count - 1 {
            index.apply_watcher_event(&Delete(config_map("a", &format!("cm-{n}"), "jack")));
        }
        assert_eq!(names(&index, "jack"), [format!("a/cm-{}", count - 1)]);
        index.apply_watcher_event(&Delete(config_map(
            "a",
            &format!("cm-{}", count - 1),
            "jack",
        )));
        assert!(!index.contains_key("jack"));
    }

    #[test]
    fn a_relist_replaces_the_index_only_once_it_is_complete() {
        let index = by_friend();
        index.apply_watcher_event(&Init);
        index.apply_watcher_event(&InitApply(config_map("a", "one", "jack")));
        index.apply_watcher_event(&InitDone);
        assert_eq!(names(&index, "jack"), ["a/one"]);

        // The watch restarts: until the new list is in, the old entries answer.
        index.apply_watcher_event(&Init);
        index.apply_watcher_event(&InitApply(config_map("a", "two", "joe")));
        assert_eq!(names(&index, "jack"), ["a/one"]);
        assert!(!index.contains_key("joe"));
        index.apply_watcher_event(&InitDone);
        assert!(!index.contains_key("jack"), "gone during the outage");
        assert_eq!(names(&index, "joe"), ["a/two"]);
    }

    #[test]
    fn an_object_can_have_several_keys_or_none() {
        let index = Index::new(|cm: &ConfigMap| {
            cm.data
                .iter()
                .flat_map(|data| data.values().cloned())
                .collect::<Vec<_>>()
        });
        let mut both = config_map("a", "both", "jack");
        both.data
            .as_mut()
            .unwrap()
            .insert("other".into(), "joe".into());
        index.apply_watcher_event(&Apply(both));
        index.apply_watcher_event(&Apply(ConfigMap {
            metadata: ObjectMeta {
                name: Some("empty".into()),
                namespace: Some("a".into()),
                ..Default::default()
            },
            ..Default::default()
        }));
        assert_eq!(names(&index, "jack"), ["a/both"]);
        assert_eq!(names(&index, "joe"), ["a/both"]);
        assert_eq!(format!("{index:?}"), "Index { keys: 2 }");
    }
}
