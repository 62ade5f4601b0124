//! Plan in memory, then write once.
//!
//! A command adds whole files and marker insertions to a [`Plan`]; nothing touches the disk until
//! [`Plan::apply`], which writes every change or, if any write fails, puts back what it had
//! already written. So a bad flag, a conflict or a full disk leaves the user's tree as it was.
//!
//! Every path is checked when it is first planned, so a refusal comes before anything is
//! written: it must stay inside the project by its text (no `..`, not absolute) and by where it
//! leads on disk (no symbolic link to a place outside the project on the way).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use super::markers;
use crate::model::read::{self, read_text};

/// What to do when a file the scaffold wants to write already exists with other content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfExists {
    /// Refuse, naming the file; `--force` turns this into `Overwrite`.
    Error,
    /// Keep the user's file (for files that later commands only append to).
    Skip,
    /// Replace it (only on `--force`).
    Overwrite,
}

/// What applying the plan does to one path, for the summary printed afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Create,
    Update,
    Unchanged,
    Skip,
    Delete,
}

#[derive(Debug)]
struct PlannedFile {
    /// What is on disk now; `None` for a new file.
    original: Option<String>,
    /// What will be there after `apply`.
    content: String,
    change: Change,
    /// `content` is all the command's own output (rendered whole, maybe with insertions), not
    /// the user's file with lines added: what `PROJECT.toml`'s hashes may vouch for.
    generated: bool,
}

/// One planned file, as [`Plan::files`] lists it.
#[derive(Debug, Clone, Copy)]
pub struct PlannedView<'a> {
    pub path: &'a str,
    /// What is on disk now; `None` for a new file.
    pub original: Option<&'a str>,
    /// What will be there after `apply` (empty for a removal).
    pub content: &'a str,
    pub change: Change,
    /// Whether `content` is all the command's own output; see [`Plan::files`].
    pub generated: bool,
}

#[derive(Debug)]
pub struct Plan {
    root: PathBuf,
    /// `root` with every symbolic link resolved, what a path must lead into; `None` when the
    /// root does not exist yet, so nothing under it does either.
    resolved_root: Option<PathBuf>,
    files: BTreeMap<String, PlannedFile>,
    /// Ends the error for a file that exists: what this command lets the user do about it.
    conflict_hint: &'static str,
}

impl Plan {
    /// A plan for the project at `root`. `conflict_hint` finishes the message for an existing
    /// file under `IfExists::Error`, such as "pass `--force` to overwrite it".
    pub fn new(root: &Path, conflict_hint: &'static str) -> Plan {
        Plan {
            root: root.to_path_buf(),
            resolved_root: fs::canonicalize(root).ok(),
            files: BTreeMap::new(),
            conflict_hint,
        }
    }

    /// Plans a whole file at `path` (relative, `/`-separated).
    pub fn add_file(&mut self, path: &str, content: String, if_exists: IfExists) -> Result<()> {
        let original = self.current(path)?;
        let change = match &original {
            None => Change::Create,
            Some(existing) if *existing == content => Change::Unchanged,
            Some(_) => match if_exists {
                IfExists::Skip => Change::Skip,
                IfExists::Overwrite => Change::Update,
                IfExists::Error => bail!("`{path}` already exists; {}", self.conflict_hint),
            },
        };
        let generated = change != Change::Skip;
        let content = if generated {
            content
        } else {
            original.clone().unwrap_or_default()
        };
        self.record(path, original, content, change, generated);
        Ok(())
    }

    /// Plans `fragment` above the line holding `marker` in `path`, unless the fragment is there.
    pub fn insert_at_marker(&mut self, path: &str, marker: &str, fragment: &str) -> Result<()> {
        let Some(current) = self.current(path)? else {
            bail!(
                "`{path}` is missing; restore it (it holds the `{marker}` marker) and run the command again"
            );
        };
        let content = markers::insert(&current, marker, fragment)
            .with_context(|| format!("cannot add to `{path}`"))?;
        let generated = self.is_generated(path);
        self.record(path, Some(current), content, Change::Update, generated);
        Ok(())
    }

    /// Whether `path` is planned with content that is all the command's own.
    fn is_generated(&self, path: &str) -> bool {
        self.files
            .get(path)
            .is_some_and(|planned| planned.generated)
    }

    /// Plans `content` for `path`. `on_disk` is what is there now unless the path was planned
    /// before, in which case the first plan's record of the disk is kept.
    fn record(
        &mut self,
        path: &str,
        on_disk: Option<String>,
        content: String,
        change: Change,
        generated: bool,
    ) {
        let original = self
            .files
            .remove(path)
            .map_or(on_disk, |planned| planned.original);
        let change = reconcile_change(&original, &content, change);
        self.files.insert(
            path.to_string(),
            PlannedFile {
                original,
                content,
                change,
                generated,
            },
        );
    }

    /// Plans `path` without the lines an insertion of `fragment` added, if it exists.
    pub fn remove_insertion(&mut self, path: &str, fragment: &str) -> Result<()> {
        if let Some(current) = self.current(path)? {
            let content = markers::remove(&current, fragment);
            let generated = self.is_generated(path);
            self.record(path, Some(current), content, Change::Update, generated);
        }
        Ok(())
    }

    /// Plans the removal of `path`, if it exists on disk (a file only planned is dropped).
    pub fn remove_file(&mut self, path: &str) -> Result<()> {
        let original = match self.files.remove(path) {
            Some(planned) => planned.original,
            None => self.on_disk(path)?,
        };
        if original.is_some() {
            self.files.insert(
                path.to_string(),
                PlannedFile {
                    original,
                    content: String::new(),
                    change: Change::Delete,
                    generated: false,
                },
            );
        }
        Ok(())
    }

    /// Whether `path` is planned for removal.
    pub fn is_removed(&self, path: &str) -> bool {
        self.files
            .get(path)
            .is_some_and(|planned| planned.change == Change::Delete)
    }

    /// The content `path` will have: planned, or on disk, or `None` if it exists nowhere.
    pub fn current(&self, path: &str) -> Result<Option<String>> {
        if let Some(planned) = self.files.get(path) {
            if planned.change == Change::Delete {
                return Ok(None);
            }
            return Ok(Some(planned.content.clone()));
        }
        self.on_disk(path)
    }

    /// What `path` holds on disk now. Every path reaches the plan through here first, so this
    /// is where it is checked to stay inside the project.
    fn on_disk(&self, path: &str) -> Result<Option<String>> {
        check_relative(path)?;
        self.check_links(path)?;
        read_text(&self.root.join(path), path, read::PROJECT_SOURCE)
    }

    /// Refuses `path` if a symbolic link on its way (a folder of it, or the file itself) leads
    /// out of the project or nowhere: reading would read a file that is not the project's, and
    /// writing would write there. A link that stays inside the project is followed.
    fn check_links(&self, path: &str) -> Result<()> {
        let Some(resolved_root) = &self.resolved_root else {
            return Ok(());
        };
        let mut on_disk = self.root.clone();
        let mut link = PathBuf::new();
        for component in Path::new(path).components() {
            on_disk.push(component);
            link.push(component);
            let Ok(metadata) = fs::symlink_metadata(&on_disk) else {
                return Ok(()); // nothing further exists, so nothing further can lead away
            };
            if !metadata.file_type().is_symlink() {
                continue;
            }
            let is_the_file = link == Path::new(path);
            let replacement = if is_the_file {
                "a copy of the file"
            } else {
                "a folder"
            };
            let link = link.display();
            let target = match fs::canonicalize(&on_disk) {
                Ok(target) if target.starts_with(resolved_root) => continue,
                Ok(target) => target,
                Err(_) => {
                    let target = fs::read_link(&on_disk).unwrap_or_default();
                    let replacement = if is_the_file { "the file" } else { "a folder" };
                    bail!(
                        "`{link}` is a symbolic link to `{}`, which does not exist; cargo-operator reads and writes only inside the project: replace the link with {replacement}",
                        target.display()
                    );
                }
            };
            let target = target.display();
            if is_the_file {
                bail!(
                    "`{path}` is a symbolic link to `{target}`, outside the project; cargo-operator reads and writes only inside the project: replace the link with {replacement}"
                );
            }
            bail!(
                "`{path}` is in `{link}`, a symbolic link to `{target}`, outside the project; cargo-operator reads and writes only inside the project: replace the link with {replacement}"
            );
        }
        Ok(())
    }

    /// Every file that applying removes, with what it holds now.
    pub fn removals(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files
            .iter()
            .filter(|(_, planned)| planned.change == Change::Delete)
            .map(|(path, planned)| (path.as_str(), planned.original.as_deref().unwrap_or("")))
    }

    /// Every planned file, in path order.
    pub fn files(&self) -> impl Iterator<Item = PlannedView<'_>> {
        self.files.iter().map(|(path, planned)| PlannedView {
            path,
            original: planned.original.as_deref(),
            content: &planned.content,
            change: planned.change,
            generated: planned.generated,
        })
    }

    /// Every planned path with what applying will do to it, in path order.
    pub fn changes(&self) -> Vec<(&str, Change)> {
        self.files
            .iter()
            .map(|(path, planned)| (path.as_str(), planned.change))
            .collect()
    }

    /// Every file that applying creates or changes: its path, what is on disk now (`None` for a
    /// new file) and what will be.
    pub fn writes(&self) -> impl Iterator<Item = (&str, Option<&str>, &str)> {
        self.files
            .iter()
            .filter(|(_, planned)| matches!(planned.change, Change::Create | Change::Update))
            .map(|(path, planned)| {
                (
                    path.as_str(),
                    planned.original.as_deref(),
                    planned.content.as_str(),
                )
            })
    }

    /// Replaces the planned content of `path` (after formatting), keeping what it replaces on disk.
    pub fn replace_content(&mut self, path: &str, content: String) {
        if let Some(planned) = self.files.get_mut(path) {
            planned.change = reconcile_change(&planned.original, &content, planned.change);
            planned.content = content;
        }
    }

    /// Writes every created or updated file and removes every file planned for removal (and
    /// the folders that leaves empty). On the first failure, undoes what it already did
    /// (restoring originals, removing new files and the folders made for them) and returns it.
    pub fn apply(&self) -> Result<()> {
        let mut journal = Journal::default();
        for (path, planned) in &self.files {
            let done = match planned.change {
                Change::Create | Change::Update => {
                    write_one(&self.root, path, planned, &mut journal)
                }
                Change::Delete => remove_one(&self.root, path, planned, &mut journal),
                Change::Unchanged | Change::Skip => Ok(()),
            };
            if let Err(err) = done {
                journal.roll_back();
                return Err(err);
            }
        }
        Ok(())
    }
}

/// A file planned twice (written, then inserted into) ends with the change its final content
/// makes to what was on disk.
fn reconcile_change(original: &Option<String>, content: &str, planned: Change) -> Change {
    match original {
        None => Change::Create,
        Some(existing) if existing == content && planned != Change::Skip => Change::Unchanged,
        Some(_) => planned,
    }
}

/// Refuses absolute paths and `..`, so no value from the command line can write outside the
/// project even if a check upstream is missed.
fn check_relative(path: &str) -> Result<()> {
    let escapes = Path::new(path)
        .components()
        .any(|c| !matches!(c, Component::Normal(_)));
    if path.is_empty() || escapes {
        bail!("refusing to write `{path}`: generated paths must stay inside the project");
    }
    Ok(())
}

/// What `apply` has done so far, newest last, so it can be undone in reverse.
#[derive(Default)]
struct Journal {
    created_dirs: Vec<PathBuf>,
    created_files: Vec<PathBuf>,
    replaced_files: Vec<(PathBuf, String)>,
    removed_dirs: Vec<PathBuf>,
}

impl Journal {
    fn roll_back(&self) {
        // Best effort: the original error is what the user needs to see.
        for dir in self.removed_dirs.iter().rev() {
            let _ = fs::create_dir(dir);
        }
        for (path, original) in self.replaced_files.iter().rev() {
            let _ = fs::write(path, original);
        }
        for path in self.created_files.iter().rev() {
            let _ = fs::remove_file(path);
        }
        for dir in self.created_dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

fn write_one(root: &Path, path: &str, planned: &PlannedFile, journal: &mut Journal) -> Result<()> {
    let target = root.join(path);
    let parent = target.parent().unwrap_or(root);
    let missing_dirs: Vec<PathBuf> = parent
        .ancestors()
        .take_while(|dir| !dir.exists())
        .map(Path::to_path_buf)
        .collect();
    for dir in missing_dirs.into_iter().rev() {
        fs::create_dir(&dir)
            .with_context(|| format!("cannot create folder `{}`", dir.display()))?;
        journal.created_dirs.push(dir);
    }
    // Write beside the target and rename, so a crash mid-write never leaves half a file.
    let staging = target.with_file_name(format!(
        ".{}.cargo-operator-tmp",
        target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("file")
    ));
    // A stale staging file (or a link planted under its name) is removed, never written through.
    let _ = fs::remove_file(&staging);
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&staging)
        .and_then(|mut file| file.write_all(planned.content.as_bytes()));
    if let Err(err) = written {
        let _ = fs::remove_file(&staging);
        return Err(err).with_context(|| format!("cannot write `{}`", target.display()));
    }
    if let Err(err) = fs::rename(&staging, &target) {
        let _ = fs::remove_file(&staging);
        return Err(err).with_context(|| format!("cannot write `{}`", target.display()));
    }
    match &planned.original {
        None => journal.created_files.push(target),
        Some(original) => journal.replaced_files.push((target, original.clone())),
    }
    Ok(())
}

/// Removes one file, then each folder above it that it leaves empty, short of the root.
fn remove_one(root: &Path, path: &str, planned: &PlannedFile, journal: &mut Journal) -> Result<()> {
    let target = root.join(path);
    fs::remove_file(&target).with_context(|| format!("cannot delete `{}`", target.display()))?;
    // Restoring a removed file is a write of its original content.
    journal
        .replaced_files
        .push((target.clone(), planned.original.clone().unwrap_or_default()));
    for dir in target.ancestors().skip(1).take_while(|dir| *dir != root) {
        if fs::remove_dir(dir).is_err() {
            break; // not empty
        }
        journal.removed_dirs.push(dir.to_path_buf());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HINT: &str = "move it away, or pass `--force` to overwrite it";

    fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<String>> {
        let mut entries = BTreeMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(current) = stack.pop() {
            for entry in fs::read_dir(&current).unwrap() {
                let path = entry.unwrap().path();
                let relative = path.strip_prefix(dir).unwrap().to_path_buf();
                if path.is_dir() {
                    entries.insert(relative, None);
                    stack.push(path);
                } else {
                    entries.insert(relative, Some(fs::read_to_string(&path).unwrap()));
                }
            }
        }
        entries
    }

    #[test]
    fn writes_new_files_and_folders() {
        let dir = tempfile::tempdir().unwrap();
        let mut plan = Plan::new(dir.path(), HINT);
        plan.add_file("a/b/c.txt", "hello\n".into(), IfExists::Error)
            .unwrap();
        plan.apply().unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("a/b/c.txt")).unwrap(),
            "hello\n"
        );
        assert_eq!(plan.changes(), vec![("a/b/c.txt", Change::Create)]);
    }

    #[test]
    fn existing_files_follow_their_policy() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("same.txt"), "x").unwrap();
        fs::write(dir.path().join("mine.txt"), "user").unwrap();
        let mut plan = Plan::new(dir.path(), HINT);
        plan.add_file("same.txt", "x".into(), IfExists::Error)
            .unwrap();
        plan.add_file("mine.txt", "generated".into(), IfExists::Skip)
            .unwrap();
        let err = plan
            .add_file("mine.txt", "generated".into(), IfExists::Error)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`mine.txt` already exists; move it away, or pass `--force` to overwrite it"
        );
        plan.apply().unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("mine.txt")).unwrap(),
            "user"
        );
        assert_eq!(
            plan.changes(),
            vec![("mine.txt", Change::Skip), ("same.txt", Change::Unchanged)]
        );

        let mut plan = Plan::new(dir.path(), HINT);
        plan.add_file("mine.txt", "generated".into(), IfExists::Overwrite)
            .unwrap();
        plan.apply().unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("mine.txt")).unwrap(),
            "generated"
        );
    }

    #[test]
    fn insertion_into_a_planned_file_counts_as_creation() {
        let dir = tempfile::tempdir().unwrap();
        let mut plan = Plan::new(dir.path(), HINT);
        plan.add_file("mod.rs", "// +operator:scaffold:m\n".into(), IfExists::Skip)
            .unwrap();
        plan.insert_at_marker("mod.rs", "// +operator:scaffold:m", "pub mod foo;")
            .unwrap();
        assert_eq!(plan.changes(), vec![("mod.rs", Change::Create)]);
        plan.apply().unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("mod.rs")).unwrap(),
            "pub mod foo;\n// +operator:scaffold:m\n"
        );
        let mut again = Plan::new(dir.path(), HINT);
        again
            .insert_at_marker("mod.rs", "// +operator:scaffold:m", "pub mod foo;")
            .unwrap();
        assert_eq!(again.changes(), vec![("mod.rs", Change::Unchanged)]);
    }

    #[test]
    fn a_failed_write_leaves_the_tree_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("existing.txt"), "original").unwrap();
        // A plain file where a folder is needed makes the last write fail, after the others.
        fs::write(dir.path().join("zz"), "in the way").unwrap();
        let before = snapshot(dir.path());

        let mut plan = Plan::new(dir.path(), HINT);
        plan.add_file("existing.txt", "changed".into(), IfExists::Overwrite)
            .unwrap();
        plan.add_file("new/deep/file.txt", "new".into(), IfExists::Error)
            .unwrap();
        plan.add_file("zz/file.txt", "blocked".into(), IfExists::Error)
            .unwrap();
        let err = plan.apply().unwrap_err();
        assert!(format!("{err:#}").starts_with("cannot write `"), "{err:#}");
        assert_eq!(snapshot(dir.path()), before);
    }

    #[test]
    fn removals_take_empty_folders_and_roll_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("a/b")).unwrap();
        fs::write(dir.path().join("a/b/gone.txt"), "bye").unwrap();
        fs::write(dir.path().join("a/kept.txt"), "stay").unwrap();
        fs::write(dir.path().join("zz"), "in the way").unwrap();
        let before = snapshot(dir.path());

        let mut plan = Plan::new(dir.path(), HINT);
        plan.remove_file("a/b/gone.txt").unwrap();
        plan.remove_file("not/there.txt").unwrap();
        assert_eq!(plan.changes(), vec![("a/b/gone.txt", Change::Delete)]);
        assert_eq!(plan.current("a/b/gone.txt").unwrap(), None);
        plan.add_file("zz/file.txt", "blocked".into(), IfExists::Error)
            .unwrap();
        assert!(plan.apply().is_err());
        assert_eq!(snapshot(dir.path()), before);

        let mut plan = Plan::new(dir.path(), HINT);
        plan.remove_file("a/b/gone.txt").unwrap();
        plan.apply().unwrap();
        assert!(!dir.path().join("a/b").exists());
        assert!(dir.path().join("a/kept.txt").exists());
    }

    #[test]
    fn paths_cannot_escape_the_project() {
        let dir = tempfile::tempdir().unwrap();
        let mut plan = Plan::new(dir.path(), HINT);
        for path in ["../evil", "/etc/passwd", "a/../../b", ""] {
            let err = plan
                .add_file(path, String::new(), IfExists::Error)
                .unwrap_err();
            assert!(
                err.to_string().contains("must stay inside the project"),
                "{path}: {err}"
            );
        }
    }

    #[test]
    fn a_missing_marker_names_the_file_and_the_marker() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("lib.rs"), "pub mod api;\n").unwrap();
        let mut plan = Plan::new(dir.path(), HINT);
        let err = plan
            .insert_at_marker("lib.rs", "// +operator:scaffold:modules", "pub mod foo;")
            .unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "cannot add to `lib.rs`: marker line `// +operator:scaffold:modules` is missing; put it back where new code should go"
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_project_are_refused_before_anything_is_written() {
        use std::os::unix::fs::symlink;
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("mod.rs"), "// +operator:scaffold:m\n").unwrap();
        let target = fs::canonicalize(outside.path()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("src")).unwrap();
        symlink(outside.path(), dir.path().join("config")).unwrap();
        symlink(outside.path().join("mod.rs"), dir.path().join("src/mod.rs")).unwrap();
        let before = (snapshot(dir.path()), snapshot(outside.path()));

        let mut plan = Plan::new(dir.path(), HINT);
        plan.add_file("README.md", "fine".into(), IfExists::Error)
            .unwrap();
        let in_linked_folder = format!(
            "`config/crd/x.yaml` is in `config`, a symbolic link to `{}`, outside the project; cargo-operator reads and writes only inside the project: replace the link with a folder",
            target.display()
        );
        let err = plan
            .add_file("config/crd/x.yaml", "x".into(), IfExists::Overwrite)
            .unwrap_err();
        assert_eq!(err.to_string(), in_linked_folder);
        let linked_file = format!(
            "`src/mod.rs` is a symbolic link to `{}/mod.rs`, outside the project; cargo-operator reads and writes only inside the project: replace the link with a copy of the file",
            target.display()
        );
        for err in [
            plan.current("src/mod.rs").unwrap_err(),
            plan.insert_at_marker("src/mod.rs", "// +operator:scaffold:m", "pub mod foo;")
                .unwrap_err(),
            plan.remove_insertion("src/mod.rs", "pub mod foo;")
                .unwrap_err(),
            plan.remove_file("src/mod.rs").unwrap_err(),
        ] {
            assert_eq!(err.to_string(), linked_file);
        }
        assert_eq!((snapshot(dir.path()), snapshot(outside.path())), before);
    }

    #[cfg(unix)]
    #[test]
    fn links_inside_the_project_are_followed_and_dangling_ones_refused() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("shared")).unwrap();
        fs::write(dir.path().join("shared/kustomization.yaml"), "resources:\n").unwrap();
        symlink("shared", dir.path().join("config")).unwrap();
        symlink(
            "../shared/kustomization.yaml",
            dir.path().join("shared/alias.yaml"),
        )
        .unwrap();
        let mut plan = Plan::new(dir.path(), HINT);
        assert_eq!(
            plan.current("config/alias.yaml").unwrap().as_deref(),
            Some("resources:\n")
        );
        plan.add_file("config/new.yaml", "new".into(), IfExists::Error)
            .unwrap();
        plan.apply().unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("shared/new.yaml")).unwrap(),
            "new"
        );

        symlink("nowhere", dir.path().join("gone")).unwrap();
        let err = plan
            .add_file("gone/file.txt", "x".into(), IfExists::Error)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`gone` is a symbolic link to `nowhere`, which does not exist; cargo-operator reads and writes only inside the project: replace the link with a folder"
        );
    }

    #[test]
    fn a_folder_where_a_file_is_expected_is_named() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("config/rbac/role.yaml")).unwrap();
        let plan = Plan::new(dir.path(), HINT);
        assert_eq!(
            plan.current("config/rbac/role.yaml")
                .unwrap_err()
                .to_string(),
            "`config/rbac/role.yaml` is a folder, not a file; move it out of the project, or restore the generated file"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_link_planted_as_the_staging_file_is_not_written_through() {
        use std::os::unix::fs::symlink;
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("victim"), "keep").unwrap();
        let dir = tempfile::tempdir().unwrap();
        symlink(
            outside.path().join("victim"),
            dir.path().join(".new.txt.cargo-operator-tmp"),
        )
        .unwrap();
        let mut plan = Plan::new(dir.path(), HINT);
        plan.add_file("new.txt", "new".into(), IfExists::Error)
            .unwrap();
        plan.apply().unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("new.txt")).unwrap(),
            "new"
        );
        assert_eq!(
            fs::read_to_string(outside.path().join("victim")).unwrap(),
            "keep"
        );
        assert!(!dir.path().join(".new.txt.cargo-operator-tmp").exists());
    }
}
