//! Getting etcd, kube-apiserver and kubectl without Go: downloaded from the envtest release
//! index that setup-envtest reads, checked against its SHA-512, and unpacked into
//! setup-envtest's store, so either tool's download serves both.
//!
//! [`find_or_fetch`] is the whole lookup a test run needs: `KUBEBUILDER_ASSETS`, then the
//! store, then a download, then (if that is impossible) a build from Go modules.
//! [`Download`] is the download alone, configurable (version, platform, index, store,
//! timeouts).
//!
//! The index is YAML:
//!
//! ```yaml
//! releases:
//!   v1.37.2:
//!     envtest-v1.37.2-linux-amd64.tar.gz:
//!       hash: <SHA-512 of the archive, hex>
//!       selfLink: <URL of the archive>
//! ```
//!
//! Each archive holds `etcd`, `kube-apiserver` and `kubectl` (under any folder: only the file
//! names count). They are unpacked into
//! `<store>/<X.Y.Z>-<os>-<arch>/`, staged in a hidden folder beside it and renamed into place,
//! so a folder of that name is always complete.

use std::collections::BTreeMap;
use std::env;
use std::fs::{self, File};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha512};

use crate::binaries::{self, Binary};
use crate::error::{Error, Result};

/// The index setup-envtest reads: controller-tools' list of envtest release archives.
pub const DEFAULT_INDEX_URL: &str =
    "https://raw.githubusercontent.com/kubernetes-sigs/controller-tools/HEAD/envtest-releases.yaml";

/// Environment variable naming another index in the same format (an `http://`, `https://` or
/// `file://` URL), e.g. a mirror inside a network without access to GitHub.
pub const INDEX_URL_VAR: &str = "KUBE_ENVTEST_INDEX_URL";

/// Environment variable choosing the Kubernetes version: `1.Y` or `1.Y.x` for the newest
/// patch of that minor, `1.Y.Z` for exactly that one. The same variable `hack/envtest-assets.sh`
/// reads.
pub const VERSION_VAR: &str = "ENVTEST_K8S_VERSION";

/// The Kubernetes minor this crate's clients are built for (k8s-openapi 0.29's `latest`):
/// its newest patch is downloaded unless [`VERSION_VAR`] says otherwise.
pub const DEFAULT_VERSION: &str = "1.37";

/// The build-from-Go-modules script a generated project carries as `hack/envtest-assets.sh`;
/// the fallback when nothing can be downloaded runs this copy.
const GO_BUILD_SCRIPT: &str = include_str!("envtest-assets.sh");

/// The files every usable folder holds; kubectl is optional, as for setup-envtest's older
/// archives.
const REQUIRED: [Binary; 2] = [Binary::Etcd, Binary::KubeApiserver];

/// An archive larger than this is refused rather than filling the disk (today's are ~100 MB).
const MAX_ARCHIVE_BYTES: u64 = 2 << 30;

/// One download at a time in this process; other test processes wait on a lock file.
static DOWNLOAD: Mutex<()> = Mutex::new(());

/// Which release of the index to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VersionSpec {
    /// The newest patch of `1.minor`.
    NewestPatch { major: u64, minor: u64 },
    /// Exactly this version.
    Exact(Version),
}

type Version = (u64, u64, u64);

impl VersionSpec {
    fn parse(text: &str) -> Result<Self> {
        let bad = || {
            Error::Assets(format!(
                "{VERSION_VAR} must look like 1.37, 1.37.x or 1.37.2, got '{text}'"
            ))
        };
        let trimmed = text.trim().trim_start_matches('v');
        let parts: Vec<&str> = trimmed.split('.').collect();
        let number = |p: &str| p.parse::<u64>().map_err(|_| bad());
        match parts.as_slice() {
            [major, minor] | [major, minor, "x"] => Ok(VersionSpec::NewestPatch {
                major: number(major)?,
                minor: number(minor)?,
            }),
            [major, minor, patch] => Ok(VersionSpec::Exact((
                number(major)?,
                number(minor)?,
                number(patch)?,
            ))),
            _ => Err(bad()),
        }
    }

    fn matches(self, version: Version) -> bool {
        match self {
            VersionSpec::NewestPatch { major, minor } => (version.0, version.1) == (major, minor),
            VersionSpec::Exact(exact) => version == exact,
        }
    }
}

impl std::fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionSpec::NewestPatch { major, minor } => write!(f, "{major}.{minor}.x"),
            VersionSpec::Exact((a, b, c)) => write!(f, "{a}.{b}.{c}"),
        }
    }
}

/// Downloads the envtest binaries of one Kubernetes version for one platform into the
/// setup-envtest store.
///
/// ```no_run
/// # fn main() -> kube_envtest::Result<()> {
/// let folder = kube_envtest::assets::Download::from_env()?.version("1.37")?.fetch()?;
/// println!("KUBEBUILDER_ASSETS={}", folder.display());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Download {
    index_url: String,
    version: VersionSpec,
    os: String,
    arch: String,
    store: PathBuf,
    response_timeout: Duration,
    total_timeout: Duration,
}

impl Download {
    /// The defaults, with [`INDEX_URL_VAR`] and [`VERSION_VAR`] applied: the newest 1.37
    /// patch for this machine, from [`DEFAULT_INDEX_URL`], into setup-envtest's store.
    pub fn from_env() -> Result<Self> {
        let store = binaries::store_dir().ok_or_else(|| {
            Error::Assets(
                "no home folder to keep the envtest binaries in; set HOME or XDG_DATA_HOME, \
                 or set KUBEBUILDER_ASSETS"
                    .into(),
            )
        })?;
        let version = match env::var(VERSION_VAR).ok().filter(|v| !v.is_empty()) {
            Some(text) => VersionSpec::parse(&text)?,
            None => VersionSpec::parse(DEFAULT_VERSION)?,
        };
        Ok(Download {
            index_url: env::var(INDEX_URL_VAR)
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| DEFAULT_INDEX_URL.to_string()),
            version,
            os: go_os().to_string(),
            arch: binaries::go_arch().to_string(),
            store,
            response_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(15 * 60),
        })
    }

    /// The Kubernetes version: `1.Y` or `1.Y.x` (newest patch) or `1.Y.Z`.
    pub fn version(mut self, version: &str) -> Result<Self> {
        self.version = VersionSpec::parse(version)?;
        Ok(self)
    }

    /// The index to read (`http://`, `https://` or `file://`).
    pub fn index_url(mut self, url: impl Into<String>) -> Self {
        self.index_url = url.into();
        self
    }

    /// The platform, in Go's names (`linux`, `darwin`; `amd64`, `arm64`).
    pub fn platform(mut self, os: impl Into<String>, arch: impl Into<String>) -> Self {
        self.os = os.into();
        self.arch = arch.into();
        self
    }

    /// The `k8s` folder of the store, instead of setup-envtest's.
    pub fn store_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.store = dir.into();
        self
    }

    /// How long to wait for a server's response (connecting included), and for a whole
    /// transfer. Defaults: 30 s and 15 min.
    pub fn timeouts(mut self, response: Duration, total: Duration) -> Self {
        self.response_timeout = response;
        self.total_timeout = total;
        self
    }

    /// The index this reads.
    pub fn index(&self) -> &str {
        &self.index_url
    }

    /// The newest complete folder in the store for this version and platform, if any: no
    /// request is made.
    pub fn installed(&self) -> Option<PathBuf> {
        let suffix = format!("-{}-{}", self.os, self.arch);
        fs::read_dir(&self.store)
            .ok()?
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let name = entry.file_name().into_string().ok()?;
                let version = binaries::parse_version(name.strip_suffix(&suffix)?)?;
                let path = entry.path();
                (self.version.matches(version) && is_complete(&path)).then_some((version, path))
            })
            .max_by_key(|(version, _)| *version)
            .map(|(_, path)| path)
    }

    /// Reads the index, picks the newest release matching the version, and unless the store
    /// already holds it, downloads its archive, checks its SHA-512 and unpacks it. Returns the
    /// folder. A line on stderr says what is downloaded from where, and where it goes.
    pub fn fetch(&self) -> Result<PathBuf> {
        let _lock = self.lock_store()?;
        self.fetch_locked()
    }

    /// Waits until no other thread of this process, and no other process, is downloading or
    /// building into the store: a second test waits, then finds the folder the first made.
    fn lock_store(&self) -> Result<StoreLock> {
        let in_process = DOWNLOAD.lock().unwrap_or_else(|e| e.into_inner());
        fs::create_dir_all(&self.store).map_err(|e| self.io_error("creating", &self.store, e))?;
        let path = self.store.join(".kube-envtest-download.lock");
        let file = File::create(&path).map_err(|e| self.io_error("creating", &path, e))?;
        file.lock()
            .map_err(|e| self.io_error("locking", &path, e))?;
        Ok(StoreLock {
            _file: file,
            _in_process: in_process,
        })
    }

    fn fetch_locked(&self) -> Result<PathBuf> {
        if let VersionSpec::Exact(_) = self.version
            && let Some(found) = self.installed()
        {
            return Ok(found);
        }
        let index = self.read_index()?;
        let archive = self.pick(&index)?;
        let dest = self.store.join(format!(
            "{}-{}-{}",
            archive.version_text(),
            self.os,
            self.arch
        ));
        if is_complete(&dest) {
            return Ok(dest);
        }
        note(&format!(
            "downloading {} from {} into {}",
            archive.name,
            archive.url,
            dest.display()
        ));
        let stage = tempfile::Builder::new()
            .prefix(".kube-envtest-download-")
            .tempdir_in(&self.store)
            .map_err(|e| self.io_error("creating a folder in", &self.store, e))?;
        let mut file = tempfile::tempfile_in(stage.path())
            .map_err(|e| self.io_error("creating a file in", stage.path(), e))?;
        let sha512 = self.download(&archive.url, &mut file, &archive.name)?;
        if !sha512.eq_ignore_ascii_case(&archive.sha512) {
            return Err(Error::Assets(format!(
                "the download of {} from {} has SHA-512 {sha512}, but the index {} says {}: \
                 the archive or the index is corrupt; try again, or fix the mirror",
                archive.name, archive.url, self.index_url, archive.sha512
            )));
        }
        file.rewind()
            .map_err(|e| self.io_error("reading", stage.path(), e))?;
        let unpacked = stage.path().join("bin");
        unpack(file, &unpacked).map_err(|message| {
            Error::Assets(format!(
                "unpacking {} from {}: {message}; the archive is not an envtest release",
                archive.name, archive.url
            ))
        })?;
        if !is_complete(&unpacked) {
            return Err(Error::Assets(format!(
                "{} from {} holds no etcd and kube-apiserver; the archive is not an envtest release",
                archive.name, archive.url
            )));
        }
        // A folder left by an interrupted build of the same name is replaced.
        if dest.exists() {
            let old = stage.path().join("old");
            fs::rename(&dest, &old).map_err(|e| self.io_error("moving aside", &dest, e))?;
        }
        fs::rename(&unpacked, &dest).map_err(|e| self.io_error("renaming into", &dest, e))?;
        Ok(dest)
    }

    fn io_error(&self, what: &str, path: &Path, error: io::Error) -> Error {
        Error::Assets(format!(
            "{what} {}: {error}; the store must be writable (or set KUBEBUILDER_ASSETS)",
            path.display()
        ))
    }

    fn agent(&self) -> ureq::Agent {
        ureq::Agent::config_builder()
            .timeout_connect(Some(self.response_timeout))
            .timeout_recv_response(Some(self.response_timeout))
            .timeout_global(Some(self.total_timeout))
            .http_status_as_error(false)
            .build()
            .into()
    }

    fn read_index(&self) -> Result<Index> {
        let mut text = Vec::new();
        self.download(&self.index_url, &mut text, "the envtest release index")?;
        serde_saphyr::from_slice::<Index>(&text).map_err(|e| {
            let first_line = e.to_string().lines().next().unwrap_or_default().to_string();
            Error::Assets(format!(
                "the envtest release index {} is not in setup-envtest's format ({first_line}); \
                 point {INDEX_URL_VAR} at a copy of controller-tools' envtest-releases.yaml",
                self.index_url
            ))
        })
    }

    /// The newest archive of the index for this version and platform.
    fn pick(&self, index: &Index) -> Result<Archive> {
        let wanted_suffix = format!("-{}-{}.tar.gz", self.os, self.arch);
        let mut platforms_of_version = Vec::new();
        let best = index
            .releases
            .values()
            .flat_map(|archives| archives.iter())
            .filter_map(|(name, entry)| {
                let rest = name.strip_prefix("envtest-v")?;
                let (version_text, platform) = rest.split_once('-')?;
                let version = binaries::parse_version(version_text)?;
                if !self.version.matches(version) {
                    return None;
                }
                if format!("-{platform}") != wanted_suffix {
                    platforms_of_version.push(platform.trim_end_matches(".tar.gz").to_string());
                    return None;
                }
                Some((version, name, entry))
            })
            .max_by_key(|(version, _, _)| *version);
        match best {
            Some((version, name, entry)) => Ok(Archive {
                version,
                name: name.clone(),
                url: entry.self_link.clone(),
                sha512: entry.hash.clone(),
            }),
            None if platforms_of_version.is_empty() => Err(Error::Assets(format!(
                "the envtest release index {} has no Kubernetes {}; choose another with \
                 {VERSION_VAR}",
                self.index_url, self.version
            ))),
            None => {
                platforms_of_version.sort();
                platforms_of_version.dedup();
                Err(Error::Assets(format!(
                    "the envtest release index {} has Kubernetes {} for {} but not for {}-{}; \
                     build the binaries for this machine and set KUBEBUILDER_ASSETS",
                    self.index_url,
                    self.version,
                    platforms_of_version.join(", "),
                    self.os,
                    self.arch
                )))
            }
        }
    }

    /// Copies `url` into `out`; returns the SHA-512 of what was copied, in hex.
    fn download(&self, url: &str, out: &mut dyn Write, what: &str) -> Result<String> {
        let failed = |reason: String| {
            Error::Assets(format!(
                "cannot download {what} from {url}: {reason}; check the network, or set \
                 {INDEX_URL_VAR} to a reachable mirror"
            ))
        };
        let mut body: Box<dyn Read> = if let Some(path) = url.strip_prefix("file://") {
            Box::new(File::open(path).map_err(|e| failed(e.to_string()))?)
        } else if url.starts_with("http://") || url.starts_with("https://") {
            let response = self
                .agent()
                .get(url)
                .call()
                .map_err(|e| failed(one_line(&e.to_string())))?;
            if !response.status().is_success() {
                return Err(failed(format!("the server answered {}", response.status())));
            }
            Box::new(response.into_body().into_reader())
        } else {
            return Err(failed(
                "only http://, https:// and file:// URLs are supported".into(),
            ));
        };
        let mut hasher = Sha512::new();
        let mut buf = vec![0; 64 * 1024];
        let mut copied = 0u64;
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(failed(format!(
                        "the transfer broke off after {copied} bytes ({})",
                        one_line(&e.to_string())
                    )));
                }
            };
            copied += n as u64;
            if copied > MAX_ARCHIVE_BYTES {
                return Err(failed(format!(
                    "larger than {} bytes, which no envtest archive is",
                    MAX_ARCHIVE_BYTES
                )));
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])
                .map_err(|e| failed(format!("writing it: {e}")))?;
        }
        Ok(hex(&hasher.finalize()))
    }
}

/// Held while downloading or building; the file lock goes with the file.
struct StoreLock {
    _file: File,
    _in_process: std::sync::MutexGuard<'static, ()>,
}

#[derive(Debug, Deserialize)]
struct Index {
    #[serde(default)]
    releases: BTreeMap<String, BTreeMap<String, IndexEntry>>,
}

#[derive(Debug, Deserialize)]
struct IndexEntry {
    hash: String,
    #[serde(rename = "selfLink")]
    self_link: String,
}

#[derive(Debug)]
struct Archive {
    version: Version,
    name: String,
    url: String,
    sha512: String,
}

impl Archive {
    fn version_text(&self) -> String {
        let (a, b, c) = self.version;
        format!("{a}.{b}.{c}")
    }
}

/// Unpacks the regular files of a `.tar.gz` into `dest` by file name (setup-envtest's layout:
/// the archive's folders are dropped), read-only and executable as the archive says.
fn unpack(file: File, dest: &Path) -> std::result::Result<(), String> {
    fs::create_dir_all(dest).map_err(|e| e.to_string())?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(io::BufReader::new(file)));
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        // The file name alone: no entry can write outside `dest`.
        let Some(name) = path.file_name() else {
            continue;
        };
        let mode = entry.header().mode().unwrap_or(0o755) & 0o555;
        let target = dest.join(name);
        let mut out = File::create(&target).map_err(|e| e.to_string())?;
        io::copy(&mut entry, &mut out).map_err(|e| e.to_string())?;
        set_mode(&target, mode).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> io::Result<()> {
    Ok(())
}

/// Whether `dir` holds etcd and kube-apiserver as executables.
fn is_complete(dir: &Path) -> bool {
    REQUIRED
        .iter()
        .all(|binary| binaries::is_executable(&dir.join(binary.file_name())))
}

/// One line on stderr, written to the handle itself: the test harness captures `eprintln!`, and
/// a download of tens of MB (or a fallback to Go) must be seen while it happens.
fn note(line: &str) {
    let _ = writeln!(io::stderr(), "kube-envtest: {line}");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Go's name for this operating system, as in setup-envtest's folder and archive names.
fn go_os() -> &'static str {
    match env::consts::OS {
        "macos" => "darwin",
        other => other,
    }
}

/// The folder holding etcd, kube-apiserver and kubectl, from the first of:
///
/// 1. `$KUBEBUILDER_ASSETS` (an error if it lacks etcd or kube-apiserver),
/// 2. the newest matching version in setup-envtest's store (no request made),
/// 3. a [`Download`] (configured by [`INDEX_URL_VAR`] and [`VERSION_VAR`]),
/// 4. if the download is impossible, a build from Go modules (`hack/envtest-assets.sh`'s
///    logic, embedded here), after one line on stderr saying why.
///
/// The error, when all fail, names each reason and what to do, on one line.
pub fn find_or_fetch() -> Result<PathBuf> {
    if let Some(dir) = env::var_os("KUBEBUILDER_ASSETS").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        // A folder the user named is never silently replaced by a download.
        return if is_complete(&dir) {
            Ok(dir)
        } else {
            Err(Error::Assets(format!(
                "KUBEBUILDER_ASSETS={} holds no etcd and kube-apiserver; point it at a folder \
                 that does, or unset it to download them",
                dir.display()
            )))
        };
    }
    let download = Download::from_env()?;
    if let Some(found) = download.installed() {
        return Ok(found);
    }
    fetch_or_build(&download)
}

/// The store's folder for the version if there is one, else [`Download::fetch`], and if that
/// is impossible, the build from Go modules (into setup-envtest's store, whatever
/// [`Download::store_dir`] says), after one line on stderr saying why. The build needs `bash`
/// and `go` on `PATH`.
pub fn fetch_or_build(download: &Download) -> Result<PathBuf> {
    let _lock = download.lock_store()?;
    // Another test (or process) may have finished while this one waited.
    if let Some(found) = download.installed() {
        return Ok(found);
    }
    let download_error = match download.fetch_locked() {
        Ok(dir) => return Ok(dir),
        Err(e) => e.to_string(),
    };
    match which("go") {
        Some(_) => {
            note(&format!(
                "{download_error}; building etcd and kube-apiserver from Go modules instead \
                 (once; this takes minutes)"
            ));
            build_with_go(download).map_err(|go_error| {
                Error::Assets(format!(
                    "{download_error}; and the build from Go modules failed: {go_error}"
                ))
            })
        }
        None => Err(Error::Assets(format!(
            "{download_error}; and Go, the other way to get etcd and kube-apiserver, is not \
             installed: make the index reachable, or install Go 1.26+, or set \
             KUBEBUILDER_ASSETS to a folder holding etcd, kube-apiserver and kubectl"
        ))),
    }
}

/// Runs the embedded `hack/envtest-assets.sh` with its download step off; returns the folder
/// it prints last.
fn build_with_go(download: &Download) -> std::result::Result<PathBuf, String> {
    let script = tempfile::Builder::new()
        .prefix("kube-envtest-build-")
        .suffix(".sh")
        .tempfile()
        .map_err(|e| e.to_string())?;
    fs::write(script.path(), GO_BUILD_SCRIPT).map_err(|e| e.to_string())?;
    let mut command = Command::new("bash");
    command
        .arg(script.path())
        .env("ENVTEST_NO_DOWNLOAD", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let VersionSpec::Exact(_) = download.version {
        command.env(VERSION_VAR, download.version.to_string());
    }
    let output = command.output().map_err(|e| format!("running bash: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "hack/envtest-assets.sh exited with {} (its messages are above)",
            output.status
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let dir = PathBuf::from(stdout.lines().last().unwrap_or_default().trim());
    if is_complete(&dir) {
        Ok(dir)
    } else {
        Err(format!(
            "hack/envtest-assets.sh printed '{}', which holds no etcd and kube-apiserver",
            dir.display()
        ))
    }
}

/// `program`'s path on `PATH`, if any.
fn which(program: &str) -> Option<PathBuf> {
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| binaries::is_executable(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_specs() {
        assert_eq!(
            VersionSpec::parse("1.37").unwrap(),
            VersionSpec::NewestPatch {
                major: 1,
                minor: 37
            }
        );
        assert_eq!(
            VersionSpec::parse("v1.37.x").unwrap(),
            VersionSpec::parse("1.37").unwrap()
        );
        assert_eq!(
            VersionSpec::parse("1.37.2").unwrap(),
            VersionSpec::Exact((1, 37, 2))
        );
        let err = VersionSpec::parse("latest").unwrap_err().to_string();
        assert_eq!(
            err,
            "ENVTEST_K8S_VERSION must look like 1.37, 1.37.x or 1.37.2, got 'latest'"
        );
        assert!(VersionSpec::parse("1.37").unwrap().matches((1, 37, 9)));
        assert!(!VersionSpec::parse("1.37").unwrap().matches((1, 36, 9)));
        assert!(!VersionSpec::parse("1.37.2").unwrap().matches((1, 37, 3)));
    }

    fn download() -> Download {
        Download::from_env()
            .unwrap()
            .index_url("file:///index.yaml")
            .platform("linux", "amd64")
    }

    fn index(text: &str) -> Index {
        serde_saphyr::from_str(text).unwrap()
    }

    const INDEX: &str = "releases:
  v1.37.1:
    envtest-v1.37.1-linux-amd64.tar.gz:
      hash: aa
      selfLink: https://example.com/1
  v1.37.10:
    envtest-v1.37.10-linux-amd64.tar.gz:
      hash: bb
      selfLink: https://example.com/10
    envtest-v1.37.10-darwin-arm64.tar.gz:
      hash: cc
      selfLink: https://example.com/10-mac
  v1.38.0:
    envtest-v1.38.0-linux-amd64.tar.gz:
      hash: dd
      selfLink: https://example.com/38
";

    #[test]
    fn picks_the_newest_patch_for_the_platform() {
        let index = index(INDEX);
        let picked = download().pick(&index).unwrap();
        assert_eq!(picked.version, (1, 37, 10));
        assert_eq!(picked.url, "https://example.com/10");
        assert_eq!(picked.sha512, "bb");
        let exact = download().version("1.37.1").unwrap().pick(&index).unwrap();
        assert_eq!(exact.url, "https://example.com/1");
    }

    #[test]
    fn a_missing_platform_or_version_is_one_line() {
        let index = index(INDEX);
        let err = download()
            .platform("windows", "amd64")
            .version("1.37.10")
            .unwrap()
            .pick(&index)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the envtest release index file:///index.yaml has Kubernetes 1.37.10 for \
             darwin-arm64, linux-amd64 but not for windows-amd64; build the binaries for this \
             machine and set KUBEBUILDER_ASSETS"
        );
        let err = download()
            .version("1.30")
            .unwrap()
            .pick(&index)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the envtest release index file:///index.yaml has no Kubernetes 1.30.x; choose \
             another with ENVTEST_K8S_VERSION"
        );
    }
}
