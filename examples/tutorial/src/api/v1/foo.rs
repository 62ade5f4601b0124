// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Desired state of a Foo.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
#[kube(
    group = "tutorial.my.domain",
    version = "v1",
    kind = "Foo",
    plural = "foos",
    namespaced,
    status = "FooStatus",
    doc = "Foo is happy while a Pod named like its friend exists in the cluster.",
    printcolumn(name = "Friend", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Happy", type_ = "boolean", json_path = ".status.happy"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
pub struct FooSpec {
    /// Name of the friend Foo is looking for.
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
