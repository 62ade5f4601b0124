// Copyright 2026 The cronjob Authors.
// SPDX-License-Identifier: Apache-2.0

//! Writes the CRDs, roles and webhook configurations that follow from the Rust code:
//! `crdgen --help`.

use std::process::ExitCode;

use cronjob::{api, controllers, webhooks};
use kube_operator_runtime::manifests::Manifests;

fn main() -> ExitCode {
    let crds = match api::crds() {
        Ok(crds) => crds,
        Err(err) => {
            eprintln!("crdgen: {err}");
            return ExitCode::FAILURE;
        }
    };
    Manifests::new("cronjob")
        .crds(crds)
        .namespaced(controllers::NAMESPACED)
        .manager_rules(controllers::policy_rules())
        .webhooks(webhooks::webhooks())
        .crdgen()
}
