//! `init`: the new project, its name, its flags, and what it never overwrites.

use std::fs;

use predicates::prelude::*;

use crate::common::{cargo_operator, tree};
use crate::{fails_cleanly, init, project_dir};

#[test]
fn init_writes_a_project_named_after_its_directory() {
    let (_tmp, dir) = project_dir();
    cargo_operator(&dir)
        .args([
            "init",
            "--domain",
            "my.domain",
            "--repo",
            "my.domain/tutorial",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("created PROJECT.toml"))
        .stdout(predicate::str::contains("cargo operator create api"));
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(project.contains("project-name = \"tutorial\""), "{project}");
    assert!(project.contains("domain = \"my.domain\""), "{project}");
    assert!(
        project.contains("repo = \"my.domain/tutorial\""),
        "{project}"
    );
    assert!(
        fs::read_to_string(dir.join("Cargo.toml"))
            .unwrap()
            .contains("name = \"tutorial\"")
    );
}

#[test]
fn init_refuses_an_initialized_directory() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    fails_cleanly(
        &dir,
        &["init", "--domain", "my.domain"],
        "this directory already holds an operator project (`PROJECT.toml` exists); add an API with `cargo operator create api`",
    );
}

#[test]
fn init_never_replaces_a_users_file() {
    let (_tmp, dir) = project_dir();
    fs::write(dir.join("Makefile"), "all:\n\techo mine\n").unwrap();
    fails_cleanly(
        &dir,
        &["init"],
        "`Makefile` already exists; `init` never replaces files, so move it away or run `init` in an empty directory",
    );
}

#[test]
fn init_rolls_back_when_a_write_fails() {
    let (_tmp, dir) = project_dir();
    // A plain file where init needs a folder: files before it in the plan get written, then undone.
    fs::write(dir.join("src"), "not a folder").unwrap();
    let before = tree(&dir);
    cargo_operator(&dir)
        .arg("init")
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: cannot create folder `"));
    assert_eq!(tree(&dir), before);
}

#[test]
fn init_validates_its_flags() {
    let (_tmp, dir) = project_dir();
    fails_cleanly(
        &dir,
        &["init", "--domain", "My_Domain"],
        "domain `My_Domain` is not a valid DNS-1123 subdomain; use lower-case letters, digits, `-` and `.`, such as `my.domain`",
    );
    fails_cleanly(
        &dir,
        &["init", "--project-name", "Tutorial"],
        "project name `Tutorial` is not a valid DNS-1035 label; pass `--project-name` with lower-case letters, digits and `-`, starting with a letter",
    );
    fails_cleanly(
        &dir,
        &["init", "--project-name", "test"],
        "project name `test` cannot be a Rust crate name; pass another `--project-name`",
    );
}

#[test]
fn init_needs_a_usable_directory_name_or_a_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("My_Operator");
    fs::create_dir(&dir).unwrap();
    fails_cleanly(
        &dir,
        &["init"],
        "project name `My_Operator` is not a valid DNS-1035 label; pass `--project-name` with lower-case letters, digits and `-`, starting with a letter (it defaults to the directory's name)",
    );
    cargo_operator(&dir)
        .args(["init", "--project-name", "my-operator"])
        .assert()
        .success();
    assert!(
        fs::read_to_string(dir.join("Cargo.toml"))
            .unwrap()
            .contains("name = \"my-operator\"")
    );
}
