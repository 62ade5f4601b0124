//! What a real operator's controller is built from, against a real API server: watches added
//! with the builder, owned children, finalizers and conditions. Each controller runs as a user
//! holding only the rules the runtime's RBAC helpers give, so a missing rule fails here.
// kube-envtest comes with the `testing` feature (see secure_metrics.rs for why not `[[test]]`).
#![cfg(feature = "testing")]

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use k8s_openapi::{
    api::{
        core::v1::{ConfigMap, Secret},
        rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject},
    },
    apimachinery::pkg::apis::meta::v1::Condition,
};
use kube::{
    Api, Client, CustomResource, CustomResourceExt, ResourceExt,
    api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams},
    runtime::controller::Action,
};
use kube_envtest::TestEnv;
use kube_operator_runtime::{
    Shared,
    conditions::{Conditions, new_condition},
    finalizer::{Event, finalizer},
    metrics::ErrorReason,
    owned::apply_owned,
    rbac::{self, finalizer_rules, owned_rules, policy_rule, rule_for},
    testing::{Permissions, eventually, grant_permissions},
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

const NAMESPACE: &str = "default";
const USER: &str = "widget-manager";
const FIELD_MANAGER: &str = "widget-controller";
const FINALIZER: &str = "example.com/cleanup";

#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
#[kube(
    group = "example.com",
    version = "v1",
    kind = "Widget",
    namespaced,
    status = "WidgetStatus"
)]
struct WidgetSpec {
    size: u32,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, JsonSchema)]
struct WidgetStatus {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "kube_operator_runtime::conditions::schema")]
    conditions: Vec<Condition>,
}

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(transparent)]
    Kube(#[from] kube::Error),
    #[error(transparent)]
    Runtime(#[from] kube_operator_runtime::Error),
    #[error("cleanup is not allowed yet")]
    CleanupHeld,
}

impl ErrorReason for Error {
    fn reason(&self) -> &'static str {
        match self {
            Self::Kube(err) => err.reason(),
            Self::Runtime(err) => err.reason(),
            Self::CleanupHeld => "CleanupHeld",
        }
    }
}

/// The user the controller runs as, holding `rules` and nothing else.
async fn client_with(env: &TestEnv, rules: Vec<PolicyRule>) -> Client {
    grant(env, rules).await;
    env.client_for_user(USER, &[]).await.unwrap()
}

/// Grants `rules`, and nothing else, to the test user.
async fn grant(env: &TestEnv, rules: Vec<PolicyRule>) {
    let permissions = Permissions::new(USER, rules, NAMESPACE);
    grant_permissions(&env.client(), &permissions)
        .await
        .unwrap();
}

/// Counts the requests a client sends for one resource (`/secrets`): the API server's metrics
/// leave out the requests its authorizer refuses.
#[derive(Clone)]
struct RequestsTo(&'static str, Arc<AtomicUsize>);

impl RequestsTo {
    fn new(resource: &'static str) -> Self {
        Self(resource, Arc::default())
    }

    fn count(&self) -> usize {
        self.1.load(Ordering::SeqCst)
    }
}

impl<S> tower_layer::Layer<S> for RequestsTo {
    type Service = Counted<S>;

    fn layer(&self, inner: S) -> Counted<S> {
        Counted {
            inner,
            count: self.clone(),
        }
    }
}

#[derive(Clone)]
struct Counted<S> {
    inner: S,
    count: RequestsTo,
}

impl<S, B> tower_service::Service<http::Request<B>> for Counted<S>
where
    S: tower_service::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path().ends_with(self.count.0) {
            self.count.1.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.call(request)
    }
}

#[tokio::test]
async fn an_owned_kind_refused_by_rbac_is_backed_off_and_holds_every_reconcile() {
    let env = TestEnv::start().await.unwrap();
    let admin = env.client();
    // Config maps may be watched; the Secrets the controller owns may not.
    let secret_requests = RequestsTo::new("/secrets");
    let client = counted_client(
        &env,
        vec![rule_for::<ConfigMap>(&["list", "watch"])],
        &secret_requests,
    )
    .await;
    let shared = Shared::new(client.clone()).named("config-owner");
    let reconciled = Arc::new(AtomicUsize::new(0));
    let controller = shared
        .controller(Api::<ConfigMap>::namespaced(client.clone(), NAMESPACE))
        .owns(Api::<Secret>::namespaced(client, NAMESPACE))
        .run(
            |_, count: Arc<AtomicUsize>| async move {
                count.fetch_add(1, Ordering::SeqCst);
                Ok::<_, kube::Error>(Action::await_change())
            },
            |_, _, _| Action::requeue(Duration::from_secs(1)),
            reconciled.clone(),
        );
    let running = tokio::spawn(controller);
    let config_map = ConfigMap {
        metadata: ObjectMeta {
            name: Some("watched".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    Api::<ConfigMap>::namespaced(admin.clone(), NAMESPACE)
        .create(&PostParams::default(), &config_map)
        .await
        .unwrap();

    let before = secret_requests.count();
    tokio::time::sleep(Duration::from_secs(20)).await;
    let refused = secret_requests.count() - before;
    // Pauses of 0.8 s doubling to 10 s (plus jitter) fit at most 6 tries in 20 s; an unpaced
    // watch makes hundreds.
    assert!(
        (2..=8).contains(&refused),
        "{refused} refused watches of Secrets in 20 s"
    );
    assert_eq!(
        reconciled.load(Ordering::SeqCst),
        0,
        "a reconcile ran before the Secrets were listed"
    );
    let unsynced = shared.readiness.unsynced("config-owner");
    assert_eq!(unsynced.len(), 1, "{unsynced:?}");
    assert_eq!(unsynced[0].kind, "Secret");
    assert_eq!(
        unsynced[0].last_error.as_ref().and_then(|error| error.code),
        Some(403)
    );

    // Granted, the watch lists at its next try, and the held reconciles run.
    grant_cluster_rules(
        &admin,
        "secret-reader",
        rule_for::<Secret>(&["list", "watch"]),
    )
    .await;
    eventually("the config maps are reconciled", || async {
        reconciled.load(Ordering::SeqCst) > 0
    })
    .await;
    assert!(shared.readiness.is_synced("config-owner"));
    running.abort();
}

/// A client of the user holding `rules`, whose requests `counter` counts.
async fn counted_client(env: &TestEnv, rules: Vec<PolicyRule>, counter: &RequestsTo) -> Client {
    grant(env, rules).await;
    let kubeconfig = env.kubeconfig_for_user(USER, &[]).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .unwrap();
    kube::client::ClientBuilder::try_from(config)
        .unwrap()
        .with_layer(counter)
        .build()
}

#[tokio::test]
async fn two_controllers_of_one_kind_share_one_watch() {
    let env = TestEnv::start().await.unwrap();
    let config_map_requests = RequestsTo::new("/configmaps");
    let client = counted_client(
        &env,
        vec![rule_for::<ConfigMap>(&["list", "watch"])],
        &config_map_requests,
    )
    .await;
    let shared = Shared::new(client.clone());
    let seen_by: Vec<Arc<Mutex<BTreeSet<String>>>> = (0..2).map(|_| Arc::default()).collect();
    let mut running = Vec::new();
    for (name, seen) in ["first", "second"].into_iter().zip(&seen_by) {
        let controller = shared
            .clone()
            .named(name)
            .controller(Api::<ConfigMap>::namespaced(client.clone(), NAMESPACE))
            .run(
                |config_map: Arc<ConfigMap>, seen: Arc<Mutex<BTreeSet<String>>>| async move {
                    seen.lock().unwrap().insert(config_map.name_any());
                    Ok::<_, kube::Error>(Action::await_change())
                },
                |_, _, _| Action::requeue(Duration::from_secs(1)),
                seen.clone(),
            );
        running.push(tokio::spawn(controller));
    }
    let config_maps = Api::<ConfigMap>::namespaced(env.client(), NAMESPACE);
    for name in ["one", "two", "three"] {
        let config_map = ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            ..Default::default()
        };
        config_maps
            .create(&PostParams::default(), &config_map)
            .await
            .unwrap();
    }
    for (name, seen) in ["first", "second"].into_iter().zip(&seen_by) {
        eventually(&format!("{name} reconciles every config map"), || async {
            let seen = seen.lock().unwrap();
            ["one", "two", "three"]
                .iter()
                .all(|name| seen.contains(*name))
        })
        .await;
        assert!(shared.readiness.is_synced(name), "{name} is not synced");
    }
    // One streamed list and watch for both.
    assert_eq!(config_map_requests.count(), 1);
    for controller in running {
        controller.abort();
    }
}

/// Grants `rule` cluster-wide to the test user, beside what it holds.
async fn grant_cluster_rules(admin: &Client, name: &str, rule: PolicyRule) {
    let role = ClusterRole {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        rules: Some(vec![rule]),
        ..Default::default()
    };
    Api::<ClusterRole>::all(admin.clone())
        .create(&PostParams::default(), &role)
        .await
        .unwrap();
    let binding = ClusterRoleBinding {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "ClusterRole".into(),
            name: name.into(),
        },
        subjects: Some(vec![Subject {
            kind: "User".into(),
            name: USER.into(),
            api_group: Some("rbac.authorization.k8s.io".into()),
            ..Default::default()
        }]),
    };
    Api::<ClusterRoleBinding>::all(admin.clone())
        .create(&PostParams::default(), &binding)
        .await
        .unwrap();
}

struct Context {
    client: Client,
    may_clean_up: AtomicBool,
    cleanups: AtomicUsize,
}

/// A Widget owns a config map holding its size, reports `Ready` with the generation it saw,
/// and may go only once its cleanup ran.
async fn reconcile(widget: Arc<Widget>, ctx: Arc<Context>) -> Result<Action, Error> {
    let namespace = widget.namespace().unwrap_or_default();
    let widgets = Api::<Widget>::namespaced(ctx.client.clone(), &namespace);
    finalizer(&widgets, FINALIZER, widget, |event| async {
        match event {
            Event::Apply(widget) => {
                let child = ConfigMap {
                    metadata: ObjectMeta {
                        name: Some(format!("{}-data", widget.name_any())),
                        ..Default::default()
                    },
                    data: Some(BTreeMap::from([(
                        "size".to_string(),
                        widget.spec.size.to_string(),
                    )])),
                    ..Default::default()
                };
                let config_maps = Api::<ConfigMap>::namespaced(ctx.client.clone(), &namespace);
                apply_owned(&config_maps, &*widget, child, FIELD_MANAGER).await?;
                let mut conditions = widget.status.clone().unwrap_or_default().conditions;
                let ready = new_condition(
                    "Ready",
                    true,
                    "ChildApplied",
                    format!("size {} is in the config map", widget.spec.size),
                    widget.metadata.generation,
                );
                if conditions.set_condition(ready) {
                    let patch = json!({ "status": { "conditions": conditions } });
                    widgets
                        .patch_status(
                            &widget.name_any(),
                            &PatchParams::default(),
                            &Patch::Merge(&patch),
                        )
                        .await?;
                }
                Ok(Action::await_change())
            }
            Event::Cleanup(_) => {
                if !ctx.may_clean_up.load(Ordering::SeqCst) {
                    return Err(Error::CleanupHeld);
                }
                ctx.cleanups.fetch_add(1, Ordering::SeqCst);
                Ok(Action::await_change())
            }
        }
    })
    .await
}

fn ready_condition(widget: &Widget) -> Option<Condition> {
    widget
        .status
        .as_ref()?
        .conditions
        .find_condition("Ready")
        .cloned()
}

#[tokio::test]
async fn a_widget_owns_its_config_map_reports_ready_and_goes_after_its_cleanup() {
    let env = TestEnv::builder().crd(Widget::crd()).start().await.unwrap();
    let admin = env.client();
    let rules = rbac::merge_rules(
        [
            vec![
                rule_for::<Widget>(&["list", "watch"]),
                policy_rule("example.com", "widgets/status", &["patch"]),
            ],
            finalizer_rules::<Widget>(),
            owned_rules::<ConfigMap>(),
        ]
        .concat(),
    );
    let client = client_with(&env, rules).await;
    let context = Arc::new(Context {
        client: client.clone(),
        may_clean_up: AtomicBool::new(false),
        cleanups: AtomicUsize::new(0),
    });
    let controller = Shared::new(client.clone())
        .controller(Api::<Widget>::namespaced(client.clone(), NAMESPACE))
        .owns(Api::<ConfigMap>::namespaced(client, NAMESPACE))
        .run(
            reconcile,
            |_, _, _| Action::requeue(Duration::from_millis(500)),
            context.clone(),
        );
    let running = tokio::spawn(controller);

    let widgets = Api::<Widget>::namespaced(admin.clone(), NAMESPACE);
    let config_maps = Api::<ConfigMap>::namespaced(admin.clone(), NAMESPACE);
    let widget = widgets
        .create(
            &PostParams::default(),
            &Widget::new("w1", WidgetSpec { size: 3 }),
        )
        .await
        .unwrap();
    eventually("w1 is Ready for generation 1", || async {
        let widget = widgets.get("w1").await.unwrap();
        ready_condition(&widget).is_some_and(|ready| ready.observed_generation == Some(1))
    })
    .await;
    let first = ready_condition(&widgets.get("w1").await.unwrap()).unwrap();
    assert_eq!(
        (first.status.as_str(), first.reason.as_str()),
        ("True", "ChildApplied")
    );
    assert_eq!(widgets.get("w1").await.unwrap().finalizers(), [FINALIZER]);

    // The child carries the controller owner reference.
    let child = config_maps.get("w1-data").await.unwrap();
    let owner = &child.owner_references()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.uid.as_str()),
        ("Widget", "w1", widget.uid().unwrap().as_str())
    );
    assert_eq!(
        (owner.controller, owner.block_owner_deletion),
        (Some(true), Some(true))
    );

    // A spec change: the condition follows the generation, its transition time stays.
    let resize = json!({ "spec": { "size": 5 } });
    widgets
        .patch("w1", &PatchParams::default(), &Patch::Merge(&resize))
        .await
        .unwrap();
    eventually("w1 is Ready for generation 2", || async {
        let widget = widgets.get("w1").await.unwrap();
        ready_condition(&widget).is_some_and(|ready| ready.observed_generation == Some(2))
    })
    .await;
    let second = ready_condition(&widgets.get("w1").await.unwrap()).unwrap();
    assert_eq!(second.last_transition_time, first.last_transition_time);
    assert_eq!(second.message, "size 5 is in the config map");

    // Deleting the child triggers its owner, which applies it again.
    config_maps
        .delete("w1-data", &DeleteParams::default())
        .await
        .unwrap();
    eventually("the config map is back", || async {
        config_maps
            .get_opt("w1-data")
            .await
            .unwrap()
            .is_some_and(|again| again.uid() != child.uid())
    })
    .await;

    // The finalizer holds the Widget while its cleanup fails.
    widgets
        .delete("w1", &DeleteParams::default())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let held = widgets.get("w1").await.unwrap();
    assert!(held.metadata.deletion_timestamp.is_some());
    assert_eq!(context.cleanups.load(Ordering::SeqCst), 0);

    context.may_clean_up.store(true, Ordering::SeqCst);
    eventually("w1 is gone", || async {
        widgets.get_opt("w1").await.unwrap().is_none()
    })
    .await;
    assert!(context.cleanups.load(Ordering::SeqCst) >= 1);
    running.abort();
}
