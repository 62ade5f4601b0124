//! What `cargo operator update` does to one file, from three versions of it: the base (what the
//! version that made the project renders), the user's (what the project holds) and the new
//! (what this version renders).
//!
//! A file nobody edited becomes the new version; an edited one the new version does not change
//! stays as it is; an edited one it changes too is merged, and where both changed the same
//! lines, the file stays the user's and the conflict is reported. Conflict markers never reach
//! the project: they are only parsed here, into hunks to show.

use diffy::{ConflictStyle, IncompleteHunkStyle, MergeOptions};

use crate::model::hashes;

/// What happens to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The project already holds the new version, or no version has the file.
    Same,
    /// New in this version: written.
    Create(String),
    /// Never edited: replaced by the new version.
    Replace(String),
    /// Never edited, and the new version has no such file: deleted.
    Delete,
    /// Edited (or deleted) by its user, and the new version changes nothing in it, or no longer
    /// writes it: left as it is.
    Keep,
    /// Edited, and the new version's changes merge with the edits: the merge.
    Merge(String),
    /// Edited where the new version changes it too: left as it is, with the hunks to show.
    Conflict(Vec<ConflictHunk>),
}

/// One place where the user's file and the new version differ from the base in the same lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictHunk {
    /// The user's lines there (empty when the user deleted the file).
    pub yours: String,
    /// The new version's lines there.
    pub new: String,
}

/// Decides what to do with a file. `recorded` is the hash `PROJECT.toml` keeps of it as last
/// written, which also counts as untouched when the base renders differently (commands run in
/// another order than the user ran them).
pub fn decide(
    base: Option<&str>,
    yours: Option<&str>,
    new: Option<&str>,
    recorded: Option<&str>,
) -> Action {
    if yours == new {
        return Action::Same;
    }
    let Some(yours) = yours else {
        return match (base, new) {
            (_, None) => Action::Same,
            (None, Some(new)) => Action::Create(new.to_string()),
            // Deleted by its user: stays deleted unless the new version changes it.
            (Some(base), Some(new)) if base == new => Action::Keep,
            (Some(_), Some(new)) => Action::Conflict(vec![ConflictHunk {
                yours: String::new(),
                new: new.to_string(),
            }]),
        };
    };
    let untouched =
        base == Some(yours) || recorded.is_some_and(|hash| hashes::matches(hash, yours));
    match (untouched, new) {
        (true, Some(new)) => Action::Replace(new.to_string()),
        (true, None) => Action::Delete,
        (false, None) => Action::Keep,
        (false, Some(new)) if base == Some(new) => Action::Keep,
        (false, Some(new)) => match merge(base.unwrap_or_default(), yours, new) {
            Ok(merged) if merged == yours => Action::Keep,
            Ok(merged) => Action::Merge(merged),
            Err(hunks) => Action::Conflict(hunks),
        },
    }
}

/// Markers long enough never to be mistaken for a line of the files themselves.
const MARKER_LENGTH: usize = 23;

/// The three-way merge of `yours` and `new` from `base`, or the conflicting hunks. Where both
/// changed the same lines but yours already hold the new version's lines (a conflict resolved
/// by hand, keeping something of one's own beside them), yours win.
pub fn merge(base: &str, yours: &str, new: &str) -> Result<String, Vec<ConflictHunk>> {
    let mut options = MergeOptions::new();
    options
        .set_conflict_style(ConflictStyle::Merge)
        .set_conflict_marker_length(MARKER_LENGTH)
        .set_incomplete_hunk_style(IncompleteHunkStyle::Git);
    let marked = match options.merge(base, yours, new) {
        Ok(merged) => return Ok(merged),
        Err(marked) => marked,
    };
    let (merged, hunks) = resolve(&marked);
    let unresolved: Vec<ConflictHunk> = hunks
        .into_iter()
        .filter(|hunk| !holds_lines(&hunk.yours, &hunk.new))
        .collect();
    if unresolved.is_empty() {
        Ok(merged)
    } else {
        Err(unresolved)
    }
}

/// Whether `yours` holds every line of `new`, in a row (and `new` has some: a deletion by the
/// new version is never taken as done).
fn holds_lines(yours: &str, new: &str) -> bool {
    let yours: Vec<&str> = yours.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    !new.is_empty()
        && yours
            .windows(new.len())
            .any(|window| window == new.as_slice())
}

/// The merge with each conflict resolved to the user's side, and the conflicts' hunks.
fn resolve(marked: &str) -> (String, Vec<ConflictHunk>) {
    let marker = |c: char| c.to_string().repeat(MARKER_LENGTH);
    let (start, middle, end) = (marker('<'), marker('='), marker('>'));
    let mut merged = String::with_capacity(marked.len());
    let mut hunks = Vec::new();
    let mut current: Option<(String, Option<String>)> = None;
    for line in marked.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        match current.as_mut() {
            None if bare.starts_with(&start) => current = Some((String::new(), None)),
            None => merged.push_str(line),
            Some((_, theirs @ None)) if bare == middle => *theirs = Some(String::new()),
            Some((yours, theirs)) if bare.starts_with(&end) => {
                merged.push_str(yours);
                hunks.push(ConflictHunk {
                    yours: std::mem::take(yours),
                    new: theirs.take().unwrap_or_default(),
                });
                current = None;
            }
            Some((yours, None)) => yours.push_str(line),
            Some((_, Some(theirs))) => theirs.push_str(line),
        }
    }
    (merged, hunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "one\ntwo\nthree\nfour\nfive\nsix\n";

    #[test]
    fn untouched_files_follow_the_new_version() {
        let new = "one\ntwo\nTHREE\nfour\nfive\nsix\n";
        assert_eq!(
            decide(Some(BASE), Some(BASE), Some(new), None),
            Action::Replace(new.into())
        );
        assert_eq!(decide(Some(BASE), Some(BASE), None, None), Action::Delete);
        assert_eq!(
            decide(None, None, Some(new), None),
            Action::Create(new.into())
        );
        assert_eq!(decide(Some(BASE), Some(new), Some(new), None), Action::Same);
        // The base renders otherwise, but the recorded hash vouches for the file.
        let written = "as written\n";
        assert_eq!(
            decide(
                Some(BASE),
                Some(written),
                Some(new),
                Some(&hashes::of(written))
            ),
            Action::Replace(new.into())
        );
    }

    #[test]
    fn edits_are_kept_merged_or_reported() {
        let yours = "ONE\ntwo\nthree\nfour\nfive\nsix\n";
        assert_eq!(
            decide(Some(BASE), Some(yours), Some(BASE), None),
            Action::Keep
        );
        assert_eq!(decide(Some(BASE), Some(yours), None, None), Action::Keep);
        assert_eq!(decide(Some(BASE), None, Some(BASE), None), Action::Keep);

        let new = "one\ntwo\nthree\nfour\nfive\nSIX\n";
        assert_eq!(
            decide(Some(BASE), Some(yours), Some(new), None),
            Action::Merge("ONE\ntwo\nthree\nfour\nfive\nSIX\n".into())
        );

        let new = "uno\ntwo\nthree\nfour\nfive\nSIX\n";
        assert_eq!(
            decide(Some(BASE), Some(yours), Some(new), None),
            Action::Conflict(vec![ConflictHunk {
                yours: "ONE\n".into(),
                new: "uno\n".into(),
            }])
        );
        assert_eq!(
            decide(Some(BASE), None, Some(new), None),
            Action::Conflict(vec![ConflictHunk {
                yours: String::new(),
                new: new.into(),
            }])
        );
    }

    #[test]
    fn a_conflict_resolved_by_hand_merges() {
        // The user took the new version's line and kept their own beside it.
        let yours = "one\nuno\nmine\nthree\nfour\nfive\nsix\n";
        let new = "one\nuno\nthree\nfour\nfive\nSIX\n";
        let base = "one\ntwo\nthree\nfour\nfive\nsix\n";
        assert_eq!(
            decide(Some(base), Some(yours), Some(new), None),
            Action::Merge("one\nuno\nmine\nthree\nfour\nfive\nSIX\n".into())
        );
        // Lines the new version deletes are not taken as resolved.
        assert!(matches!(
            decide(
                Some(base),
                Some("one\n2\nthree\nfour\nfive\nsix\n"),
                Some("one\nthree\nfour\nfive\nsix\n"),
                None
            ),
            Action::Conflict(_)
        ));
    }

    #[test]
    fn marker_lines_in_the_files_do_not_confuse_the_hunks() {
        let base = "<<<<<<< mine\na\n=======\n";
        let yours = "<<<<<<< mine\nb\n=======\n";
        let new = "<<<<<<< mine\nc\n=======\n";
        assert_eq!(
            merge(base, yours, new),
            Err(vec![ConflictHunk {
                yours: "b\n".into(),
                new: "c\n".into(),
            }])
        );
    }
}
