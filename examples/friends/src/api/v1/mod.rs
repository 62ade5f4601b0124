// Copyright 2026 The friends Authors.
// SPDX-License-Identifier: Apache-2.0

// Written whole by cargo-operator from PROJECT.toml on every command, so edits here are
// refused; add kinds with `cargo operator create api`.

//! Version `v1` of the `friends.my.domain` API group.

pub mod foo;

pub use foo::{Foo, FooSpec, FooStatus};
