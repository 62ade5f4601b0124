// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

//! Version `v1` of the `tutorial.my.domain` API group.

pub mod foo;
// +operator:scaffold:kind-modules

pub use foo::{Foo, FooSpec, FooStatus};
// +operator:scaffold:kind-exports
