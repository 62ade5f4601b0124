//! What the integration test crates share: the binary under test and a view of a folder.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// `cargo-operator operator …` in `dir`, with a fixed date so copyright years are stable. The
/// commands that run the project's crdgen (`manifests`, `edit --helm`) get a stand-in for cargo
/// that prints an empty file list, so no test builds a generated project; tests of that step set
/// `CARGO` to a stand-in of their own.
pub fn cargo_operator(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("cargo-operator").unwrap();
    cmd.current_dir(dir)
        .arg("operator")
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env("CARGO", crdgen_listing_nothing());
    cmd
}

/// A script that prints `[]`, as `crdgen --json` would for a project with no manifests.
fn crdgen_listing_nothing() -> &'static Path {
    static SCRIPT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    SCRIPT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("cargo-operator-tests-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let script = dir.join("cargo");
        fs::write(&script, "#!/bin/sh\necho '[]'\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        }
        script
    })
}

/// Every file (with its content) and folder (`None`) below `dir`, by relative path.
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut entries = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(dir).unwrap().to_path_buf();
            if path.is_dir() {
                entries.insert(relative, None);
                stack.push(path);
            } else {
                entries.insert(relative, Some(fs::read(&path).unwrap()));
            }
        }
    }
    entries
}

/// cert-manager's Certificate CRD, as its release ships it: a kind another project owns.
pub fn certificate_crd() -> String {
    format!(
        "{}/tests/fixtures/external-crds/certificates.cert-manager.io.yaml",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A cert-manager-like Issuer CRD: the external kind of the webhook tests.
pub fn issuer_crd() -> String {
    format!(
        "{}/tests/fixtures/external-crds/issuers.cert-manager.io.yaml",
        env!("CARGO_MANIFEST_DIR")
    )
}
