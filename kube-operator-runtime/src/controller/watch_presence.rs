//! [`Shared::watch_presence`]: a presence watch whose first list counts towards the readiness of
//! the controller it is made for.

use std::fmt::Debug;

use futures::StreamExt;
use kube::{Api, Resource, core::PartialObjectMeta, runtime::watcher};
use serde::de::DeserializeOwned;

use super::Shared;
use crate::{
    index::Index,
    initial_list::watch_objects,
    presence::{PresenceWatch, presence_changes},
};

impl Shared {
    /// Watches the metadata of `api`'s objects, keeping only their names and namespaces: see
    /// [`PresenceWatch`]. Its first list counts towards the readiness of the controller this
    /// handle was given to; hand it to
    /// [`ControllerBuilder::watches_presence`](super::ControllerBuilder::watches_presence),
    /// which holds reconciles until it is in.
    ///
    /// ```no_run
    /// # use k8s_openapi::api::core::v1::Pod;
    /// # use kube::{Api, core::PartialObjectMeta};
    /// # fn example(shared: kube_operator_runtime::Shared) {
    /// let pods = shared.watch_presence(Api::<PartialObjectMeta<Pod>>::all(shared.client.clone()));
    /// let jack_exists = pods.names.contains_key("jack");
    /// # }
    /// ```
    pub fn watch_presence<K>(&self, api: Api<PartialObjectMeta<K>>) -> PresenceWatch<K>
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    {
        let controller = self.controller_name::<K>();
        let events = watch_objects(api, watcher::Config::default());
        let synced = self.readiness.cache_of(controller, K::kind(&()));
        let names = Index::new(|obj: &PartialObjectMeta<K>| obj.metadata.name.clone());
        let changes = presence_changes(events, names.clone(), synced.clone()).boxed();
        PresenceWatch {
            names,
            synced,
            changes,
        }
    }
}
