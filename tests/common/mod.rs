//! What the integration test crates share: the binary under test and a view of a folder.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// `cargo-operator operator …` in `dir`, with a fixed date so copyright years are stable. The
/// commands that run the project's crdgen (`manifests`, `edit --helm`) get `true` for cargo, so no
/// test builds a generated project; tests of that step set `CARGO` to a stand-in of their own.
pub fn cargo_operator(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("cargo-operator").unwrap();
    cmd.current_dir(dir)
        .arg("operator")
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env("CARGO", "true");
    cmd
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
