//! The floor: the driver itself makes the writes an operator must make in a phase (the status
//! patches and the Events), knowing the answer in advance, with no watch, cache or queue. No
//! operator can finish a phase's work sooner on the same API server, so every operator's time
//! is also shown as a ratio to this one.

use anyhow::{Context, Result};
use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

use crate::tracker::Foo;
use crate::workload::{Change, Key};

/// The field manager and the Events' reporting controller.
const MANAGER: &str = "bench-floor";

/// Writes every change as the operators do: a merge patch of each status, then the Events the
/// Rust operator and go-best record (a Foo that became happy, or a happy one that became sad),
/// `concurrency` requests at a time. All statuses go first, as both operators put Events off
/// the reconcile: the phase converges when the last status is written and its work ends with
/// the last Event.
pub async fn write(client: &Client, changes: Vec<Change>, concurrency: usize) -> Result<()> {
    let uids: Vec<Option<String>> = stream::iter(&changes)
        .map(|change| patch_status(client, change))
        .buffered(concurrency)
        .try_collect()
        .await?;
    stream::iter(changes.iter().zip(uids))
        .map(|(change, uid)| record_event(client, change, uid))
        .buffer_unordered(concurrency)
        .try_collect::<()>()
        .await
}

/// Patches the status; returns the Foo's uid, which its Event refers to.
async fn patch_status(client: &Client, change: &Change) -> Result<Option<String>> {
    let Key { namespace, name } = &change.key;
    let params = PatchParams {
        field_manager: Some(MANAGER.into()),
        ..PatchParams::default()
    };
    let patch = json!({ "status": { "happy": change.happy } });
    let patched = Api::<Foo>::namespaced(client.clone(), namespace)
        .patch_status(name, &params, &Patch::Merge(&patch))
        .await
        .with_context(|| format!("patching the status of Foo {namespace}/{name}"))?;
    Ok(patched.metadata.uid)
}

async fn record_event(client: &Client, change: &Change, uid: Option<String>) -> Result<()> {
    let Key { namespace, name } = &change.key;
    let (reason, note) = match (change.was_happy, change.happy) {
        (_, true) => (
            "FriendFound",
            format!("Found Pod {}, Foo is happy", change.friend),
        ),
        (true, false) => (
            "FriendLost",
            format!("Pod {} is gone, Foo is sad", change.friend),
        ),
        // A Foo that was never happy announces nothing.
        (false, false) => return Ok(()),
    };
    let now = jiff::Timestamp::now();
    let event = Event {
        metadata: ObjectMeta {
            // As client-go and kube name them: the object's name and a timestamp.
            name: Some(format!("{name}.{:x}", now.as_nanosecond())),
            namespace: Some(namespace.clone()),
            ..ObjectMeta::default()
        },
        event_time: Some(MicroTime(now)),
        type_: Some("Normal".into()),
        reason: Some(reason.into()),
        note: Some(note),
        action: Some("Reconcile".into()),
        reporting_controller: Some(MANAGER.into()),
        reporting_instance: Some(MANAGER.into()),
        regarding: Some(ObjectReference {
            api_version: Some("tutorial.my.domain/v1".into()),
            kind: Some("Foo".into()),
            name: Some(name.clone()),
            namespace: Some(namespace.clone()),
            uid,
            ..ObjectReference::default()
        }),
        ..Event::default()
    };
    Api::<Event>::namespaced(client.clone(), namespace)
        .create(&PostParams::default(), &event)
        .await
        .with_context(|| format!("recording an Event for Foo {namespace}/{name}"))?;
    Ok(())
}
