//! The templates, embedded in the binary, and their rendering.
//!
//! `templates/<set>/` mirrors the generated tree: a file's path inside its set is the path it is
//! written to, with `{{ … }}` placeholders filled from the same context as its body. The suffix
//! says what happens when the file exists:
//! - `name.jinja`: the file belongs to this command; an existing different file is an error
//!   (or, with `--force`, overwritten);
//! - `name.keep.jinja`: a file later commands add to (a module list, a kustomization), or one
//!   the user owns once written (the Helm chart's values); an existing one is kept as it is.
//!
//! Sets of Helm templates (see [`SQUARE_BRACKET_SETS`]) are themselves full of `{{ … }}`, so their
//! own placeholders are written `[[ … ]]`, `[% … %]` and `[# … #]`, and braces pass through.

use anyhow::{Context as _, Result, anyhow};
use include_dir::{Dir, File, include_dir};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior, Value};
use serde::Serialize;

use super::IfExists;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Sets rendered with square-bracket delimiters, because their output is full of `{{ … }}`: a
/// Go template (Helm), or Grafana's legend placeholders.
pub const SQUARE_BRACKET_SETS: &[&str] = &["helm", "helm-webhook", "grafana"];

/// One rendered file, ready to be planned.
#[derive(Debug)]
pub struct Rendered {
    pub path: String,
    pub content: String,
    pub if_exists: IfExists,
}

/// Renders every template of `set` (a folder under `templates/`) with `context`.
pub fn render_set(set: &str, context: &impl Serialize) -> Result<Vec<Rendered>> {
    let dir = TEMPLATES
        .get_dir(set)
        .ok_or_else(|| anyhow!("template set `{set}` is not embedded in this binary"))?;
    let env = environment(SQUARE_BRACKET_SETS.contains(&set));
    let mut files = Vec::new();
    collect(dir, &mut files);
    files
        .into_iter()
        .map(|file| {
            let template_path = file.path().to_str().expect("template paths are UTF-8");
            let relative = template_path
                .strip_prefix(set)
                .and_then(|p| p.strip_prefix('/'))
                .expect("a set's files live under its folder");
            let (target, if_exists) = target_of(relative);
            let body = file
                .contents_utf8()
                .ok_or_else(|| anyhow!("template `{template_path}` is not UTF-8"))?;
            let path = env
                .render_str(target, Value::from(Serde(context)))
                .with_context(|| format!("cannot render the path of template `{template_path}`"))?;
            let content = env
                .render_named_str(template_path, body, Value::from(Serde(context)))
                .with_context(|| format!("cannot render template `{template_path}`"))?;
            Ok(Rendered {
                path,
                content,
                if_exists,
            })
        })
        .collect()
}

/// Renders one inline template (an insertion fragment) with `context`.
pub fn render_fragment(fragment: &str, context: &impl Serialize) -> Result<String> {
    environment(false)
        .render_str(fragment, Value::from(Serde(context)))
        .with_context(|| format!("cannot render fragment `{fragment}`"))
}

/// Names of every embedded template, for the test that each one is used.
pub fn all_template_paths() -> Vec<String> {
    let mut files = Vec::new();
    collect(&TEMPLATES, &mut files);
    files
        .iter()
        .map(|f| f.path().display().to_string())
        .collect()
}

fn environment(square_brackets: bool) -> Environment<'static> {
    let mut env = Environment::new();
    // A misspelt variable must fail loudly, not render as an empty string.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let mut syntax = SyntaxConfig::builder();
    syntax
        .keep_trailing_newline(true)
        .trim_blocks(true)
        .lstrip_blocks(true);
    if square_brackets {
        syntax
            .variable_delimiters("[[", "]]")
            .block_delimiters("[%", "%]")
            .comment_delimiters("[#", "#]");
    }
    env.set_syntax(syntax.build().expect("the delimiters are valid"));
    env
}

fn collect<'a>(dir: &'a Dir<'a>, out: &mut Vec<&'a File<'a>>) {
    for file in dir.files() {
        out.push(file);
    }
    for sub in dir.dirs() {
        collect(sub, out);
    }
}

/// The output path pattern and policy encoded in a template's file name.
fn target_of(relative: &str) -> (&str, IfExists) {
    if let Some(path) = relative.strip_suffix(".keep.jinja") {
        (path, IfExists::Skip)
    } else {
        (
            relative.strip_suffix(".jinja").unwrap_or(relative),
            IfExists::Error,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_set_the_policy() {
        assert_eq!(
            target_of("src/lib.rs.jinja"),
            ("src/lib.rs", IfExists::Error)
        );
        assert_eq!(
            target_of("src/api/mod.rs.keep.jinja"),
            ("src/api/mod.rs", IfExists::Skip)
        );
    }

    #[test]
    fn every_template_ends_in_jinja() {
        for path in all_template_paths() {
            assert!(
                path.ends_with(".jinja"),
                "`{path}` under templates/ is not a template"
            );
        }
    }

    #[test]
    fn helm_sets_keep_braces_and_fill_square_brackets() {
        let env = environment(true);
        let context = serde_json_free_context();
        let rendered = env
            .render_str(
                "name: [[ yes ]]-{{ .Release.Name }}[% if yes %] {{- end }}[% endif %]",
                Value::from(Serde(&context)),
            )
            .unwrap();
        assert_eq!(rendered, "name: 1-{{ .Release.Name }} {{- end }}");
    }

    #[test]
    fn undefined_variables_are_errors() {
        let err = render_fragment("{{ nope }}", &serde_json_free_context()).unwrap_err();
        assert!(format!("{err:#}").contains("undefined"), "{err:#}");
    }

    fn serde_json_free_context() -> std::collections::BTreeMap<&'static str, &'static str> {
        std::collections::BTreeMap::from([("yes", "1")])
    }
}
