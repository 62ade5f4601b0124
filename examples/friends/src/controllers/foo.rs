// Copyright 2026 The friends Authors.
// SPDX-License-Identifier: Apache-2.0

//! The Foo controller: a Foo is happy while a Pod named `spec.name`
//! exists in a namespace the manager watches: its own in a namespaced project, else any.

use std::{sync::Arc, time::Duration};

use k8s_openapi::api::{core::v1::Pod, rbac::v1::PolicyRule};
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{Patch, PatchParams},
    core::PartialObjectMeta,
    runtime::{
        controller::Action,
        events::{Event, EventType, Reporter},
    },
};
use kube_operator_runtime::{
    ErrorBackoff, EventPublisher, Index, Shared, ensure_served, rbac::policy_rule, watched_api,
};
use serde_json::json;
use tracing::{debug, info, warn};

use crate::{Error, FIELD_MANAGER, Result, api::v1::Foo, controllers};

/// A safety net: every Foo is looked at again this often, even without events.
const RESYNC: Duration = Duration::from_secs(300);

/// What the reconciler needs besides the Foo itself.
pub struct Context {
    pub client: Client,
    /// Records Events in the background: a reconcile never waits for one.
    pub events: EventPublisher,
    /// Every Pod in the namespaces the manager watches, by name. No reconcile starts before
    /// it holds the first list of Pods: an empty index would make every Foo
    /// look friendless, and that wrong `false` would be written and announced.
    pub pods: Index<PartialObjectMeta<Pod>>,
    /// How long to wait before retrying each Foo whose reconcile failed.
    pub backoff: ErrorBackoff<Foo>,
}

/// Runs the Foo controller until the manager stops.
pub async fn run(shared: Shared) -> Result<()> {
    let api = watched_api::<Foo>(shared.client.clone(), controllers::NAMESPACED);
    ensure_served(&api).await?;
    // Which Foos look for a Pod name, kept with the controller's cache: a Pod event finds
    // them without visiting every Foo (a field index on `spec.name`).
    let by_friend = Index::new(|obj: &Foo| Some(obj.spec.name.clone()));
    // One metadata-only watch of all Pods both fills the index of Pod names that the
    // reconciler reads and triggers the Foos looking for a Pod that appeared or
    // disappeared.
    let pods = shared.watch_presence(watched_api::<PartialObjectMeta<Pod>>(
        shared.client.clone(),
        controllers::NAMESPACED,
    ));
    let pod_names = pods.names.clone();
    let controller = shared
        .controller(api)
        .index(&by_friend)
        .watches_presence(pods, move |pod| by_friend.get(&pod.name_any()));

    let context = Arc::new(Context {
        client: shared.client.clone(),
        events: EventPublisher::new(shared.client.clone(), Reporter::from(FIELD_MANAGER)),
        pods: pod_names,
        backoff: controller.backoff(),
    });
    controller.run(reconcile, error_policy, context).await;
    Ok(())
}

/// Sets `status.happy` from the Pod index, writing only when it changes.
pub async fn reconcile(obj: Arc<Foo>, ctx: Arc<Context>) -> Result<Action> {
    let name = obj.name_any();
    let namespace = obj.namespace().ok_or(Error::MissingField("namespace"))?;
    let friend = obj.spec.name.as_str();
    let happy = ctx.pods.contains_key(friend);
    // The API server defaults a missing status to `happy: false` (see the type), so a new
    // Foo without a friend needs no write.
    let was_happy = obj.status.as_ref().map(|status| status.happy);

    if was_happy == Some(happy) {
        debug!(foo = %name, %namespace, %friend, happy, "status unchanged");
        return Ok(Action::requeue(RESYNC));
    }

    // A merge patch of the one field this controller owns: no read-modify-write race with
    // other writers, and less work for the API server than a server-side apply.
    let patch = json!({ "status": { "happy": happy } });
    Api::<Foo>::namespaced(ctx.client.clone(), &namespace)
        .patch_status(
            &name,
            &PatchParams {
                field_manager: Some(FIELD_MANAGER.into()),
                ..PatchParams::default()
            },
            &Patch::Merge(&patch),
        )
        .await?;
    info!(foo = %name, %namespace, %friend, happy, "status updated");

    let event = match (was_happy, happy) {
        (_, true) => Some(Event {
            type_: EventType::Normal,
            reason: "FriendFound".into(),
            note: Some(format!("Found Pod {friend}, Foo is happy")),
            action: "Reconcile".into(),
            secondary: None,
        }),
        (Some(true), false) => Some(Event {
            type_: EventType::Normal,
            reason: "FriendLost".into(),
            note: Some(format!("Pod {friend} is gone, Foo is sad")),
            action: "Reconcile".into(),
            secondary: None,
        }),
        // A new Foo starts unhappy: nothing was lost.
        (_, false) => None,
    };
    if let Some(event) = event {
        // Queued, not awaited: published while the next reconciles run.
        ctx.events.publish(event, obj.object_ref(&()));
    }
    Ok(Action::requeue(RESYNC))
}

/// Retries a failed reconcile, waiting longer after each consecutive failure.
pub fn error_policy(obj: Arc<Foo>, error: &Error, ctx: Arc<Context>) -> Action {
    let retry_in = ctx.backoff.next_delay(&obj);
    warn!(
        foo = %obj.name_any(),
        namespace = obj.namespace().unwrap_or_default(),
        %error,
        ?retry_in,
        "reconcile failed"
    );
    Action::requeue(retry_in)
}

/// The RBAC rules this controller needs, and no more.
pub fn policy_rules() -> Vec<PolicyRule> {
    let group = Foo::group(&());
    vec![
        policy_rule(&group, "foos", &["list", "watch"]),
        policy_rule(&group, "foos/status", &["patch"]),
        // The metadata-only watch uses the same list and watch verbs.
        policy_rule("", "pods", &["list", "watch"]),
        // Events are created, then patched when they repeat.
        policy_rule("events.k8s.io", "events", &["create", "patch"]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::v1::{FooSpec, FooStatus};
    use http::Method;
    use kube::{
        core::{ObjectMeta, PartialObjectMetaExt},
        runtime::watcher,
    };
    use kube_operator_runtime::testing::{ApiServer, Received, TIMEOUT, mock_client};
    use serde_json::Value;
    use tokio::time::timeout;

    /// A Foo named `name` looking for `friend`, in namespace `default`.
    fn new_object(name: &str, friend: &str, status: Option<FooStatus>) -> Foo {
        let spec = FooSpec {
            name: friend.into(),
        };
        let mut obj = Foo::new(name, spec);
        obj.metadata.namespace = Some("default".into());
        obj.status = status;
        obj
    }

    fn pod(namespace: &str, name: &str) -> PartialObjectMeta<Pod> {
        ObjectMeta {
            name: Some(name.into()),
            namespace: Some(namespace.into()),
            ..Default::default()
        }
        .into_response_partial()
    }

    /// A Pod index whose initial list returned `pods` (namespace, name).
    fn pod_index(pods: &[(&str, &str)]) -> Index<PartialObjectMeta<Pod>> {
        let index = Index::new(|pod: &PartialObjectMeta<Pod>| pod.metadata.name.clone());
        index.apply_watcher_event(&watcher::Event::Init);
        for (namespace, name) in pods {
            index.apply_watcher_event(&watcher::Event::InitApply(pod(namespace, name)));
        }
        index.apply_watcher_event(&watcher::Event::InitDone);
        index
    }

    fn context(pods: Index<PartialObjectMeta<Pod>>) -> (Arc<Context>, ApiServer) {
        let (client, server) = mock_client();
        let ctx = Context {
            events: EventPublisher::new(client.clone(), Reporter::from(FIELD_MANAGER)),
            client,
            pods,
            backoff: ErrorBackoff::default(),
        };
        (Arc::new(ctx), server)
    }

    /// Checks the status patch the reconciler sent and answers with `obj`
    /// carrying the patched status, as the API server would.
    async fn expect_status_patch(server: &mut ApiServer, obj: &Foo, happy: bool) {
        let mut patched = obj.clone();
        patched.status = Some(FooStatus { happy });
        let request = server
            .handle(|_| serde_json::to_value(&patched).unwrap())
            .await;

        assert_eq!(request.method, Method::PATCH);
        assert_eq!(
            request.path,
            "/apis/friends.my.domain/v1/namespaces/default/foos/foo-01/status"
        );
        let mut query: Vec<&str> = request.query.split('&').filter(|p| !p.is_empty()).collect();
        query.sort_unstable();
        assert_eq!(query, ["fieldManager=friends-controller"]);
        assert_eq!(request.body, json!({ "status": { "happy": happy } }));
    }

    /// Checks the Event the reconciler published and accepts it.
    async fn expect_event(server: &mut ApiServer, reason: &str) -> Received {
        let request = server.handle(|request| request.body.clone()).await;

        assert_eq!(request.method, Method::POST);
        assert_eq!(
            request.path,
            "/apis/events.k8s.io/v1/namespaces/default/events"
        );
        assert_eq!(request.body["reason"], reason);
        assert_eq!(request.body["type"], "Normal");
        assert_eq!(request.body["action"], "Reconcile");
        assert_eq!(request.body["reportingController"], FIELD_MANAGER);
        assert_eq!(
            request.body["regarding"],
            json!({
                "apiVersion": "friends.my.domain/v1",
                "kind": "Foo",
                "name": "foo-01",
                "namespace": "default",
            })
        );
        request
    }

    async fn finish(reconciling: tokio::task::JoinHandle<Result<Action>>) -> Action {
        timeout(TIMEOUT, reconciling)
            .await
            .expect("reconcile timed out")
            .expect("reconcile panicked")
            .expect("reconcile failed")
    }

    #[tokio::test]
    async fn friend_present_makes_foo_happy_and_announces_it() {
        let (ctx, mut server) = context(pod_index(&[("elsewhere", "friend-01")]));
        let obj = new_object("foo-01", "friend-01", None);
        let reconciling = tokio::spawn(reconcile(Arc::new(obj.clone()), ctx));

        expect_status_patch(&mut server, &obj, true).await;
        // The reconcile ends without waiting for its Event.
        assert_eq!(finish(reconciling).await, Action::requeue(RESYNC));
        let event = expect_event(&mut server, "FriendFound").await;
        assert_eq!(
            event.body["note"],
            Value::from("Found Pod friend-01, Foo is happy")
        );
        server.assert_no_more_requests().await;
    }

    #[tokio::test]
    async fn friend_absent_makes_new_foo_unhappy_without_event() {
        let (ctx, mut server) = context(pod_index(&[("default", "someone-else")]));
        let obj = new_object("foo-01", "friend-01", None);
        let reconciling = tokio::spawn(reconcile(Arc::new(obj.clone()), ctx));

        expect_status_patch(&mut server, &obj, false).await;

        finish(reconciling).await;
        server.assert_no_more_requests().await;
    }

    #[tokio::test]
    async fn friend_gone_makes_happy_foo_unhappy_and_announces_it() {
        let (ctx, mut server) = context(pod_index(&[]));
        let obj = new_object("foo-01", "friend-01", Some(FooStatus { happy: true }));
        let reconciling = tokio::spawn(reconcile(Arc::new(obj.clone()), ctx));

        expect_status_patch(&mut server, &obj, false).await;
        finish(reconciling).await;
        expect_event(&mut server, "FriendLost").await;
        server.assert_no_more_requests().await;
    }

    #[tokio::test]
    async fn defaulted_status_of_a_friendless_foo_sends_no_request() {
        let (ctx, server) = context(pod_index(&[("default", "someone-else")]));
        // What the API server returns for a new Foo: its schema's default status.
        let obj = new_object("foo-01", "friend-01", Some(FooStatus::default()));

        let action = timeout(TIMEOUT, reconcile(Arc::new(obj), ctx))
            .await
            .expect("reconcile sent a request or hung")
            .expect("reconcile failed");

        assert_eq!(action, Action::requeue(RESYNC));
        server.assert_no_more_requests().await;
    }

    #[tokio::test]
    async fn correct_status_sends_no_request() {
        let (ctx, server) = context(pod_index(&[("default", "friend-01")]));
        let obj = new_object("foo-01", "friend-01", Some(FooStatus { happy: true }));

        // Awaited directly: any request would block it, since nobody answers.
        let action = timeout(TIMEOUT, reconcile(Arc::new(obj), ctx))
            .await
            .expect("reconcile sent a request or hung")
            .expect("reconcile failed");

        assert_eq!(action, Action::requeue(RESYNC));
        server.assert_no_more_requests().await;
    }

    #[test]
    fn policy_rules_cover_the_kind_pods_and_events() {
        let rules: Vec<(String, String, String)> = policy_rules()
            .into_iter()
            .map(|rule| {
                (
                    rule.api_groups.unwrap().join(","),
                    rule.resources.unwrap().join(","),
                    rule.verbs.join(","),
                )
            })
            .collect();
        let expected = [
            ("friends.my.domain", "foos", "list,watch"),
            ("friends.my.domain", "foos/status", "patch"),
            ("", "pods", "list,watch"),
            ("events.k8s.io", "events", "create,patch"),
        ]
        .map(|(g, r, v)| (g.to_string(), r.to_string(), v.to_string()));
        assert_eq!(rules, expected);
    }
}
