//! The binary as a user runs it: exit codes, exact messages, files on disk.
//!
//! assert_cmd runs without a terminal on stdin, so these tests also prove that no command ever
//! waits for an answer nobody can give.
//!
//! One test binary, one module per topic; the helpers below are what every topic shares.

use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

#[path = "../common/mod.rs"]
mod common;

mod create_api;
mod create_webhook;
mod delete_api;
mod delete_webhook;
mod deploy_image;
mod dry_run;
mod edit;
mod general;
mod init;
mod kinds;
mod manifests;
mod project_checks;
mod safety;
mod update;

use common::{cargo_operator, tree};

/// A command line as its words: tests read as what a user types.
fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// A new folder named like a project, so `init` can take its name.
fn project_dir() -> (TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tutorial");
    fs::create_dir(&dir).unwrap();
    (tmp, dir)
}

fn init(dir: &Path) {
    cargo_operator(dir)
        .args([
            "init",
            "--domain",
            "my.domain",
            "--repo",
            "my.domain/tutorial",
        ])
        .assert()
        .success();
}

fn create_foo(dir: &Path) {
    cargo_operator(dir)
        .args([
            "create",
            "api",
            "--group",
            "tutorial",
            "--version",
            "v1",
            "--kind",
            "Foo",
        ])
        .assert()
        .success();
}

fn edit_helm(dir: &Path) {
    cargo_operator(dir)
        .args(["edit", "--helm"])
        .assert()
        .success();
}

/// Runs `args` in `dir`, expects exit code 1 with exactly `message`, and no change on disk.
fn fails_cleanly(dir: &Path, args: &[&str], message: &str) {
    fails_cleanly_with_env(dir, args, &[], message);
}

/// Like `fails_cleanly`, with environment variables set for the command.
fn fails_cleanly_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)], message: &str) {
    let before = tree(dir);
    cargo_operator(dir)
        .args(args)
        .envs(env.iter().copied())
        .assert()
        .code(1)
        .stdout("")
        .stderr(format!("error: {message}\n"));
    assert_eq!(
        tree(dir),
        before,
        "`{}` changed files although it failed",
        args.join(" ")
    );
}

/// Runs `args` in `dir`, expects success with exactly `note` on stderr, and no change on disk.
fn succeeds_unchanged(dir: &Path, args: &[&str], note: &str) {
    let before = tree(dir);
    cargo_operator(dir)
        .args(args)
        .assert()
        .success()
        .stderr(format!("note: {note}\n"));
    assert_eq!(tree(dir), before, "`{}` changed files", args.join(" "));
}
