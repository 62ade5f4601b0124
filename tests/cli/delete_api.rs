//! `delete api`: what it refuses, and putting everything back when it fails.

use std::fs;

use predicates::prelude::*;

use crate::common::{cargo_operator, tree};
use crate::{create_foo, fails_cleanly, init, project_dir, words};

#[test]
fn delete_api_refuses_what_it_cannot_do() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    fails_cleanly(
        &dir,
        &words("delete api --group tutorial --version v1 --kind Bar"),
        "no API `tutorial/v1, Kind=Bar` in this project; `PROJECT.toml` lists tutorial/v1, Kind=Foo",
    );
    cargo_operator(&dir)
        .args(words(
            "create api --group tutorial --version v2 --kind Foo --controller=false",
        ))
        .assert()
        .success();
    fails_cleanly(
        &dir,
        &words("delete api --group tutorial --version v1 --kind Foo"),
        "`v1` is the storage version of kind `Foo`, which its other versions are stored as; delete `v2` first",
    );
    let sample = dir.join("config/samples/tutorial_v2_foo.yaml");
    fs::write(&sample, "# my sample\n").unwrap();
    fails_cleanly(
        &dir,
        &words("delete api --group tutorial --version v2 --kind Foo"),
        "`config/samples/tutorial_v2_foo.yaml` changed since cargo-operator generated it, or predates the hashes `PROJECT.toml` keeps; move your changes elsewhere, or pass `--force` to delete it anyway",
    );
    let before = tree(&dir);
    cargo_operator(&dir)
        .args(words(
            "delete api --group tutorial --version v2 --kind Foo --force --dry-run",
        ))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "--- a/config/samples/tutorial_v2_foo.yaml\n+++ /dev/null",
        ));
    assert_eq!(tree(&dir), before);
    cargo_operator(&dir)
        .args(words(
            "delete api --group tutorial --version v2 --kind Foo --force",
        ))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "deleted config/samples/tutorial_v2_foo.yaml",
        ))
        .stdout(predicate::str::contains("deleted src/api/v2/mod.rs"));
    assert!(!dir.join("src/api/v2").exists());
    assert!(dir.join("src/api/v1/foo.rs").exists());
}

#[test]
fn a_failed_delete_puts_everything_back() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    // A folder where the controllers' registry is staged makes its write fail, after the
    // API's type and roles were deleted.
    fs::create_dir(dir.join("src/controllers/.mod.rs.cargo-operator-tmp")).unwrap();
    let before = tree(&dir);
    let project_file = dir.join("PROJECT.toml");
    let saved = fs::read(&project_file).unwrap();
    let result = cargo_operator(&dir)
        .args(words("delete api --group tutorial --version v1 --kind Foo"))
        .assert()
        .code(1);
    let stderr = String::from_utf8(result.get_output().stderr.clone()).unwrap();
    assert!(stderr.starts_with("error: cannot write `"), "{stderr}");
    assert_eq!(fs::read(&project_file).unwrap(), saved);
    assert_eq!(tree(&dir), before);
}
