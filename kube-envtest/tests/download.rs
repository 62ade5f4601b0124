//! `kube_envtest::assets::Download` against a local mirror in the real index's format: a good
//! archive is unpacked into the store and a real API server starts from it; a bad checksum, a
//! missing platform, a truncated transfer and a server that never answers each fail with one
//! line, leaving no folder behind.

mod mirror;

use std::path::Path;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube_envtest::TestEnv;
use kube_envtest::assets::Download;
use mirror::{ARCHIVE, Mirror, Reply, VERSION};

fn download(index: &str, store: &Path) -> Download {
    Download::from_env()
        .unwrap()
        .index_url(index)
        .version("1.37")
        .unwrap()
        .platform("linux", "amd64")
        .store_dir(store)
}

/// Runs the blocking download off the test's async runtime.
async fn fetch(download: Download) -> kube_envtest::Result<std::path::PathBuf> {
    tokio::task::spawn_blocking(move || download.fetch())
        .await
        .unwrap()
}

/// What the store holds besides the lock file: no half-made folder may be left.
fn store_entries(store: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(store)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|name| name != ".kube-envtest-download.lock")
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn a_verified_archive_is_unpacked_and_serves_a_real_api_server() {
    let mirror = Mirror::start();
    let index = mirror.serve_release(None);
    let store = tempfile::tempdir().unwrap();

    let started = Instant::now();
    let dir = fetch(download(&index, store.path())).await.unwrap();
    eprintln!(
        "downloaded, verified and unpacked in {:?}",
        started.elapsed()
    );
    assert_eq!(dir, store.path().join(format!("{VERSION}-linux-amd64")));
    assert_eq!(
        store_entries(store.path()),
        [format!("{VERSION}-linux-amd64")]
    );
    for name in ["etcd", "kube-apiserver", "kubectl"] {
        let unpacked = std::fs::read(dir.join(name)).unwrap();
        let original = std::fs::read(mirror::local_binaries().join(name)).unwrap();
        assert!(unpacked == original, "{name} differs from the archived one");
    }
    assert_eq!(mirror.requests(), 2, "the index and the archive");

    // The exact version already in the store: no request at all.
    let again = download(&index, store.path()).version(VERSION).unwrap();
    assert_eq!(again.installed().as_deref(), Some(dir.as_path()));
    assert_eq!(fetch(again).await.unwrap(), dir);
    assert_eq!(mirror.requests(), 2);

    let env = TestEnv::builder()
        .etcd_binary(dir.join("etcd"))
        .kube_apiserver_binary(dir.join("kube-apiserver"))
        .start()
        .await
        .unwrap();
    let namespaces: Api<Namespace> = Api::all(env.client());
    assert!(namespaces.get_opt("default").await.unwrap().is_some());
    let version = env.client().apiserver_version().await.unwrap();
    assert_eq!(version.git_version, format!("v{VERSION}"));
}

#[tokio::test]
async fn a_bad_checksum_is_refused_and_nothing_is_unpacked() {
    let mirror = Mirror::start();
    let wrong = "0".repeat(128);
    let index = mirror.serve_release(Some(&wrong));
    let store = tempfile::tempdir().unwrap();

    let err = fetch(download(&index, store.path()))
        .await
        .unwrap_err()
        .to_string();
    let archive_url = mirror.url(&format!("/{ARCHIVE}"));
    assert!(
        err.starts_with(&format!(
            "the download of {ARCHIVE} from {archive_url} has SHA-512 "
        )),
        "{err}"
    );
    assert!(
        err.ends_with(&format!(
            ", but the index {index} says {wrong}: the archive or the index is corrupt; try \
             again, or fix the mirror"
        )),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err}");
    assert_eq!(store_entries(store.path()), Vec::<String>::new());
}

#[tokio::test]
async fn a_platform_the_index_lacks_is_named() {
    let mirror = Mirror::start();
    let index = mirror.serve_release(None);
    let store = tempfile::tempdir().unwrap();

    let err = fetch(download(&index, store.path()).platform("linux", "riscv64"))
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "the envtest release index {index} has Kubernetes 1.37.x for darwin-arm64, \
             linux-amd64 but not for linux-riscv64; build the binaries for this machine and \
             set KUBEBUILDER_ASSETS"
        )
    );
    assert_eq!(mirror.requests(), 1, "only the index");
    assert_eq!(store_entries(store.path()), Vec::<String>::new());
}

#[tokio::test]
async fn a_truncated_download_leaves_no_folder() {
    let mirror = Mirror::start();
    let index = mirror.serve_release(None);
    mirror.route(&format!("/{ARCHIVE}"), Reply::Truncated(mirror::archive()));
    let store = tempfile::tempdir().unwrap();

    let err = fetch(download(&index, store.path()))
        .await
        .unwrap_err()
        .to_string();
    let archive_url = mirror.url(&format!("/{ARCHIVE}"));
    assert!(
        err.starts_with(&format!(
            "cannot download {ARCHIVE} from {archive_url}: the transfer broke off after "
        )),
        "{err}"
    );
    assert!(
        err.ends_with("; check the network, or set KUBE_ENVTEST_INDEX_URL to a reachable mirror"),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err}");
    assert_eq!(store_entries(store.path()), Vec::<String>::new());
}

#[tokio::test]
async fn a_server_that_never_answers_fails_in_bounded_time() {
    let mirror = Mirror::start();
    mirror.route("/index.yaml", Reply::Hang);
    let index = mirror.url("/index.yaml");
    let store = tempfile::tempdir().unwrap();

    let started = Instant::now();
    let err = fetch(
        download(&index, store.path()).timeouts(Duration::from_secs(1), Duration::from_secs(3)),
    )
    .await
    .unwrap_err()
    .to_string();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(
        err.starts_with(&format!(
            "cannot download the envtest release index from {index}: "
        )),
        "{err}"
    );
    assert!(err.contains("timeout"), "{err}");
    assert!(!err.contains('\n'), "{err}");
}

#[tokio::test]
async fn an_unreachable_index_and_a_file_url() {
    // Nothing listens on a port just found free.
    let port = kube_envtest::free_loopback_port().unwrap();
    let index = format!("http://127.0.0.1:{port}/index.yaml");
    let store = tempfile::tempdir().unwrap();
    let err = fetch(download(&index, store.path()))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "cannot download the envtest release index from {index}: "
        )),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err}");

    // A mirror on disk: file:// for the index and the archive.
    let folder = tempfile::tempdir().unwrap();
    let archive = folder.path().join(ARCHIVE);
    std::fs::write(&archive, mirror::archive().as_slice()).unwrap();
    let hash = mirror::hex(&<sha2::Sha512 as sha2::Digest>::digest(
        mirror::archive().as_slice(),
    ));
    let index = folder.path().join("index.yaml");
    std::fs::write(
        &index,
        mirror::index(&hash, &format!("file://{}", archive.display())),
    )
    .unwrap();
    let dir = fetch(download(
        &format!("file://{}", index.display()),
        store.path(),
    ))
    .await
    .unwrap();
    assert!(dir.join("kube-apiserver").is_file());
}
