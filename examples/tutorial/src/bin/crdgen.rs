// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

//! Prints the operator's manifests: every CRD and the manager's ClusterRole.
//!
//! Usage: `crdgen` writes them to stdout as one multi-document YAML stream;
//! `crdgen --output-dir DIR` writes `DIR/crd/bases/<group>_<plural>.yaml`
//! per CRD and `DIR/rbac/role.yaml`.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    process::ExitCode,
};

use k8s_openapi::api::rbac::v1::ClusterRole;
use kube::core::ObjectMeta;
use serde::Serialize;
use tutorial::{api, controllers};

const USAGE: &str = "usage: crdgen [--output-dir DIR]";

fn main() -> ExitCode {
    let output_dir = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Print) => None,
        Ok(Command::Write(dir)) => Some(dir),
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("crdgen: {message}; {USAGE}");
            return ExitCode::from(2);
        }
    };
    match generate(output_dir.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("crdgen: {message}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug, PartialEq)]
enum Command {
    /// Print every manifest to stdout.
    Print,
    /// Write one file per manifest under this directory.
    Write(PathBuf),
    Help,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let dir = match args.next().as_deref() {
        None => return Ok(Command::Print),
        Some("-h" | "--help") => return Ok(Command::Help),
        Some("--output-dir") => args.next().ok_or("--output-dir needs a directory")?,
        Some(arg) => match arg.strip_prefix("--output-dir=") {
            Some(dir) => dir.to_string(),
            None => return Err(format!("unexpected argument {arg:?}")),
        },
    };
    if dir.is_empty() {
        return Err("--output-dir needs a directory".into());
    }
    match args.next() {
        None => Ok(Command::Write(PathBuf::from(dir))),
        Some(arg) => Err(format!("unexpected argument {arg:?}")),
    }
}

fn generate(output_dir: Option<&Path>) -> Result<(), String> {
    let crds = api::crds().map_err(|err| format!("cannot merge CRD versions: {err}"))?;
    let role = manager_role();

    let Some(dir) = output_dir else {
        let mut yaml = String::new();
        for crd in &crds {
            yaml.push_str(&document(crd)?);
        }
        yaml.push_str(&document(&role)?);
        return std::io::stdout()
            .write_all(yaml.as_bytes())
            .map_err(|err| format!("cannot write to stdout: {err}"));
    };
    for crd in &crds {
        let file = format!("{}_{}.yaml", crd.spec.group, crd.spec.names.plural);
        write(&dir.join("crd").join("bases").join(file), &document(crd)?)?;
    }
    write(&dir.join("rbac").join("role.yaml"), &document(&role)?)
}

/// The ClusterRole bound to the manager's service account.
fn manager_role() -> ClusterRole {
    ClusterRole {
        metadata: ObjectMeta {
            name: Some("manager-role".into()),
            ..Default::default()
        },
        rules: Some(controllers::policy_rules()),
        ..Default::default()
    }
}

/// One YAML document, starting with `---` so that documents can be concatenated.
fn document(value: &impl Serialize) -> Result<String, String> {
    let yaml =
        serde_saphyr::to_string(value).map_err(|err| format!("cannot serialize YAML: {err}"))?;
    Ok(format!("---\n{yaml}"))
}

fn write(path: &Path, contents: &str) -> Result<(), String> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent)
        .map_err(|err| format!("cannot create {}: {err}", parent.display()))?;
    fs::write(path, contents).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(|arg| arg.to_string()))
    }

    #[test]
    fn arguments() {
        assert_eq!(parse(&[]), Ok(Command::Print));
        let config = Ok(Command::Write("config".into()));
        assert_eq!(parse(&["--output-dir", "config"]), config);
        assert_eq!(parse(&["--output-dir=config"]), config);
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
        assert!(parse(&["--output-dir"]).is_err());
        assert!(parse(&["--output-dir="]).is_err());
        assert!(parse(&["--output-dir", "a", "b"]).is_err());
        assert!(parse(&["--verbose"]).is_err());
    }

    #[test]
    fn role_is_named_for_the_manager() {
        let role = manager_role();
        assert_eq!(role.metadata.name.as_deref(), Some("manager-role"));
        assert_eq!(role.rules, Some(controllers::policy_rules()));
    }
}
