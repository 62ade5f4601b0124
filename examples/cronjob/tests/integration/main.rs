// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

// Written whole by cargo-operator from PROJECT.toml on every command, so edits here are
// refused; `cargo operator create api` and `create webhook` add their tests. Tests of your own
// go into these modules, or into a file of their own under tests/.

//! The tests against a real API server (etcd and kube-apiserver, started by kube-envtest), one
//! module each, in one test binary: an edit links it once, and its tests run side by side.
//! `cargo test --test integration NAME` runs those whose names contain NAME.

mod support;

mod cron_job_controller;
mod cron_job_conversion;
mod cron_job_v1_webhook;
mod manager;
