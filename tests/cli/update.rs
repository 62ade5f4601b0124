//! `update`: the refusals, and the file-by-file rules with a stand-in for an older cargo-operator
//! (this binary behind a script that names another version and writes a few lines otherwise).

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{cargo_operator, tree};
use crate::{fails_cleanly, fails_cleanly_with_env, init, project_dir, words};

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(unix)]
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// "cargo-operator 0.1.0": this binary, except that its README starts with another title, its
/// Makefile with another first line and its `.gitignore` ends with another line, as an older
/// template would have them.
#[cfg(unix)]
fn older_cargo_operator(dir: &Path) -> PathBuf {
    let real = assert_cmd::cargo::cargo_bin("cargo-operator");
    script(
        dir,
        "old-cargo-operator",
        &format!(
            r#"if [ "$2" = version ]; then echo 'cargo-operator 0.1.0 (layout rust.operator/v1)'; exit 0; fi
'{}' "$@" || exit $?
if [ -f Makefile ]; then
  sed -i '1s/.*/# The old first line./' Makefile
  sed -i '1s/.*/# The old title/' README.md
  sed -i '$s/.*/# the old last line/' .gitignore
fi
"#,
            real.display()
        ),
    )
}

/// A project made by the older cargo-operator: `init`, then Foo.
#[cfg(unix)]
fn old_project(old: &Path, dir: &Path) {
    for line in [
        "init --domain my.domain --repo my.domain/tutorial",
        "create api --group tutorial --version v1 --kind Foo",
    ] {
        let status = std::process::Command::new(old)
            .arg("operator")
            .args(words(line))
            .current_dir(dir)
            .env("SOURCE_DATE_EPOCH", "1767225600")
            .output()
            .unwrap();
        assert!(status.status.success(), "{status:?}");
    }
}

fn edit(dir: &Path, path: &str, change: impl FnOnce(String) -> String) {
    let file = dir.join(path);
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, change(text)).unwrap();
}

#[test]
fn update_needs_a_project() {
    let (_tmp, dir) = project_dir();
    fails_cleanly(
        &dir,
        &["update"],
        &format!(
            "no `PROJECT.toml` in `{}`; run this inside a project made by `cargo operator init`",
            dir.display()
        ),
    );
}

#[test]
fn a_project_at_this_version_has_nothing_to_update() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    let before = tree(&dir);
    cargo_operator(&dir)
        .args(["update"])
        .assert()
        .success()
        .stdout(format!(
            "nothing to update: the project is at cargo-operator {VERSION}\n"
        ));
    assert_eq!(tree(&dir), before);
}

#[cfg(unix)]
#[test]
fn refuses_binaries_that_cannot_be_the_old_version() {
    let (tmp, dir) = project_dir();
    init(&dir);
    let not_ours = script(tmp.path(), "hello", "echo hello\n");
    fails_cleanly(
        &dir,
        &["update", "--from-binary", &not_ours.to_string_lossy()],
        &format!(
            "`{0}` is not a cargo-operator binary (`{0} operator version` does not print `cargo-operator <version>`); point `--from-binary` at the cargo-operator that made the project",
            not_ours.display()
        ),
    );
    let newer = script(
        tmp.path(),
        "newer",
        "echo 'cargo-operator 99.0.0 (layout x)'\n",
    );
    fails_cleanly(
        &dir,
        &["update", "--from-binary", &newer.to_string_lossy()],
        &format!(
            "`{}` is cargo-operator 99.0.0, newer than this one ({VERSION}); run `cargo operator update` with the newer one instead",
            newer.display()
        ),
    );
    edit(&dir, "PROJECT.toml", |text| {
        text.replace(
            &format!("cli-version = \"{VERSION}\""),
            "cli-version = \"99.0.0\"",
        )
    });
    fails_cleanly(
        &dir,
        &["update"],
        &format!(
            "cargo-operator 99.0.0 made this project, and this one is older ({VERSION}); install cargo-operator 99.0.0 or newer"
        ),
    );
}

#[cfg(unix)]
#[test]
fn an_old_version_that_cannot_be_installed_is_refused_in_one_line() {
    let (tmp, dir) = project_dir();
    init(&dir);
    edit(&dir, "PROJECT.toml", |text| {
        text.replace(
            &format!("cli-version = \"{VERSION}\""),
            "cli-version = \"0.0.7\"",
        )
    });
    let cargo = script(
        tmp.path(),
        "cargo",
        "echo 'error: could not find `cargo-operator` in registry `crates-io` with version `=0.0.7`' >&2\nexit 101\n",
    );
    fails_cleanly_with_env(
        &dir,
        &["update"],
        &[("CARGO", &cargo.to_string_lossy())],
        "cannot install cargo-operator 0.0.7, which made this project (`cargo install cargo-operator --version =0.0.7`: error: could not find `cargo-operator` in registry `crates-io` with version `=0.0.7`); pass its binary with `--from-binary <path>`",
    );
}

#[cfg(unix)]
#[test]
fn untouched_files_are_replaced_edits_kept_or_merged_and_conflicts_write_nothing() {
    let (tmp, dir) = project_dir();
    let old = older_cargo_operator(tmp.path());
    old_project(&old, &dir);
    let from = ["--from-binary", &old.to_string_lossy()].map(String::from);
    // Kept: the new version does not change the Dockerfile. Merged: the new version changes
    // the README's title, the user its last line. Conflict: both change the Makefile's first line.
    edit(&dir, "Dockerfile", |text| text + "# mine\n");
    edit(&dir, "README.md", |text| text + "\nOur notes.\n");
    edit(&dir, "Makefile", |text| {
        text.replacen("# The old first line.", "# Our first line.", 1)
    });
    let before = tree(&dir);

    let dry_run = cargo_operator(&dir)
        .args(["update", "--dry-run"])
        .args(&from)
        .assert()
        .code(1);
    assert_eq!(tree(&dir), before, "--dry-run wrote");
    let diff = String::from_utf8_lossy(&dry_run.get_output().stdout).into_owned();
    assert!(diff.contains("+++ b/README.md\n"), "{diff}");
    assert!(diff.contains("+++ b/.gitignore\n"), "{diff}");
    assert!(!diff.contains("+++ b/Makefile\n"), "{diff}");

    let refused = cargo_operator(&dir)
        .arg("update")
        .args(&from)
        .assert()
        .code(1);
    assert_eq!(tree(&dir), before, "a conflict wrote files");
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    let makefile_title =
        "# Targets for building, testing and deploying tutorial. `make help` lists them.";
    assert!(
        stderr.starts_with(&format!(
            "conflict: `Makefile`: your edit and cargo-operator {VERSION} change the same lines\n  yours:\n  | # Our first line.\n  cargo-operator {VERSION}:\n  | {makefile_title}\n"
        )),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("error: 1 file has changes conflicting with your edits (shown above); nothing was written. Make each hold the new version's lines where you want them (or undo your edit there) and run `cargo operator update` again, or pass `--force` to apply the rest and leave those files as they are\n"),
        "{stderr}"
    );

    // Resolved: the new version's first lines, and the user's own line after them.
    edit(&dir, "Makefile", |text| {
        let new_header: String = fs::read_to_string(fresh_makefile(&dir))
            .unwrap()
            .lines()
            .take_while(|line| !line.is_empty())
            .map(|line| format!("{line}\n"))
            .collect();
        text.replacen(
            "# Our first line.\n",
            &format!("{new_header}# Our first line.\n"),
            1,
        )
    });
    let resolved = fs::read_to_string(dir.join("Makefile")).unwrap();
    let updated = cargo_operator(&dir)
        .arg("update")
        .args(&from)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&updated.get_output().stdout).into_owned();
    for line in [
        "  replaced .gitignore",
        "      kept Dockerfile",
        "      kept Makefile",
        "    merged README.md",
        "   updated PROJECT.toml",
    ] {
        assert!(stdout.contains(&format!("{line}\n")), "{line}: {stdout}");
    }
    assert_eq!(fs::read_to_string(dir.join("Makefile")).unwrap(), resolved);
    let readme = fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(readme.starts_with("# tutorial\n"), "{readme}");
    assert!(readme.ends_with("\nOur notes.\n"), "{readme}");
    assert!(
        fs::read_to_string(dir.join("Dockerfile"))
            .unwrap()
            .ends_with("# mine\n")
    );
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(
        project.contains(&format!("cli-version = \"{VERSION}\"\n")),
        "{project}"
    );
    assert!(project.contains("\n[files]\n"), "{project}");
    for (path, content) in tree(&dir) {
        if let Some(content) = content {
            assert!(
                !String::from_utf8_lossy(&content).contains("<<<<<<<"),
                "conflict markers in {}",
                path.display()
            );
        }
    }
    cargo_operator(&dir)
        .arg("update")
        .assert()
        .success()
        .stdout(format!(
            "nothing to update: the project is at cargo-operator {VERSION}\n"
        ));
}

/// The Makefile this version writes for the same project, from a fresh one beside it.
fn fresh_makefile(dir: &Path) -> PathBuf {
    let fresh = dir.parent().unwrap().join("fresh").join("tutorial");
    fs::create_dir_all(&fresh).unwrap();
    init(&fresh);
    fresh.join("Makefile")
}

#[cfg(unix)]
#[test]
fn force_applies_the_rest_and_leaves_conflicting_files_as_they_are() {
    let (tmp, dir) = project_dir();
    let old = older_cargo_operator(tmp.path());
    old_project(&old, &dir);
    edit(&dir, "Makefile", |text| {
        text.replacen("# The old first line.", "# Our first line.", 1)
    });
    let makefile = fs::read_to_string(dir.join("Makefile")).unwrap();
    let forced = cargo_operator(&dir)
        .args(["update", "--force", "--from-binary"])
        .arg(&old)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&forced.get_output().stderr).into_owned();
    assert!(
        stderr.ends_with("warning: left as they were (`--force`): `Makefile`; the new version's changes to them, shown above, are not in the project\n"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(dir.join("Makefile")).unwrap(), makefile);
    assert!(
        fs::read_to_string(dir.join("README.md"))
            .unwrap()
            .starts_with("# tutorial\n")
    );
}

#[test]
fn every_command_keeps_the_hashes_and_the_version_current() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    edit(&dir, "PROJECT.toml", |text| {
        text.replace(
            &format!("cli-version = \"{VERSION}\""),
            "cli-version = \"0.1.0\"",
        )
    });
    let created = cargo_operator(&dir)
        .args(words("create api --group tutorial --version v1 --kind Foo"))
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&created.get_output().stderr).into_owned();
    assert!(
        stderr.contains(&format!("note: `PROJECT.toml` said cargo-operator 0.1.0 made this project and now says {VERSION}")),
        "{stderr}"
    );
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(
        project.contains(&format!("cli-version = \"{VERSION}\"\n")),
        "{project}"
    );
    // init's files, and the registry create api rewrote, with their hashes as written.
    let makefile = fs::read_to_string(dir.join("Makefile")).unwrap();
    let api_list = fs::read_to_string(dir.join("src/api/v1/mod.rs")).unwrap();
    let table: toml::Table = toml::from_str(&project).unwrap();
    for (path, content) in [("Makefile", makefile), ("src/api/v1/mod.rs", api_list)] {
        assert_eq!(
            table["files"][path].as_str(),
            Some(&*cargo_operator_hash(&content)),
            "{path}: {project}"
        );
    }
}

fn cargo_operator_hash(content: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(content.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}
