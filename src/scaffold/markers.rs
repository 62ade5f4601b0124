//! Marker comments: the lines in generated files above which later commands add code.
//!
//! A marker is a whole line, `# +operator:scaffold:<name>`, in a YAML file the user may add lines
//! to too (a kustomization). Rust files are never edited this way: the files that list modules
//! and controllers are rendered whole (see `scaffold::registry`). The template that owns a file
//! writes the marker; commands name it through the constants here, so both sides agree. Inserting a fragment that is already present does
//! nothing, which makes every command safe to re-run.

use anyhow::{Result, bail};

/// CRD files in `config/crd/kustomization.yaml`.
pub const CRD_KUSTOMIZE: &str = "# +operator:scaffold:crdkustomizeresource";
/// Editor and viewer roles in `config/rbac/kustomization.yaml`.
pub const RBAC_KUSTOMIZE: &str = "# +operator:scaffold:rbac";
/// Sample files in `config/samples/Kustomization`.
pub const SAMPLES_KUSTOMIZE: &str = "# +operator:scaffold:manifestskustomizesamples";

/// The manager container's environment in `config/manager/manager.yaml`: the image each kind
/// made by `create api --image` deploys.
pub const MANAGER_ENV: &str = "# +operator:scaffold:manager-env";

/// What `config/default/kustomization.yaml` deploys, in its `resources:`.
pub const DEFAULT_RESOURCES: &str = "# +operator:scaffold:default-resources";
/// The manager's patches in `config/default/kustomization.yaml`.
pub const DEFAULT_PATCHES: &str = "# +operator:scaffold:default-patches";
/// The `replacements:` that inject cert-manager's CA, in `config/default/kustomization.yaml`.
pub const CA_INJECTION: &str = "# +operator:scaffold:ca-injection";
/// The policies in `config/network-policy/kustomization.yaml`.
pub const NETWORK_POLICY: &str = "# +operator:scaffold:network-policy";
/// The webhook configurations in `config/webhook/kustomization.yaml`.
pub const WEBHOOK_MANIFESTS: &str = "# +operator:scaffold:webhook-manifests";

/// Every marker by the name templates write it with, `{{ markers.crd_kustomize }}`, so a
/// marker's text is spelled once, here.
pub const ALL: &[(&str, &str)] = &[
    ("crd_kustomize", CRD_KUSTOMIZE),
    ("rbac_kustomize", RBAC_KUSTOMIZE),
    ("samples_kustomize", SAMPLES_KUSTOMIZE),
    ("manager_env", MANAGER_ENV),
    ("default_resources", DEFAULT_RESOURCES),
    ("default_patches", DEFAULT_PATCHES),
    ("ca_injection", CA_INJECTION),
    ("network_policy", NETWORK_POLICY),
    ("webhook_manifests", WEBHOOK_MANIFESTS),
];

/// Returns `content` with `fragment` inserted above the `marker` line, indented like the marker.
/// A fragment whose lines all already appear (trimmed) in order is left out.
pub fn insert(content: &str, marker: &str, fragment: &str) -> Result<String> {
    let Some(marker_line) = content.lines().position(|line| line.trim() == marker) else {
        bail!(
            "marker line `{marker}` is missing; put it back {}",
            where_it_goes(marker)
        );
    };
    if is_present(content, fragment) {
        return Ok(content.to_string());
    }
    let lines: Vec<&str> = content.lines().collect();
    let marker_text = lines[marker_line];
    let indent = &marker_text[..marker_text.len() - marker_text.trim_start().len()];
    // Right above the marker: the lists keep the order in which things were created.
    let at = marker_line;
    let mut out = String::with_capacity(content.len() + fragment.len() + 16);
    for line in &lines[..at] {
        out.push_str(line);
        out.push('\n');
    }
    for line in fragment.lines() {
        if !line.trim().is_empty() {
            out.push_str(indent);
            out.push_str(line);
        }
        out.push('\n');
    }
    for line in &lines[at..] {
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}

/// Where a missing marker line belongs, for the message that asks for it back. Projects made
/// before a marker existed lack it, so their users need to know where to put it.
fn where_it_goes(marker: &str) -> &'static str {
    match marker {
        MANAGER_ENV => "as the last line of the manager container's `env:` list",
        _ => "where new code should go",
    }
}

/// Returns `content` without the lines `insert` added for `fragment`, the undoing of an
/// insertion. Where the fragment's lines still stand together (matched trimmed), that block goes;
/// otherwise (the user moved some) each line that occurs exactly once goes. A line of a YAML block
/// such as `  targets:` occurs in several blocks, and which one is the fragment's can only be told
/// from its neighbours, so it is never removed on its own.
pub fn remove(content: &str, fragment: &str) -> String {
    let wanted: Vec<&str> = fragment
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let lines: Vec<&str> = content.lines().collect();
    // Indexes of the non-blank lines, so a block matches across nothing but its own lines.
    let filled: Vec<usize> = (0..lines.len())
        .filter(|&i| !lines[i].trim().is_empty())
        .collect();
    let mut removed = vec![false; lines.len()];
    let block = (!wanted.is_empty())
        .then(|| {
            filled.windows(wanted.len()).find(|window| {
                window
                    .iter()
                    .zip(&wanted)
                    .all(|(&i, w)| lines[i].trim() == *w)
            })
        })
        .flatten();
    match block {
        Some(window) => window.iter().for_each(|&i| removed[i] = true),
        None => {
            for w in &wanted {
                let mut at = (0..lines.len()).filter(|&i| lines[i].trim() == *w);
                if let (Some(only), None) = (at.next(), at.next()) {
                    removed[only] = true;
                }
            }
        }
    }
    let mut out = String::with_capacity(content.len());
    for (line, removed) in lines.iter().zip(removed) {
        if !removed {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// True when the fragment's non-blank lines appear as consecutive lines of `content`, ignoring
/// indentation: the test for "this was inserted before".
fn is_present(content: &str, fragment: &str) -> bool {
    let wanted: Vec<&str> = fragment
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if wanted.is_empty() {
        return true;
    }
    let have: Vec<&str> = content
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    have.windows(wanted.len())
        .any(|window| window == wanted.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str =
        "resources:\n- bases/a.yaml\n# +operator:scaffold:crdkustomizeresource\n\nlabels: []\n";

    #[test]
    fn inserts_above_the_marker() {
        let out = insert(FILE, CRD_KUSTOMIZE, "- bases/b.yaml").unwrap();
        assert_eq!(
            out,
            "resources:\n- bases/a.yaml\n- bases/b.yaml\n# +operator:scaffold:crdkustomizeresource\n\nlabels: []\n"
        );
    }

    #[test]
    fn multi_line_fragments_take_the_marker_indent() {
        let file = "spec:\n  items:\n  # +operator:scaffold:rbac\n";
        let out = insert(file, RBAC_KUSTOMIZE, "- a.yaml\n- b.yaml").unwrap();
        assert_eq!(
            out,
            "spec:\n  items:\n  - a.yaml\n  - b.yaml\n  # +operator:scaffold:rbac\n"
        );
    }

    #[test]
    fn inserting_twice_is_a_no_op() {
        let once = insert(FILE, CRD_KUSTOMIZE, "- bases/b.yaml").unwrap();
        let twice = insert(&once, CRD_KUSTOMIZE, "- bases/b.yaml").unwrap();
        assert_eq!(once, twice);
        // Already-present lines that the user re-indented still count.
        assert_eq!(
            insert(FILE, CRD_KUSTOMIZE, "  - bases/a.yaml").unwrap(),
            FILE
        );
    }

    #[test]
    fn removal_undoes_an_insertion() {
        let inserted = insert(FILE, CRD_KUSTOMIZE, "- bases/b.yaml").unwrap();
        assert_eq!(remove(&inserted, "- bases/b.yaml"), FILE);
        assert_eq!(remove(FILE, "- bases/b.yaml"), FILE);
    }

    #[test]
    fn removal_takes_the_block_whose_lines_other_blocks_share() {
        let file = "replacements:\n# +operator:scaffold:ca-injection\n";
        let first = "- source: a\n  targets:\n  - select: one";
        let second = "- source: a\n  targets:\n  - select: two";
        let both = insert(file, CA_INJECTION, first).unwrap();
        let both = insert(&both, CA_INJECTION, second).unwrap();
        assert_eq!(
            remove(&both, second),
            insert(file, CA_INJECTION, first).unwrap()
        );
        assert_eq!(
            remove(&both, first),
            insert(file, CA_INJECTION, second).unwrap()
        );
        // Lines the user separated go one by one, but never a line another block has too.
        let moved = "- source: a\n  targets:\n  - select: one\n- source: a\n- other\n  - select: two\n  targets:\n";
        assert_eq!(
            remove(moved, second),
            "- source: a\n  targets:\n  - select: one\n- source: a\n- other\n  targets:\n"
        );
    }

    #[test]
    fn missing_marker_is_an_error() {
        let err = insert("resources: []\n", SAMPLES_KUSTOMIZE, "- a.yaml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "marker line `# +operator:scaffold:manifestskustomizesamples` is missing; put it back where new code should go"
        );
    }
}
