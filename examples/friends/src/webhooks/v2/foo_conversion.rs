// Copyright 2026 The friends Authors.
// SPDX-License-Identifier: Apache-2.0

//! Conversion of `Foo` between `v2` (this spoke) and `v1` (the hub). The API server
//! asks the conversion webhook whenever a client reads or writes a version other than the
//! stored one; every version converts through the hub.

use crate::api::v1 as hub;
use crate::api::v2 as spoke;

impl From<spoke::Foo> for hub::Foo {
    fn from(from: spoke::Foo) -> Self {
        hub::Foo {
            metadata: from.metadata,
            spec: hub::FooSpec {
                name: from.spec.friend.name,
            },
            status: from.status.map(|status| hub::FooStatus {
                happy: status.happy,
            }),
        }
    }
}

impl From<hub::Foo> for spoke::Foo {
    fn from(from: hub::Foo) -> Self {
        spoke::Foo {
            metadata: from.metadata,
            spec: spoke::FooSpec {
                friend: spoke::foo::Friend {
                    name: from.spec.name,
                },
            },
            status: from.status.map(|status| spoke::FooStatus {
                happy: status.happy,
            }),
        }
    }
}
