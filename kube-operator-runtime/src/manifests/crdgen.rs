//! The `crdgen` command line: its flags, the files written or printed as JSON.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::ExitCode,
};

use clap::Parser;

use super::Manifests;
use crate::error::Error;

impl Manifests {
    /// The `main` of a project's `crdgen` binary. Its flags:
    /// - none: print every manifest to stdout;
    /// - `--output-dir DIR`: write the [kustomize files](Self::kustomize_files) under `DIR`;
    /// - `--chart-dir DIR`: write the [chart templates](Self::chart_files) under `DIR`;
    /// - `--json`: with either, print the files as a JSON array of `{"path", "contents"}`
    ///   instead of writing them (what `cargo operator manifests` reads).
    ///
    /// Every file is computed before the first is written.
    pub fn crdgen(&self) -> ExitCode {
        let args = CrdgenArgs::parse();
        match self.run_crdgen(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("crdgen: {err}");
                ExitCode::FAILURE
            }
        }
    }

    fn run_crdgen(&self, args: &CrdgenArgs) -> Result<(), Error> {
        let mut files = Vec::new();
        if let Some(dir) = &args.output_dir {
            files.extend(self.kustomize_files(dir)?);
        }
        if let Some(dir) = &args.chart_dir {
            files.extend(self.chart_files(dir)?);
        }
        let stdout_error = |source| Error::Write {
            path: "stdout".into(),
            source,
        };
        if args.output_dir.is_none() && args.chart_dir.is_none() {
            return std::io::stdout()
                .write_all(self.to_yaml()?.as_bytes())
                .map_err(stdout_error);
        }
        if args.json {
            let json = serde_json::to_string(&files).map_err(|err| Error::Serialize {
                what: "the file list".into(),
                message: err.to_string(),
            })?;
            return writeln!(std::io::stdout(), "{json}").map_err(stdout_error);
        }
        for file in &files {
            write(&file.path, &file.contents)?;
        }
        Ok(())
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "crdgen",
    about = "Writes the CRDs and roles that follow from the operator's Rust code",
    group(clap::ArgGroup::new("dirs").args(["output_dir", "chart_dir"]).multiple(true))
)]
struct CrdgenArgs {
    /// Write the kustomize files under DIR (DIR/crd/bases, DIR/rbac)
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// Write the Helm chart's CRD and role templates under DIR/templates
    #[arg(long, value_name = "DIR")]
    chart_dir: Option<PathBuf>,
    /// Print the files as JSON (`[{"path", "contents"}]`) instead of writing them
    #[arg(long, requires = "dirs")]
    json: bool,
}

fn write(path: &Path, contents: &str) -> Result<(), Error> {
    let write_error = |source| Error::Write {
        path: path.display().to_string(),
        source,
    };
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(write_error)?;
    std::fs::write(path, contents).map_err(write_error)?;
    println!("wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crdgen_flags() {
        let parse = |args: &[&str]| {
            CrdgenArgs::try_parse_from(std::iter::once("crdgen").chain(args.iter().copied()))
        };
        let args = parse(&["--output-dir", "config", "--chart-dir=dist/chart", "--json"]).unwrap();
        assert_eq!(args.output_dir.as_deref(), Some(Path::new("config")));
        assert_eq!(args.chart_dir.as_deref(), Some(Path::new("dist/chart")));
        assert!(args.json);
        assert!(parse(&["--output-dir"]).is_err());
        assert!(parse(&["--verbose"]).is_err());
        assert!(parse(&["--json"]).is_err(), "--json without a folder");
    }
}
