//! What the runtime asks of every kind it watches or reconciles.

use std::fmt::Debug;

use kube::Resource;
use serde::de::DeserializeOwned;

/// What every kind a controller reconciles must be.
pub trait Reconciled:
    Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static
{
}

impl<K> Reconciled for K where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static
{
}
