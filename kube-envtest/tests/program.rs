//! The `kube-envtest use` program (built with the `cli` feature, as `cargo test
//! --all-features` does) against a local mirror of the release index.
#![cfg(feature = "cli")]

mod mirror;

use mirror::{ARCHIVE, Mirror, VERSION};

#[tokio::test]
async fn the_kube_envtest_program_prints_the_folder_like_setup_envtest_use() {
    let mirror = Mirror::start();
    let index = mirror.serve_release(None);
    let data = tempfile::tempdir().unwrap();
    let data_path = data.path().to_path_buf();
    let program = move || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kube-envtest"));
        command
            .env_remove("KUBEBUILDER_ASSETS")
            .env_remove("ENVTEST_K8S_VERSION")
            .env("XDG_DATA_HOME", &data_path)
            .env("KUBE_ENVTEST_INDEX_URL", &index);
        command
    };
    let folder = data
        .path()
        .join(format!("kubebuilder-envtest/k8s/{VERSION}-linux-amd64"));

    // Nothing installed: -i refuses, in one line.
    let output = program().args(["use", "-i"]).output().unwrap();
    assert!(!output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: no Kubernetes 1.37 binaries in the store; run without -i to download them (from \
         KUBE_ENVTEST_INDEX_URL or the default index)\n"
    );

    let output = tokio::task::spawn_blocking(move || program().args(["use", "1.37.x"]).output())
        .await
        .unwrap()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("{}\n", folder.display())
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).starts_with(&format!(
            "kube-envtest: downloading {ARCHIVE} from {}",
            mirror.url(&format!("/{ARCHIVE}"))
        ))
    );

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kube-envtest"))
        .env("XDG_DATA_HOME", data.path())
        .args(["use", VERSION, "-p", "env", "-i"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("export KUBEBUILDER_ASSETS='{}'\n", folder.display())
    );

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kube-envtest"))
        .args(["install"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: the only command is `use`; usage: kube-envtest use [VERSION] [-p path|env] \
         [-i|--installed-only] [--use-env] [--index URL]\n"
    );
}
