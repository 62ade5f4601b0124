//! The files a project's `crdgen` binary computes from its Rust code (CRDs, roles, webhook
//! configurations, the chart's copies), run as `make manifests` runs it and planned like any
//! other file.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Result, anyhow, bail};
use serde::Deserialize;

use super::{IfExists, Plan};
use crate::model::read::{self, read_output};

/// Where `edit --helm` puts the chart, as Kubebuilder does; the generated Makefile agrees.
pub const CHART_DIR: &str = "dist/chart";

/// One file as crdgen prints it.
#[derive(Debug, Deserialize)]
struct CrdgenFile {
    path: String,
    contents: String,
}

/// Runs what `make manifests` runs in `dir`, `cargo run --quiet --bin crdgen -- --output-dir
/// config` (plus `--chart-dir dist/chart` when `with_chart`), with `--json`, and plans the files
/// it prints. Cargo's messages pass through; `retry` ends the error when it fails.
pub fn plan_crdgen_files(plan: &mut Plan, dir: &Path, with_chart: bool, retry: &str) -> Result<()> {
    // cargo sets `CARGO` for the subcommands it runs, so this is the cargo the user invoked.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(&cargo)
        .current_dir(dir)
        .args(crdgen_args(with_chart))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|err| {
            anyhow!(
                "cannot run `{}`: {err}; install Rust from https://rustup.rs, or set `CARGO` to cargo's path",
                cargo.to_string_lossy()
            )
        })?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let printed = read_output(stdout, "`cargo run --bin crdgen`", read::CRDGEN_OUTPUT);
    if printed.is_err() {
        // It would go on printing into a pipe nobody reads.
        let _ = child.kill();
    }
    let status = child
        .wait()
        .map_err(|err| anyhow!("`cargo run --bin crdgen` did not finish: {err}; {retry}"))?;
    let printed = printed?;
    if !status.success() {
        bail!("`cargo run --bin crdgen` failed ({status}); fix what it reports above, {retry}");
    }
    let files: Vec<CrdgenFile> = serde_json::from_slice(&printed).map_err(|err| {
        anyhow!(
            "`crdgen --json` printed no file list ({err}); is `src/bin/crdgen.rs` still `Manifests::crdgen`? {retry}"
        )
    })?;
    for file in files {
        // crdgen's files follow from the Rust code, so they are rewritten like any build output.
        plan.add_file(&file.path, file.contents, IfExists::Overwrite)?;
    }
    Ok(())
}

fn crdgen_args(with_chart: bool) -> Vec<&'static str> {
    let mut args = vec![
        "run",
        "--quiet",
        "--bin",
        "crdgen",
        "--",
        "--output-dir",
        "config",
    ];
    if with_chart {
        args.extend(["--chart-dir", CHART_DIR]);
    }
    args.push("--json");
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_is_written_only_when_the_project_has_one() {
        assert_eq!(
            crdgen_args(false).join(" "),
            "run --quiet --bin crdgen -- --output-dir config --json"
        );
        assert_eq!(
            crdgen_args(true).join(" "),
            "run --quiet --bin crdgen -- --output-dir config --chart-dir dist/chart --json"
        );
    }
}
