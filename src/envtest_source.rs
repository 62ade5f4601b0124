//! Where a new project gets `kube-envtest` from when it is not on crates.io yet.
//!
//! Generated projects depend on `kube-envtest = "0.1"`. A cargo-operator built from a source
//! checkout knows where that checkout is (its `CARGO_MANIFEST_DIR`), and the checkout holds the
//! crate; `init` then writes `.cargo/config.toml` to patch the dependency to that copy. A
//! cargo-operator installed from a registry has no such copy and writes nothing.

use std::path::{Component, Path, PathBuf};

/// The source checkout's `kube-envtest`, if this binary was built from one that still exists.
pub fn local_checkout() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("kube-envtest");
    dir.join("Cargo.toml").is_file().then_some(dir)
}

/// `target` relative to `from`, both made absolute, so the generated config keeps working when
/// the project and the checkout move together (as `examples/tutorial` does in a clone).
pub fn relative_path(from: &Path, target: &Path) -> Option<String> {
    let from = from.canonicalize().ok()?;
    let target = target.canonicalize().ok()?;
    let from: Vec<Component> = from.components().collect();
    let target: Vec<Component> = target.components().collect();
    let common = from.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(
        target[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_then_descend() {
        let root = tempfile::tempdir().unwrap();
        let project = root.path().join("examples/tutorial");
        let crate_dir = root.path().join("kube-envtest");
        std::fs::create_dir_all(&project).unwrap();
        std::fs::create_dir_all(&crate_dir).unwrap();
        assert_eq!(
            relative_path(&project, &crate_dir).unwrap(),
            "../../kube-envtest"
        );
        assert_eq!(relative_path(&crate_dir, &crate_dir).unwrap(), "");
        assert!(relative_path(&project, &root.path().join("missing")).is_none());
    }

    #[test]
    fn this_checkout_has_the_crate() {
        assert!(local_checkout().is_some());
    }
}
