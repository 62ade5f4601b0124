// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

// Written by cargo-operator from PROJECT.toml, and rewritten whole by each `cargo operator`
// command: add controllers with `cargo operator create api`, not here.

//! The controllers, one per kind.

pub mod foo;

use k8s_openapi::api::rbac::v1::PolicyRule;
use kube_operator_runtime::{Manager, rbac::merge_rules};

/// Adds every controller of this operator to `manager`.
pub fn register(manager: Manager) -> Manager {
    manager.controller("foo", foo::run)
}

/// The manager's RBAC rules: the union of every controller's rules.
pub fn policy_rules() -> Vec<PolicyRule> {
    merge_rules(foo::policy_rules())
}
