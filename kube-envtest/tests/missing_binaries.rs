//! Binary discovery when nothing is installed. Kept in its own test binary because it changes
//! environment variables, which would race with tests on other threads.

use kube_envtest::{Binary, DEFAULT_MISSING_BINARIES_HINT, Error, TestEnv, find_binary};

#[tokio::test]
async fn missing_binaries_error_names_binary_places_and_fix() {
    let empty = tempfile::tempdir().unwrap();
    let assets = empty.path().join("assets");
    // SAFETY: this is the only test in this binary, so no other thread reads the environment.
    unsafe {
        std::env::remove_var("KUBEBUILDER_ASSETS");
        std::env::remove_var("TEST_ASSET_KUBE_APISERVER");
        std::env::set_var("TEST_ASSET_ETCD", empty.path().join("no-etcd"));
        std::env::set_var("XDG_DATA_HOME", empty.path());
    }

    let hint = "run scripts/envtest-assets.sh (builds them with Go) or set KUBEBUILDER_ASSETS";
    let err = TestEnv::builder()
        .binary_assets_dir(&assets)
        .missing_binaries_hint(hint)
        .start()
        .await
        .unwrap_err();
    let text = err.to_string();
    eprintln!("{text}");
    assert!(
        text.starts_with("etcd binary not found; looked in:"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "$TEST_ASSET_ETCD: {}/no-etcd (does not exist)",
            empty.path().display()
        )),
        "{text}"
    );
    assert!(text.contains("$KUBEBUILDER_ASSETS: unset"), "{text}");
    assert!(
        text.contains(&format!("binary_assets_dir: {}/etcd", assets.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "setup-envtest store: {}/kubebuilder-envtest/k8s",
            empty.path().display()
        )),
        "{text}"
    );
    assert!(text.ends_with(&format!("fix: {hint}")), "{text}");
    let Error::BinaryNotFound {
        binary, searched, ..
    } = err
    else {
        panic!("unexpected error {text}");
    };
    assert_eq!(binary, "etcd");
    assert_eq!(searched.len(), 4);

    // With KUBEBUILDER_ASSETS pointing at an empty folder the default hint mentions setup-envtest.
    // SAFETY: as above.
    unsafe { std::env::set_var("KUBEBUILDER_ASSETS", &assets) };
    let err = find_binary(Binary::KubeApiserver, None).unwrap_err();
    let text = err.to_string();
    eprintln!("{text}");
    assert!(
        text.starts_with("kube-apiserver binary not found"),
        "{text}"
    );
    assert!(text.contains("$TEST_ASSET_KUBE_APISERVER: unset"), "{text}");
    assert!(
        text.contains(&format!(
            "$KUBEBUILDER_ASSETS: {}/kube-apiserver (does not exist)",
            assets.display()
        )),
        "{text}"
    );
    assert!(text.ends_with(DEFAULT_MISSING_BINARIES_HINT), "{text}");
    assert!(DEFAULT_MISSING_BINARIES_HINT.contains("setup-envtest use"));

    // KUBEBUILDER_ASSETS finds binaries there, and it beats the builder's folder.
    std::fs::create_dir(&assets).unwrap();
    let fake = assets.join("kubectl");
    std::fs::write(&fake, "#!/bin/sh\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(
        find_binary(Binary::Kubectl, Some(empty.path())).unwrap(),
        fake
    );
    // A non-executable file does not count.
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o644)).unwrap();
    let text = find_binary(Binary::Kubectl, None).unwrap_err().to_string();
    assert!(text.contains("(not an executable file)"), "{text}");
}
