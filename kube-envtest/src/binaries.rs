//! Finding the etcd, kube-apiserver and kubectl binaries the way controller-runtime's envtest does.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Default text of the "how to fix it" part of [`Error::BinaryNotFound`].
pub const DEFAULT_MISSING_BINARIES_HINT: &str = "unset KUBEBUILDER_ASSETS and TEST_ASSET_* to \
let TestEnv download them (see kube_envtest::assets), or set KUBEBUILDER_ASSETS to a folder \
holding etcd, kube-apiserver and kubectl (e.g. from `kube-envtest use -p path` or \
`setup-envtest use -p path`)";

/// One of the binaries a [`TestEnv`](crate::TestEnv) runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Binary {
    /// The etcd key-value store.
    Etcd,
    /// The Kubernetes API server.
    KubeApiserver,
    /// The kubectl command line client (only needed by [`TestEnv::kubectl`](crate::TestEnv::kubectl)).
    Kubectl,
}

impl Binary {
    /// File name of the binary, e.g. `kube-apiserver`.
    pub fn file_name(self) -> &'static str {
        match self {
            Binary::Etcd => "etcd",
            Binary::KubeApiserver => "kube-apiserver",
            Binary::Kubectl => "kubectl",
        }
    }

    /// Environment variable holding an explicit path, e.g. `TEST_ASSET_KUBE_APISERVER`.
    pub fn env_var(self) -> &'static str {
        match self {
            Binary::Etcd => "TEST_ASSET_ETCD",
            Binary::KubeApiserver => "TEST_ASSET_KUBE_APISERVER",
            Binary::Kubectl => "TEST_ASSET_KUBECTL",
        }
    }
}

/// Finds `binary` using the default hint text; see [`find_binary_with_hint`].
pub fn find_binary(binary: Binary, assets_dir: Option<&Path>) -> Result<PathBuf> {
    find_binary_with_hint(binary, None, assets_dir, DEFAULT_MISSING_BINARIES_HINT)
}

/// Finds `binary`, checking in this order:
///
/// 1. `explicit` (a path set in code; if given, nothing else is tried),
/// 2. the environment variable [`Binary::env_var`] (e.g. `TEST_ASSET_ETCD`),
/// 3. `$KUBEBUILDER_ASSETS/<name>`,
/// 4. `assets_dir/<name>` (like controller-runtime, the environment wins over this folder),
/// 5. the newest `<X.Y.Z>-<os>-<arch>` folder of the setup-envtest store
///    (`${XDG_DATA_HOME:-~/.local/share}/kubebuilder-envtest/k8s` on Linux,
///    `~/Library/Application Support/io.kubebuilder.envtest/k8s` on macOS).
///
/// The error lists every place checked and ends with `hint`.
pub fn find_binary_with_hint(
    binary: Binary,
    explicit: Option<&Path>,
    assets_dir: Option<&Path>,
    hint: &str,
) -> Result<PathBuf> {
    let name = binary.file_name();
    let mut searched = Vec::new();
    // Returns the path if usable, otherwise records why not.
    let check = |searched: &mut Vec<String>, label: String, path: PathBuf| -> Option<PathBuf> {
        if is_executable(&path) {
            return Some(path);
        }
        let why = if path.exists() {
            "not an executable file"
        } else {
            "does not exist"
        };
        searched.push(format!("{label}: {} ({why})", path.display()));
        None
    };

    if let Some(path) = explicit {
        // An explicit path is never silently replaced by another binary.
        return check(&mut searched, "explicit path".into(), path.to_path_buf()).ok_or_else(|| {
            Error::BinaryNotFound {
                binary: name,
                searched,
                hint: hint.to_string(),
            }
        });
    }
    match non_empty_env(binary.env_var()) {
        Some(path) => {
            if let Some(found) = check(&mut searched, format!("${}", binary.env_var()), path.into())
            {
                return Ok(found);
            }
        }
        None => searched.push(format!("${}: unset", binary.env_var())),
    }
    match non_empty_env("KUBEBUILDER_ASSETS") {
        Some(dir) => {
            if let Some(found) = check(
                &mut searched,
                "$KUBEBUILDER_ASSETS".into(),
                PathBuf::from(dir).join(name),
            ) {
                return Ok(found);
            }
        }
        None => searched.push("$KUBEBUILDER_ASSETS: unset".into()),
    }
    if let Some(dir) = assets_dir
        && let Some(found) = check(&mut searched, "binary_assets_dir".into(), dir.join(name))
    {
        return Ok(found);
    }
    match store_dir() {
        Some(store) => match newest_store_version(&store, name) {
            Some(found) => return Ok(found),
            None => searched.push(format!(
                "setup-envtest store: {} (no <X.Y.Z>-{}-{} folder holding {name})",
                store.display(),
                env::consts::OS,
                go_arch()
            )),
        },
        None => searched.push("setup-envtest store: unknown home directory".into()),
    }
    Err(Error::BinaryNotFound {
        binary: name,
        searched,
        hint: hint.to_string(),
    })
}

fn non_empty_env(key: &str) -> Option<OsString> {
    env::var_os(key).filter(|v| !v.is_empty())
}

pub(crate) fn is_executable(path: &Path) -> bool {
    let Ok(meta) = path.metadata() else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// The `k8s` folder of the setup-envtest store.
pub(crate) fn store_dir() -> Option<PathBuf> {
    let home = non_empty_env("HOME").map(PathBuf::from);
    if cfg!(target_os = "macos") {
        return home.map(|h| h.join("Library/Application Support/io.kubebuilder.envtest/k8s"));
    }
    let data = non_empty_env("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".local/share")))?;
    Some(data.join("kubebuilder-envtest/k8s"))
}

/// Go's name for this machine's architecture, as used in setup-envtest folder names.
pub(crate) fn go_arch() -> &'static str {
    match env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// Path of `name` in the newest `<X.Y.Z>-<os>-<arch>` folder of `store` that holds it.
fn newest_store_version(store: &Path, name: &str) -> Option<PathBuf> {
    let suffix = format!("-{}-{}", env::consts::OS, go_arch());
    std::fs::read_dir(store)
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let folder = entry.file_name().into_string().ok()?;
            let version = parse_version(folder.strip_suffix(&suffix)?)?;
            let path = entry.path().join(name);
            is_executable(&path).then_some((version, path))
        })
        .max_by_key(|(version, _)| *version)
        .map(|(_, path)| path)
}

pub(crate) fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.split('.').map(|p| p.parse::<u64>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_numerically() {
        assert_eq!(parse_version("1.37.2"), Some((1, 37, 2)));
        assert!(parse_version("1.9.0") < parse_version("1.37.0"));
        assert_eq!(parse_version("1.37"), None);
        assert_eq!(parse_version("1.37.2.1"), None);
        assert_eq!(parse_version("v1.37.2"), None);
    }

    #[test]
    fn newest_store_version_wins() {
        let store = tempfile::tempdir().unwrap();
        let suffix = format!("-{}-{}", env::consts::OS, go_arch());
        for version in ["1.9.0", "1.30.1", "1.30.10"] {
            let dir = store.path().join(format!("{version}{suffix}"));
            std::fs::create_dir(&dir).unwrap();
            let bin = dir.join("etcd");
            std::fs::write(&bin, "#!/bin/sh\n").unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        // A newer folder without the binary is skipped.
        std::fs::create_dir(store.path().join(format!("1.40.0{suffix}"))).unwrap();
        let found = newest_store_version(store.path(), "etcd").unwrap();
        assert!(
            found.ends_with(format!("1.30.10{suffix}/etcd")),
            "{found:?}"
        );
        assert_eq!(newest_store_version(store.path(), "kubectl"), None);
    }
}
