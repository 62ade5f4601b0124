//! `cargo operator manifests`: the CRDs and roles, written from the project's Rust code by its
//! `crdgen` binary, into `config/` and, once the project has one, the Helm chart.

use std::path::Path;
use std::process::Command;

use anyhow::{Result, anyhow, bail};

use crate::project::Project;

/// Where `edit --helm` puts the chart, as Kubebuilder does; the generated Makefile agrees.
pub const CHART_DIR: &str = "dist/chart";

pub fn run(dir: &Path) -> Result<()> {
    let project = Project::load(dir)?;
    if project.helm && !dir.join(CHART_DIR).join("Chart.yaml").is_file() {
        bail!(
            "`PROJECT.toml` records a Helm chart, but `{CHART_DIR}/Chart.yaml` is missing; restore the chart with `cargo operator edit --helm`"
        );
    }
    crdgen(
        dir,
        project.helm,
        "then run `cargo operator manifests` again",
    )
}

/// Runs what `make manifests` runs in `dir`: `cargo run --quiet --bin crdgen -- --output-dir
/// config`, plus `--chart-dir dist/chart` when `with_chart`. Cargo's and crdgen's output pass
/// through; `retry` ends the error when it fails.
pub fn crdgen(dir: &Path, with_chart: bool, retry: &str) -> Result<()> {
    // cargo sets `CARGO` for the subcommands it runs, so this is the cargo the user invoked.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command.current_dir(dir).args(crdgen_args(with_chart));
    let status = command.status().map_err(|err| {
        anyhow!(
            "cannot run `{}`: {err}; install Rust from https://rustup.rs, or set `CARGO` to cargo's path",
            cargo.to_string_lossy()
        )
    })?;
    if !status.success() {
        bail!("`cargo run --bin crdgen` failed ({status}); fix what it reports above, {retry}");
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
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_is_written_only_when_the_project_has_one() {
        assert_eq!(
            crdgen_args(false).join(" "),
            "run --quiet --bin crdgen -- --output-dir config"
        );
        assert_eq!(
            crdgen_args(true).join(" "),
            "run --quiet --bin crdgen -- --output-dir config --chart-dir dist/chart"
        );
    }
}
