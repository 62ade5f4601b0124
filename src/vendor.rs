//! The runtime crates generated projects depend on, copied into them while the crates are not
//! on crates.io.
//!
//! A generated project depends on `kube-operator-runtime` and `kube-envtest` by version. A
//! cargo-operator built from a source checkout embeds both crates' sources (`build.rs` finds
//! them beside this crate), and every command writes them to the project's `vendor/` folder,
//! which its `Cargo.toml` patches in. So the project builds from its own folder alone, as its
//! Dockerfile does, wherever it is moved; and a newer cargo-operator brings a newer runtime on
//! its next command. Once the crates are published, a published cargo-operator embeds nothing
//! and projects take them from crates.io, where `cargo update` brings fixes.

/// Where the copies go in a project.
pub const VENDOR_DIR: &str = "vendor";

/// Every file of the vendored crates, by path in the project, when this binary carries them.
pub fn files() -> Vec<(String, &'static str)> {
    #[cfg(vendored_runtime)]
    {
        embedded::files()
    }
    #[cfg(not(vendored_runtime))]
    {
        Vec::new()
    }
}

/// Whether projects made by this binary get `vendor/`.
pub fn is_vendoring() -> bool {
    cfg!(vendored_runtime)
}

#[cfg(vendored_runtime)]
mod embedded {
    use include_dir::{Dir, DirEntry, include_dir};

    use super::VENDOR_DIR;

    struct Crate {
        name: &'static str,
        manifest: &'static str,
        readme: &'static str,
        src: Dir<'static>,
    }

    static CRATES: [Crate; 2] = [
        Crate {
            name: "kube-operator-runtime",
            manifest: include_str!("../kube-operator-runtime/Cargo.toml"),
            readme: include_str!("../kube-operator-runtime/README.md"),
            src: include_dir!("$CARGO_MANIFEST_DIR/kube-operator-runtime/src"),
        },
        Crate {
            name: "kube-envtest",
            manifest: include_str!("../kube-envtest/Cargo.toml"),
            readme: include_str!("../kube-envtest/README.md"),
            src: include_dir!("$CARGO_MANIFEST_DIR/kube-envtest/src"),
        },
    ];

    pub fn files() -> Vec<(String, &'static str)> {
        let mut files = Vec::new();
        for krate in &CRATES {
            let root = format!("{VENDOR_DIR}/{}", krate.name);
            files.push((format!("{root}/Cargo.toml"), krate.manifest));
            files.push((format!("{root}/README.md"), krate.readme));
            collect(&krate.src, &format!("{root}/src"), &mut files);
        }
        files
    }

    fn collect(dir: &'static Dir<'static>, prefix: &str, out: &mut Vec<(String, &'static str)>) {
        for entry in dir.entries() {
            match entry {
                DirEntry::Dir(sub) => collect(sub, prefix, out),
                DirEntry::File(file) => {
                    let path = file.path().to_str().expect("source paths are UTF-8");
                    let contents = file.contents_utf8().expect("sources are UTF-8");
                    out.push((format!("{prefix}/{path}"), contents));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkout_build_vendors_both_crates_with_their_sources() {
        assert!(is_vendoring(), "this test runs in the source checkout");
        let files = files();
        let paths: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
        for expected in [
            "vendor/kube-operator-runtime/Cargo.toml",
            "vendor/kube-operator-runtime/src/lib.rs",
            "vendor/kube-operator-runtime/src/manager/mod.rs",
            "vendor/kube-envtest/Cargo.toml",
            "vendor/kube-envtest/src/lib.rs",
        ] {
            assert!(
                paths.contains(&expected),
                "{expected} missing from {paths:?}"
            );
        }
        // The runtime finds kube-envtest beside it, as in this workspace.
        let manifest = files[0].1;
        assert!(
            manifest.contains(r#"path = "../kube-envtest""#),
            "{manifest}"
        );
    }
}
