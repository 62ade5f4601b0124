//! `cargo operator update`: a project made by an older cargo-operator, brought to this version.
//!
//! The commands `PROJECT.toml` records are replayed twice in a temporary folder: by the version
//! that made the project (the base) and by this one (the new). Each file of either is then
//! decided by `three_way::decide`: untouched files become the new version, edited ones are kept
//! or merged, and a conflict writes nothing at all unless `--force`, which applies the rest and
//! leaves the conflicting files as they are. Never a conflict marker in the project.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context as _, Result, anyhow, bail};

use crate::cli::UpdateArgs;
use crate::model::project::{PROJECT_FILE, Project};
use crate::scaffold::project_file::CLI_VERSION;
use crate::scaffold::replay::{self, Binary};
use crate::scaffold::three_way::{self, Action, ConflictHunk};
use crate::scaffold::{IfExists, Plan};
use crate::ui;

pub fn run(args: UpdateArgs, dir: &Path) -> Result<()> {
    let project = Project::load(dir)?;
    let running = semver::Version::parse(CLI_VERSION).expect("cargo's package version is semver");
    let recorded = semver::Version::parse(&project.cli_version).map_err(|_| {
        anyhow!(
            "`{PROJECT_FILE}` names cli-version `{}`, which is not a version; put back the version of cargo-operator that made the project",
            project.cli_version
        )
    })?;
    let temp = tempfile::Builder::new()
        .prefix("cargo-operator-update-")
        .tempdir()
        .context("cannot make a temporary folder")?;
    let old = match &args.from_binary {
        Some(path) => {
            let binary = Binary::probe(path)?;
            if binary.version > running {
                bail!(
                    "`{}` is cargo-operator {}, newer than this one ({running}); run `cargo operator update` with the newer one instead",
                    path.display(),
                    binary.version
                );
            }
            binary
        }
        None if recorded > running => bail!(
            "cargo-operator {recorded} made this project, and this one is older ({running}); install cargo-operator {recorded} or newer"
        ),
        None if recorded == running => return nothing_to_update(&running),
        None => Binary::install(&recorded, &temp.path().join("install"))?,
    };
    if old.version == running {
        return nothing_to_update(&running);
    }
    let this = Binary {
        path: std::env::current_exe().context("cannot find this cargo-operator's own binary")?,
        version: running.clone(),
    };

    let commands = replay::commands(&project, dir)?;
    let base = replay::render(
        &old,
        &commands,
        &temp.path().join("base").join(&project.project_name),
    )?;
    let new = replay::render(
        &this,
        &commands,
        &temp.path().join("new").join(&project.project_name),
    )?;
    check_replay(&project, &base, &old)?;
    let rendered = check_replay(&project, &new, &this)?;

    let mut plan = Plan::new(dir, "pass `--force` to overwrite it");
    let mut outcomes: Vec<(String, Action)> = Vec::new();
    // Files you edited that the new version no longer writes (it may have moved them).
    let mut left_behind: Vec<String> = Vec::new();
    let paths: BTreeSet<&String> = base
        .keys()
        .chain(new.keys())
        .filter(|path| *path != PROJECT_FILE)
        .collect();
    for path in paths {
        let yours = plan.current(path)?;
        let action = three_way::decide(
            base.get(path).map(String::as_str),
            yours.as_deref(),
            new.get(path).map(String::as_str),
            project.recorded_hash(path),
        );
        match &action {
            Action::Create(content) | Action::Replace(content) | Action::Merge(content) => {
                plan.add_file(path, content.clone(), IfExists::Overwrite)?;
            }
            Action::Delete => plan.remove_file(path)?,
            Action::Keep if yours.is_some() && !new.contains_key(path.as_str()) => {
                left_behind.push(format!("`{path}`"));
            }
            Action::Same | Action::Keep | Action::Conflict(_) => {}
        }
        outcomes.push((path.clone(), action));
    }
    plan.add_file(
        PROJECT_FILE,
        updated_project_file(&project, &rendered),
        IfExists::Overwrite,
    )?;

    let conflicts: Vec<(&str, &[ConflictHunk])> = outcomes
        .iter()
        .filter_map(|(path, action)| match action {
            Action::Conflict(hunks) => Some((path.as_str(), hunks.as_slice())),
            _ => None,
        })
        .collect();
    let refused = !conflicts.is_empty() && !args.force;
    if args.write.dry_run {
        ui::print_dry_run(&plan);
        eprintln!("{}", report(&outcomes, &old.version, &running));
    }
    for (path, hunks) in &conflicts {
        eprint!("{}", show_conflict(path, hunks, &running));
    }
    if refused {
        bail!(
            "{} conflicting with your edits (shown above); nothing was written. Make each hold the new version's lines where you want them (or undo your edit there) and run `cargo operator update` again, or pass `--force` to apply the rest and leave those files as they are",
            match conflicts.len() {
                1 => "1 file has changes".to_string(),
                n => format!("{n} files have changes"),
            }
        );
    }
    if args.write.dry_run {
        return Ok(());
    }
    plan.apply()?;
    println!("{}", report(&outcomes, &old.version, &running));
    if !left_behind.is_empty() {
        ui::warn(&format!(
            "kept {}: you edited them, and cargo-operator {running} no longer writes them; move your edits into the files it writes now (its docs/upgrading.md says where each went), then delete them",
            left_behind.join(", ")
        ));
    }
    if !conflicts.is_empty() {
        ui::warn(&format!(
            "left as they were (`--force`): {}; the new version's changes to them, shown above, are not in the project",
            conflicts
                .iter()
                .map(|(path, _)| format!("`{path}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    ui::print_next_steps(&[
        "git diff            # review what changed",
        "make lint test      # the project builds and its tests pass",
    ]);
    Ok(())
}

fn nothing_to_update(version: &semver::Version) -> Result<()> {
    println!("nothing to update: the project is at cargo-operator {version}");
    Ok(())
}

/// The project file of a replay, checked to hold the project the user has (the same options,
/// APIs and webhooks), so its files can stand for what that version wrote for this project.
fn check_replay(
    project: &Project,
    files: &BTreeMap<String, String>,
    binary: &Binary,
) -> Result<Project> {
    let cannot = |why: String| {
        anyhow!(
            "cannot replay `{PROJECT_FILE}` with cargo-operator {}: {why}; `update` cannot tell that version's files from your edits",
            binary.version
        )
    };
    let text = files
        .get(PROJECT_FILE)
        .ok_or_else(|| cannot("it wrote no project file".into()))?;
    let replayed = Project::parse(text).map_err(|err| cannot(format!("{err:#}")))?;
    let decisions = |p: &Project| {
        let mut p = p.clone();
        p.cli_version.clear();
        p.files.clear();
        for r in &mut p.resources {
            r.files.clear();
        }
        p
    };
    if decisions(&replayed) != decisions(project) {
        return Err(cannot(
            "the project it makes differs from the one `PROJECT.toml` describes".into(),
        ));
    }
    Ok(replayed)
}

/// `PROJECT.toml` after the update: the user's project with this version and the hashes of
/// what this version writes, so a merged or kept file still counts as edited next time.
fn updated_project_file(project: &Project, rendered: &Project) -> String {
    let mut updated = project.clone();
    updated.cli_version = CLI_VERSION.to_string();
    updated.files = rendered.files.clone();
    for resource in &mut updated.resources {
        resource.files = rendered
            .resources
            .iter()
            .find(|r| r.same_gvk(resource))
            .map(|r| r.files.clone())
            .unwrap_or_default();
    }
    updated.to_toml()
}

/// One line per file the update changes or keeps against the new version; the vendored
/// runtime as one line per crate.
fn report(outcomes: &[(String, Action)], from: &semver::Version, to: &semver::Version) -> String {
    let vendored = format!("{}/", crate::vendor::VENDOR_DIR);
    let mut lines = vec![format!("cargo-operator {from} -> {to}:")];
    let mut crates: BTreeMap<String, usize> = BTreeMap::new();
    for (path, action) in outcomes {
        let verb = match action {
            Action::Same => continue,
            Action::Create(_) => "created",
            Action::Replace(_) => "replaced",
            Action::Delete => "deleted",
            Action::Keep => "kept",
            Action::Merge(_) => "merged",
            Action::Conflict(_) => "conflict",
        };
        if let Some(rest) = path.strip_prefix(&vendored)
            && !matches!(action, Action::Conflict(_) | Action::Merge(_))
        {
            let krate = rest.split('/').next().unwrap_or_default();
            *crates.entry(format!("{vendored}{krate}/")).or_default() += 1;
            continue;
        }
        lines.push(format!("{verb:>10} {path}"));
    }
    for (krate, count) in crates {
        lines.push(format!("{:>10} {krate} ({count} files)", "updated"));
    }
    lines.push(format!("{:>10} {PROJECT_FILE}", "updated"));
    lines.join("\n")
}

/// A conflict as the user reads it: the file, then each hunk's two sides.
fn show_conflict(path: &str, hunks: &[ConflictHunk], to: &semver::Version) -> String {
    let mut out =
        format!("conflict: `{path}`: your edit and cargo-operator {to} change the same lines\n");
    let quote =
        |text: &str| -> String { text.lines().map(|line| format!("  | {line}\n")).collect() };
    for hunk in hunks {
        if hunk.yours.is_empty() {
            out.push_str("  yours: (you deleted the file)\n");
        } else {
            out.push_str("  yours:\n");
            out.push_str(&quote(&hunk.yours));
        }
        out.push_str(&format!("  cargo-operator {to}:\n"));
        out.push_str(&quote(&hunk.new));
    }
    out
}
