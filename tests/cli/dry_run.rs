//! `--dry-run`: the diff of what a command would write, and nothing written.

use predicates::prelude::*;

use crate::common::{cargo_operator, tree};
use crate::{create_foo, fails_cleanly, init, project_dir, words};

/// The `+++ b/<path>` files of a unified diff.
fn diffed_paths(diff: &str) -> Vec<String> {
    diff.lines()
        .filter_map(|line| line.strip_prefix("+++ b/"))
        .map(String::from)
        .collect()
}

/// The paths a command's summary says it created or updated, vendored crates aside.
fn written_paths(summary: &str) -> Vec<String> {
    summary
        .lines()
        .filter_map(|line| match words(line).as_slice() {
            ["created" | "updated", path] => Some(path.to_string()),
            _ => None,
        })
        .filter(|path| !path.starts_with("vendor/"))
        .collect()
}

#[test]
fn dry_run_prints_the_diff_of_what_the_command_would_write_and_writes_nothing() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    let create = "create api --group tutorial --version v1 --kind Foo";
    let before = tree(&dir);
    let dry = cargo_operator(&dir)
        .args(words(create))
        .arg("--dry-run")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "dry run: 7 files would be created and 7 updated; nothing was written",
        ));
    assert_eq!(tree(&dir), before, "--dry-run changed files");
    let diff = String::from_utf8(dry.get_output().stdout.clone()).unwrap();
    assert!(
        diff.contains("--- /dev/null\n+++ b/src/api/v1/foo.rs\n"),
        "{diff}"
    );
    assert!(
        diff.contains("--- a/src/controllers/mod.rs\n+++ b/src/controllers/mod.rs\n"),
        "{diff}"
    );

    // The diff names exactly what the real command then writes.
    let real = cargo_operator(&dir).args(words(create)).assert().success();
    let summary = String::from_utf8(real.get_output().stdout.clone()).unwrap();
    assert_eq!(diffed_paths(&diff), written_paths(&summary));
}

#[test]
fn dry_run_of_init_in_an_empty_folder_writes_nothing() {
    let (_tmp, dir) = project_dir();
    cargo_operator(&dir)
        .args(words("init --domain my.domain --dry-run"))
        .assert()
        .success()
        .stdout(predicate::str::contains("+++ b/PROJECT.toml"))
        .stderr(predicate::str::contains("nothing was written"));
    assert!(tree(&dir).is_empty(), "{:?}", tree(&dir).keys());
}

#[test]
fn dry_run_still_refuses_what_the_command_would_refuse() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    fails_cleanly(
        &dir,
        &words("create api --group tutorial --version v1 --kind Foo --dry-run"),
        "API `tutorial/v1, Kind=Foo` already exists; pass `--force` to regenerate its files (your edits to them are lost)",
    );
}
