// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

// Written by cargo-operator from PROJECT.toml, and rewritten whole by each `cargo operator`
// command: add types with `cargo operator create api`, not here.

//! Version `v1` of the `tutorial.my.domain` API group.

pub mod foo;

pub use foo::{Foo, FooSpec, FooStatus};
