// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

// Written whole by cargo-operator from PROJECT.toml on every command, so edits here are
// refused; add controllers with `cargo operator create api`.

//! The controllers, one per kind.

pub mod cron_job;

use k8s_openapi::api::rbac::v1::PolicyRule;
use kube_operator_runtime::Manager;

/// The manager watches only its own namespace, with a Role rather than a ClusterRole
/// (`namespaced` in PROJECT.toml; `cargo operator edit --namespaced[=false]` switches it).
pub const NAMESPACED: bool = false;

/// Adds every controller of this operator to `manager`.
pub fn register(manager: Manager) -> Manager {
    manager.controller("cron_job", cron_job::run)
}

/// The manager's RBAC rules: the union of every controller's rules.
pub fn policy_rules() -> Vec<PolicyRule> {
    kube_operator_runtime::rbac::merge_rules([cron_job::policy_rules()].concat())
}
