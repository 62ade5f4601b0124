//! What no command does, whatever the project holds: write or read through a symbolic link out
//! of the project, read a huge or endless file, or print a panic.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{cargo_operator, certificate_crd, tree};
use crate::{create_foo, fails_cleanly, fails_cleanly_with_env, init, project_dir, words};

const CREATE_FOO: &str = "create api --group tutorial --version v1 --kind Foo";

/// A folder beside the project, for links to point out of it; with its resolved path.
fn outside(dir: &Path) -> (PathBuf, PathBuf) {
    let outside = dir.parent().unwrap().join("outside");
    fs::create_dir(&outside).unwrap();
    let resolved = fs::canonicalize(&outside).unwrap();
    (outside, resolved)
}

#[cfg(unix)]
#[test]
fn a_folder_linked_out_of_the_project_is_refused_and_nothing_changes() {
    use std::os::unix::fs::symlink;
    let (_tmp, dir) = project_dir();
    init(&dir);
    let (outside, resolved) = outside(&dir);
    fs::rename(dir.join("config"), outside.join("config")).unwrap();
    symlink(outside.join("config"), dir.join("config")).unwrap();
    let outside_before = tree(&outside);
    fails_cleanly(
        &dir,
        &words(CREATE_FOO),
        &format!(
            "`config/samples/tutorial_v1_foo.yaml` is in `config`, a symbolic link to `{}/config`, outside the project; cargo-operator reads and writes only inside the project: replace the link with a folder",
            resolved.display()
        ),
    );
    assert_eq!(tree(&outside), outside_before);
}

#[cfg(unix)]
#[test]
fn a_file_linked_out_of_the_project_is_refused_and_nothing_changes() {
    use std::os::unix::fs::symlink;
    let (_tmp, dir) = project_dir();
    init(&dir);
    let (outside, resolved) = outside(&dir);
    let controllers = dir.join("src/controllers/mod.rs");
    fs::rename(&controllers, outside.join("mod.rs")).unwrap();
    symlink(outside.join("mod.rs"), &controllers).unwrap();
    let outside_before = tree(&outside);
    fails_cleanly(
        &dir,
        &words(CREATE_FOO),
        &format!(
            "`src/controllers/mod.rs` is a symbolic link to `{}/mod.rs`, outside the project; cargo-operator reads and writes only inside the project: replace the link with a copy of the file",
            resolved.display()
        ),
    );
    assert_eq!(tree(&outside), outside_before);
}

#[cfg(unix)]
#[test]
fn a_link_that_stays_inside_the_project_is_followed() {
    use std::os::unix::fs::symlink;
    let (_tmp, dir) = project_dir();
    init(&dir);
    fs::rename(dir.join("config/samples"), dir.join("samples")).unwrap();
    symlink("../samples", dir.join("config/samples")).unwrap();
    create_foo(&dir);
    assert!(
        fs::symlink_metadata(dir.join("config/samples"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(dir.join("samples/tutorial_v1_foo.yaml").is_file());
}

#[cfg(unix)]
#[test]
fn a_crd_that_is_no_plain_file_is_refused_without_reading_it() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    let fifo = dir.parent().unwrap().join("crd.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let fifo = fifo.display().to_string();
    let cases = [
        ("/dev/zero", "a device"),
        (fifo.as_str(), "a named pipe"),
        ("src", "a folder"),
    ];
    for (crd, what) in cases {
        let before = tree(&dir);
        // A read of `/dev/zero` or of a pipe nobody writes to would never end.
        cargo_operator(&dir)
            .args([
                "create",
                "api",
                "--kind",
                "Certificate",
                "--external-api-crd",
                crd,
            ])
            .timeout(Duration::from_secs(20))
            .assert()
            .code(1)
            .stdout("")
            .stderr(format!(
                "error: `{crd}` is {what}, not a file; pass the CRD's own YAML file\n"
            ));
        assert_eq!(tree(&dir), before);
    }
}

#[test]
fn oversized_files_are_refused_by_their_size() {
    let (tmp, dir) = project_dir();
    init(&dir);
    // Sparse files: their size is what counts, and nothing is read.
    let crd = tmp.path().join("huge-crd.yaml");
    fs::File::create(&crd)
        .unwrap()
        .set_len(40 * 1024 * 1024)
        .unwrap();
    let crd = crd.display().to_string();
    fails_cleanly(
        &dir,
        &[
            "create",
            "api",
            "--kind",
            "Certificate",
            "--external-api-crd",
            &crd,
        ],
        &format!(
            "`{crd}` is 40 MiB; cargo-operator reads at most 8 MiB from a CRD file: pass the CRD's own YAML file"
        ),
    );
    fs::OpenOptions::new()
        .append(true)
        .open(dir.join("PROJECT.toml"))
        .unwrap()
        .set_len(2 * 1024 * 1024)
        .unwrap();
    fails_cleanly(
        &dir,
        &words(CREATE_FOO),
        "`PROJECT.toml` is 2 MiB; cargo-operator reads at most 1 MiB from `PROJECT.toml`: restore the file `cargo operator init` wrote (from version control)",
    );
}

#[test]
fn a_generated_file_grown_huge_is_refused() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    fs::OpenOptions::new()
        .append(true)
        .open(dir.join("config/rbac/kustomization.yaml"))
        .unwrap()
        .set_len(17 * 1024 * 1024)
        .unwrap();
    fails_cleanly(
        &dir,
        &words(CREATE_FOO),
        "`config/rbac/kustomization.yaml` is 17 MiB; cargo-operator reads at most 16 MiB from a file it generates or edits: move it out of the project, or restore the generated file",
    );
}

#[test]
fn a_crd_kopium_cannot_read_gives_one_line_and_no_panic_text() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    let crd = fs::read_to_string(certificate_crd()).unwrap().replacen(
        "                dnsNames:\n",
        "                $:\n                  type: string\n                dnsNames:\n",
        1,
    );
    fs::write(dir.join("dollar.yaml"), crd).unwrap();
    fails_cleanly(
        &dir,
        &words("create api --kind Certificate --external-api-crd dollar.yaml"),
        "cannot make Rust types for version `v1` of `dollar.yaml`: invalid field name '$' could not be escaped; use the kind through `kube::api::DynamicObject` instead",
    );
}

/// A bug is one line and exit code 101. Printing to a full disk is the one panic a user can
/// cause on purpose (`println!` panics when stdout fails).
#[cfg(target_os = "linux")]
#[test]
fn a_panic_is_one_line_asking_for_a_report() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-operator"))
        .args(["operator", "version"])
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdout(fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(101));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "cargo-operator hit a bug: failed printing to stdout: No space left on device (os error 28) at "
        ),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("; please report it with the command you ran\n"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn endless_crdgen_output_is_cut_off() {
    use std::os::unix::fs::PermissionsExt;
    let (tmp, dir) = project_dir();
    init(&dir);
    let endless_cargo = tmp.path().join("endless-cargo");
    fs::write(&endless_cargo, "#!/bin/sh\nexec yes\n").unwrap();
    fs::set_permissions(&endless_cargo, fs::Permissions::from_mode(0o755)).unwrap();
    fails_cleanly_with_env(
        &dir,
        &["manifests"],
        &[("CARGO", endless_cargo.to_str().unwrap())],
        "`cargo run --bin crdgen` printed more than 64 MiB; cargo-operator reads at most 64 MiB from crdgen's file list: check what `src/bin/crdgen.rs` prints",
    );
}
