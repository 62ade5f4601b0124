//! Cleanup that must run before an object goes: controller-runtime's `AddFinalizer`,
//! `RemoveFinalizer` and the deletion check around a reconcile, in one call.
//!
//! The semantics are kube's `finalizer()`: an [`Event::Apply`] while the object lives and carries
//! the finalizer, an [`Event::Cleanup`] once it is being deleted, and the finalizer removed only
//! after a cleanup succeeded. Two differences make it fit the runtime:
//! - errors are the caller's own type (anything a `kube::Error` converts into), so a reconcile
//!   keeps one error type and its `ErrorReason`;
//! - after adding the finalizer it applies at once, from the object the API server returned,
//!   instead of waiting for the watch event of its own write. With a generation predicate
//!   ([`ControllerBuilder::predicate`](crate::controller::ControllerBuilder::predicate)) that event never
//!   comes, and the object would wait for the next resync.
//!
//! The controller needs `patch` on the kind itself (the finalizer is added and removed by JSON
//! patch) and `update` on its `finalizers` subresource; [`rbac::finalizer_rules`] has both.
//!
//! [`rbac::finalizer_rules`]: crate::rbac::finalizer_rules

use std::{fmt::Debug, future::Future, sync::Arc};

pub use kube::runtime::finalizer::Event;
use kube::{
    Api, Resource, ResourceExt,
    api::{Patch, PatchParams},
    runtime::controller::Action,
};
use serde::de::DeserializeOwned;
use serde_json::json;
use tracing::debug;

/// Runs `reconcile` with [`Event::Apply`] for an object that lives (adding the finalizer `name`
/// first if it lacks it) or [`Event::Cleanup`] for one being deleted that still carries `name`
/// (removing `name` once the cleanup succeeded). `api` reaches the object: namespaced to its
/// namespace for a namespaced kind.
///
/// An object being deleted without `name` (its cleanup is done) is not passed to `reconcile`.
///
/// # Errors
/// What `reconcile` returns, or the API server's answer to adding or removing the finalizer. A
/// failed cleanup keeps the finalizer, so the object stays until a later cleanup succeeds.
///
/// ```no_run
/// # use std::sync::Arc;
/// # use k8s_openapi::api::core::v1::ConfigMap;
/// # use kube::{Api, ResourceExt, runtime::controller::Action};
/// use kube_operator_runtime::finalizer::{Event, finalizer};
///
/// async fn reconcile(obj: Arc<ConfigMap>, client: kube::Client) -> Result<Action, kube::Error> {
///     let api = Api::<ConfigMap>::namespaced(client, &obj.namespace().unwrap_or_default());
///     finalizer(&api, "widgets.example.com/cleanup", obj, |event| async move {
///         match event {
///             Event::Apply(obj) => { /* create or update what obj describes */ }
///             Event::Cleanup(obj) => { /* delete what obj made outside the cluster */ }
///         }
///         Ok(Action::await_change())
///     })
///     .await
/// }
/// ```
pub async fn finalizer<K, E, Fut>(
    api: &Api<K>,
    name: &str,
    obj: Arc<K>,
    reconcile: impl FnOnce(Event<K>) -> Fut,
) -> Result<Action, E>
where
    K: Resource + Clone + DeserializeOwned + Debug,
    E: From<kube::Error>,
    Fut: Future<Output = Result<Action, E>>,
{
    let position = obj.finalizers().iter().position(|held| held == name);
    let deleting = obj.meta().deletion_timestamp.is_some();
    match (deleting, position) {
        (false, Some(_)) => reconcile(Event::Apply(obj)).await,
        (false, None) => {
            let with_finalizer = add(api, name, &obj).await?;
            reconcile(Event::Apply(Arc::new(with_finalizer))).await
        }
        (true, Some(position)) => {
            let action = reconcile(Event::Cleanup(obj.clone())).await?;
            remove(api, name, &obj, position).await?;
            Ok(action)
        }
        (true, None) => {
            debug!(object = %obj.name_any(), finalizer = name, "being deleted, cleanup done");
            Ok(Action::await_change())
        }
    }
}

/// Adds `name` to the object's finalizers, failing (409 or 422) if they changed since `obj` was
/// read, so that no other finalizer is lost.
async fn add<K>(api: &Api<K>, name: &str, obj: &K) -> Result<K, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let patch = if obj.finalizers().is_empty() {
        json!([
            { "op": "test", "path": "/metadata/finalizers", "value": null },
            { "op": "add", "path": "/metadata/finalizers", "value": [name] },
        ])
    } else {
        json!([
            { "op": "test", "path": "/metadata/finalizers", "value": obj.finalizers() },
            { "op": "add", "path": "/metadata/finalizers/-", "value": name },
        ])
    };
    api.patch(&obj.name_any(), &PatchParams::default(), &json_patch(patch))
        .await
}

/// Removes `name`, at `position`, from the finalizers; the test keeps it from removing another
/// finalizer that moved there meanwhile.
async fn remove<K>(api: &Api<K>, name: &str, obj: &K, position: usize) -> Result<(), kube::Error>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let path = format!("/metadata/finalizers/{position}");
    let patch = json!([
        { "op": "test", "path": path, "value": name },
        { "op": "remove", "path": path },
    ]);
    match api
        .patch(&obj.name_any(), &PatchParams::default(), &json_patch(patch))
        .await
    {
        // The object went meanwhile: its finalizer with it.
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        other => other.map(|_| ()),
    }
}

fn json_patch(operations: serde_json::Value) -> Patch<()> {
    Patch::Json(serde_json::from_value(operations).expect("a JSON patch built here is well-formed"))
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::testing::{TIMEOUT, mock_client};
    use http::Method;
    use k8s_openapi::{api::core::v1::ConfigMap, apimachinery::pkg::apis::meta::v1::Time};
    use kube::core::ObjectMeta;
    use tokio::time::timeout;

    const FINALIZER: &str = "widgets.example.com/cleanup";

    fn config_map(finalizers: &[&str], deleting: bool) -> ConfigMap {
        ConfigMap {
            metadata: ObjectMeta {
                name: Some("settings".into()),
                namespace: Some("default".into()),
                finalizers: Some(finalizers.iter().map(|f| f.to_string()).collect()),
                deletion_timestamp: deleting.then(|| Time(Default::default())),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn a_new_object_gets_the_finalizer_then_is_applied_from_the_answer() {
        let (client, mut server) = mock_client();
        let api = Api::<ConfigMap>::namespaced(client, "default");
        let running = tokio::spawn(async move {
            finalizer(
                &api,
                FINALIZER,
                Arc::new(config_map(&[], false)),
                |event| async move {
                    match event {
                        Event::Apply(obj) => Ok::<_, kube::Error>(Action::requeue(
                            std::time::Duration::from_secs(obj.finalizers().len() as u64),
                        )),
                        Event::Cleanup(_) => panic!("a live object was cleaned up"),
                    }
                },
            )
            .await
        });

        let request = server
            .handle(|_| serde_json::to_value(config_map(&[FINALIZER], false)).unwrap())
            .await;
        assert_eq!(request.method, Method::PATCH);
        assert_eq!(
            request.path,
            "/api/v1/namespaces/default/configmaps/settings"
        );
        assert_eq!(
            request.body,
            json!([
                { "op": "test", "path": "/metadata/finalizers", "value": null },
                { "op": "add", "path": "/metadata/finalizers", "value": [FINALIZER] },
            ])
        );
        let action = timeout(TIMEOUT, running).await.unwrap().unwrap().unwrap();
        // Applied with the object as the API server returned it: one finalizer.
        assert_eq!(action, Action::requeue(std::time::Duration::from_secs(1)));
        server.assert_no_more_requests().await;
    }

    #[tokio::test]
    async fn a_deleted_object_is_cleaned_up_then_loses_only_its_finalizer() {
        let (client, mut server) = mock_client();
        let api = Api::<ConfigMap>::namespaced(client, "default");
        let obj = config_map(&["other.example.com/keep", FINALIZER], true);
        let running = tokio::spawn(async move {
            finalizer(&api, FINALIZER, Arc::new(obj), |event| async move {
                assert!(matches!(event, Event::Cleanup(_)), "not a cleanup");
                Ok::<_, kube::Error>(Action::await_change())
            })
            .await
        });

        let request = server.handle(|_| json!({})).await;
        assert_eq!(
            request.body,
            json!([
                { "op": "test", "path": "/metadata/finalizers/1", "value": FINALIZER },
                { "op": "remove", "path": "/metadata/finalizers/1" },
            ])
        );
        timeout(TIMEOUT, running).await.unwrap().unwrap().unwrap();
        server.assert_no_more_requests().await;
    }

    #[tokio::test]
    async fn a_failed_cleanup_keeps_the_finalizer() {
        let (client, server) = mock_client();
        let api = Api::<ConfigMap>::namespaced(client, "default");
        let failed = finalizer(
            &api,
            FINALIZER,
            Arc::new(config_map(&[FINALIZER], true)),
            |_| async {
                let broken = kube::core::Status::failure("cleanup failed", "Boom").with_code(500);
                Err::<Action, _>(kube::Error::Api(broken.boxed()))
            },
        )
        .await;
        assert!(failed.is_err());
        drop(api);
        server.assert_no_more_requests().await;
    }
}
