//! A project as one cargo-operator version scaffolds it: the commands `PROJECT.toml` records,
//! run again by that version's binary in a folder of their own (`cargo operator update` does it
//! twice, with the version that made the project and with this one).
//!
//! `PROJECT.toml` holds everything the commands need: `init`'s options, each API's flags (its
//! example, image options, named controllers), each version's webhooks, the chart and the
//! dashboards. An external kind's CRD comes from the copy `create api` made in the project.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};

use crate::model::names::ResourceNames;
use crate::model::project::{Example, Project, Resource, Source};
use crate::model::read::{self, read_text};

/// A cargo-operator binary and the version it says it is.
#[derive(Debug, Clone)]
pub struct Binary {
    pub path: PathBuf,
    pub version: semver::Version,
}

impl Binary {
    /// Asks `path` for its version (`cargo-operator operator version` prints
    /// `cargo-operator <version> (…)`); anything else is not a cargo-operator.
    pub fn probe(path: &Path) -> Result<Binary> {
        let shown = path.display();
        let not_ours = || {
            anyhow::anyhow!(
                "`{shown}` is not a cargo-operator binary (`{shown} operator version` does not print `cargo-operator <version>`); point `--from-binary` at the cargo-operator that made the project"
            )
        };
        let output = Command::new(path)
            .args(["operator", "version"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map_err(|_| not_ours())?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let version = stdout
            .strip_prefix("cargo-operator ")
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|version| semver::Version::parse(version).ok())
            .filter(|_| output.status.success())
            .ok_or_else(not_ours)?;
        Ok(Binary {
            path: path.to_path_buf(),
            version,
        })
    }

    /// `cargo install cargo-operator --version <version>` into `root`, for a version nobody
    /// pointed to.
    pub fn install(version: &semver::Version, root: &Path) -> Result<Binary> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let exact = format!("={version}");
        let output = Command::new(&cargo)
            .args([
                "install",
                "cargo-operator",
                "--locked",
                "--quiet",
                "--version",
            ])
            .arg(&exact)
            .arg("--root")
            .arg(root)
            .stdin(Stdio::null())
            .output();
        let why = match &output {
            Ok(output) if output.status.success() => None,
            Ok(output) => Some(last_line(&output.stderr)),
            Err(err) => Some(err.to_string()),
        };
        if let Some(why) = why {
            bail!(
                "cannot install cargo-operator {version}, which made this project (`cargo install cargo-operator --version {exact}`: {why}); pass its binary with `--from-binary <path>`"
            );
        }
        Binary::probe(&root.join("bin").join("cargo-operator"))
    }
}

/// The last non-empty line a process printed, for a one-line message.
fn last_line(output: &[u8]) -> String {
    String::from_utf8_lossy(output)
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("it failed without a message")
        .trim()
        .to_string()
}

/// The commands that scaffold `project` again, in an order each can run in: `init`, each API
/// with its controllers, each version's webhooks once the versions it converts exist, then the
/// dashboards and the chart. `dir` is the project, where external kinds' CRD copies are.
pub fn commands(project: &Project, dir: &Path) -> Result<Vec<Vec<String>>> {
    let mut commands = vec![init(project)];
    let mut webhooks_pending: Vec<&Resource> = Vec::new();
    for (index, resource) in project.resources.iter().enumerate() {
        commands.extend(create_api(project, resource, dir)?);
        if !resource.webhooks.is_empty() {
            webhooks_pending.push(resource);
        }
        let created = &project.resources[..=index];
        let (ready, waiting): (Vec<&Resource>, Vec<&Resource>) =
            webhooks_pending.into_iter().partition(|r| {
                r.webhooks.spoke.iter().all(|spoke| {
                    created
                        .iter()
                        .any(|c| c.group == r.group && c.kind == r.kind && c.version == *spoke)
                })
            });
        webhooks_pending = waiting;
        for resource in ready {
            commands.push(create_webhook(project, resource, dir)?);
        }
    }
    if let Some(resource) = webhooks_pending.first() {
        bail!(
            "cannot replay the conversion of `{}`: a version it converts is not in `PROJECT.toml`; fix the entry",
            resource.gvk()
        );
    }
    if project.grafana {
        commands.push(words(&[
            "edit",
            "--plugins=grafana.kubebuilder.io/v1-alpha",
        ]));
    }
    if project.helm {
        commands.push(words(&["edit", "--helm"]));
    }
    if project.autoupdate {
        commands.push(words(&[
            "edit",
            "--plugins=autoupdate.kubebuilder.io/v1-alpha",
        ]));
    }
    Ok(commands)
}

/// A kind the project does not own, with no controller: only `create webhook` added it.
fn added_by_create_webhook(resource: &Resource) -> bool {
    !resource.source.is_project() && !resource.controller && resource.named_controllers.is_empty()
}

fn words(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| item.to_string()).collect()
}

fn init(project: &Project) -> Vec<String> {
    let mut args = words(&["init", "--domain", &project.domain]);
    args.extend(words(&["--project-name", &project.project_name]));
    if let Some(repo) = &project.repo {
        args.extend(words(&["--repo", repo]));
    }
    if let Some(owner) = &project.owner {
        args.extend(words(&["--owner", owner]));
    }
    let license = match project.license {
        crate::model::project::License::Apache2 => "apache2",
        crate::model::project::License::None => "none",
    };
    args.extend(words(&["--license", license]));
    if project.namespaced {
        args.push("--namespaced".into());
    }
    if project.multigroup {
        args.push("--multigroup".into());
    }
    args
}

/// `--group`, `--version`, `--kind` of `resource`, as `create api` and `create webhook` take them.
fn gvk_flags(resource: &Resource) -> Vec<String> {
    words(&[
        "--group",
        &resource.group,
        "--version",
        &resource.version,
        "--kind",
        &resource.kind,
    ])
}

/// `--external-api-crd` with the project's copy of an external kind's CRD.
fn external_crd_flag(project: &Project, resource: &Resource, dir: &Path) -> Result<Vec<String>> {
    if resource.source != Source::External {
        return Ok(Vec::new());
    }
    let copy = ResourceNames::new(resource, project).external_crd_file;
    let path = dir.join(&copy);
    if !path.is_file() {
        bail!(
            "cannot replay `{}`: `{copy}`, the copy of its CRD that `create api` made, is missing; restore it",
            resource.gvk()
        );
    }
    Ok(vec![
        "--external-api-crd".into(),
        path.to_string_lossy().into_owned(),
    ])
}

/// The `create api` commands of one API: its type and own controller, then each named one.
fn create_api(project: &Project, resource: &Resource, dir: &Path) -> Result<Vec<Vec<String>>> {
    let mut commands = Vec::new();
    let mut base = words(&["create", "api"]);
    base.extend(gvk_flags(resource));
    base.extend(external_crd_flag(project, resource, dir)?);
    match resource.source {
        Source::Project => {
            let mut args = base.clone();
            args.extend(words(&["--plural", &resource.plural]));
            args.push(format!("--namespaced={}", resource.namespaced));
            match &resource.example {
                Example::DeployImage(image) => {
                    args.extend(words(&["--image", &image.image]));
                    if !image.command.is_empty() {
                        args.push(format!(
                            "--image-container-command={}",
                            image.command.join(",")
                        ));
                    }
                    if let Some(port) = image.container_port {
                        args.push(format!("--image-container-port={port}"));
                    }
                    if let Some(uid) = image.run_as_user {
                        args.push(format!("--run-as-user={uid}"));
                    }
                }
                example => {
                    args.push("--resource=true".into());
                    args.push(format!("--controller={}", resource.controller));
                    if *example == Example::Skeleton {
                        args.push("--skeleton".into());
                    }
                }
            }
            commands.push(args);
        }
        Source::Core | Source::External if resource.controller => {
            let mut args = base.clone();
            if resource.source == Source::Core {
                args.push("--resource=false".into());
            }
            commands.push(args);
        }
        Source::Core | Source::External => {}
    }
    for name in &resource.named_controllers {
        let mut args = base.clone();
        if resource.source != Source::External {
            args.push("--resource=false".into());
        }
        args.extend(words(&["--controller-name", name]));
        commands.push(args);
    }
    Ok(commands)
}

fn create_webhook(project: &Project, resource: &Resource, dir: &Path) -> Result<Vec<String>> {
    let mut args = words(&["create", "webhook"]);
    args.extend(gvk_flags(resource));
    // A kind only `create webhook` added is added again from its CRD.
    if added_by_create_webhook(resource) {
        args.extend(external_crd_flag(project, resource, dir)?);
    }
    let webhooks = &resource.webhooks;
    if webhooks.defaulting {
        args.push("--defaulting".into());
    }
    if webhooks.validation {
        args.push("--programmatic-validation".into());
    }
    if webhooks.conversion {
        args.push("--conversion".into());
        for spoke in &webhooks.spoke {
            args.extend(words(&["--spoke", spoke]));
        }
    }
    if let Some(path) = &webhooks.defaulting_path {
        args.extend(words(&["--defaulting-path", path]));
    }
    if let Some(path) = &webhooks.validation_path {
        args.extend(words(&["--validation-path", path]));
    }
    Ok(args)
}

/// Runs `commands` with `binary` in a new folder `dir` (named like the project, since `init`
/// names a project after its folder) and returns every file they wrote, by path.
pub fn render(
    binary: &Binary,
    commands: &[Vec<String>],
    dir: &Path,
) -> Result<BTreeMap<String, String>> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    for args in commands {
        let output = Command::new(&binary.path)
            .arg("operator")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot run `{}`", binary.path.display()))?;
        if !output.status.success() {
            bail!(
                "cannot replay `cargo operator {}` with cargo-operator {}: {}",
                args.join(" "),
                binary.version,
                last_line(&output.stderr)
            );
        }
    }
    let mut files = BTreeMap::new();
    collect(dir, dir, &mut files)?;
    Ok(files)
}

/// Every file under `folder`, by its `/`-separated path from `root`; cargo's own output (a
/// build for `edit --helm`'s manifests) is not the scaffold's.
fn collect(root: &Path, folder: &Path, files: &mut BTreeMap<String, String>) -> Result<()> {
    let entries =
        fs::read_dir(folder).with_context(|| format!("cannot list `{}`", folder.display()))?;
    for entry in entries {
        let path = entry?.path();
        let relative = path
            .strip_prefix(root)
            .expect("listed under the root")
            .to_string_lossy()
            .replace('\\', "/");
        if relative == "target" || relative == "Cargo.lock" {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files)?;
        } else if let Some(text) = read_text(&path, &relative, read::PROJECT_SOURCE)? {
            files.insert(relative, text);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::project::tests::sample;
    use crate::model::project::{DeployImage, Webhooks};

    #[test]
    fn commands_follow_the_project_file() {
        let mut project = sample();
        project.helm = true;
        project.autoupdate = true;
        let mut v2 = project.resources[0].clone();
        v2.version = "v2".parse().unwrap();
        v2.controller = false;
        v2.example = Example::Skeleton;
        project.resources[0].webhooks = Webhooks {
            defaulting: true,
            conversion: true,
            spoke: vec!["v2".parse().unwrap()],
            ..Webhooks::default()
        };
        project.resources[0].named_controllers = vec!["foo-backup".parse().unwrap()];
        let mut bar = project.resources[0].clone();
        bar.kind = "Bar".parse().unwrap();
        bar.plural = "bars".parse().unwrap();
        bar.webhooks = Webhooks::default();
        bar.named_controllers = Vec::new();
        bar.example = Example::DeployImage(DeployImage {
            image: "memcached:1.6".into(),
            command: vec!["memcached".into(), "-v".into()],
            container_port: Some(11211),
            run_as_user: None,
        });
        project.resources.extend([v2, bar]);
        let commands: Vec<String> = commands(&project, Path::new("."))
            .unwrap()
            .iter()
            .map(|args| args.join(" "))
            .collect();
        assert_eq!(
            commands,
            [
                "init --domain my.domain --project-name tutorial --repo my.domain/tutorial --license apache2",
                "create api --group tutorial --version v1 --kind Foo --plural foos --namespaced=true --resource=true --controller=true",
                "create api --group tutorial --version v1 --kind Foo --resource=false --controller-name foo-backup",
                "create api --group tutorial --version v2 --kind Foo --plural foos --namespaced=true --resource=true --controller=false --skeleton",
                "create webhook --group tutorial --version v1 --kind Foo --defaulting --conversion --spoke v2",
                "create api --group tutorial --version v1 --kind Bar --plural bars --namespaced=true --image memcached:1.6 --image-container-command=memcached,-v --image-container-port=11211",
                "edit --helm",
                "edit --plugins=autoupdate.kubebuilder.io/v1-alpha",
            ]
        );
    }
}
