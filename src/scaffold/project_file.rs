//! The last step of every command that writes: `PROJECT.toml` records the version that wrote the
//! project and the hash of each project-wide file as written, so `cargo operator update` can
//! tell a file nobody touched from one its user edited. (The files of one API are hashed into
//! its own `[resources.files]` by `resource_files::record_hashes`.)

use anyhow::Result;

use super::{Change, IfExists, Plan};
use crate::model::hashes;
use crate::model::project::{PROJECT_FILE, Project};

/// This binary's version, as `PROJECT.toml` records it.
pub const CLI_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Updates the planned `PROJECT.toml` (or, when the command plans none, the one on disk): the
/// running `cli-version`, and the project-wide hashes of the files the plan writes or removes.
/// Call it after formatting, so the hashes are those of the files as written. Returns the
/// version the project file named before, when it was another one.
pub fn record(plan: &mut Plan) -> Result<Option<String>> {
    let Some(text) = plan.current(PROJECT_FILE)? else {
        return Ok(None);
    };
    let mut project = Project::parse(&text)?;
    let previous_version = (project.cli_version != CLI_VERSION)
        .then(|| std::mem::replace(&mut project.cli_version, CLI_VERSION.to_string()));
    record_hashes(plan, &mut project);
    let updated = project.to_toml();
    if updated != text {
        plan.add_file(PROJECT_FILE, updated, IfExists::Overwrite)?;
    }
    Ok(previous_version)
}

/// The project-wide hash of each file in `plan`. A file the command wrote whole gets the hash of
/// what it wrote; a user's file it only added lines to keeps counting as edited, unless its
/// recorded hash said it was untouched until now; a removed file loses its hash. The vendored
/// runtime is left out: every command replaces it whole, so it is never the user's.
fn record_hashes(plan: &Plan, project: &mut Project) {
    let vendored = format!("{}/", crate::vendor::VENDOR_DIR);
    for file in plan.files() {
        if file.path == PROJECT_FILE || file.path.starts_with(&vendored) {
            continue;
        }
        if file.change == Change::Delete
            || project
                .resources
                .iter()
                .any(|r| r.files.contains_key(file.path))
        {
            project.files.remove(file.path);
            continue;
        }
        let untouched_until_now = match (file.original, project.files.get(file.path)) {
            (None, _) => true,
            (Some(original), Some(recorded)) => hashes::matches(recorded, original),
            (Some(_), None) => false,
        };
        if file.generated || untouched_until_now {
            project
                .files
                .insert(file.path.to_string(), hashes::of(file.content));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::model::project::tests::sample;

    fn project_with(files: &[(&str, &str)]) -> Project {
        let mut project = sample();
        project.cli_version = "0.0.1".into();
        project.files = files
            .iter()
            .map(|(path, content)| (path.to_string(), hashes::of(content)))
            .collect();
        project
    }

    #[test]
    fn written_files_are_hashed_and_edited_ones_stay_edited() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("untouched.yaml"), "a\n# +marker\n").unwrap();
        fs::write(dir.path().join("edited.yaml"), "mine\n# +marker\n").unwrap();
        fs::write(dir.path().join("gone.txt"), "bye\n").unwrap();
        let before = project_with(&[
            ("untouched.yaml", "a\n# +marker\n"),
            ("edited.yaml", "theirs\n# +marker\n"),
            ("gone.txt", "bye\n"),
        ]);
        fs::write(dir.path().join(PROJECT_FILE), before.to_toml()).unwrap();

        let mut plan = Plan::new(dir.path(), "move it away");
        plan.add_file("new.txt", "new\n".into(), IfExists::Error)
            .unwrap();
        plan.insert_at_marker("untouched.yaml", "# +marker", "b")
            .unwrap();
        plan.insert_at_marker("edited.yaml", "# +marker", "b")
            .unwrap();
        plan.remove_file("gone.txt").unwrap();
        assert_eq!(record(&mut plan).unwrap().as_deref(), Some("0.0.1"));

        let after = Project::parse(&plan.current(PROJECT_FILE).unwrap().unwrap()).unwrap();
        assert_eq!(after.cli_version, CLI_VERSION);
        assert_eq!(after.recorded_hash("new.txt"), Some(&*hashes::of("new\n")));
        assert_eq!(
            after.recorded_hash("untouched.yaml"),
            Some(&*hashes::of("a\nb\n# +marker\n"))
        );
        // Still the hash of what cargo-operator wrote, so the user's edit is still seen.
        assert_eq!(
            after.recorded_hash("edited.yaml"),
            before.recorded_hash("edited.yaml")
        );
        assert_eq!(after.recorded_hash("gone.txt"), None);
        assert_eq!(after.resources[0].files, before.resources[0].files);
    }
}
