// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

// Written whole by cargo-operator from PROJECT.toml on every command, so edits here are
// refused; add webhooks with `cargo operator create webhook`.

//! The webhooks of version `v2` of the `batch.tutorial.kubebuilder.io` API group.

pub mod cron_job_conversion;
