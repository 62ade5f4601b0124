//! The webhooks' unit tests, and the kinds and webhooks the manifests' tests share.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

use super::{
    configurations::{Target, meta},
    *,
};

pub mod v1 {
    use super::*;

    /// The old shape: the friend's name only.
    #[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
    #[kube(group = "tutorial.my.domain", version = "v1", kind = "Foo", namespaced)]
    pub struct FooSpec {
        pub name: String,
    }
}

pub mod v2 {
    use super::*;

    /// The new shape: the friend as an object.
    #[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
    #[kube(group = "tutorial.my.domain", version = "v2", kind = "Foo", namespaced)]
    pub struct FooSpec {
        pub friend: Friend,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub greeting: Option<String>,
        #[serde(default)]
        pub replicas: u32,
    }

    #[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
    pub struct Friend {
        pub name: String,
    }
}

impl TryFrom<v1::Foo> for v2::Foo {
    type Error = String;

    fn try_from(old: v1::Foo) -> Result<Self, String> {
        if old.spec.name == "nobody" {
            return Err("nobody cannot be a friend".into());
        }
        let spec = v2::FooSpec {
            friend: v2::Friend {
                name: old.spec.name,
            },
            greeting: None,
            replicas: 0,
        };
        Ok(Self {
            metadata: old.metadata,
            spec,
        })
    }
}

impl From<v2::Foo> for v1::Foo {
    fn from(new: v2::Foo) -> Self {
        Self {
            metadata: new.metadata,
            spec: v1::FooSpec {
                name: new.spec.friend.name,
            },
        }
    }
}

impl Defaulter for v2::Foo {
    fn default(&mut self) {
        self.spec.greeting.get_or_insert_with(|| "hello".into());
        if self.spec.replicas == 0 {
            self.spec.replicas = 1;
        }
    }
}

impl Validator for v2::Foo {
    const OPERATIONS: &'static [Operation] =
        &[Operation::Create, Operation::Update, Operation::Delete];

    fn validate_create(&self) -> Validation {
        if self.spec.friend.name == "bad" {
            return Err(Denied::invalid("spec.friend.name", "bad is no friend"));
        }
        if self.spec.friend.name.starts_with('x') {
            return Ok(vec!["names starting with x are hard to say".into()]);
        }
        Ok(Vec::new())
    }

    fn validate_update(&self, old: &Self) -> Validation {
        if self.spec.friend != old.spec.friend {
            return Err("friends are for ever".into());
        }
        Ok(Vec::new())
    }

    fn validate_delete(&self) -> Validation {
        let protected = self
            .metadata
            .labels
            .as_ref()
            .is_some_and(|labels| labels.get("protected").map(String::as_str) == Some("true"));
        if protected {
            return Err(Denied::new(format!(
                "{} is protected",
                self.metadata.name.as_deref().unwrap_or_default()
            )));
        }
        Ok(Vec::new())
    }
}

pub(crate) fn webhooks() -> Webhooks {
    Webhooks::new()
        .defaulting::<v2::Foo>()
        .validating::<v2::Foo>()
        .conversion(Conversion::hub::<v2::Foo>().spoke::<v1::Foo>())
}

const MUTATE: &str = "/mutate-tutorial-my-domain-v2-foo";
const VALIDATE: &str = "/validate-tutorial-my-domain-v2-foo";

fn foo(spec: Value) -> Value {
    json!({
        "apiVersion": "tutorial.my.domain/v2",
        "kind": "Foo",
        "metadata": {"name": "my-foo", "namespace": "default", "uid": "1234", "creationTimestamp": null},
        "spec": spec,
    })
}

fn admission_review(operation: &str, object: Value, old: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "5678",
            "kind": {"group": "tutorial.my.domain", "version": "v2", "kind": "Foo"},
            "resource": {"group": "tutorial.my.domain", "version": "v2", "resource": "foos"},
            "name": "my-foo",
            "namespace": "default",
            "operation": operation,
            "userInfo": {"username": "admin"},
            "object": object,
            "oldObject": old,
            "dryRun": operation == "UPDATE",
        }
    }))
    .unwrap()
}

/// What `webhooks()` answers at `path`, with a client that no test request reaches.
fn handle(path: &str, body: &[u8]) -> Option<Vec<u8>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, _) = crate::test_support::mock_client();
        webhooks().handle(path, body, &client).await
    })
}

/// The `response` of the review answered at `path`.
fn answer(path: &str, body: &[u8]) -> Value {
    let answer = handle(path, body).expect("a webhook at the path");
    let review: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(review["kind"], "AdmissionReview", "{review}");
    assert_eq!(review["apiVersion"], "admission.k8s.io/v1", "{review}");
    review["response"].clone()
}

fn patch_of(response: &Value) -> Value {
    assert_eq!(response["patchType"], "JSONPatch", "{response}");
    // kube writes the patch's bytes as an array of numbers, which the API server reads too.
    let patch: Vec<u8> = serde_json::from_value(response["patch"].clone()).unwrap();
    serde_json::from_slice(&patch).unwrap()
}

#[test]
fn defaulting_answers_with_a_patch_of_the_changes_only() {
    // An unknown field and a null creationTimestamp are left alone.
    let object = foo(json!({"friend": {"name": "ann"}, "unknown": 1}));
    let response = answer(MUTATE, &admission_review("CREATE", object, Value::Null));
    assert_eq!(response["uid"], "5678");
    assert_eq!(response["allowed"], true, "{response}");
    assert_eq!(
        patch_of(&response),
        json!([
            {"op": "add", "path": "/spec/greeting", "value": "hello"},
            {"op": "add", "path": "/spec/replicas", "value": 1},
        ])
    );

    // Nothing to change: no patch.
    let object = foo(json!({"friend": {"name": "ann"}, "greeting": "hi", "replicas": 3}));
    let response = answer(MUTATE, &admission_review("UPDATE", object.clone(), object));
    assert_eq!(response["allowed"], true, "{response}");
    assert!(response.get("patch").is_none(), "{response}");
}

#[test]
fn validation_denies_with_the_validators_message() {
    let bad = foo(json!({"friend": {"name": "bad"}}));
    let response = answer(VALIDATE, &admission_review("CREATE", bad, Value::Null));
    assert_eq!(response["allowed"], false, "{response}");
    assert_eq!(response["uid"], "5678");
    let status = &response["status"];
    assert_eq!(status["message"], "spec.friend.name: bad is no friend");
    assert_eq!(status["reason"], "Invalid");
    assert_eq!(status["code"], 422);
    assert_eq!(status["details"]["causes"][0]["field"], "spec.friend.name");

    let good = foo(json!({"friend": {"name": "ann"}}));
    let response = answer(VALIDATE, &admission_review("CREATE", good, Value::Null));
    assert_eq!(response["allowed"], true, "{response}");
    assert!(response.get("warnings").is_none(), "{response}");
}

#[test]
fn warnings_reach_the_client() {
    let object = foo(json!({"friend": {"name": "xavier"}}));
    let response = answer(VALIDATE, &admission_review("CREATE", object, Value::Null));
    assert_eq!(response["allowed"], true, "{response}");
    assert_eq!(
        response["warnings"],
        json!(["names starting with x are hard to say"])
    );
}

#[test]
fn updates_are_validated_against_the_old_object() {
    let old = foo(json!({"friend": {"name": "ann"}}));
    let same = foo(json!({"friend": {"name": "ann"}, "replicas": 2}));
    let response = answer(VALIDATE, &admission_review("UPDATE", same, old.clone()));
    assert_eq!(response["allowed"], true, "{response}");

    let renamed = foo(json!({"friend": {"name": "bob"}}));
    let response = answer(VALIDATE, &admission_review("UPDATE", renamed, old));
    assert_eq!(response["allowed"], false, "{response}");
    assert_eq!(response["status"]["message"], "friends are for ever");
    assert_eq!(response["status"]["reason"], "Forbidden");
    assert_eq!(response["status"]["code"], 403);
}

#[test]
fn deletions_are_validated_on_the_old_object() {
    let mut protected = foo(json!({"friend": {"name": "ann"}}));
    protected["metadata"]["labels"] = json!({"protected": "true"});
    let response = answer(
        VALIDATE,
        &admission_review("DELETE", Value::Null, protected),
    );
    assert_eq!(response["allowed"], false, "{response}");
    assert_eq!(response["status"]["message"], "my-foo is protected");

    let plain = foo(json!({"friend": {"name": "ann"}}));
    let response = answer(VALIDATE, &admission_review("DELETE", Value::Null, plain));
    assert_eq!(response["allowed"], true, "{response}");
}

#[test]
fn unreadable_requests_are_refused_with_a_reason() {
    let response = answer(VALIDATE, b"not json");
    assert_eq!(response["allowed"], false, "{response}");
    let message = response["status"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("cannot read the AdmissionReview"),
        "{message}"
    );

    let response = answer(
        VALIDATE,
        br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}"#,
    );
    assert_eq!(response["allowed"], false, "{response}");
    assert_eq!(
        response["status"]["message"],
        "the AdmissionReview holds no request"
    );

    // An object that is not a Foo v2 is refused, naming the request.
    let wrong = foo(json!({"name": "ann"}));
    let response = answer(MUTATE, &admission_review("CREATE", wrong, Value::Null));
    assert_eq!(response["allowed"], false, "{response}");
    assert_eq!(response["uid"], "5678");
    assert_eq!(response["status"]["code"], 400);
    let message = response["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("as a Foo: missing field `friend`"),
        "{message}"
    );

    // A validation of an update without its old object.
    let object = foo(json!({"friend": {"name": "ann"}}));
    let response = answer(VALIDATE, &admission_review("UPDATE", object, Value::Null));
    assert_eq!(
        response["status"]["message"],
        "the request holds no oldObject (Foo)"
    );

    assert!(handle("/elsewhere", b"{}").is_none());
}

fn conversion_review(desired: &str, objects: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "ConversionReview",
        "request": {"uid": "9abc", "desiredAPIVersion": desired, "objects": objects},
    }))
    .unwrap()
}

fn convert(body: &[u8]) -> Value {
    let answer = handle(CONVERSION_PATH, body).unwrap();
    let review: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(review["kind"], "ConversionReview", "{review}");
    review["response"].clone()
}

fn v1_foo(name: &str) -> Value {
    json!({
        "apiVersion": "tutorial.my.domain/v1",
        "kind": "Foo",
        "metadata": {"name": "my-foo", "namespace": "default", "uid": "1234", "labels": {"a": "b"}},
        "spec": {"name": name},
    })
}

#[test]
fn conversion_goes_both_ways_through_the_hub() {
    let response = convert(&conversion_review(
        "tutorial.my.domain/v2",
        vec![v1_foo("ann")],
    ));
    assert_eq!(response["uid"], "9abc");
    assert_eq!(response["result"]["status"], "Success", "{response}");
    let converted = &response["convertedObjects"][0];
    assert_eq!(converted["apiVersion"], "tutorial.my.domain/v2");
    assert_eq!(
        converted["spec"],
        json!({"friend": {"name": "ann"}, "replicas": 0})
    );
    assert_eq!(converted["metadata"], v1_foo("ann")["metadata"]);

    let v2 = converted.clone();
    let response = convert(&conversion_review(
        "tutorial.my.domain/v1",
        vec![v2.clone(), v2],
    ));
    assert_eq!(response["result"]["status"], "Success", "{response}");
    assert_eq!(
        response["convertedObjects"],
        json!([v1_foo("ann"), v1_foo("ann")])
    );

    // An object already in the desired version is returned as it is.
    let response = convert(&conversion_review(
        "tutorial.my.domain/v1",
        vec![v1_foo("ann")],
    ));
    assert_eq!(response["convertedObjects"], json!([v1_foo("ann")]));
}

#[test]
fn conversion_failures_carry_the_message() {
    let response = convert(&conversion_review(
        "tutorial.my.domain/v2",
        vec![v1_foo("nobody")],
    ));
    assert_eq!(response["result"]["status"], "Failure", "{response}");
    assert_eq!(
        response["result"]["message"],
        "cannot convert Foo default/my-foo from tutorial.my.domain/v1 to tutorial.my.domain/v2: \
         nobody cannot be a friend"
    );
    assert_eq!(response["convertedObjects"], json!([]));

    let response = convert(&conversion_review(
        "tutorial.my.domain/v3",
        vec![v1_foo("ann")],
    ));
    let message = response["result"]["message"].as_str().unwrap();
    assert!(
        message.ends_with("no conversion for tutorial.my.domain/v3"),
        "{message}"
    );

    let mut bar = v1_foo("ann");
    bar["kind"] = json!("Bar");
    let response = convert(&conversion_review("tutorial.my.domain/v2", vec![bar]));
    let message = response["result"]["message"].as_str().unwrap();
    assert!(
        message.ends_with("no conversion for Bar of tutorial.my.domain"),
        "{message}"
    );

    let response = convert(b"[]");
    assert_eq!(response["result"]["status"], "Failure", "{response}");
    let message = response["result"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("cannot read the ConversionReview"),
        "{message}"
    );
}

#[test]
fn configurations_register_every_kind() {
    let webhooks = webhooks();
    let mutating = webhooks.mutating_configuration().unwrap();
    assert_eq!(
        mutating.metadata.name.as_deref(),
        Some("mutating-webhook-configuration")
    );
    let hooks = mutating.webhooks.unwrap();
    assert_eq!(hooks.len(), 1);
    let hook = &hooks[0];
    assert_eq!(hook.name, "mfoo-v2.kb.io");
    let service = hook.client_config.service.as_ref().unwrap();
    assert_eq!(
        (&*service.name, &*service.namespace, service.path.as_deref()),
        ("webhook-service", "system", Some(MUTATE))
    );
    assert_eq!(hook.failure_policy.as_deref(), Some("Fail"));
    assert_eq!(hook.side_effects, "None");
    assert_eq!(hook.admission_review_versions, ["v1"]);
    assert_eq!(hook.timeout_seconds, Some(10));
    let rule = &hook.rules.as_ref().unwrap()[0];
    assert_eq!(
        serde_json::to_value(rule).unwrap(),
        json!({
            "apiGroups": ["tutorial.my.domain"],
            "apiVersions": ["v2"],
            "operations": ["CREATE", "UPDATE"],
            "resources": ["foos"],
            "scope": "Namespaced",
        })
    );

    let validating = webhooks.validating_configuration().unwrap();
    let hook = &validating.webhooks.unwrap()[0];
    assert_eq!(hook.name, "vfoo-v2.kb.io");
    assert_eq!(
        hook.rules.as_ref().unwrap()[0]
            .operations
            .as_deref()
            .unwrap(),
        ["CREATE", "UPDATE", "DELETE"]
    );

    let none = Webhooks::new().conversion(Conversion::hub::<v2::Foo>());
    assert!(none.mutating_configuration().is_none());
    assert!(none.validating_configuration().is_none());
    assert!(!none.is_empty());
    assert!(Webhooks::new().is_empty());
    assert_eq!(none.paths(), [CONVERSION_PATH]);
}

#[test]
fn webhooks_get_kubebuilders_names_unless_two_would_share_one() {
    use k8s_openapi::api::{apps::v1::Deployment, core::v1::Namespace, core::v1::Pod};
    let webhooks = Webhooks::new()
        .custom_defaulting::<Pod>(Labels)
        .custom_defaulting::<Deployment>(Labels)
        .custom_validating::<Namespace>(Checks);
    let mutating = webhooks.mutating_configuration().unwrap().webhooks.unwrap();
    assert_eq!(
        mutating
            .iter()
            .map(|hook| hook.name.as_str())
            .collect::<Vec<_>>(),
        ["mpod-v1.kb.io", "mdeployment-v1.kb.io"]
    );
    let validating = webhooks
        .validating_configuration()
        .unwrap()
        .webhooks
        .unwrap();
    assert_eq!(validating[0].name, "vnamespace-v1.kb.io");
    assert_eq!(
        validating[0].rules.as_ref().unwrap()[0].scope.as_deref(),
        Some("Cluster")
    );
    assert_eq!(
        default_path::<Namespace>("validate"),
        "/validate--v1-namespace"
    );
    assert_eq!(
        default_path::<Deployment>("mutate"),
        "/mutate-apps-v1-deployment"
    );

    // A Deployment of a group of one's own beside apps' own: both name their group.
    let both = Webhooks::new()
        .custom_defaulting::<Deployment>(Labels)
        .defaulting::<own::Deployment>();
    let mutating = both.mutating_configuration().unwrap().webhooks.unwrap();
    assert_eq!(mutating[0].name, "mdeployment-v1.apps.kb.io");
    assert_eq!(mutating[1].name, "mdeployment-v1.tutorial.my.domain");
    assert_eq!(
        Target::of::<Namespace>().webhook_name_with_group('v'),
        "vnamespace-v1.core.kb.io"
    );
}

/// A kind named like a built-in one, in a group of the project's own.
mod own {
    use super::*;

    #[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
    #[kube(
        group = "tutorial.my.domain",
        version = "v1",
        kind = "Deployment",
        namespaced
    )]
    pub struct DeploymentSpec {}

    impl crate::webhook::Defaulter for Deployment {
        fn default(&mut self) {}
    }
}

/// Defaults any kind, for the tests of names.
struct Labels;

impl<K: WebhookKind> CustomDefaulter<K> for Labels {
    async fn default(&self, _obj: &mut K, _context: &AdmissionContext) -> Result<(), Denied> {
        Ok(())
    }
}

/// Admits any object, for the tests of names.
struct Checks;

impl<K: WebhookKind> CustomValidator<K> for Checks {}

/// The CRD of Foo, v2 stored and v1 served.
pub(crate) fn foo_crd() -> CustomResourceDefinition {
    kube::core::crd::merge_crds(
        vec![
            <v2::Foo as kube::CustomResourceExt>::crd(),
            <v1::Foo as kube::CustomResourceExt>::crd(),
        ],
        "v2",
    )
    .unwrap()
}

#[test]
fn converted_crds_get_the_webhook_strategy() {
    let crds = vec![
        foo_crd(),
        CustomResourceDefinition {
            metadata: meta("bars.tutorial.my.domain"),
            ..Default::default()
        },
    ];
    let crds = webhooks().with_conversion(crds);
    assert_eq!(
        serde_json::to_value(&crds[0].spec.conversion).unwrap(),
        json!({
            "strategy": "Webhook",
            "webhook": {
                "clientConfig": {
                    "service": {"name": "webhook-service", "namespace": "system", "path": "/convert"}
                },
                "conversionReviewVersions": ["v1"],
            }
        })
    );
    assert_eq!(crds[1].spec.conversion, None);
}

#[test]
#[should_panic(expected = "two webhooks at /mutate-tutorial-my-domain-v2-foo")]
fn one_path_serves_one_webhook() {
    let _ = Webhooks::new()
        .defaulting::<v2::Foo>()
        .defaulting_at::<v2::Foo>(MUTATE);
}
