//! What every user meets first: version, completion, flags that are unknown or mean nothing
//! here.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

use crate::common::cargo_operator;
use crate::{project_dir, words};

#[test]
fn version_names_the_targets() {
    cargo_operator(Path::new("."))
        .arg("version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "cargo-operator {} (layout rust.operator/v1; kube 5.0, k8s-openapi 0.29, Kubernetes 1.37)",
            env!("CARGO_PKG_VERSION")
        )));
}

#[test]
fn direct_invocation_works_like_cargo_subcommand() {
    Command::cargo_bin("cargo-operator")
        .unwrap()
        .arg("version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("cargo-operator "));
}

#[test]
fn completion_scripts_complete_cargo_operator() {
    cargo_operator(Path::new("."))
        .args(["completion", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "cargo__subcmd__operator__subcmd__create__subcmd__api",
        ));
}

#[test]
fn unknown_flags_are_usage_errors() {
    cargo_operator(Path::new("."))
        .args(["init", "--frobnicate"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unexpected argument '--frobnicate'",
        ));
}

#[test]
fn kubebuilder_flags_that_mean_nothing_here_are_accepted_with_a_note() {
    let (_tmp, dir) = project_dir();
    cargo_operator(&dir)
        .args(words(
            "init --domain my.domain --plugins=go/v4 --project-version 3 --skip-go-version-check",
        ))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "note: `go/v4` in `--plugins` is Kubebuilder's Go layout; cargo-operator has one layout (Rust on kube-rs), so it is ignored\n",
        ))
        .stderr(predicate::str::contains("`--project-version=3`"))
        .stderr(predicate::str::contains("`--skip-go-version-check` is ignored"));
    cargo_operator(&dir)
        .args(words(
            "create api --group tutorial --version v1 --kind Foo --resource --controller --make=false --ssa",
        ))
        .assert()
        .success()
        .stdout(predicate::str::contains("created src/api/v1/foo.rs"))
        .stderr(predicate::str::contains(
            "note: `--make` is ignored: cargo-operator never runs make; run `make manifests` when you are ready\n",
        ))
        .stderr(predicate::str::contains("note: `--ssa` is ignored"));
}
