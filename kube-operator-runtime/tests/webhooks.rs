//! The webhooks against a real API server: a manager serves defaulting, validation and
//! conversion of a kind with two versions, the API server calls it through the configurations
//! and CRD that `Webhooks` writes, and refuses creations once the server has stopped.
// kube-envtest comes with the `testing` feature (see secure_metrics.rs for why not `[[test]]`).
#![cfg(feature = "testing")]

use std::{process::ExitCode, time::Duration};

use clap::Parser;
use kube::{
    Api, CustomResource, CustomResourceExt,
    api::{ObjectMeta, PostParams},
};
use kube_envtest::TestEnv;
use kube_operator_runtime::{
    Conversion, Defaulter, Denied, Manager, ManagerArgs, Shared, Validation, Validator, Webhooks,
    manifests::merge_versions,
    testing::{eventually, webhook_args, webhook_install_options},
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
