//! What `TestEnv::start` does when no binaries are found: it downloads them from the index
//! `KUBE_ENVTEST_INDEX_URL` names into the store, and starts from them; with
//! `KUBEBUILDER_ASSETS` set it makes no request. Its own test binary: it changes environment
//! variables, which would race with tests on other threads.

mod mirror;

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube_envtest::TestEnv;
use mirror::{Mirror, VERSION};

#[tokio::test]
async fn start_downloads_missing_binaries_and_honours_kubebuilder_assets() {
    let local = mirror::local_binaries().to_path_buf();
    let mirror = Mirror::start();
    let index = mirror.serve_release(None);
    let data = tempfile::tempdir().unwrap();
    // SAFETY: this is the only test in this binary, so no other thread reads the environment.
    unsafe {
        for var in [
            "KUBEBUILDER_ASSETS",
            "TEST_ASSET_ETCD",
            "TEST_ASSET_KUBE_APISERVER",
            "TEST_ASSET_KUBECTL",
            "ENVTEST_K8S_VERSION",
        ] {
            std::env::remove_var(var);
        }
        std::env::set_var("XDG_DATA_HOME", data.path());
        std::env::set_var("KUBE_ENVTEST_INDEX_URL", &index);
    }

    let env = TestEnv::start().await.unwrap();
    let store = data.path().join("kubebuilder-envtest/k8s");
    assert!(
        store
            .join(format!("{VERSION}-linux-amd64/kube-apiserver"))
            .is_file()
    );
    let namespaces: Api<Namespace> = Api::all(env.client());
    assert!(namespaces.get_opt("default").await.unwrap().is_some());
    // kubectl comes from the folder just downloaded.
    let output = env
        .kubectl()
        .unwrap()
        .args(["get", "namespace", "default", "-o", "name"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "namespace/default"
    );
    env.stop().await.unwrap();
    assert_eq!(mirror.requests(), 2, "the index and the archive");

    // Found in the store now: no request.
    let env = TestEnv::start().await.unwrap();
    env.stop().await.unwrap();
    assert_eq!(mirror.requests(), 2);

    // KUBEBUILDER_ASSETS wins, with an empty store: still no request.
    std::fs::remove_dir_all(&store).unwrap();
    // SAFETY: as above.
    unsafe { std::env::set_var("KUBEBUILDER_ASSETS", &local) };
    let env = TestEnv::start().await.unwrap();
    env.stop().await.unwrap();
    assert_eq!(mirror.requests(), 2);
    assert_eq!(kube_envtest::assets::find_or_fetch().unwrap(), local);
    assert!(!store.exists());

    // KUBEBUILDER_ASSETS pointing at an empty folder is an error, never a download.
    let empty = data.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    // SAFETY: as above.
    unsafe { std::env::set_var("KUBEBUILDER_ASSETS", &empty) };
    let err = TestEnv::start().await.unwrap_err().to_string();
    assert!(
        err.starts_with("etcd binary not found; looked in:"),
        "{err}"
    );
    let err = kube_envtest::assets::find_or_fetch()
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "KUBEBUILDER_ASSETS={} holds no etcd and kube-apiserver; point it at a folder that \
             does, or unset it to download them",
            empty.display()
        )
    );
    assert_eq!(mirror.requests(), 2);

    // Nothing local, the index unreachable and no Go: one line naming both and what to do.
    let port = kube_envtest::free_loopback_port().unwrap();
    let unreachable = format!("http://127.0.0.1:{port}/index.yaml");
    let no_tools = data.path().join("no-tools");
    std::fs::create_dir(&no_tools).unwrap();
    // SAFETY: as above.
    unsafe {
        std::env::remove_var("KUBEBUILDER_ASSETS");
        std::env::set_var("KUBE_ENVTEST_INDEX_URL", &unreachable);
        std::env::set_var("PATH", &no_tools);
    }
    let err = TestEnv::start().await.unwrap_err().to_string();
    eprintln!("{err}");
    assert!(!err.contains('\n'), "{err}");
    assert!(
        err.starts_with("no etcd binary found locally ($TEST_ASSET_ETCD: unset; "),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "; cannot download the envtest release index from {unreachable}: "
        )),
        "{err}"
    );
    assert!(
        err.ends_with(
            "; and Go, the other way to get etcd and kube-apiserver, is not installed: make the \
             index reachable, or install Go 1.26+, or set KUBEBUILDER_ASSETS to a folder holding \
             etcd, kube-apiserver and kubectl"
        ),
        "{err}"
    );
    assert!(
        !store.exists()
            || std::fs::read_dir(&store).unwrap().all(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.'))
    );
}
