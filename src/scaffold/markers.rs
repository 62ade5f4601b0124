//! Marker comments: the lines in generated files above which later commands add code.
//!
//! A marker is a whole line, `// +operator:scaffold:<name>` in Rust or `# +operator:scaffold:<name>`
//! in YAML. The template that owns a file writes the marker; commands name it through the
//! constants here, so both sides agree. Inserting a fragment that is already present does
//! nothing, which makes every command safe to re-run.

use anyhow::{Result, bail};

/// `pub mod v1;` lines in `src/api/mod.rs`.
pub const API_MODULES: &str = "// +operator:scaffold:api-modules";
/// CRD functions in `src/api/mod.rs`.
pub const CRDS: &str = "// +operator:scaffold:crds";
/// `pub mod foo;` lines in `src/api/<version>/mod.rs`.
pub const KIND_MODULES: &str = "// +operator:scaffold:kind-modules";
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

/// Returns `content` with `fragment` inserted above the `marker` line, indented like the marker.
/// A fragment whose lines all already appear (trimmed) in order is left out.
pub fn insert(content: &str, marker: &str, fragment: &str) -> Result<String> {
    let Some(marker_line) = content.lines().position(|line| line.trim() == marker) else {
        bail!("marker line `{marker}` is missing; put it back where new code should go");
    };
    if is_present(content, fragment) {
        return Ok(content.to_string());
    }
    let lines: Vec<&str> = content.lines().collect();
    let marker_text = lines[marker_line];
    let indent = &marker_text[..marker_text.len() - marker_text.trim_start().len()];
    let mut out = String::with_capacity(content.len() + fragment.len() + 16);
    for line in &lines[..marker_line] {
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
    for line in &lines[marker_line..] {
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
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
        let out = insert(FILE, CONTROLLERS, "run(b);").unwrap();
        assert_eq!(
            out,
            "fn main() {\n    run(a);\n    run(b);\n    // +operator:scaffold:controllers\n}\n"
        );
    }

    #[test]
    fn multi_line_fragments_keep_their_shape() {
        let out = insert(FILE, CONTROLLERS, "if x {\n    run(b);\n}").unwrap();
        assert!(
            out.contains("    if x {\n        run(b);\n    }\n    // +operator"),
            "{out}"
        );
    }

    #[test]
    fn inserting_twice_is_a_no_op() {
        let once = insert(FILE, CONTROLLERS, "run(b);").unwrap();
        let twice = insert(&once, CONTROLLERS, "run(b);").unwrap();
        assert_eq!(once, twice);
        // Already-present code that the user re-indented still counts.
        assert_eq!(insert(FILE, CONTROLLERS, "run(a);").unwrap(), FILE);
    }

    #[test]
    fn missing_marker_is_an_error() {
        let err = insert("fn main() {}\n", CONTROLLERS, "run(b);").unwrap_err();
        assert_eq!(
            err.to_string(),
            "marker line `// +operator:scaffold:controllers` is missing; put it back where new code should go"
        );
    }

    #[test]
    fn yaml_markers_work_the_same() {
        let yaml = "resources:\n- bases/a.yaml\n# +operator:scaffold:crdkustomizeresource\n";
        let out = insert(yaml, CRD_KUSTOMIZE, "- bases/b.yaml").unwrap();
        assert_eq!(
            out,
            "resources:\n- bases/a.yaml\n- bases/b.yaml\n# +operator:scaffold:crdkustomizeresource\n"
        );
    }
}
