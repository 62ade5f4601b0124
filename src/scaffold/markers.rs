//! Marker comments: the lines in generated files above which later commands add code.
//!
//! A marker is a whole line, `// +operator:scaffold:<name>` in Rust or `# +operator:scaffold:<name>`
//! in YAML. The template that owns a file writes the marker; commands name it through the
//! constants here, so both sides agree. Inserting a fragment that is already present does
//! nothing, which makes every command safe to re-run.

use anyhow::{Result, bail};

/// `pub mod v1;` lines in `src/api/mod.rs`.
pub const API_VERSIONS: &str = "// +operator:scaffold:api-versions";
/// CRD functions in `src/api/mod.rs`.
pub const CRDS: &str = "// +operator:scaffold:crds";
/// `pub mod foo;` lines in `src/api/<version>/mod.rs`.
pub const KIND_MODULES: &str = "// +operator:scaffold:kind-modules";
/// `pub use foo::{Foo, FooSpec, FooStatus};` lines in `src/api/<version>/mod.rs`.
pub const KIND_EXPORTS: &str = "// +operator:scaffold:kind-exports";
/// `pub mod foo;` lines in `src/controllers/mod.rs`.
pub const CONTROLLER_MODULES: &str = "// +operator:scaffold:controller-modules";
/// Controllers started by the manager, in `src/controllers/mod.rs`.
pub const CONTROLLERS: &str = "// +operator:scaffold:controllers";
/// RBAC rules of each controller, in `src/controllers/mod.rs`.
pub const RBAC_RULES: &str = "// +operator:scaffold:rbac-rules";
/// CRD files in `config/crd/kustomization.yaml`.
pub const CRD_KUSTOMIZE: &str = "# +operator:scaffold:crdkustomizeresource";
/// Editor and viewer roles in `config/rbac/kustomization.yaml`.
pub const RBAC_KUSTOMIZE: &str = "# +operator:scaffold:rbac";
/// Sample files in `config/samples/kustomization.yaml`.
pub const SAMPLES_KUSTOMIZE: &str = "# +operator:scaffold:manifestskustomizesamples";

/// Where a fragment goes in the lines above its marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Right above the marker: lists whose order is the order of creation.
    Last,
    /// Among the lines right above the marker, in rustfmt's order: `mod` and `use` lines, which
    /// `cargo fmt` would otherwise reorder.
    Sorted,
}

/// Returns `content` with `fragment` inserted above the `marker` line, indented like the marker.
/// A fragment whose lines all already appear (trimmed) in order is left out.
pub fn insert(content: &str, marker: &str, fragment: &str, placement: Placement) -> Result<String> {
    let Some(marker_line) = content.lines().position(|line| line.trim() == marker) else {
        bail!("marker line `{marker}` is missing; put it back where new code should go");
    };
    if is_present(content, fragment) {
        return Ok(content.to_string());
    }
    let lines: Vec<&str> = content.lines().collect();
    let marker_text = lines[marker_line];
    let indent = &marker_text[..marker_text.len() - marker_text.trim_start().len()];
    let at = match placement {
        Placement::Last => marker_line,
        Placement::Sorted => sorted_position(&lines[..marker_line], fragment.trim()),
    };
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

/// The index among `above` (the lines before the marker) where `line` keeps the block of code
/// lines ending at the marker sorted.
fn sorted_position(above: &[&str], line: &str) -> usize {
    let block_start = above
        .iter()
        .rposition(|l| l.trim().is_empty() || l.trim_start().starts_with("//"))
        .map_or(0, |i| i + 1);
    above[block_start..]
        .iter()
        .position(|existing| version_order(existing.trim(), line).is_gt())
        .map_or(above.len(), |offset| block_start + offset)
}

/// rustfmt's "version sorting" for the names in generated code: runs of digits compare as
/// numbers (`v2` before `v10`), everything else byte by byte.
fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let a_len = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let b_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let number = |digits: &[u8]| {
                    std::str::from_utf8(digits)
                        .ok()
                        .and_then(|d| d.parse::<u128>().ok())
                        .unwrap_or(0)
                };
                let ordering = number(&a[..a_len]).cmp(&number(&b[..b_len]));
                if ordering.is_ne() {
                    return ordering;
                }
                (a, b) = (&a[a_len..], &b[b_len..]);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                (a, b) = (&a[1..], &b[1..]);
            }
        }
    }
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

    const FILE: &str = "fn main() {\n    run(a);\n    // +operator:scaffold:controllers\n}\n";

    #[test]
    fn inserts_above_the_marker_with_its_indent() {
        let out = insert(FILE, CONTROLLERS, "run(b);", Placement::Last).unwrap();
        assert_eq!(
            out,
            "fn main() {\n    run(a);\n    run(b);\n    // +operator:scaffold:controllers\n}\n"
        );
    }

    #[test]
    fn multi_line_fragments_keep_their_shape() {
        let out = insert(FILE, CONTROLLERS, "if x {\n    run(b);\n}", Placement::Last).unwrap();
        assert!(
            out.contains("    if x {\n        run(b);\n    }\n    // +operator"),
            "{out}"
        );
    }

    #[test]
    fn inserting_twice_is_a_no_op() {
        let once = insert(FILE, CONTROLLERS, "run(b);", Placement::Last).unwrap();
        let twice = insert(&once, CONTROLLERS, "run(b);", Placement::Last).unwrap();
        assert_eq!(once, twice);
        // Already-present code that the user re-indented still counts.
        assert_eq!(
            insert(FILE, CONTROLLERS, "run(a);", Placement::Last).unwrap(),
            FILE
        );
    }

    #[test]
    fn sorted_placement_keeps_module_lists_in_rustfmt_order() {
        let file = "//! Doc.\n\npub mod bar;\npub mod foo;\n// +operator:scaffold:kind-modules\n";
        let out = insert(file, KIND_MODULES, "pub mod baz;", Placement::Sorted).unwrap();
        assert_eq!(
            out,
            "//! Doc.\n\npub mod bar;\npub mod baz;\npub mod foo;\n// +operator:scaffold:kind-modules\n"
        );
        let out = insert(file, KIND_MODULES, "pub mod zed;", Placement::Sorted).unwrap();
        assert!(
            out.contains("pub mod foo;\npub mod zed;\n// +operator"),
            "{out}"
        );
        let out = insert(file, KIND_MODULES, "pub mod abc;", Placement::Sorted).unwrap();
        assert!(
            out.contains("//! Doc.\n\npub mod abc;\npub mod bar;"),
            "{out}"
        );
        let empty = "//! Doc.\n\n// +operator:scaffold:kind-modules\n";
        let out = insert(empty, KIND_MODULES, "pub mod foo;", Placement::Sorted).unwrap();
        assert_eq!(
            out,
            "//! Doc.\n\npub mod foo;\n// +operator:scaffold:kind-modules\n"
        );
    }

    #[test]
    fn versions_sort_numerically() {
        use std::cmp::Ordering::*;
        assert_eq!(version_order("pub mod v2;", "pub mod v10;"), Less);
        assert_eq!(version_order("pub mod v1;", "pub mod v1alpha1;"), Less);
        assert_eq!(
            version_order("pub mod v1beta1;", "pub mod v1alpha1;"),
            Greater
        );
        assert_eq!(version_order("pub mod bar;", "pub mod bar;"), Equal);
    }

    #[test]
    fn missing_marker_is_an_error() {
        let err = insert("fn main() {}\n", CONTROLLERS, "run(b);", Placement::Last).unwrap_err();
        assert_eq!(
            err.to_string(),
            "marker line `// +operator:scaffold:controllers` is missing; put it back where new code should go"
        );
    }

    #[test]
    fn yaml_markers_work_the_same() {
        let yaml = "resources:\n- bases/a.yaml\n# +operator:scaffold:crdkustomizeresource\n";
        let out = insert(yaml, CRD_KUSTOMIZE, "- bases/b.yaml", Placement::Last).unwrap();
        assert_eq!(
            out,
            "resources:\n- bases/a.yaml\n- bases/b.yaml\n# +operator:scaffold:crdkustomizeresource\n"
        );
    }
}
