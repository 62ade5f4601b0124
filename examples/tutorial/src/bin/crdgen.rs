// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

//! Writes the operator's manifests from the Rust code: every CRD, the manager's
//! ClusterRole and the leader-election Role.
//!
//! Usage:
//! - `crdgen` prints them to stdout as one multi-document YAML stream;
//! - `crdgen --output-dir DIR` writes the kustomize files `DIR/crd/bases/<group>_<plural>.yaml`
//!   (one per CRD), `DIR/rbac/role.yaml` and `DIR/rbac/leader_election_role.yaml`;
//! - `crdgen --chart-dir DIR` writes the same objects as templates of the Helm chart in `DIR`:
//!   `DIR/templates/crd/<group>_<plural>.yaml`, `DIR/templates/rbac/role.yaml` and
//!   `DIR/templates/rbac/leader_election_role.yaml`.
//!
//! The two options may be given together; `make manifests` does so once the project has a chart.

use std::{
    collections::BTreeMap,
    fs,
    io::Write,
    path::{Path, PathBuf},
    process::ExitCode,
};

use k8s_openapi::api::rbac::v1::{ClusterRole, Role};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{Resource, core::ObjectMeta};
use serde::Serialize;
use tutorial::{api, controllers};

const USAGE: &str = "usage: crdgen [--output-dir DIR] [--chart-dir DIR]";

/// The project's name: the Helm chart prefixes its objects' names with it, as kustomize's
/// `namePrefix` does in `config/default`.
const PROJECT_NAME: &str = "tutorial";

fn main() -> ExitCode {
    let command = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(command) => command,
        Err(message) => {
            eprintln!("crdgen: {message}; {USAGE}");
            return ExitCode::from(2);
        }
    };
    match generate(&command) {
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
    /// Write one file per manifest under the kustomize folder, the chart folder, or both.
    Write {
        output_dir: Option<PathBuf>,
        chart_dir: Option<PathBuf>,
    },
    Help,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut output_dir = None;
    let mut chart_dir = None;
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
            None => (arg.clone(), None),
        };
        let slot = match flag.as_str() {
            "-h" | "--help" if inline_value.is_none() => return Ok(Command::Help),
            "--output-dir" => &mut output_dir,
            "--chart-dir" => &mut chart_dir,
            _ => return Err(format!("unexpected argument {arg:?}")),
        };
        let dir = match inline_value {
            Some(dir) => dir,
            None => args.next().unwrap_or_default(),
        };
        if dir.is_empty() {
            return Err(format!("{flag} needs a directory"));
        }
        if slot.replace(PathBuf::from(dir)).is_some() {
            return Err(format!("{flag} is given twice"));
        }
    }
    Ok(match (output_dir, chart_dir) {
        (None, None) => Command::Print,
        (output_dir, chart_dir) => Command::Write {
            output_dir,
            chart_dir,
        },
    })
}

/// Computes every manifest first, so that nothing is written when one of them fails.
fn generate(command: &Command) -> Result<(), String> {
    let crds = api::crds().map_err(|err| format!("cannot merge CRD versions: {err}"))?;
    let manager_role = manager_role();
    let leader_election_role = leader_election_role();

    let Command::Write {
        output_dir,
        chart_dir,
    } = command
    else {
        let mut yaml = String::new();
        for crd in &crds {
            yaml.push_str(&document(crd)?);
        }
        yaml.push_str(&document(&manager_role)?);
        yaml.push_str(&document(&leader_election_role)?);
        return std::io::stdout()
            .write_all(yaml.as_bytes())
            .map_err(|err| format!("cannot write to stdout: {err}"));
    };

    let mut files: Vec<(PathBuf, String)> = Vec::new();
    if let Some(dir) = output_dir {
        for crd in &crds {
            let path = dir.join("crd").join("bases").join(crd_file_name(crd));
            files.push((path, document(crd)?));
        }
        let rbac = dir.join("rbac");
        files.push((rbac.join("role.yaml"), document(&manager_role)?));
        files.push((
            rbac.join("leader_election_role.yaml"),
            document(&leader_election_role)?,
        ));
    }
    if let Some(dir) = chart_dir {
        let templates = dir.join("templates");
        for crd in &crds {
            let mut crd = crd.clone();
            // `helm uninstall` keeps the CRD, and so every custom resource stored under it.
            crd.metadata
                .annotations
                .get_or_insert_default()
                .insert("helm.sh/resource-policy".into(), "keep".into());
            let path = templates.join("crd").join(crd_file_name(&crd));
            files.push((path, chart_template(crd, "crd")?));
        }
        let rbac = templates.join("rbac");
        files.push((
            rbac.join("role.yaml"),
            chart_template(manager_role, "rbac")?,
        ));
        files.push((
            rbac.join("leader_election_role.yaml"),
            chart_template(leader_election_role, "rbac")?,
        ));
    }
    for (path, contents) in &files {
        write(path, contents)?;
    }
    Ok(())
}

fn crd_file_name(crd: &CustomResourceDefinition) -> String {
    format!("{}_{}.yaml", crd.spec.group, crd.spec.names.plural)
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

/// The Role that lets the manager hold its leader-election Lease, in its own namespace.
fn leader_election_role() -> Role {
    Role {
        metadata: ObjectMeta {
            name: Some("leader-election-role".into()),
            namespace: Some("system".into()),
            ..Default::default()
        },
        rules: Some(controllers::leader_election_rules()),
    }
}

/// One YAML document, starting with `---` so that documents can be concatenated.
fn document(value: &impl Serialize) -> Result<String, String> {
    Ok(format!("---\n{}", yaml(value)?))
}

fn yaml(value: &impl Serialize) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|err| format!("cannot serialize YAML: {err}"))
}

/// Helm expressions in chart templates. They are set in the objects as these placeholders, which
/// no manifest contains, so that the braces of the manifests' own text can be escaped first.
const HELM_EXPRESSIONS: [(&str, &str); 3] = [
    ("@helm:release-name@", "{{ .Release.Name }}"),
    ("@helm:release-namespace@", "{{ .Release.Namespace }}"),
    ("@helm:release-service@", "{{ .Release.Service }}"),
];

/// `object` as a template of the Helm chart: labelled like the chart's other objects, named with
/// the project's prefix, in the release's namespace if it has one, and rendered only while
/// `.Values.<switch>.enable` is true. CRDs keep their names.
fn chart_template<K>(mut object: K, switch: &str) -> Result<String, String>
where
    K: Resource<DynamicType = ()> + Serialize,
{
    let is_crd = K::kind(&()) == "CustomResourceDefinition";
    let meta = object.meta_mut();
    if !is_crd && let Some(name) = &mut meta.name {
        *name = format!("{PROJECT_NAME}-{name}");
    }
    if meta.namespace.is_some() {
        meta.namespace = Some("@helm:release-namespace@".into());
    }
    meta.labels.get_or_insert_default().extend(chart_labels());
    // Go templates would read `{{` in a description as the start of an action.
    let mut text = yaml(&object)?.replace("{{", r#"{{ "{{" }}"#);
    for (placeholder, expression) in HELM_EXPRESSIONS {
        text = text.replace(placeholder, expression);
    }
    Ok(format!(
        "{{{{/* Written by crdgen from the Rust code; change that code and run `make manifests`. */}}}}\n\
         {{{{- if .Values.{switch}.enable }}}}\n{text}{{{{- end }}}}\n"
    ))
}

/// The labels of every object in the chart; `_helpers.tpl` defines the same set for the
/// templates it does not generate.
fn chart_labels() -> BTreeMap<String, String> {
    [
        ("app.kubernetes.io/name", PROJECT_NAME),
        ("app.kubernetes.io/instance", "@helm:release-name@"),
        ("app.kubernetes.io/managed-by", "@helm:release-service@"),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_string(), value.to_string()))
    .collect()
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
        let config = Ok(Command::Write {
            output_dir: Some("config".into()),
            chart_dir: None,
        });
        assert_eq!(parse(&["--output-dir", "config"]), config);
        assert_eq!(parse(&["--output-dir=config"]), config);
        let both = Ok(Command::Write {
            output_dir: Some("config".into()),
            chart_dir: Some("dist/chart".into()),
        });
        assert_eq!(
            parse(&["--chart-dir", "dist/chart", "--output-dir=config"]),
            both
        );
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
        assert!(parse(&["--output-dir"]).is_err());
        assert!(parse(&["--output-dir="]).is_err());
        assert!(parse(&["--output-dir", "a", "b"]).is_err());
        assert!(parse(&["--output-dir", "a", "--output-dir", "b"]).is_err());
        assert!(parse(&["--chart-dir"]).is_err());
        assert!(parse(&["--verbose"]).is_err());
    }

    #[test]
    fn roles_hold_the_controllers_rules() {
        let role = manager_role();
        assert_eq!(role.metadata.name.as_deref(), Some("manager-role"));
        assert_eq!(role.rules, Some(controllers::policy_rules()));
        let role = leader_election_role();
        assert_eq!(role.metadata.name.as_deref(), Some("leader-election-role"));
        assert_eq!(role.metadata.namespace.as_deref(), Some("system"));
        assert_eq!(role.rules, Some(controllers::leader_election_rules()));
    }

    #[test]
    fn chart_templates_use_the_release_and_a_switch() {
        let text = chart_template(leader_election_role(), "rbac").unwrap();
        let mut lines = text.lines();
        assert!(lines.next().unwrap().starts_with("{{/*"), "{text}");
        assert_eq!(lines.next(), Some("{{- if .Values.rbac.enable }}"));
        assert_eq!(text.lines().last(), Some("{{- end }}"));
        assert!(
            text.contains(&format!("name: {PROJECT_NAME}-leader-election-role\n")),
            "{text}"
        );
        let namespace = text
            .lines()
            .find(|line| line.starts_with("  namespace: "))
            .unwrap();
        assert!(namespace.contains("{{ .Release.Namespace }}"), "{text}");
        assert!(text.contains("{{ .Release.Name }}"), "{text}");
        assert!(!text.contains("@helm:"), "{text}");
    }

    #[test]
    fn braces_in_the_manifests_are_escaped_for_helm() {
        let mut role = leader_election_role();
        role.metadata.annotations = Some(BTreeMap::from([(
            "note".to_string(),
            "{{ not a template }}".to_string(),
        )]));
        let text = chart_template(role, "rbac").unwrap();
        assert!(text.contains(r#"{{ "{{" }} not a template }}"#), "{text}");
    }
}
