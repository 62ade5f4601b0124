// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

//! Controllers, one per kind, and what the manager needs to run them side by side.

pub mod foo;
// +operator:scaffold:controller-modules

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    fmt::Debug,
    future::Future,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use futures::{StreamExt, future::BoxFuture};
use k8s_openapi::api::rbac::v1::PolicyRule;
use kube::{
    Api, Client, Resource, ResourceExt,
    api::ListParams,
    runtime::{
        Controller, WatchStreamExt, controller,
        reflector::{self, ObjectRef, Store},
        watcher,
    },
};
use serde::de::DeserializeOwned;
use tokio::task::{Id, JoinError, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::{Error, manager::Readiness, metrics::Metrics};

/// What every controller gets from the manager. Cheap to clone.
#[derive(Clone)]
pub struct Shared {
    pub client: Client,
    pub metrics: Arc<Metrics>,
    pub readiness: Readiness,
    /// Cancelled when the manager stops: controllers finish the reconciles in flight and return.
    pub shutdown: CancellationToken,
}

impl Shared {
    /// What a controller needs to run on its own, as in tests: fresh metrics, readiness and
    /// shutdown token.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            metrics: Arc::default(),
            readiness: Readiness::default(),
            shutdown: CancellationToken::new(),
        }
    }
}

/// How a controller is started: boxed, so that all of them fit in one list.
pub type Run = fn(Shared) -> BoxFuture<'static, Result<(), Error>>;

/// Every controller of the operator, by name.
const CONTROLLERS: &[(&str, Run)] = &[
    ("foo", |shared| Box::pin(foo::run(shared))),
    // +operator:scaffold:controllers
];

/// Starts every controller of the operator, each on its own task.
pub fn run_all(shared: Shared) -> Controllers {
    let mut controllers = Controllers::new(shared);
    for &(name, run) in CONTROLLERS {
        controllers.spawn(name, run);
    }
    controllers
}

/// Every controller's `policy_rules`.
const POLICY_RULES: &[fn() -> Vec<PolicyRule>] = &[
    foo::policy_rules,
    // +operator:scaffold:rbac-rules
];

/// The RBAC rules of the manager: the union of every controller's rules.
pub fn policy_rules() -> Vec<PolicyRule> {
    merge_rules(POLICY_RULES.iter().flat_map(|rules| rules()))
}

/// The RBAC rules of leader election, granted in the Lease's namespace: kube-lease-manager gets
/// the Lease, creates it the first time, and takes or renews it by server-side apply.
pub fn leader_election_rules() -> Vec<PolicyRule> {
    vec![policy_rule(
        "coordination.k8s.io",
        "leases",
        &["create", "get", "patch"],
    )]
}

/// At most this many reconciles at once per controller: enough to keep the API server busy, few
/// enough that a burst (every object at startup) waits here instead of piling up, with its
/// memory, as requests in flight.
pub const MAX_CONCURRENT_RECONCILES: u16 = 16;

/// A Controller of `api`'s objects, and the cache it reconciles from, as every controller here
/// starts: fed by a watch of its own so that `/readyz` learns when the first list is in, limited
/// to `MAX_CONCURRENT_RECONCILES`, and stopping gracefully when the manager does.
pub fn controller_for<K>(
    shared: &Shared,
    name: &'static str,
    api: Api<K>,
) -> (Controller<K>, Store<K>)
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (cache, writer) = reflector::store();
    let synced = shared.readiness.cache(name);
    let events = watcher(api, watcher::Config::default().any_semantic())
        .default_backoff()
        // Nothing here reads managed fields, and they are often most of an object's size.
        .modify(|obj| obj.managed_fields_mut().clear())
        .reflect(writer)
        .inspect(move |event| {
            if let Ok(watcher::Event::InitDone) = event {
                synced.mark_synced();
            }
        })
        .applied_objects();
    let controller = Controller::for_stream(events, cache.clone())
        .with_config(controller::Config::default().concurrency(MAX_CONCURRENT_RECONCILES))
        .graceful_shutdown_on(shared.shutdown.clone().cancelled_owned());
    (controller, cache)
}

/// Fails fast, as controller-runtime does, when the API server does not serve
/// `K` (its CRD is not installed) or cannot be reached: a controller whose
/// watch never succeeds would otherwise only log retries.
pub async fn ensure_served<K>(api: &Api<K>) -> Result<(), Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
{
    let kind = || format!("{}/{}", K::api_version(&()), K::kind(&()));
    match api.list_metadata(&ListParams::default().limit(1)).await {
        Ok(_) => Ok(()),
        // A 404 with a plain-text body for a group/version nobody serves.
        Err(kube::Error::Api(status)) if status.code == 404 => {
            Err(Error::NotServed { kind: kind() })
        }
        Err(source) => Err(Error::CannotList {
            kind: kind(),
            source,
        }),
    }
}

/// A rule granting `verbs` on one resource (or subresource, `foos/status`).
pub fn policy_rule(api_group: &str, resource: &str, verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![api_group.into()]),
        resources: Some(vec![resource.into()]),
        verbs: verbs.iter().map(|verb| verb.to_string()).collect(),
        ..Default::default()
    }
}

/// Merges the verbs of rules that target the same resources, so that two
/// controllers watching the same kind yield one rule; the output is sorted
/// to keep the generated role stable.
fn merge_rules(rules: impl IntoIterator<Item = PolicyRule>) -> Vec<PolicyRule> {
    type Target = (
        Option<Vec<String>>,
        Option<Vec<String>>,
        Option<Vec<String>>,
        Option<Vec<String>>,
    );
    let mut merged: BTreeMap<Target, BTreeSet<String>> = BTreeMap::new();
    for rule in rules {
        let target = (
            rule.api_groups,
            rule.resources,
            rule.resource_names,
            rule.non_resource_urls,
        );
        merged.entry(target).or_default().extend(rule.verbs);
    }
    merged
        .into_iter()
        .map(
            |((api_groups, resources, resource_names, non_resource_urls), verbs)| PolicyRule {
                api_groups,
                resources,
                resource_names,
                non_resource_urls,
                verbs: verbs.into_iter().collect(),
            },
        )
        .collect()
}

/// Per-object exponential backoff for failed reconciles (1s, 2s, 4s, ...
/// up to 5 minutes), so one broken object is retried quickly at first without
/// hammering the API server when it stays broken.
///
/// A count is dropped when its object reconciles successfully; the few that
/// belong to objects deleted while failing are kept until restart.
pub struct ErrorBackoff<K: Resource<DynamicType = ()>> {
    failures: Mutex<HashMap<ObjectRef<K>, u32>>,
}

impl<K: Resource<DynamicType = ()>> Default for ErrorBackoff<K> {
    fn default() -> Self {
        Self {
            failures: Mutex::default(),
        }
    }
}

impl<K: Resource<DynamicType = ()>> ErrorBackoff<K> {
    const FIRST: Duration = Duration::from_secs(1);
    const MAX: Duration = Duration::from_secs(300);

    /// Counts one more failure of `obj` and returns how long to wait before retrying it.
    pub fn next_delay(&self, obj: &K) -> Duration {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let count = failures.entry(ObjectRef::from_obj(obj)).or_insert(0);
        let delay = Self::FIRST
            .saturating_mul(1 << (*count).min(16))
            .min(Self::MAX);
        *count = count.saturating_add(1);
        delay
    }

    /// Forgets the failures of an object that just reconciled successfully.
    pub fn reset(&self, obj: &ObjectRef<K>) {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(obj);
    }
}

/// What a controller task ends with: an error, or a panic/cancellation.
pub type Exit = Result<Result<(), Error>, JoinError>;

/// The running controllers, each on its own task and known by name.
pub struct Controllers {
    shared: Shared,
    tasks: JoinSet<Result<(), Error>>,
    names: HashMap<Id, &'static str>,
}

impl Controllers {
    pub fn new(shared: Shared) -> Self {
        Self {
            shared,
            tasks: JoinSet::new(),
            names: HashMap::new(),
        }
    }

    /// Spawns `run` with its own handle on what the manager shares; `name` is what the manager
    /// logs when this controller stops, and what `/readyz` waits for until its caches are synced.
    pub fn spawn<F>(&mut self, name: &'static str, run: impl FnOnce(Shared) -> F)
    where
        F: Future<Output = Result<(), Error>> + Send + 'static,
    {
        let readiness = self.shared.readiness.clone();
        let shutdown = self.shared.shutdown.clone();
        readiness.starting(name);
        let running = run(self.shared.clone());
        // A kube Controller waits for its cache before reconciling, and a graceful shutdown
        // waits for that too, forever once its watch has stopped. Before the caches are synced
        // nothing is in flight, so a shutdown then simply drops the controller.
        let stopped_while_syncing = async move {
            shutdown.cancelled().await;
            if readiness.is_synced(name) {
                std::future::pending::<()>().await;
            }
        };
        let task = self.tasks.spawn(async move {
            tokio::select! {
                result = running => result,
                () = stopped_while_syncing => {
                    info!(controller = name, "stopped before its caches were synced");
                    Ok(())
                }
            }
        });
        self.names.insert(task.id(), name);
    }

    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Waits until the next controller stops; `None` once all have stopped.
    pub async fn join_next(&mut self) -> Option<(&'static str, Exit)> {
        let (id, exit) = match self.tasks.join_next_with_id().await? {
            Ok((id, result)) => (id, Ok(result)),
            Err(err) => (err.id(), Err(err)),
        };
        Some((self.names.remove(&id).unwrap_or("unknown"), exit))
    }

    /// Aborts the controllers that are still running and waits for them.
    pub async fn shutdown(&mut self) {
        self.tasks.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::core::ObjectMeta;

    #[test]
    fn rules_on_the_same_resources_merge_their_verbs() {
        let merged = merge_rules([
            policy_rule("apps", "deployments", &["watch", "list"]),
            policy_rule("", "pods", &["list", "watch"]),
            policy_rule("apps", "deployments", &["get", "list"]),
        ]);
        assert_eq!(
            merged,
            [
                policy_rule("", "pods", &["list", "watch"]),
                policy_rule("apps", "deployments", &["get", "list", "watch"]),
            ]
        );
    }

    #[test]
    fn manager_rules_grant_everything_each_controller_asks_for() {
        let granted = policy_rules();
        for rule in POLICY_RULES.iter().flat_map(|rules| rules()) {
            let merged = granted
                .iter()
                .find(|merged| {
                    merged.api_groups == rule.api_groups && merged.resources == rule.resources
                })
                .unwrap_or_else(|| panic!("no rule for {:?}", rule.resources));
            for verb in &rule.verbs {
                assert!(merged.verbs.contains(verb), "{verb} missing in {merged:?}");
            }
        }
    }

    #[test]
    fn leader_election_touches_nothing_but_leases() {
        let rules = leader_election_rules();
        assert_eq!(rules.len(), 1, "{rules:?}");
        let rule = &rules[0];
        assert_eq!(
            rule.api_groups.as_deref(),
            Some(&["coordination.k8s.io".to_string()][..])
        );
        assert_eq!(rule.resources.as_deref(), Some(&["leases".to_string()][..]));
        // Getting, creating and patching one Lease is all a leader does; listing,
        // watching or deleting Leases would reach other programs' locks.
        let mut verbs = rule.verbs.clone();
        verbs.sort();
        assert_eq!(verbs, ["create", "get", "patch"]);
        assert!(rule.non_resource_urls.is_none());
    }

    #[tokio::test]
    async fn ensure_served_reports_a_kind_the_api_server_does_not_serve() {
        let (client, mut server) = testing::mock_client();
        let checking = tokio::spawn(async move {
            ensure_served(&Api::<ConfigMap>::all(client))
                .await
                .map_err(|err| err.to_string())
        });

        // What the API server answers for a CRD that is not installed.
        let request = server
            .fail(http::StatusCode::NOT_FOUND, "404 page not found")
            .await;
        assert_eq!(request.method, http::Method::GET);
        assert_eq!(request.path, "/api/v1/configmaps");
        assert_eq!(request.query, "&limit=1");

        let error = checking.await.unwrap().unwrap_err();
        assert_eq!(
            error,
            "v1/ConfigMap is not served by the API server; is its CRD installed?"
        );
    }

    #[tokio::test]
    async fn shutdown_drops_a_controller_still_syncing_and_waits_for_one_that_runs() {
        let (client, _server) = testing::mock_client();
        let shared = Shared::new(client);
        let mut controllers = Controllers::new(shared.clone());
        // Its cache never fills, and it never returns by itself.
        controllers.spawn("syncing", |shared| async move {
            let _cache = shared.readiness.cache("syncing");
            std::future::pending::<Result<(), Error>>().await
        });
        // Synced, it finishes its work after the shutdown signal, as kube's graceful shutdown does.
        let (finished, finish) = tokio::sync::oneshot::channel::<()>();
        controllers.spawn("running", |shared| async move {
            shared.readiness.cache("running").mark_synced();
            shared.shutdown.cancelled().await;
            let _ = finish.await;
            Ok(())
        });
        tokio::task::yield_now().await;

        shared.shutdown.cancel();
        let (name, exit) = tokio::time::timeout(testing::TIMEOUT, controllers.join_next())
            .await
            .expect("the syncing controller was not dropped")
            .unwrap();
        assert_eq!(name, "syncing");
        assert!(matches!(exit, Ok(Ok(()))), "{exit:?}");

        finished.send(()).unwrap();
        let (name, exit) = controllers.join_next().await.unwrap();
        assert_eq!(name, "running");
        assert!(matches!(exit, Ok(Ok(()))), "{exit:?}");
    }

    #[test]
    fn error_backoff_doubles_per_failure_and_resets() {
        let backoff = ErrorBackoff::<ConfigMap>::default();
        let obj = ConfigMap {
            metadata: ObjectMeta {
                name: Some("settings".into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let delays: Vec<u64> = (0..12)
            .map(|_| backoff.next_delay(&obj).as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);

        backoff.reset(&ObjectRef::from_obj(&obj));
        assert_eq!(backoff.next_delay(&obj), Duration::from_secs(1));
    }
}

/// A fake API server for controller unit tests, in the style of kube-rs'
/// controller-rs: requests are checked one by one as the client sends them.
#[cfg(test)]
pub mod testing {
    use std::time::Duration;

    use http::{Method, Request, Response, StatusCode};
    use kube::{Client, client::Body};
    use serde_json::Value;
    use tokio::time::timeout;
    use tower_test::mock::{Handle, SendResponse};

    /// How long a test waits for something before it fails instead of hanging.
    pub const TIMEOUT: Duration = Duration::from_secs(5);

    /// A request as the API server received it.
    #[derive(Debug)]
    pub struct Received {
        pub method: Method,
        pub path: String,
        pub query: String,
        pub body: Value,
    }

    pub struct ApiServer(Handle<Request<Body>, Response<Body>>);

    /// A client whose every request goes to the returned fake API server.
    pub fn mock_client() -> (Client, ApiServer) {
        let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
        (Client::new(service, "default"), ApiServer(handle))
    }

    impl ApiServer {
        /// Waits for the next request and answers it with the JSON `reply` builds.
        pub async fn handle(&mut self, reply: impl FnOnce(&Received) -> Value) -> Received {
            let (received, respond) = self.receive().await;
            let body = serde_json::to_vec(&reply(&received)).expect("serializable reply");
            respond.send_response(Response::new(Body::from(body)));
            received
        }

        /// Waits for the next request and answers it with an error.
        pub async fn fail(&mut self, code: StatusCode, body: &str) -> Received {
            let (received, respond) = self.receive().await;
            let mut response = Response::new(Body::from(body.as_bytes().to_vec()));
            *response.status_mut() = code;
            respond.send_response(response);
            received
        }

        /// Panics if a request arrives within `wait`.
        pub async fn assert_quiet_for(&mut self, wait: Duration) {
            if let Ok(Some((request, _))) = timeout(wait, self.0.next_request()).await {
                panic!("unexpected request: {} {}", request.method(), request.uri());
            }
        }

        /// Passes only if no request comes before every client handle is dropped.
        pub async fn assert_no_more_requests(mut self) {
            let next = timeout(TIMEOUT, self.0.next_request())
                .await
                .expect("timed out: a client handle is still alive");
            if let Some((request, _)) = next {
                panic!("unexpected request: {} {}", request.method(), request.uri());
            }
        }

        async fn receive(&mut self) -> (Received, SendResponse<Response<Body>>) {
            let (request, respond) = timeout(TIMEOUT, self.0.next_request())
                .await
                .expect("timed out waiting for a request")
                .expect("client was dropped before sending the expected request");
            let (parts, body) = request.into_parts();
            let body = body.collect_bytes().await.expect("readable request body");
            let received = Received {
                method: parts.method,
                path: parts.uri.path().to_string(),
                query: parts.uri.query().unwrap_or_default().to_string(),
                body: if body.is_empty() {
                    Value::Null
                } else {
                    serde_json::from_slice(&body).expect("JSON request body")
                },
            };
            (received, respond)
        }
    }
}
