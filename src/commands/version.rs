//! `cargo operator version`: what this binary is and what its scaffold targets.

use crate::model::project::LAYOUT;

/// Crate versions the templates pin, shown so a user can tell what a new project will get.
pub const KUBE_VERSION: &str = "5.0";
pub const K8S_OPENAPI_VERSION: &str = "0.29";
pub const KUBERNETES_VERSION: &str = "1.37";

pub fn run() {
    println!(
        "cargo-operator {} (layout {LAYOUT}; kube {KUBE_VERSION}, k8s-openapi {K8S_OPENAPI_VERSION}, Kubernetes {KUBERNETES_VERSION})",
        env!("CARGO_PKG_VERSION")
    );
}
