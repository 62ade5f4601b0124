// Copyright 2026 The friends Authors.
// SPDX-License-Identifier: Apache-2.0

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Desired state of a Foo.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
#[kube(
    group = "friends.my.domain",
    version = "v2",
    kind = "Foo",
    plural = "foos",
    namespaced,
    status = "FooStatus",
    doc = "Foo is happy while a Pod named like its friend exists in the cluster.",
    printcolumn(name = "Friend", type_ = "string", json_path = ".spec.friend.name"),
    printcolumn(name = "Happy", type_ = "boolean", json_path = ".status.happy"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
pub struct FooSpec {
    /// The friend Foo is looking for.
    pub friend: Friend,
}

/// A friend of a Foo: in `v1`, its name alone was `spec.name`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Friend {
    /// Name of the Pod; the Foo's own name when left out.
    #[serde(default)]
    pub name: String,
}

/// Observed state of a Foo.
///
/// The API server fills in `{ happy: false }` for a Foo it stores without a status
/// (the schema's defaults), so `kubectl get` shows `false` before any reconcile and the
/// controller writes only the statuses that change.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[schemars(extend("default" = {}))]
pub struct FooStatus {
    /// Whether Foo found its friend.
    #[serde(default)]
    pub happy: bool,
}
