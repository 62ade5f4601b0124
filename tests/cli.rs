//! The binary as a user runs it: exit codes, exact messages, files on disk.
//!
//! assert_cmd runs without a terminal on stdin, so these tests also prove that no command ever
//! waits for an answer nobody can give.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

mod common;
use common::{cargo_operator, certificate_crd, issuer_crd, tree};

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

#[test]
fn create_api_needs_a_project() {
    let tmp = tempfile::tempdir().unwrap();
    let message = format!(
        "no `PROJECT.toml` in `{}`; run this inside a project made by `cargo operator init`",
        tmp.path().display()
    );
    fails_cleanly(
        tmp.path(),
        &words("create api --group tutorial --version v1 --kind Foo"),
        &message,
    );
}

#[test]
fn create_api_without_a_terminal_creates_type_and_controller() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    cargo_operator(&dir)
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
        .success()
        .stdout(predicate::str::contains("created src/api/v1/foo.rs"))
        .stdout(predicate::str::contains("created src/controllers/foo.rs"))
        .stdout(predicate::str::contains("updated src/controllers/mod.rs"))
        .stdout(predicate::str::contains("Create Resource").not());
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(
        project.contains("kind = \"Foo\"") && project.contains("plural = \"foos\""),
        "{project}"
    );
}

#[test]
fn create_api_validates_its_flags() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    let api = |extra: &[&'static str]| {
        let mut args = vec!["create", "api"];
        args.extend_from_slice(extra);
        args
    };
    let cases: &[(&[&str], &str)] = &[
        (
            &["--group", "tutorial", "--version", "1", "--kind", "Foo"],
            "version `1` is not a Kubernetes API version; use a form such as `v1`, `v1alpha1` or `v2beta3`",
        ),
        (
            &words("--group tutorial --version ../../etc --kind Foo"),
            "version `../../etc` is not a Kubernetes API version; use a form such as `v1`, `v1alpha1` or `v2beta3`",
        ),
        (
            &["--group", "Tutorial", "--version", "v1", "--kind", "Foo"],
            "group `Tutorial` is not a valid DNS-1123 subdomain; use lower-case letters, digits and `-`, such as `tutorial`",
        ),
        (
            &["--group", "tutorial", "--version", "v1", "--kind", "foo"],
            "kind `foo` must be PascalCase: an upper-case letter, then letters and digits, such as `Foo` or `CronJob`",
        ),
        (
            &["--group", "tutorial", "--version", "v1", "--kind", "Type"],
            "kind `Type` would become the Rust module `type`, which is a keyword; pick another kind, such as `TypeConfig`",
        ),
        (
            &words("--group tutorial --version v1 --kind Context"),
            "kind `Context` would clash with a Rust type the generated code uses; pick another kind, such as `ContextConfig`",
        ),
        (
            &words("--group tutorial --version v1 --kind Foo --plural Foos"),
            "plural `Foos` is not a valid DNS-1035 label; use lower-case letters, digits and `-`, starting with a letter, such as `foos`",
        ),
        (
            &words("--group tutorial --version v1 --kind Foo --resource=false --controller=false"),
            "nothing to create with `--resource=false` and `--controller=false`; leave one of them out",
        ),
        (
            &words("--group tutorial --version v1 --kind Foo --resource=false"),
            "the project has no type for `tutorial/v1, Kind=Foo` to control; leave out `--resource=false` to create it",
        ),
    ];
    for (extra, message) in cases {
        fails_cleanly(&dir, &api(extra), message);
    }
}

#[test]
fn a_duplicate_api_needs_force() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    fails_cleanly(
        &dir,
        &words("create api --group tutorial --version v1 --kind Foo"),
        "API `tutorial/v1, Kind=Foo` already exists; pass `--force` to regenerate its files (your edits to them are lost)",
    );
}

#[test]
fn force_regenerates_edited_files_and_changes_nothing_else() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let pristine = tree(&dir);
    let controller = dir.join("src/controllers/foo.rs");
    fs::write(&controller, "// my edits\n").unwrap();
    cargo_operator(&dir)
        .args([
            "create",
            "api",
            "--group",
            "tutorial",
            "--version",
            "v1",
            "--kind",
            "Foo",
            "--force",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("updated src/controllers/foo.rs"))
        .stdout(predicate::str::contains("unchanged src/controllers/mod.rs"));
    assert_eq!(tree(&dir), pristine);
}

#[test]
fn a_second_group_is_refused() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    fails_cleanly(
        &dir,
        &words("create api --group ship --version v1 --kind Frigate"),
        "this project's APIs are in group `tutorial`, and one-group projects hold one; use `--group tutorial`, or run `cargo operator edit --multigroup` first to add group `ship`",
    );
}

#[test]
fn a_second_controller_for_a_kind_is_refused() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    fails_cleanly(
        &dir,
        &words("create api --group tutorial --version v2 --kind Foo"),
        "kind `Foo` already has a controller (for version `v1`); create version `v2` with `--controller=false`, or name a second controller with `--controller-name`",
    );
}

#[test]
fn a_missing_marker_is_named_and_nothing_is_written() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    let kustomization = dir.join("config/crd/kustomization.yaml");
    let without_marker: String = fs::read_to_string(&kustomization)
        .unwrap()
        .lines()
        .filter(|line| !line.contains("+operator:scaffold:crdkustomizeresource"))
        .map(|line| format!("{line}\n"))
        .collect();
    fs::write(&kustomization, without_marker).unwrap();
    fails_cleanly(
        &dir,
        &words("create api --group tutorial --version v1 --kind Foo"),
        "cannot add to `config/crd/kustomization.yaml`: marker line `# +operator:scaffold:crdkustomizeresource` is missing; put it back where new code should go",
    );
}

#[test]
fn a_hand_edited_registry_is_refused_unless_forced() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let controllers = dir.join("src/controllers/mod.rs");
    let edited = fs::read_to_string(&controllers).unwrap() + "\npub mod mine;\n";
    fs::write(&controllers, &edited).unwrap();
    fails_cleanly(
        &dir,
        &words("create api --group tutorial --version v1 --kind Bar --skeleton"),
        "`src/controllers/mod.rs` was edited by hand, but cargo-operator writes it whole from `PROJECT.toml`; move your code into another module, or pass `--force` to replace it",
    );
    cargo_operator(&dir)
        .args(words(
            "create api --group tutorial --version v1 --kind Bar --skeleton --force",
        ))
        .assert()
        .success();
    let registry = fs::read_to_string(&controllers).unwrap();
    assert!(!registry.contains("pub mod mine;"), "{registry}");
    assert!(registry.contains("pub mod bar;"), "{registry}");
}

#[test]
fn kinds_whose_exports_wrap_can_be_added_and_forced_in_one_version() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    // rustfmt wraps the `pub use` line of a long kind; a second kind in the same version once
    // broke the file by inserting into the wrapped line.
    for args in [
        "create api --group tutorial --version v1 --kind ClusterBackupPolicyWithAVeryLongName --skeleton",
        "create api --group tutorial --version v1 --kind Gadget --skeleton",
        "create api --group tutorial --version v1 --kind ClusterBackupPolicyWithAVeryLongName --skeleton --force",
        "create api --group tutorial --version v1 --kind Gadget --skeleton --force",
    ] {
        cargo_operator(&dir).args(words(args)).assert().success();
    }
    let version = fs::read_to_string(dir.join("src/api/v1/mod.rs")).unwrap();
    assert!(
        version.contains("pub use cluster_backup_policy_with_a_very_long_name::{\n"),
        "the long export no longer wraps, so this test tests nothing:\n{version}"
    );
    for line in [
        "pub mod cluster_backup_policy_with_a_very_long_name;\npub mod gadget;\n",
        "pub use gadget::{Gadget, GadgetSpec, GadgetStatus};\n",
    ] {
        assert!(version.contains(line), "{line} missing in:\n{version}");
    }
    let controllers = fs::read_to_string(dir.join("src/controllers/mod.rs")).unwrap();
    assert_eq!(
        controllers.matches(".controller(").count(),
        2,
        "{controllers}"
    );
}

#[test]
fn a_broken_project_file_is_reported() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    fs::write(dir.join("PROJECT.toml"), "layout = 3\n").unwrap();
    let before = tree(&dir);
    cargo_operator(&dir)
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
        .code(1)
        .stderr(predicate::str::starts_with(
            "error: `PROJECT.toml` line 1, column 10: invalid type",
        ));
    assert_eq!(tree(&dir), before);
}

#[test]
fn a_hand_broken_name_in_the_project_file_is_reported_with_line_and_column() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let path = dir.join("PROJECT.toml");
    for (good, bad, message) in [
        (
            "kind = \"Foo\"",
            "kind = \"foo\"",
            "kind `foo` must be PascalCase: an upper-case letter, then letters and digits, such as `Foo` or `CronJob`",
        ),
        (
            "version = \"v1\"",
            "version = \"1\"",
            "version `1` is not a Kubernetes API version; use a form such as `v1`, `v1alpha1` or `v2beta3`",
        ),
    ] {
        let text = fs::read_to_string(&path).unwrap();
        let key = bad.split(' ').next().unwrap();
        let line = text.lines().position(|l| l == good).unwrap() + 1;
        let column = key.len() + 4;
        fs::write(&path, text.replace(good, bad)).unwrap();
        fails_cleanly(
            &dir,
            &words("create api --kind Bar"),
            &format!(
                "`PROJECT.toml` line {line}, column {column}: {message}; fix it there, or undo your edit"
            ),
        );
        fs::write(&path, text).unwrap();
    }
}

#[test]
fn create_api_defaults_to_the_project_name_as_group_and_v1() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    cargo_operator(&dir)
        .args(words("create api --kind Foo"))
        .assert()
        .success()
        .stderr("");
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(
        project.contains("group = \"tutorial\"\nversion = \"v1\"\nkind = \"Foo\"\n"),
        "{project}"
    );
    assert!(dir.join("src/api/v1/foo.rs").is_file());
}

#[test]
fn a_plural_that_shadows_a_built_in_resource_is_warned_about() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    cargo_operator(&dir)
        .args(words("create api --group tutorial --version v1 --kind Service --skeleton"))
        .assert()
        .success()
        .stderr(
            "warning: plural `services` is also the built-in resource `services`, so `kubectl get services` lists the built-in one; name yours `services.tutorial.my.domain` in kubectl, or pass another `--plural`\n",
        );
    cargo_operator(&dir)
        .args(words("create api --group tutorial --version v1 --kind Foo"))
        .assert()
        .success()
        .stderr("");
}

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

#[test]
fn edit_needs_a_project_and_something_to_change() {
    let tmp = tempfile::tempdir().unwrap();
    fails_cleanly(
        tmp.path(),
        &["edit", "--helm"],
        &format!(
            "no `PROJECT.toml` in `{}`; run this inside a project made by `cargo operator init`",
            tmp.path().display()
        ),
    );
    let (_tmp, dir) = project_dir();
    init(&dir);
    fails_cleanly(
        &dir,
        &["edit"],
        "nothing to change; pass `--helm` to add a Helm chart in `dist/chart`, `--multigroup` to lay the APIs out by group, `--namespaced[=false]` to change the manager's scope, or `--plugins=grafana.kubebuilder.io/v1-alpha` to add Grafana dashboards",
    );
    // Kubebuilder's layout plugin alone changes nothing either.
    cargo_operator(&dir)
        .args(["edit", "--plugins=go/v4"])
        .assert()
        .code(1)
        .stderr(predicate::str::ends_with(
            "error: nothing to change; pass `--helm` to add a Helm chart in `dist/chart`, `--multigroup` to lay the APIs out by group, `--namespaced[=false]` to change the manager's scope, or `--plugins=grafana.kubebuilder.io/v1-alpha` to add Grafana dashboards\n",
        ));
}

#[test]
fn plugins_are_refused_where_kubebuilder_has_nothing_for_them() {
    let (_tmp, dir) = project_dir();
    fails_cleanly(
        &dir,
        &words("init --domain my.domain --plugins=go/v4,helm/v1-alpha"),
        "`--plugins`: Kubebuilder's `helm/v1-alpha` does nothing on `init`; it accepts `go/v4` (`go.kubebuilder.io/v4`), `base/v4` (`base.go.kubebuilder.io/v4`), `kustomize/v2` (`kustomize.common.kubebuilder.io/v2`), `grafana/v1-alpha` (`grafana.kubebuilder.io/v1-alpha`)",
    );
    init(&dir);
    create_foo(&dir);
    fails_cleanly(
        &dir,
        &words("edit --plugins=go/v3"),
        "`--plugins`: `go/v3` is not a Kubebuilder plugin cargo-operator knows; `edit` accepts `go/v4` (`go.kubebuilder.io/v4`), `base/v4` (`base.go.kubebuilder.io/v4`), `kustomize/v2` (`kustomize.common.kubebuilder.io/v2`), `grafana/v1-alpha` (`grafana.kubebuilder.io/v1-alpha`), `helm/v1-alpha` (`helm.kubebuilder.io/v1-alpha`), `helm/v2-alpha` (`helm.kubebuilder.io/v2-alpha`)",
    );
    fails_cleanly(
        &dir,
        &words("create api --group tutorial --version v1 --kind Bar --plugins=grafana/v1-alpha"),
        "`--plugins`: Kubebuilder's `grafana/v1-alpha` does nothing on `create api`; it accepts `go/v4` (`go.kubebuilder.io/v4`), `base/v4` (`base.go.kubebuilder.io/v4`), `kustomize/v2` (`kustomize.common.kubebuilder.io/v2`), `deploy-image/v1-alpha` (`deploy-image.go.kubebuilder.io/v1-alpha`)",
    );
    fails_cleanly(
        &dir,
        &words(
            "create webhook --group tutorial --version v1 --kind Foo --defaulting --plugins=deploy-image/v1-alpha",
        ),
        "`--plugins`: Kubebuilder's `deploy-image/v1-alpha` does nothing on `create webhook`; it accepts `go/v4` (`go.kubebuilder.io/v4`), `base/v4` (`base.go.kubebuilder.io/v4`), `kustomize/v2` (`kustomize.common.kubebuilder.io/v2`)",
    );
    fails_cleanly(
        &dir,
        &words("edit --plugins=grafana/v1-alpha --helm"),
        "`--helm`, `--multigroup`, `--namespaced` and the grafana plugin change different things; run `cargo operator edit` once for each",
    );
}

#[test]
fn the_helm_plugin_is_edit_helm() {
    let (_tmp, with_flag) = project_dir();
    init(&with_flag);
    edit_helm(&with_flag);
    let (_tmp2, with_plugin) = project_dir();
    init(&with_plugin);
    cargo_operator(&with_plugin)
        .args(["edit", "--plugins=helm.kubebuilder.io/v1-alpha"])
        .assert()
        .success()
        .stdout(predicate::str::contains("created dist/chart/Chart.yaml"));
    assert_eq!(tree(&with_plugin), tree(&with_flag));
}

/// The queries of a Grafana dashboard's panels.
fn dashboard_queries(dir: &Path, path: &str) -> Vec<String> {
    let text = fs::read_to_string(dir.join(path)).unwrap();
    let dashboard: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|err| panic!("{path} is not JSON: {err}"));
    dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|panel| panel["targets"].as_array().cloned().unwrap_or_default())
        .map(|target| target["expr"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_grafana_plugin_writes_dashboards_once_and_the_custom_one_from_its_config() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let before = tree(&dir);
    let grafana = ["edit", "--plugins=grafana.kubebuilder.io/v1-alpha"];
    cargo_operator(&dir)
        .args(grafana)
        .assert()
        .success()
        .stdout(predicate::str::contains("updated PROJECT.toml"))
        .stdout(predicate::str::contains(
            "created grafana/controller-runtime-metrics.json",
        ))
        .stdout(predicate::str::contains(
            "created grafana/controller-resources-metrics.json",
        ))
        .stdout(predicate::str::contains(
            "created grafana/custom-metrics/config.yaml",
        ));
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(project.contains("\ngrafana = true\n"), "{project}");
    for dashboard in [
        "grafana/controller-runtime-metrics.json",
        "grafana/controller-resources-metrics.json",
    ] {
        assert!(dashboard_queries(&dir, dashboard).len() >= 5, "{dashboard}");
    }
    assert!(
        !dir.join("grafana/custom-metrics/custom-metrics-dashboard.json")
            .exists()
    );
    // Again: nothing changes, and the short key is the same plugin.
    let written = tree(&dir);
    cargo_operator(&dir)
        .args(["edit", "--plugins=go/v4,grafana/v1-alpha"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "unchanged grafana/controller-runtime-metrics.json",
        ))
        .stdout(predicate::str::contains("updated").not())
        .stdout(predicate::str::contains("created").not());
    assert_eq!(tree(&dir), written);
    // The config is the user's; the custom dashboard follows it.
    let config = "customMetrics:\n  - metric: widgets_ready\n    type: gauge\n  - metric: widget_syncs_total\n    type: counter\n    unit: ops\n";
    fs::write(dir.join("grafana/custom-metrics/config.yaml"), config).unwrap();
    cargo_operator(&dir)
        .args(grafana)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "kept grafana/custom-metrics/config.yaml",
        ))
        .stdout(predicate::str::contains(
            "created grafana/custom-metrics/custom-metrics-dashboard.json",
        ));
    assert_eq!(
        fs::read_to_string(dir.join("grafana/custom-metrics/config.yaml")).unwrap(),
        config
    );
    assert_eq!(
        dashboard_queries(&dir, "grafana/custom-metrics/custom-metrics-dashboard.json"),
        [
            r#"sum by (pod) (widgets_ready{namespace="$namespace", job="$job", pod=~"$pod"})"#,
            r#"sum by (pod) (rate(widget_syncs_total{namespace="$namespace", job="$job", pod=~"$pod"}[5m]))"#,
        ]
    );
    // A malformed config and an edited dashboard are refused, leaving the tree alone.
    fs::write(
        dir.join("grafana/custom-metrics/config.yaml"),
        "customMetrics:\n  - metric: widgets_ready\n    type: summary\n",
    )
    .unwrap();
    fails_cleanly(
        &dir,
        &grafana,
        "`grafana/custom-metrics/config.yaml`: item 1 (`widgets_ready`) has type `summary`; use counter, gauge or histogram, or give a query in `expr`",
    );
    fs::write(dir.join("grafana/custom-metrics/config.yaml"), config).unwrap();
    let runtime = dir.join("grafana/controller-runtime-metrics.json");
    let edited = fs::read_to_string(&runtime)
        .unwrap()
        .replace("\"30s\"", "\"1m\"");
    fs::write(&runtime, &edited).unwrap();
    fails_cleanly(
        &dir,
        &grafana,
        "`grafana/controller-runtime-metrics.json` already exists; move it away, or pass `--force` to overwrite it",
    );
    cargo_operator(&dir)
        .args(["edit", "--plugins=grafana/v1-alpha", "--force"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "updated grafana/controller-runtime-metrics.json",
        ));
    // Everything it wrote is under grafana/ but the project file's line.
    let added: Vec<_> = tree(&dir)
        .into_keys()
        .filter(|path| !before.contains_key(path))
        .collect();
    assert!(
        added.iter().all(|path| path.starts_with("grafana")),
        "{added:?}"
    );
}

#[test]
fn edit_helm_writes_a_chart_and_records_it() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    cargo_operator(&dir)
        .args(["edit", "--helm"])
        .assert()
        .success()
        .stdout(predicate::str::contains("updated PROJECT.toml"))
        .stdout(predicate::str::contains("created dist/chart/Chart.yaml"))
        .stdout(predicate::str::contains("created dist/chart/values.yaml"))
        .stdout(predicate::str::contains(
            "created dist/chart/templates/manager/manager.yaml",
        ))
        .stdout(predicate::str::contains("helm lint dist/chart"));
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(project.contains("\nhelm = true\n"), "{project}");
    // `create api` keeps the record.
    cargo_operator(&dir)
        .args(words(
            "create api --group tutorial --version v1 --kind Bar --skeleton",
        ))
        .assert()
        .success();
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(project.contains("\nhelm = true\n"), "{project}");
    // The chart is source: git ignores what build-installer and deploy write, not the chart.
    let gitignore = fs::read_to_string(dir.join(".gitignore")).unwrap();
    assert!(
        gitignore.contains("/dist/install.yaml\n") && gitignore.contains("/dist/deploy/\n"),
        "{gitignore}"
    );
    assert!(!gitignore.contains("/dist/\n"), "{gitignore}");
}

#[test]
fn edit_helm_again_keeps_values_and_needs_force_for_edited_templates() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    edit_helm(&dir);
    let pristine = tree(&dir);

    // Re-running on an untouched chart changes nothing.
    cargo_operator(&dir)
        .args(["edit", "--helm"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "unchanged dist/chart/templates/manager/manager.yaml",
        ));
    assert_eq!(tree(&dir), pristine);

    // The user's settings survive any re-run, `--force` included.
    let values = dir.join("dist/chart/values.yaml");
    let chart = dir.join("dist/chart/Chart.yaml");
    let my_values = "manager:\n  image:\n    repository: registry.example/tutorial\n";
    fs::write(&values, my_values).unwrap();
    fs::write(&chart, "apiVersion: v2\nname: tutorial\nversion: 1.2.3\n").unwrap();
    let deployment = dir.join("dist/chart/templates/manager/manager.yaml");
    fs::write(&deployment, "# my edits\n").unwrap();
    fails_cleanly(
        &dir,
        &["edit", "--helm"],
        "`dist/chart/templates/manager/manager.yaml` already exists; move it away, or pass `--force` to overwrite it",
    );
    cargo_operator(&dir)
        .args(["edit", "--helm", "--force"])
        .assert()
        .success()
        .stdout(predicate::str::contains("kept dist/chart/values.yaml"))
        .stdout(predicate::str::contains("kept dist/chart/Chart.yaml"))
        .stdout(predicate::str::contains(
            "updated dist/chart/templates/manager/manager.yaml",
        ));
    assert_eq!(fs::read_to_string(&values).unwrap(), my_values);
    assert!(
        fs::read_to_string(&chart)
            .unwrap()
            .contains("version: 1.2.3")
    );
    assert_eq!(
        fs::read(&deployment).unwrap(),
        pristine[Path::new("dist/chart/templates/manager/manager.yaml")]
            .clone()
            .unwrap()
    );
}

#[test]
fn create_webhook_brings_the_chart_along_and_keeps_the_users_edits() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    cargo_operator(&dir)
        .args(words("create api --group tutorial --version v1 --kind Bar"))
        .assert()
        .success();
    edit_helm(&dir);
    let values = dir.join("dist/chart/values.yaml");
    let my_values = "manager:\n  image:\n    repository: registry.example/tutorial\n";
    fs::write(&values, my_values).unwrap();
    let deployment = dir.join("dist/chart/templates/manager/manager.yaml");
    let pristine = fs::read_to_string(&deployment).unwrap();
    fs::write(&deployment, format!("{pristine}# my edits\n")).unwrap();
    let foo = "create webhook --group tutorial --version v1 --kind Foo --defaulting";

    // The first webhook changes the Deployment, which holds the user's edits.
    fails_cleanly(
        &dir,
        &words(foo),
        "`dist/chart/templates/manager/manager.yaml` was edited since cargo-operator wrote it, and this change needs a new version of it; pass `--force` to replace it (your edits to it are lost), or move it away and bring your edits back into the new one",
    );
    fs::write(&deployment, &pristine).unwrap();
    let note = "note: `dist/chart/values.yaml` is yours, so it was kept as it is: add `webhook: {enable: true}` and `certManager: {enable: true}` to it for the chart's webhook templates, which read them\n";
    cargo_operator(&dir)
        .args(words(foo))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created dist/chart/templates/webhook/service.yaml",
        ))
        .stdout(predicate::str::contains(
            "updated dist/chart/templates/manager/manager.yaml",
        ))
        .stdout(predicate::str::contains("kept dist/chart/values.yaml"))
        .stderr(note);
    assert_eq!(fs::read_to_string(&values).unwrap(), my_values);
    let served = fs::read_to_string(&deployment).unwrap();
    assert!(served.contains("--webhook-cert-path="), "{served}");

    // Later webhooks leave the Deployment alone, edited or not.
    fs::write(&deployment, format!("{served}# my edits\n")).unwrap();
    cargo_operator(&dir)
        .args(words(
            "create webhook --group tutorial --version v1 --kind Bar --programmatic-validation",
        ))
        .assert()
        .success()
        .stdout(predicate::str::contains("dist/chart/templates/manager").not())
        .stderr(note);
    assert!(
        fs::read_to_string(&deployment)
            .unwrap()
            .ends_with("# my edits\n")
    );

    // Once the two values are there, nothing more is asked.
    fs::write(
        &values,
        format!("{my_values}webhook:\n  enable: true\ncertManager:\n  enable: false\n"),
    )
    .unwrap();
    cargo_operator(&dir)
        .args(["edit", "--helm", "--force"])
        .assert()
        .success()
        .stderr("");
}

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
            "dry run: 7 files would be created and 6 updated; nothing was written",
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

#[test]
fn a_core_kind_has_no_resource_to_create() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    fails_cleanly(
        &dir,
        &words("create api --group apps --version v1 --kind Deploymint --resource=false"),
        "`apps/v1, Kind=Deploymint` is not a built-in kind cargo-operator knows; it knows DaemonSet (v1), Deployment (v1), ReplicaSet (v1), StatefulSet (v1) in `apps`. For a custom resource of another project, pass `--external-api-crd <its CRD file>`",
    );
    cargo_operator(&dir)
        .args(words(
            "create api --group apps --version v1 --kind Deployment --resource=false --controller",
        ))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created src/controllers/deployment.rs",
        ))
        .stdout(predicate::str::contains(
            "created tests/deployment_controller.rs",
        ));
    fails_cleanly(
        &dir,
        &words("create api --group apps --version v1 --kind Deployment --resource=false"),
        "a controller for `apps/v1, Kind=Deployment` already exists; pass `--force` to regenerate it, or name a second one with `--controller-name`",
    );
    // Without `--resource`, the built-in kind is meant, and the command says so.
    cargo_operator(&dir)
        .args(words("create api --group batch --version v1 --kind CronJob"))
        .assert()
        .success()
        .stderr("note: `batch/v1, Kind=CronJob` is built into Kubernetes, so this adds a controller for it and no new type; for a type of your own in `batch.my.domain`, pass `--resource`\n")
        .stdout(predicate::str::contains("created src/controllers/cron_job.rs"));
}

#[test]
fn a_built_in_kind_with_resource_is_a_type_of_the_project() {
    // Kubebuilder's book: its own CronJob in `batch.tutorial.kubebuilder.io`.
    let (_tmp, dir) = project_dir();
    cargo_operator(&dir)
        .args(words("init --domain tutorial.kubebuilder.io"))
        .assert()
        .success();
    cargo_operator(&dir)
        .args(words(
            "create api --group batch --version v1 --kind CronJob --resource --controller",
        ))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "plural `cronjobs` is also the built-in resource `cronjobs`",
        ))
        .stdout(predicate::str::contains("created src/api/v1/cron_job.rs"))
        .stdout(predicate::str::contains(
            "created src/controllers/cron_job.rs",
        ));
    let project = std::fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(project.contains("kind = \"CronJob\""), "{project}");
    assert!(!project.contains("source = \"core\""), "{project}");
}

#[test]
fn a_namespaced_project_refuses_cluster_scoped_core_kinds() {
    let (_tmp, dir) = project_dir();
    cargo_operator(&dir)
        .args(words("init --domain my.domain --namespaced"))
        .assert()
        .success();
    fails_cleanly(
        &dir,
        &words("create api --group core --version v1 --kind Namespace --resource=false"),
        "this project's manager watches one namespace, so it cannot control the cluster-scoped kind `Namespace`",
    );
}

#[test]
fn a_named_controller_needs_a_new_name() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let audit = "create api --group tutorial --version v1 --kind Foo --resource=false --controller-name foo-audit";
    cargo_operator(&dir)
        .args(words(audit))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created src/controllers/foo_audit.rs",
        ));
    fails_cleanly(
        &dir,
        &words(audit),
        "controller `foo-audit` already exists; pass `--force` to regenerate its files (your edits to them are lost)",
    );
    fails_cleanly(
        &dir,
        &words(
            "create api --group tutorial --version v1 --kind Foo --resource=false --controller-name foo",
        ),
        "controller `foo` already exists (for `tutorial.my.domain/v1`); name this one with `--controller-name`",
    );
    fails_cleanly(
        &dir,
        &words(
            "create api --group tutorial --version v1 --kind Foo --resource=false --controller-name Foo_Audit",
        ),
        "controller name `Foo_Audit` is not a valid DNS-1035 label; use lower-case letters, digits and `-`, starting with a letter, such as `foo-backup`",
    );
}

#[test]
fn the_same_kind_in_two_groups_gets_two_controllers() {
    let (_tmp, dir) = project_dir();
    cargo_operator(&dir)
        .args(words("init --domain my.domain --multigroup"))
        .assert()
        .success();
    for group in ["foo", "fiz", "baz"] {
        cargo_operator(&dir)
            .args(words(&format!(
                "create api --group {group} --version v1 --kind Bar --controller=true --resource=true"
            )))
            .assert()
            .success()
            .stdout(predicate::str::contains(format!(
                "created src/controllers/{group}/bar.rs"
            )));
    }
    // The first keeps the kind's name; the others are named as Kubebuilder names them.
    let registry = fs::read_to_string(dir.join("src/controllers/mod.rs")).unwrap();
    for registration in [
        r#".controller("bar", foo::bar::run)"#,
        r#".controller("fiz-bar", fiz::bar::run)"#,
        r#".controller("baz-bar", baz::bar::run)"#,
    ] {
        assert!(registry.contains(registration), "{registry}");
    }
    let test = fs::read_to_string(dir.join("tests/fiz_bar_controller.rs")).unwrap();
    assert!(test.contains(r#"{controller="fiz-bar",result="success"}"#));
    // The name is recorded: it stays when the kind that had the plain name goes.
    cargo_operator(&dir)
        .args(words("delete api --group foo --version v1 --kind Bar"))
        .assert()
        .success();
    let registry = fs::read_to_string(dir.join("src/controllers/mod.rs")).unwrap();
    assert!(
        registry.contains(r#".controller("fiz-bar", fiz::bar::run)"#),
        "{registry}"
    );
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(
        project.contains("own-controller-name = \"fiz-bar\"\n"),
        "{project}"
    );
}

#[test]
fn force_regenerates_a_controller_named_after_its_kind() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    cargo_operator(&dir)
        .args(words(
            "create api --group crew --version v1 --kind Captain --controller-name=captain",
        ))
        .assert()
        .success();
    let controller = dir.join("src/controllers/captain.rs");
    let generated = fs::read_to_string(&controller).unwrap();
    let before = tree(&dir);
    fs::write(&controller, format!("{generated}// my edit\n")).unwrap();
    fails_cleanly(
        &dir,
        &words("create api --group crew --version v1 --kind Captain"),
        "API `crew/v1, Kind=Captain` already exists; pass `--force` to regenerate its files (your edits to them are lost)",
    );
    cargo_operator(&dir)
        .args(words(
            "create api --group crew --version v1 --kind Captain --force",
        ))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "updated src/controllers/captain.rs",
        ));
    assert_eq!(tree(&dir), before);
}

#[test]
fn multigroup_is_chosen_once() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    succeeds_unchanged(
        &dir,
        &["edit", "--multigroup=false"],
        "the project already has the one-group layout; nothing changed",
    );
    cargo_operator(&dir)
        .args(["edit", "--multigroup"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created src/api/tutorial/v1/foo.rs",
        ))
        .stdout(predicate::str::contains("deleted src/api/v1/foo.rs"));
    // Asked again, it succeeds and changes nothing, as Kubebuilder's does.
    succeeds_unchanged(
        &dir,
        &["edit", "--multigroup"],
        "this project is already laid out by group (`multigroup = true` in `PROJECT.toml`); nothing changed",
    );
    fails_cleanly(
        &dir,
        &["edit", "--multigroup=false"],
        "cargo-operator does not move a project back to one group; its APIs stay under `src/api/<group>/`",
    );
    cargo_operator(&dir)
        .args(words(
            "create api --group ship --version v1 --kind Frigate --skeleton",
        ))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created src/api/ship/v1/frigate.rs",
        ));
}

#[test]
fn edit_multigroup_keeps_edits_and_refuses_clashes() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    fs::create_dir_all(dir.join("src/controllers/tutorial")).unwrap();
    fs::write(dir.join("src/controllers/tutorial/foo.rs"), "// mine\n").unwrap();
    fails_cleanly(
        &dir,
        &["edit", "--multigroup"],
        "`edit --multigroup` would move `src/controllers/foo.rs` to `src/controllers/tutorial/foo.rs`, which exists; move that file away, then run it again",
    );
    fs::remove_dir_all(dir.join("src/controllers/tutorial")).unwrap();
    let controller = dir.join("src/controllers/foo.rs");
    let edited = format!("{}// my edit\n", fs::read_to_string(&controller).unwrap());
    fs::write(&controller, &edited).unwrap();
    cargo_operator(&dir)
        .args(["edit", "--multigroup"])
        .assert()
        .success();
    let moved = fs::read_to_string(dir.join("src/controllers/tutorial/foo.rs")).unwrap();
    assert!(moved.ends_with("// my edit\n"), "{moved}");
    assert!(moved.contains("api::tutorial::v1::Foo,"), "{moved}");
    // The edit still counts as one: deleting the API needs --force.
    fails_cleanly(
        &dir,
        &words("delete api --group tutorial --version v1 --kind Foo"),
        "`src/controllers/tutorial/foo.rs` changed since cargo-operator generated it, or predates the hashes `PROJECT.toml` keeps; move your changes elsewhere, or pass `--force` to delete it anyway",
    );
}

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

#[test]
fn edit_namespaced_switches_both_ways() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let cluster_wide = tree(&dir);
    succeeds_unchanged(
        &dir,
        &["edit", "--namespaced=false", "--force"],
        "the manager already watches every namespace; nothing changed",
    );
    cargo_operator(&dir)
        .args(["edit", "--namespaced"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "updated config/rbac/role_binding.yaml",
        ))
        .stdout(predicate::str::contains("updated src/controllers/mod.rs"));
    let registry = fs::read_to_string(dir.join("src/controllers/mod.rs")).unwrap();
    assert!(
        registry.contains("pub const NAMESPACED: bool = true;"),
        "{registry}"
    );
    let binding = fs::read_to_string(dir.join("config/rbac/role_binding.yaml")).unwrap();
    assert!(binding.contains("kind: RoleBinding"), "{binding}");
    for again in [
        &["edit", "--namespaced"][..],
        &["edit", "--namespaced", "--force"],
    ] {
        succeeds_unchanged(
            &dir,
            again,
            "the manager already watches only its own namespace; nothing changed",
        );
    }
    cargo_operator(&dir)
        .args(["edit", "--namespaced=false"])
        .assert()
        .success();
    assert_eq!(tree(&dir), cluster_wide);

    cargo_operator(&dir)
        .args(words(
            "create api --group tutorial --version v1 --kind Bar --namespaced=false --skeleton",
        ))
        .assert()
        .success();
    fails_cleanly(
        &dir,
        &["edit", "--namespaced"],
        "`tutorial/v1, Kind=Bar` is cluster-scoped, which a manager watching one namespace cannot control; delete it with `cargo operator delete api` first, or keep the project cluster-wide",
    );
    fs::write(dir.join("config/rbac/role_binding.yaml"), "# mine\n").unwrap();
    cargo_operator(&dir)
        .args(words("delete api --group tutorial --version v1 --kind Bar"))
        .assert()
        .success();
    fails_cleanly(
        &dir,
        &["edit", "--namespaced"],
        "`config/rbac/role_binding.yaml` was edited since cargo-operator wrote it; change its scope by hand, or pass `--force` to replace it",
    );
}

#[test]
fn external_kinds_come_from_a_crd_file() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    fs::write(
        dir.join("deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n",
    )
    .unwrap();
    let crd = certificate_crd();
    let cases: &[(&[&str], String)] = &[
        (
            &["--kind", "Certificate", "--external-api-crd", "deployment.yaml"],
            "`deployment.yaml` is an apps/v1 Deployment, not a CustomResourceDefinition; give the CRD's YAML file, e.g. from the project's release manifests".into(),
        ),
        (
            &["--kind", "Certificat", "--external-api-crd", &crd],
            format!("`{crd}` defines kind `Certificate`, not `Certificat`; pass `--kind Certificate`"),
        ),
        (
            &["--kind", "Certificate", "--version", "v9", "--external-api-crd", &crd],
            format!("`{crd}` serves versions v1, not `v9`; pass one of them to `--version`"),
        ),
        (
            &["--kind", "Certificate", "--resource=true", "--external-api-crd", &crd],
            "`--resource=true` creates a type this project owns, but `--external-api-crd` is for a kind another project owns; drop `--resource`".into(),
        ),
        (
            &["--kind", "Certificate", "--external-api-path", "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"],
            "`--external-api-path github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1` names a Go package; cargo-operator generates Rust types from the CRD itself, so pass `--external-api-crd <the CRD's YAML file>`".into(),
        ),
    ];
    for (extra, message) in cases {
        let args = [&["create", "api"][..], extra].concat();
        fails_cleanly(&dir, &args, message);
    }
    cargo_operator(&dir)
        .args([
            "create",
            "api",
            "--kind",
            "Certificate",
            "--external-api-crd",
            &crd,
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created config/crd/external/certificates.cert-manager.io.yaml",
        ))
        .stdout(predicate::str::contains(
            "created src/api/external/cert_manager_io/v1/certificate.rs",
        ));
    // The registries it rendered read as unedited to the next command.
    create_foo(&dir);
    cargo_operator(&dir)
        .args(words("delete api --group tutorial --version v1 --kind Foo"))
        .assert()
        .success();
    let copied =
        fs::read_to_string(dir.join("config/crd/external/certificates.cert-manager.io.yaml"))
            .unwrap();
    assert_eq!(copied, fs::read_to_string(&crd).unwrap());
    cargo_operator(&dir)
        .args(words(
            "delete api --group cert-manager.io --version v1 --kind Certificate",
        ))
        .assert()
        .success();
    assert!(!dir.join("config/crd/external").exists());
    assert!(!dir.join("src/api/external").exists());
}

/// `create webhook` on the article's project, as a user types it.
fn create_webhook(dir: &Path, flags: &str) {
    let line = format!("create webhook --group tutorial --version v1 --kind Foo {flags}");
    cargo_operator(dir).args(words(&line)).assert().success();
}

#[test]
fn create_webhook_refuses_what_it_cannot_make_and_leaves_the_tree_alone() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let webhook = "create webhook --group tutorial --version v1";
    fails_cleanly(
        &dir,
        &words(&format!("{webhook} --kind Bar --defaulting")),
        "no API `tutorial/v1, Kind=Bar` in this project; create it first with `cargo operator create api --group tutorial --version v1 --kind Bar` (it has tutorial/v1, Kind=Foo)",
    );
    fails_cleanly(
        &dir,
        &words(&format!("{webhook} --kind Foo")),
        "say which webhook to create: `--defaulting`, `--programmatic-validation` or `--conversion --spoke <version>`",
    );
    fails_cleanly(
        &dir,
        &words(&format!("{webhook} --kind Foo --conversion --spoke v2")),
        "kind `Foo` has only version `v1`, so there is nothing to convert; add another with `cargo operator create api --group tutorial --version <version> --kind Foo --controller=false`",
    );
    fails_cleanly(
        &dir,
        &words(&format!("{webhook} --kind Foo --spoke v2 --defaulting")),
        "`--spoke` names the versions of a conversion; add `--conversion`",
    );
    fails_cleanly(
        &dir,
        &words(&format!(
            "{webhook} --kind Foo --defaulting --defaulting-path mutate"
        )),
        "webhook path `mutate` must start with `/` and hold only letters, digits and `/-_.~`, such as `/mutate-foo`",
    );

    let long = "A".repeat(60);
    cargo_operator(&dir)
        .args(words(&format!(
            "create api --group tutorial --version v1 --kind {long} --skeleton"
        )))
        .assert()
        .success();
    fails_cleanly(
        &dir,
        &words(&format!("{webhook} --kind {long} --defaulting")),
        &format!(
            "kind `{long}` is too long for an admission webhook, whose name starts `m{}-v1` (64 characters, where Kubernetes allows 63); pick a kind of at most 59 characters",
            long.to_ascii_lowercase()
        ),
    );

    cargo_operator(&dir)
        .args(words(
            "create api --group tutorial --version v2 --kind Foo --controller=false",
        ))
        .assert()
        .success();
    fails_cleanly(
        &dir,
        &words(&format!("{webhook} --kind Foo --conversion --spoke v3")),
        "kind `Foo` has no version `v3`; pass `v2` to `--spoke`, or create it with `cargo operator create api`",
    );

    create_webhook(&dir, "--defaulting");
    fails_cleanly(
        &dir,
        &words(&format!("{webhook} --kind Foo --defaulting")),
        "`tutorial/v1, Kind=Foo` already has a defaulting webhook; pass `--force` to regenerate its files (your edits to them are lost)",
    );
    // Adding validation rewrites the file holding the defaulter, unless it was edited.
    let defaulter = dir.join("src/webhooks/v1/foo.rs");
    let generated = fs::read_to_string(&defaulter).unwrap();
    fs::write(&defaulter, format!("{generated}// mine\n")).unwrap();
    fails_cleanly(
        &dir,
        &words(&format!("{webhook} --kind Foo --programmatic-validation")),
        "`src/webhooks/v1/foo.rs` already exists; move it away, or pass `--force` to regenerate it (your edits to it are lost)",
    );
    fs::write(&defaulter, generated).unwrap();
    create_webhook(&dir, "--programmatic-validation");
    assert!(
        fs::read_to_string(&defaulter)
            .unwrap()
            .contains("impl Validator for Foo")
    );
}

#[test]
fn create_webhook_records_the_webhooks_and_delete_api_takes_a_spoke_out_of_the_conversion() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    cargo_operator(&dir)
        .args(words(
            "create api --group tutorial --version v2 --kind Foo --controller=false",
        ))
        .assert()
        .success();
    create_webhook(&dir, "--defaulting --programmatic-validation");
    create_webhook(&dir, "--conversion --spoke v2");
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(
        project.contains(
            "[resources.webhooks]\ndefaulting = true\nvalidation = true\nconversion = true\nspoke = [\"v2\"]\n"
        ),
        "{project}"
    );
    let registry = fs::read_to_string(dir.join("src/webhooks/mod.rs")).unwrap();
    assert!(
        registry.contains(
            ".conversion(Conversion::hub::<crate::api::v1::Foo>().spoke::<crate::api::v2::Foo>())"
        ),
        "{registry}"
    );
    for file in [
        "src/webhooks/v1/foo.rs",
        "src/webhooks/v2/foo_conversion.rs",
        "tests/foo_v1_webhook.rs",
        "tests/foo_conversion.rs",
        "config/webhook/service.yaml",
        "config/certmanager/certificate.yaml",
        "config/default/manager_webhook_patch.yaml",
    ] {
        assert!(dir.join(file).is_file(), "{file} is missing");
    }
    let kustomization = fs::read_to_string(dir.join("config/default/kustomization.yaml")).unwrap();
    assert!(
        kustomization.contains("- ../webhook\n- ../certmanager\n"),
        "{kustomization}"
    );
    assert!(
        kustomization.contains("name: foos.tutorial.my.domain}"),
        "{kustomization}"
    );

    // Running it again with --force regenerates the same files.
    let before = tree(&dir);
    create_webhook(&dir, "--defaulting --programmatic-validation --force");
    assert_eq!(tree(&dir), before);

    cargo_operator(&dir)
        .args(words("delete api --group tutorial --version v2 --kind Foo"))
        .assert()
        .success();
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(!project.contains("conversion"), "{project}");
    assert!(!project.contains("foo_conversion"), "{project}");
    assert!(!dir.join("src/webhooks/v2").exists());
    assert!(!dir.join("tests/foo_conversion.rs").exists());
    assert!(dir.join("src/webhooks/v1/foo.rs").is_file());
}

#[test]
fn webhooks_for_kinds_the_project_does_not_own_are_refused_with_a_reason() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let issuer = issuer_crd();
    let cases: Vec<(String, String)> = vec![
        (
            "--group core --version v1 --kind Pod --conversion".into(),
            "`core/v1, Kind=Pod` is built into Kubernetes, which converts between its versions itself; `--conversion` is only for kinds this project owns".into(),
        ),
        (
            format!("--group cert-manager --version v1 --kind Issuer --conversion --external-api-crd {issuer} --external-api-domain=io"),
            "`cert-manager.io/v1, Kind=Issuer` is owned by another project, whose CRD names the webhook that converts its versions; `--conversion` is only for kinds this project owns".into(),
        ),
        (
            "--group core --version v1 --kind Node --defaulting".into(),
            "`core/v1, Kind=Node` is not a built-in kind cargo-operator knows; it knows ConfigMap (v1), Namespace (v1), PersistentVolumeClaim (v1), Pod (v1), Secret (v1), Service (v1), ServiceAccount (v1) in `core`. For a custom resource of another project, pass `--external-api-crd <its CRD file>`".into(),
        ),
        (
            "--group core --version v1 --kind Pod --plural=podz --defaulting".into(),
            "`core/v1, Kind=Pod` has plural `pods` as Kubernetes serves it, not `podz`; pass `--plural=pods` or leave it out".into(),
        ),
        (
            format!("--group cert-manager --version v1 --kind Issuer --defaulting --plural=issuer --external-api-crd {issuer} --external-api-domain=io"),
            "`cert-manager.io/v1, Kind=Issuer` has plural `issuers` as its CRD names it, not `issuer`; pass `--plural=issuers` or leave it out".into(),
        ),
        (
            "--group tutorial --version v1 --kind Foo --plural=fooz --defaulting".into(),
            "`tutorial/v1, Kind=Foo` has plural `foos` in `PROJECT.toml`, not `fooz`; pass `--plural=foos` or leave it out".into(),
        ),
        (
            "--group cert-manager --version v1 --kind Issuer --defaulting --external-api-domain=io".into(),
            "no kind `cert-manager.io/v1, Kind=Issuer` in this project; for a kind another project owns, pass its CRD with `--external-api-crd <file>`".into(),
        ),
        (
            format!("--group cert-manager --version v1 --kind Issuer --defaulting --external-api-crd {issuer} --external-api-domain=example.com"),
            format!("`{issuer}` is in group `cert-manager.io`, not `cert-manager.example.com`; pass `--group cert-manager.io` (or its first part with `--external-api-domain`), or leave it out"),
        ),
        (
            format!("--group cert-manager.io --version v2 --kind Issuer --defaulting --external-api-crd {issuer}"),
            format!("`{issuer}` serves versions v1, not `v2`; pass one of them to `--version`"),
        ),
        (
            "--group cert-manager --version v1 --kind Issuer --defaulting --external-api-path=github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1 --external-api-domain=io".into(),
            "`--external-api-path github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1` names a Go package; cargo-operator generates Rust types from the CRD itself, so pass `--external-api-crd <the CRD's YAML file>`".into(),
        ),
    ];
    for (flags, message) in cases {
        fails_cleanly(&dir, &words(&format!("create webhook {flags}")), &message);
    }
    fails_cleanly(
        &dir,
        &words(
            "create api --group cert-manager --version v1 --kind Issuer --external-api-domain=io",
        ),
        "`--external-api-domain=io` completes the group of a kind another project owns; pass that kind's CRD with `--external-api-crd <file>`",
    );

    // In the one-group layout every group's v1 webhooks share `src/webhooks/v1/`.
    cargo_operator(&dir)
        .args(words(
            "create api --group tutorial --version v1 --kind Deployment --skeleton",
        ))
        .assert()
        .success();
    create_webhook(&dir, "--defaulting");
    cargo_operator(&dir)
        .args(words(
            "create webhook --group tutorial --version v1 --kind Deployment --defaulting",
        ))
        .assert()
        .success();
    fails_cleanly(
        &dir,
        &words("create webhook --group apps --version v1 --kind Deployment --defaulting"),
        "the webhooks of `apps/v1, Kind=Deployment` would be written to `src/webhooks/v1/deployment.rs`, which holds those of `tutorial/v1, Kind=Deployment`; run `cargo operator edit --multigroup` first, so each group has a folder",
    );
}

#[test]
fn webhooks_for_built_in_and_external_kinds_add_the_kind_and_go_with_it() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let before = tree(&dir);
    cargo_operator(&dir)
        .args(words(
            "create webhook --group core --version v1 --kind Pod --defaulting",
        ))
        .assert()
        .success()
        .stdout(predicate::str::contains("created src/webhooks/v1/pod.rs"))
        .stdout(predicate::str::contains("created tests/pod_v1_webhook.rs"));
    // Kubebuilder's second command on the same kind adds the validator to the same file.
    cargo_operator(&dir)
        .args(words(
            "create webhook --group core --version v1 --kind Pod --programmatic-validation --plural=pods --make=false",
        ))
        .assert()
        .success();
    let issuer = issuer_crd();
    cargo_operator(&dir)
        .args(words(&format!(
            "create webhook --group cert-manager --version v1 --kind Issuer --defaulting --external-api-crd {issuer} --external-api-domain=io"
        )))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created config/crd/external/issuers.cert-manager.io.yaml",
        ))
        .stdout(predicate::str::contains(
            "created src/api/external/cert_manager_io/v1/issuer.rs",
        ));
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    for entry in [
        "kind = \"Pod\"\nplural = \"pods\"\nnamespaced = true\ncontroller = false\nexample = \"skeleton\"\nsource = \"core\"\n",
        "kind = \"Issuer\"\nplural = \"issuers\"\nnamespaced = true\ncontroller = false\nexample = \"skeleton\"\nsource = \"external\"\n",
        "[resources.webhooks]\ndefaulting = true\nvalidation = true\n",
    ] {
        assert!(project.contains(entry), "{entry} not in {project}");
    }
    let registry = fs::read_to_string(dir.join("src/webhooks/mod.rs")).unwrap();
    for line in [
        ".custom_defaulting::<k8s_openapi::api::core::v1::Pod>(v1::pod::PodCustomDefaulter)",
        ".custom_validating::<k8s_openapi::api::core::v1::Pod>(v1::pod::PodCustomValidator)",
        "v1::issuer::IssuerCustomDefaulter",
    ] {
        assert!(registry.contains(line), "{line} not in {registry}");
    }
    let pod = fs::read_to_string(dir.join("src/webhooks/v1/pod.rs")).unwrap();
    assert!(
        pod.contains("impl CustomDefaulter<Pod> for PodCustomDefaulter")
            && pod.contains("impl CustomValidator<Pod> for PodCustomValidator"),
        "{pod}"
    );

    // A controller for the external kind joins its webhooks; the CRD is the one already there.
    cargo_operator(&dir)
        .args(words(&format!(
            "create api --group cert-manager --version v1 --kind Issuer --controller=true --resource=false --external-api-crd {issuer} --external-api-domain=io"
        )))
        .assert()
        .success()
        .stdout(predicate::str::contains("created src/controllers/issuer.rs"));

    for delete in [
        "delete api --group core --version v1 --kind Pod",
        "delete api --group cert-manager.io --version v1 --kind Issuer",
    ] {
        cargo_operator(&dir).args(words(delete)).assert().success();
    }
    // What stays is the webhooks' deploy config (`config/` but CRDs), which `delete api` leaves.
    let after = tree(&dir);
    for (path, content) in &after {
        let shown = path.to_string_lossy();
        if shown.starts_with("config/") && !shown.starts_with("config/crd") {
            continue;
        }
        assert_eq!(Some(content), before.get(path), "{shown} differs");
    }
    assert!(before.keys().all(|path| after.contains_key(path)));
}

#[test]
fn conversion_without_spoke_converts_every_other_version() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    for version in ["v2", "v3"] {
        cargo_operator(&dir)
            .args(words(&format!(
                "create api --group tutorial --version {version} --kind Foo --controller=false"
            )))
            .assert()
            .success();
    }
    cargo_operator(&dir)
        .args(words(
            "create webhook --group tutorial --version v1 --kind Foo --conversion --make=false",
        ))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "note: `--conversion` without `--spoke`: `v2` and `v3` convert through hub `v1`, as every other version of `Foo`; pass `--spoke` to choose",
        ))
        .stdout(predicate::str::contains("created src/webhooks/v2/foo_conversion.rs"))
        .stdout(predicate::str::contains("created src/webhooks/v3/foo_conversion.rs"));
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(
        project.contains("conversion = true\nspoke = [\"v2\", \"v3\"]\n"),
        "{project}"
    );
}

/// Kubebuilder's deploy-image commands, as its documentation gives them (after the shell took
/// the quotes off).
const CREATE_MEMCACHED: &[&str] = &[
    "create",
    "api",
    "--group",
    "example.com",
    "--version",
    "v1alpha1",
    "--kind",
    "Memcached",
    "--image=memcached:1.6.26-alpine3.19",
    "--image-container-command=memcached,--memory-limit=64,-o,modern,-v",
    "--image-container-port=11211",
    "--run-as-user=1001",
    "--plugins=deploy-image/v1-alpha",
    "--make=false",
];

#[test]
fn kubebuilder_deploy_image_commands_paste_unchanged() {
    for multigroup in [false, true] {
        let (_tmp, dir) = project_dir();
        let mut init = vec![
            "init",
            "--domain",
            "testproject.org",
            "--license",
            "apache2",
            "--owner",
            "The Kubernetes authors",
        ];
        if multigroup {
            init.push("--multigroup");
        }
        cargo_operator(&dir).args(&init).assert().success();
        cargo_operator(&dir)
            .args(CREATE_MEMCACHED)
            .assert()
            .success()
            .stdout(predicate::str::contains(
                "updated config/manager/manager.yaml",
            ))
            // The plugin list is honoured, not ignored.
            .stderr(predicate::str::contains("--plugins").not());
        cargo_operator(&dir)
            .args(words(
                "create api --group example.com --version v1alpha1 --kind Busybox --image=busybox:1.36.1 --plugins=deploy-image.go.kubebuilder.io/v1-alpha --make=false",
            ))
            .assert()
            .success();
        let manager = fs::read_to_string(dir.join("config/manager/manager.yaml")).unwrap();
        assert!(
            manager.contains(
                "        - name: MEMCACHED_IMAGE\n          value: \"memcached:1.6.26-alpine3.19\"\n        - name: BUSYBOX_IMAGE\n          value: \"busybox:1.36.1\"\n        # +operator:scaffold:manager-env\n"
            ),
            "{manager}"
        );
        let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
        assert!(
            project.contains(
                "[resources.example.deploy-image]\nimage = \"memcached:1.6.26-alpine3.19\"\ncommand = [\"memcached\", \"--memory-limit=64\", \"-o\", \"modern\", \"-v\"]\ncontainer-port = 11211\nrun-as-user = 1001\n"
            ),
            "{project}"
        );
        // `--image` alone means deploy-image too.
        cargo_operator(&dir)
            .args(words(
                "create api --group example.com --version v1 --kind Nginx --image=nginx:1.29",
            ))
            .assert()
            .success()
            .stdout(predicate::str::contains("created src/controllers/"));
    }
}

#[test]
fn deploy_image_refuses_what_makes_no_sense() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    let create = |flags: &str| -> Vec<String> {
        words(&format!(
            "create api --group tutorial --version v1 --kind Memcached {flags}"
        ))
        .into_iter()
        .map(String::from)
        .collect()
    };
    let cases = [
        (
            "--plugins=deploy-image/v1-alpha",
            "the deploy-image plugin needs the image to deploy; pass `--image`, such as `--image=memcached:1.6.26-alpine3.19`",
        ),
        (
            "--image-container-port=11211",
            "`--image-container-port` configures the container of the image that `--image` deploys; pass `--image` too, or leave `--image-container-port` out",
        ),
        (
            "--run-as-user=1001",
            "`--run-as-user` configures the container of the image that `--image` deploys; pass `--image` too, or leave `--run-as-user` out",
        ),
        (
            "--image=memcached:1.6 --resource=false",
            "`--image` makes a new namespaced kind and the controller that deploys the image, which rules out `--resource=false` (no type); drop one of the two",
        ),
        (
            "--image=memcached:1.6 --controller=false",
            "`--image` makes a new namespaced kind and the controller that deploys the image, which rules out `--controller=false` (no controller); drop one of the two",
        ),
        (
            "--image=memcached:1.6 --skeleton",
            "`--image` makes a new namespaced kind and the controller that deploys the image, which rules out `--skeleton` (another controller); drop one of the two",
        ),
        (
            "--image=memcached:1.6 --controller-name memcached-audit",
            "`--image` makes a new namespaced kind and the controller that deploys the image, which rules out `--controller-name` (a second controller); drop one of the two",
        ),
        (
            "--image=memcached:1.6 --namespaced=false",
            "`--image` makes a new namespaced kind and the controller that deploys the image, which rules out `--namespaced=false` (a cluster-scoped kind, with no namespace for the Deployment); drop one of the two",
        ),
        (
            "--image=memcached:1.6 --external-api-crd crd.yaml",
            "`--image` makes a new namespaced kind and the controller that deploys the image, which rules out `--external-api-crd` (a kind another project owns); drop one of the two",
        ),
        (
            "--image=memcached:",
            "`--image`: `memcached:` is not an image reference; use letters, digits, `.`, `_`, `-`, `/`, `:` and `@`, starting and ending with a letter or digit, such as `memcached:1.6.26-alpine3.19`",
        ),
        (
            "--image=",
            "`--image`: the image is empty; pass one such as `--image=memcached:1.6.26-alpine3.19`",
        ),
        (
            "--image=memcached:1.6 --image-container-port=0",
            "`--image-container-port`: `0` is not a container port; pass a number from 1 to 65535, such as `--image-container-port=11211`",
        ),
        (
            "--image=memcached:1.6 --image-container-port=65536",
            "`--image-container-port`: `65536` is not a container port; pass a number from 1 to 65535, such as `--image-container-port=11211`",
        ),
        (
            "--image=memcached:1.6 --run-as-user=-5",
            "`--run-as-user`: `-5` is not a user ID; pass a positive integer, such as `--run-as-user=1001`",
        ),
        (
            "--image=memcached:1.6 --run-as-user=0",
            "`--run-as-user`: UID 0 is root, which the container's restricted security context (`runAsNonRoot`) refuses to start; pass another, such as `--run-as-user=1001`",
        ),
        (
            "--image=memcached:1.6 --image-container-command=memcached,,-v",
            "`--image-container-command`: `memcached,,-v` has an empty item (number 2); separate the command and each argument with one comma, such as `--image-container-command=memcached,--memory-limit=64,-v`",
        ),
    ];
    for (flags, message) in cases {
        let args = create(flags);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fails_cleanly(&dir, &args, message);
    }
    // Whitespace is no part of an image.
    fails_cleanly(
        &dir,
        &[
            "create",
            "api",
            "--group",
            "tutorial",
            "--version",
            "v1",
            "--kind",
            "Memcached",
            "--image",
            "memcached 1.6",
        ],
        "`--image`: `memcached 1.6` is not an image reference; use letters, digits, `.`, `_`, `-`, `/`, `:` and `@`, starting and ending with a letter or digit, such as `memcached:1.6.26-alpine3.19`",
    );
    fails_cleanly(
        &dir,
        &words("create api --group apps --version v1 --kind Deployment --image=nginx:1.29"),
        "`apps/v1, Kind=Deployment` is built into Kubernetes, but `--image` makes a kind of this project whose controller deploys the image; pick a group of your own",
    );
}

#[test]
fn deploy_image_kinds_of_one_name_need_one_image_variable() {
    let (_tmp, dir) = project_dir();
    cargo_operator(&dir)
        .args(words("init --domain my.domain --multigroup"))
        .assert()
        .success();
    cargo_operator(&dir)
        .args(words(
            "create api --group cache --version v1 --kind Memcached --image=memcached:1.6",
        ))
        .assert()
        .success();
    fails_cleanly(
        &dir,
        &words("create api --group store --version v1 --kind Memcached --image=memcached:1.5"),
        "`MEMCACHED_IMAGE` already sets the image of `cache/v1, Kind=Memcached`, a kind of the same name; pick another kind",
    );
}

#[test]
fn a_project_from_before_deploy_image_is_told_where_the_marker_goes() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    let manager = dir.join("config/manager/manager.yaml");
    let without_marker = fs::read_to_string(&manager)
        .unwrap()
        .replace("        # +operator:scaffold:manager-env\n", "");
    fs::write(&manager, without_marker).unwrap();
    fails_cleanly(
        &dir,
        &words("create api --group tutorial --version v1 --kind Memcached --image=memcached:1.6"),
        "cannot add to `config/manager/manager.yaml`: marker line `# +operator:scaffold:manager-env` is missing; put it back as the last line of the manager container's `env:` list",
    );
}

#[test]
fn a_new_version_of_a_skeleton_kind_starts_from_the_skeleton() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    cargo_operator(&dir)
        .args(words(
            "create api --group tutorial --version v1 --kind Bar --skeleton",
        ))
        .assert()
        .success();
    cargo_operator(&dir)
        .args(words(
            "create api --group tutorial --version v2 --kind Bar --controller=false",
        ))
        .assert()
        .success();
    let v2 = fs::read_to_string(dir.join("src/api/v2/bar.rs")).unwrap();
    assert!(v2.contains("pub conditions: Vec<Condition>"), "{v2}");
    assert!(!v2.contains("friend"), "{v2}");
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert_eq!(
        project.matches("example = \"skeleton\"").count(),
        2,
        "{project}"
    );
}

// ---- delete api undoes create webhook ----

/// Runs one command line in `dir` and expects it to succeed.
fn runs(dir: &Path, line: &str) {
    cargo_operator(dir).args(words(line)).assert().success();
}

/// Asserts that `dir` is exactly the tree `expected` (contents and folders), naming every path
/// that differs, so a failure says what `delete api` left behind or took too much.
fn is_the_tree(dir: &Path, expected: &std::collections::BTreeMap<PathBuf, Option<Vec<u8>>>) {
    let actual = tree(dir);
    let differing: std::collections::BTreeSet<String> = expected
        .keys()
        .chain(actual.keys())
        .filter(|path| expected.get(*path) != actual.get(*path))
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        differing.is_empty(),
        "differs from the tree that never had it: {differing:?}"
    );
}

/// What `make manifests` writes from admission webhooks, here so `delete api` finds it too.
fn write_webhook_manifests(dir: &Path, chart: bool) {
    let mut files = vec!["config/webhook/manifests.yaml"];
    if chart {
        files.push("dist/chart/templates/webhook/webhooks.yaml");
    }
    for file in files {
        fs::create_dir_all(dir.join(file).parent().unwrap()).unwrap();
        fs::write(dir.join(file), "kind: MutatingWebhookConfiguration\n").unwrap();
    }
}

#[test]
fn deleting_the_last_kind_with_admission_webhooks_takes_their_deploy_config_too() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    // A kind without webhooks stays, so the project is not back to `init`'s.
    runs(&dir, "create api --group tutorial --version v1 --kind Bar");
    let never_had_foo = tree(&dir);
    create_foo(&dir);
    create_webhook(&dir, "--defaulting --programmatic-validation");
    write_webhook_manifests(&dir, false);
    for file in [
        "config/webhook/service.yaml",
        "config/certmanager/certificate.yaml",
        "config/default/manager_webhook_patch.yaml",
        "config/network-policy/allow-webhook-traffic.yaml",
    ] {
        assert!(dir.join(file).is_file(), "{file} is missing");
    }
    runs(&dir, "delete api --group tutorial --version v1 --kind Foo");
    is_the_tree(&dir, &never_had_foo);
}

#[test]
fn deleting_a_converted_kind_takes_its_conversion_and_the_config_no_webhook_needs() {
    // Through either hub, alone or beside another kind's admission webhook, which keeps the
    // deploy config (and loses nothing of it).
    for (hub, spoke) in [("v1", "v2"), ("v2", "v1")] {
        for admission_elsewhere in [false, true] {
            let (_tmp, dir) = project_dir();
            init(&dir);
            if admission_elsewhere {
                runs(&dir, "create api --group tutorial --version v1 --kind Bar");
                runs(
                    &dir,
                    "create webhook --group tutorial --version v1 --kind Bar --defaulting",
                );
                write_webhook_manifests(&dir, false);
            }
            let never_had_foo = tree(&dir);
            create_foo(&dir);
            let one_version = tree(&dir);
            runs(
                &dir,
                "create api --group tutorial --version v2 --kind Foo --controller=false",
            );
            runs(
                &dir,
                &format!(
                    "create webhook --group tutorial --version {hub} --kind Foo --conversion --spoke {spoke}"
                ),
            );
            let kustomization =
                fs::read_to_string(dir.join("config/default/kustomization.yaml")).unwrap();
            assert!(
                kustomization.contains("name: foos.tutorial.my.domain}"),
                "{kustomization}"
            );
            // The spoke (or, through `v2`, the hub) goes, and with it the conversion.
            runs(&dir, "delete api --group tutorial --version v2 --kind Foo");
            is_the_tree(&dir, &one_version);
            runs(&dir, "delete api --group tutorial --version v1 --kind Foo");
            is_the_tree(&dir, &never_had_foo);
        }
    }
}

#[test]
fn the_last_admission_webhook_takes_its_lines_and_manifests_while_a_conversion_keeps_the_rest() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    runs(
        &dir,
        "create api --group tutorial --version v2 --kind Foo --controller=false",
    );
    create_webhook(&dir, "--conversion --spoke v2");
    let never_had_bar = tree(&dir);
    runs(&dir, "create api --group tutorial --version v1 --kind Bar");
    runs(
        &dir,
        "create webhook --group tutorial --version v1 --kind Bar --programmatic-validation",
    );
    write_webhook_manifests(&dir, false);
    let webhook_kustomization =
        fs::read_to_string(dir.join("config/webhook/kustomization.yaml")).unwrap();
    assert!(
        webhook_kustomization.contains("- manifests.yaml\n"),
        "{webhook_kustomization}"
    );
    runs(&dir, "delete api --group tutorial --version v1 --kind Bar");
    is_the_tree(&dir, &never_had_bar);
}

#[test]
fn deleting_a_built_in_kind_with_webhooks_takes_their_deploy_config_too() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let never_had_pod = tree(&dir);
    runs(
        &dir,
        "create webhook --group core --version v1 --kind Pod --defaulting --programmatic-validation",
    );
    write_webhook_manifests(&dir, false);
    runs(&dir, "delete api --group core --version v1 --kind Pod");
    is_the_tree(&dir, &never_had_pod);
}

#[test]
fn deleting_the_last_kind_with_webhooks_takes_the_charts_webhook_templates_too() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    edit_helm(&dir);
    let never_had_foo = tree(&dir);
    create_foo(&dir);
    runs(
        &dir,
        "create api --group tutorial --version v2 --kind Foo --controller=false",
    );
    create_webhook(&dir, "--defaulting --programmatic-validation");
    create_webhook(&dir, "--conversion --spoke v2");
    write_webhook_manifests(&dir, true);
    let chart_templates = [
        "dist/chart/templates/webhook/service.yaml",
        "dist/chart/templates/certmanager/certificate.yaml",
        "dist/chart/templates/certmanager/issuer.yaml",
        "dist/chart/templates/network-policy/allow-webhook-traffic.yaml",
    ];
    runs(&dir, "delete api --group tutorial --version v2 --kind Foo");
    // `v1` keeps its admission webhooks, and the chart its templates for them.
    for file in chart_templates.iter().chain(&[
        "dist/chart/templates/webhook/webhooks.yaml",
        "config/webhook/manifests.yaml",
    ]) {
        assert!(dir.join(file).is_file(), "{file} is missing");
    }
    runs(&dir, "delete api --group tutorial --version v1 --kind Foo");
    is_the_tree(&dir, &never_had_foo);
}

#[test]
fn an_edited_webhook_deploy_file_is_deleted_only_with_force() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    edit_helm(&dir);
    let never_had_foo = tree(&dir);
    create_foo(&dir);
    create_webhook(&dir, "--defaulting");
    let certificate = dir.join("config/certmanager/certificate.yaml");
    let mut edited = fs::read_to_string(&certificate).unwrap();
    edited.push_str("  duration: 2160h\n");
    fs::write(&certificate, edited).unwrap();
    let delete = "delete api --group tutorial --version v1 --kind Foo";
    fails_cleanly(
        &dir,
        &words(delete),
        "`config/certmanager/certificate.yaml` changed since cargo-operator generated it; move your changes elsewhere, or pass `--force` to delete it anyway",
    );
    // The chart's copy counts the same way.
    fs::write(
        dir.join("dist/chart/templates/certmanager/issuer.yaml"),
        "# mine\n",
    )
    .unwrap();
    fails_cleanly(
        &dir,
        &words(delete),
        "`config/certmanager/certificate.yaml` (and 1 more) changed since cargo-operator generated it; move your changes elsewhere, or pass `--force` to delete it anyway",
    );
    runs(&dir, &format!("{delete} --force"));
    is_the_tree(&dir, &never_had_foo);
}

// ---- end ----
