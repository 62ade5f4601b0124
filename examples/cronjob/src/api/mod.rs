// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

// Written whole by cargo-operator from PROJECT.toml on every command, so edits here are
// refused; add versions and kinds with `cargo operator create api`.

//! Custom resource types, one module per API version.

pub mod v1;
pub mod v2;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

/// The CustomResourceDefinition of every kind this operator serves; the versions of a kind are
/// merged into one CRD, which stores the version listed first.
pub fn crds() -> Result<Vec<CustomResourceDefinition>, kube_operator_runtime::Error> {
    kube_operator_runtime::manifests::merge_versions(vec![v1::CronJob::crd(), v2::CronJob::crd()])
}
