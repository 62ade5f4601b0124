// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

// Written whole by cargo-operator from PROJECT.toml on every command, so edits here are
// refused; add webhooks with `cargo operator create webhook`.

//! Admission and conversion webhooks, one module per API version.

pub mod v1;
pub mod v2;

use kube_operator_runtime::webhook::{Conversion, Webhooks};

/// Every webhook this operator serves: the manager serves them (`--webhook-port`), and crdgen
/// writes their configurations and the CRDs' conversion from the same list.
pub fn webhooks() -> Webhooks {
    Webhooks::new()
        .defaulting::<crate::api::v1::CronJob>()
        .validating::<crate::api::v1::CronJob>()
        .conversion(Conversion::hub::<crate::api::v1::CronJob>().spoke::<crate::api::v2::CronJob>())
}
