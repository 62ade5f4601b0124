//! `manifests`: running the project's crdgen, passing its failures through.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{cargo_operator, tree};
use crate::{edit_helm, fails_cleanly, fails_cleanly_with_env, init, project_dir};

/// A stand-in for cargo that appends its working directory and arguments to `calls`, prints
/// `stdout` and `stderr`, and exits with `code`.
#[cfg(unix)]
fn fake_cargo(dir: &Path, stdout: &str, stderr: &str, code: i32) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("fake-cargo");
    let calls = dir.join("cargo-calls");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$PWD $*\" >> '{}'\nprintf '%s' '{stdout}'\nprintf '{stderr}' >&2\nexit {code}\n",
            calls.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    (script, calls)
}

#[test]
fn manifests_needs_a_project() {
    let tmp = tempfile::tempdir().unwrap();
    let message = format!(
        "no `PROJECT.toml` in `{}`; run this inside a project made by `cargo operator init`",
        tmp.path().display()
    );
    fails_cleanly(tmp.path(), &["manifests"], &message);
}

#[cfg(unix)]
#[test]
fn manifests_runs_crdgen_like_make_manifests_and_with_the_chart_once_there_is_one() {
    let (tmp, dir) = project_dir();
    init(&dir);
    let (cargo, calls) = fake_cargo(
        tmp.path(),
        r#"[{"path": "config/rbac/role.yaml", "contents": "kind: ClusterRole\n"}]"#,
        "",
        0,
    );
    cargo_operator(&dir)
        .arg("manifests")
        .env("CARGO", &cargo)
        .assert()
        .success();
    cargo_operator(&dir)
        .args(["edit", "--helm"])
        .env("CARGO", &cargo)
        .assert()
        .success();
    cargo_operator(&dir)
        .arg("manifests")
        .env("CARGO", &cargo)
        .assert()
        .success();
    let dir = dir.canonicalize().unwrap();
    let crdgen = format!(
        "{} run --quiet --bin crdgen -- --output-dir config",
        dir.display()
    );
    assert_eq!(
        fs::read_to_string(&calls).unwrap(),
        format!(
            "{crdgen} --json\n{crdgen} --chart-dir dist/chart --json\n{crdgen} --chart-dir dist/chart --json\n"
        )
    );
    // What crdgen printed went through the plan.
    assert_eq!(
        fs::read_to_string(dir.join("config/rbac/role.yaml")).unwrap(),
        "kind: ClusterRole\n"
    );
    // `make manifests` runs the same command line.
    let makefile = fs::read_to_string(dir.join("Makefile")).unwrap();
    assert!(
        makefile.contains("$(CARGO) run --quiet --bin crdgen -- --output-dir config $(if $(wildcard $(CHART_DIR)/Chart.yaml),--chart-dir $(CHART_DIR))"),
        "{makefile}"
    );
    assert!(makefile.contains("CHART_DIR ?= dist/chart\n"), "{makefile}");
}

#[cfg(unix)]
#[test]
fn a_failing_crdgen_is_passed_through_and_writes_nothing() {
    let (tmp, dir) = project_dir();
    init(&dir);
    let (cargo, _) = fake_cargo(
        tmp.path(),
        "",
        "error: could not compile `tutorial`\\n",
        101,
    );
    for (args, retry) in [
        (&["manifests"][..], "cargo operator manifests"),
        (&["edit", "--helm"][..], "cargo operator edit --helm"),
    ] {
        let before = tree(&dir);
        cargo_operator(&dir)
            .args(args)
            .env("CARGO", &cargo)
            .assert()
            .code(1)
            .stdout("")
            .stderr(format!(
                "error: could not compile `tutorial`\n\
                 error: `cargo run --bin crdgen` failed (exit status: 101); fix what it reports above, then run `{retry}` again\n"
            ));
        assert_eq!(tree(&dir), before, "`{}` changed files", args.join(" "));
    }

    let missing = tmp.path().join("no-such-cargo");
    fails_cleanly_with_env(
        &dir,
        &["manifests"],
        &[("CARGO", missing.to_str().unwrap())],
        &format!(
            "cannot run `{}`: No such file or directory (os error 2); install Rust from https://rustup.rs, or set `CARGO` to cargo's path",
            missing.display()
        ),
    );
}

#[test]
fn manifests_needs_the_chart_the_project_file_records() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    edit_helm(&dir);
    fs::remove_file(dir.join("dist/chart/Chart.yaml")).unwrap();
    fails_cleanly(
        &dir,
        &["manifests"],
        "`PROJECT.toml` records a Helm chart, but `dist/chart/Chart.yaml` is missing; restore the chart with `cargo operator edit --helm`",
    );
}
