//! The webhooks against a real API server: a manager serves defaulting, validation and
//! conversion of a kind with two versions, the API server calls it through the configurations
//! and CRD that `Webhooks` writes, and refuses creations once the server has stopped.
// kube-envtest comes with the `testing` feature (see secure_metrics.rs for why not `[[test]]`).
#![cfg(feature = "testing")]

use std::{
    collections::HashSet,
    process::ExitCode,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use clap::Parser;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::{
    Api, CustomResource, CustomResourceExt,
    api::{ObjectMeta, PostParams},
    runtime::controller::Action,
};
use kube_envtest::TestEnv;
use kube_operator_runtime::{
    Manager, ManagerArgs, Shared,
    manifests::merge_versions,
    testing::{eventually, http_get, webhook_args, webhook_install_options},
    webhook::{
        AdmissionContext, Conversion, CustomValidator, Defaulter, Denied, Validation, Validator,
        Webhooks,
    },
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod v1 {
    use super::*;

    /// The first shape: the friend's name.
    #[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
    #[kube(
        group = "webhooks.example.com",
        version = "v1",
        kind = "Foo",
        namespaced
    )]
    pub struct FooSpec {
        pub name: String,
    }
}

mod v2 {
    use super::*;

    /// The stored shape: the friend as an object, and a greeting that defaults.
    #[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
    #[kube(
        group = "webhooks.example.com",
        version = "v2",
        kind = "Foo",
        namespaced
    )]
    pub struct FooSpec {
        pub friend: Friend,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub greeting: Option<String>,
    }

    #[derive(Deserialize, Serialize, Clone, Debug, JsonSchema)]
    pub struct Friend {
        pub name: String,
    }
}

impl From<v1::Foo> for v2::Foo {
    fn from(old: v1::Foo) -> Self {
        let friend = v2::Friend {
            name: old.spec.name,
        };
        // The greeting is kept in an annotation, so that a round trip through v1 loses nothing.
        let greeting = old
            .metadata
            .annotations
            .as_ref()
            .and_then(|annotations| annotations.get(GREETING))
            .cloned();
        let mut metadata = old.metadata;
        if let Some(annotations) = &mut metadata.annotations {
            annotations.remove(GREETING);
        }
        Self {
            metadata,
            spec: v2::FooSpec { friend, greeting },
        }
    }
}

impl From<v2::Foo> for v1::Foo {
    fn from(new: v2::Foo) -> Self {
        let mut metadata = new.metadata;
        if let Some(greeting) = new.spec.greeting {
            metadata
                .annotations
                .get_or_insert_default()
                .insert(GREETING.into(), greeting);
        }
        Self {
            metadata,
            spec: v1::FooSpec {
                name: new.spec.friend.name,
            },
        }
    }
}

const GREETING: &str = "webhooks.example.com/greeting";

impl Defaulter for v2::Foo {
    fn default(&mut self) {
        self.spec.greeting.get_or_insert_with(|| "hello".into());
    }
}

impl Validator for v2::Foo {
    fn validate_create(&self) -> Validation {
        if self.spec.friend.name == "bad" {
            return Err(Denied::invalid("spec.friend.name", "bad is no friend"));
        }
        Ok(Vec::new())
    }
}

fn webhooks() -> Webhooks {
    Webhooks::new()
        .defaulting::<v2::Foo>()
        .validating::<v2::Foo>()
        .conversion(Conversion::hub::<v2::Foo>().spoke::<v1::Foo>())
}

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    manager: ManagerArgs,
}

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        ..Default::default()
    }
}

fn v2_foo(name: &str, friend: &str) -> v2::Foo {
    v2::Foo {
        metadata: meta(name),
        spec: v2::FooSpec {
            friend: v2::Friend {
                name: friend.into(),
            },
            greeting: None,
        },
    }
}

#[tokio::test]
async fn the_api_server_calls_the_managers_webhooks() {
    let webhooks = webhooks();
    let crds = merge_versions(vec![v2::Foo::crd(), v1::Foo::crd()]).unwrap();
    let env = TestEnv::builder()
        .missing_binaries_hint(
            "run scripts/test.sh, which builds them once, or set KUBEBUILDER_ASSETS",
        )
        .crds(webhooks.with_conversion(crds))
        .webhooks(webhook_install_options(&webhooks))
        .start()
        .await
        .unwrap();
    let server = env.webhook_server().expect("webhooks were installed");

    let mut flags = vec![
        "manager".to_string(),
        "--health-probe-bind-address=0".into(),
    ];
    flags.extend(webhook_args(server));
    let args = Args::parse_from(flags).manager;
    // A controller that fails when told to: the way to stop a manager run in-process.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let manager = Manager::new(args, "webhooks-test")
        .webhooks(webhooks)
        .controller("stopper", |_: Shared| async move {
            let _ = stopped.await;
            Err(std::io::Error::other("told to stop"))
        })
        .run_with_client(env.client());
    let manager = tokio::spawn(manager);

    let foos_v2 = Api::<v2::Foo>::namespaced(env.client(), "default");
    let foos_v1 = Api::<v1::Foo>::namespaced(env.client(), "default");
    let create = PostParams::default();
    // The API server calls the webhooks once the server listens and it has read the
    // configurations.
    eventually("the webhooks admit a Foo", || async {
        foos_v2
            .create(&create, &v2_foo("first", "ann"))
            .await
            .is_ok()
    })
    .await;
    let first = foos_v2.get("first").await.unwrap();
    assert_eq!(first.spec.greeting.as_deref(), Some("hello"));

    let refused = foos_v2.create(&create, &v2_foo("bad", "bad")).await;
    let Err(kube::Error::Api(status)) = refused else {
        panic!("a bad Foo was admitted: {refused:?}");
    };
    assert_eq!(status.code, 422, "{status:?}");
    assert!(
        status
            .message
            .ends_with("denied the request: spec.friend.name: bad is no friend"),
        "{status:?}"
    );

    // Created as v1, converted to v2 for storage (and for the v2 webhooks), read back as either.
    let old = v1::Foo {
        metadata: meta("old"),
        spec: v1::FooSpec { name: "bob".into() },
    };
    foos_v1.create(&create, &old).await.unwrap();
    let as_v2 = foos_v2.get("old").await.unwrap();
    assert_eq!(as_v2.spec.friend.name, "bob");
    assert_eq!(as_v2.spec.greeting.as_deref(), Some("hello"));
    let as_v1 = foos_v1.get("old").await.unwrap();
    assert_eq!(as_v1.spec.name, "bob");
    let annotations = as_v1.metadata.annotations.unwrap_or_default();
    assert_eq!(annotations.get(GREETING).map(String::as_str), Some("hello"));

    // Stopped, the server answers nothing, and `failurePolicy: Fail` refuses what it would
    // have checked.
    stop.send(()).unwrap();
    let exit = tokio::time::timeout(Duration::from_secs(10), manager)
        .await
        .expect("the manager stops")
        .unwrap();
    assert_eq!(exit, ExitCode::FAILURE);
    let refused = foos_v2.create(&create, &v2_foo("unchecked", "cid")).await;
    let Err(kube::Error::Api(status)) = refused else {
        panic!("a Foo was admitted without its webhooks: {refused:?}");
    };
    assert!(
        status.message.contains("failed calling webhook"),
        "{status:?}"
    );
}

/// A gadget names a config map that must exist when the gadget is created.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
#[kube(
    group = "webhooks.example.com",
    version = "v1",
    kind = "Gadget",
    namespaced
)]
#[serde(rename_all = "camelCase")]
pub struct GadgetSpec {
    pub config_map: String,
}

/// Checks that the config map a gadget names exists.
struct ConfigMapExists;

impl CustomValidator<Gadget> for ConfigMapExists {
    async fn validate_create(&self, gadget: &Gadget, context: &AdmissionContext) -> Validation {
        let namespace = context.namespace.as_deref().unwrap_or("default");
        let config_maps = Api::<ConfigMap>::namespaced(context.client.clone(), namespace);
        let wanted = &gadget.spec.config_map;
        match config_maps.get_opt(wanted).await {
            Ok(Some(_)) => Ok(Vec::new()),
            Ok(None) => Err(Denied::invalid(
                "spec.configMap",
                format!(
                    "no ConfigMap {wanted} in {namespace} (asked by {})",
                    context.user_info.username.as_deref().unwrap_or("nobody")
                ),
            )),
            Err(err) => Err(Denied::new(format!("cannot look up {wanted}: {err}"))),
        }
    }
}

#[tokio::test]
async fn a_validator_looks_up_another_object_through_the_managers_client() {
    let webhooks = Webhooks::new().custom_validating::<Gadget>(ConfigMapExists);
    let env = TestEnv::builder()
        .crd(Gadget::crd())
        .webhooks(webhook_install_options(&webhooks))
        .start()
        .await
        .unwrap();
    let mut flags = vec![
        "manager".to_string(),
        "--health-probe-bind-address=0".into(),
    ];
    flags.extend(webhook_args(env.webhook_server().unwrap()));
    let manager = Manager::new(Args::parse_from(flags).manager, "webhooks-test")
        .webhooks(webhooks)
        .run_with_client(env.client());
    let manager = tokio::spawn(manager);

    let gadgets = Api::<Gadget>::namespaced(env.client(), "default");
    let gadget = Gadget::new(
        "g1",
        GadgetSpec {
            config_map: "settings".into(),
        },
    );
    let create = PostParams::default();
    // Until the server answers, the API server refuses with "failed calling webhook".
    let refused = Arc::new(Mutex::new(None));
    eventually("the webhook answers", || async {
        match gadgets.create(&create, &gadget).await {
            Err(kube::Error::Api(status)) if status.message.contains("denied the request") => {
                *refused.lock().unwrap() = Some(status);
                true
            }
            _ => false,
        }
    })
    .await;
    let status = refused.lock().unwrap().take().unwrap();
    assert_eq!(status.code, 422, "{status:?}");
    assert!(
        status
            .message
            .contains("spec.configMap: no ConfigMap settings in default (asked by "),
        "{status:?}"
    );
    assert!(!status.message.contains("(asked by nobody)"), "{status:?}");

    let settings = ConfigMap {
        metadata: meta("settings"),
        ..Default::default()
    };
    Api::<ConfigMap>::namespaced(env.client(), "default")
        .create(&create, &settings)
        .await
        .unwrap();
    gadgets.create(&create, &gadget).await.unwrap();
    manager.abort();
}

/// Forwards each connection made to `listen` on to `target`, but only while the manager whose
/// probes are at `probes` answers `/readyz`: what a Service does with a Pod's readiness. Counts
/// the connections forwarded while the manager's caches were still filling.
async fn service_in_front(listen: u16, target: u16, probes: String) -> Arc<AtomicUsize> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", listen))
        .await
        .unwrap();
    let while_syncing = Arc::new(AtomicUsize::new(0));
    let counted = while_syncing.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                return;
            };
            let probes = probes.clone();
            let counted = counted.clone();
            tokio::spawn(async move {
                if !matches!(http_get(&probes, "/readyz").await, Some((200, _))) {
                    // No endpoint: the connection is refused.
                    return;
                }
                if !matches!(http_get(&probes, "/readyz/caches").await, Some((200, _))) {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
                let Ok(mut outbound) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await
                else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    while_syncing
}

fn free_port() -> u16 {
    kube_envtest::free_loopback_port().unwrap()
}

/// The "move to v2" migration: Foos stored as v1, a new controller that watches v2. Its first
/// list needs the conversion webhook, which the API server reaches only through a ready Pod;
/// were readiness to wait for the caches, neither would ever come.
#[tokio::test]
async fn a_controller_of_an_unstored_version_starts_cold_through_its_own_conversion() {
    let webhooks = Webhooks::new().conversion(Conversion::hub::<v2::Foo>().spoke::<v1::Foo>());
    // v1 is the stored version.
    let crds = merge_versions(vec![v1::Foo::crd(), v2::Foo::crd()]).unwrap();
    let env = TestEnv::builder()
        // Without streamed lists (off by default before 1.34), the first list is a LIST, which
        // converts every stored object or fails. A streamed one may start from the API
        // server's cache, empty while it cannot convert, and fill as conversions come.
        .apiserver_arg("--feature-gates=WatchList=false")
        .crds(webhooks.with_conversion(crds))
        .webhooks(webhook_install_options(&webhooks))
        .start()
        .await
        .unwrap();
    let foos_v1 = Api::<v1::Foo>::namespaced(env.client(), "default");
    let count = 20;
    for n in 0..count {
        let foo = v1::Foo {
            metadata: meta(&format!("foo-{n}")),
            spec: v1::FooSpec {
                name: format!("friend-{n}"),
            },
        };
        foos_v1.create(&PostParams::default(), &foo).await.unwrap();
    }

    // The API server calls the webhook server's port; the Service stands there.
    let server = env.webhook_server().unwrap();
    let (manager_port, probe_port) = (free_port(), free_port());
    let probes = format!("127.0.0.1:{probe_port}");
    let while_syncing = service_in_front(server.port(), manager_port, probes.clone()).await;
    let mut flags = vec![
        "manager".to_string(),
        format!("--health-probe-bind-address={probes}"),
        "--cache-sync-timeout=60s".into(),
    ];
    flags.extend(
        webhook_args(server)
            .into_iter()
            .filter(|flag| !flag.starts_with("--webhook-port=")),
    );
    flags.push(format!("--webhook-port={manager_port}"));

    let seen = Arc::new(Mutex::new(HashSet::new()));
    let reconciled = seen.clone();
    let manager = Manager::new(Args::parse_from(flags).manager, "webhooks-test")
        .webhooks(webhooks)
        .controller("greeter", move |shared: Shared| async move {
            let foos = Api::<v2::Foo>::namespaced(shared.client.clone(), "default");
            shared
                .controller(foos)
                .run(
                    |foo: Arc<v2::Foo>, seen: Arc<Mutex<HashSet<String>>>| async move {
                        seen.lock().unwrap().insert(foo.spec.friend.name.clone());
                        Ok::<_, kube::Error>(Action::await_change())
                    },
                    |_, _, _| Action::requeue(Duration::from_secs(1)),
                    reconciled,
                )
                .await;
            Ok::<(), std::io::Error>(())
        })
        .run_with_client(env.client());
    let manager = tokio::spawn(manager);

    eventually("every Foo is reconciled as v2", || async {
        seen.lock().unwrap().len() == count
    })
    .await;
    assert!(seen.lock().unwrap().contains("friend-7"));
    assert!(
        while_syncing.load(Ordering::SeqCst) > 0,
        "no conversion was answered while the caches were filling"
    );
    assert!(!manager.is_finished(), "the manager stopped");
    manager.abort();
}
