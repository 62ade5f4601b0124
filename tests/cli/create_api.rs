//! `create api`: types and controllers, their flags, `--force`, and the project file they read.

use std::fs;

use predicates::prelude::*;

use crate::common::{cargo_operator, tree};
use crate::{create_foo, fails_cleanly, init, project_dir, words};

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
    let test = fs::read_to_string(dir.join("tests/integration/fiz_bar_controller.rs")).unwrap();
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
