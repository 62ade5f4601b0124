//! Runs one environment until SIGTERM or Ctrl+C, for tools that are not Rust tests: `make run`,
//! kubectl, a manager binary.
//!
//! `cargo run --example serve -- KUBECONFIG_PATH` writes the admin kubeconfig to that path once
//! the API server is ready (so its appearance is the readiness signal), then waits. On a signal
//! it stops kube-apiserver and etcd and removes everything it created, the kubeconfig included.

use std::path::PathBuf;

use kube_envtest::TestEnv;
use tokio::signal::unix::{SignalKind, signal};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: serve KUBECONFIG_PATH");
        std::process::exit(2);
    };
    let mut terminate = signal(SignalKind::terminate())?;
    let env = TestEnv::start().await?;
    // Written beside the target and renamed, so a reader never sees half a file.
    let staging = path.with_extension("partial");
    env.write_kubeconfig(&staging)?;
    std::fs::rename(&staging, &path)?;
    eprintln!(
        "serve: API server at {}, kubeconfig {}",
        env.server_url(),
        path.display()
    );

    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    std::fs::remove_file(&path)?;
    env.stop().await?;
    eprintln!("serve: stopped");
    Ok(())
}
