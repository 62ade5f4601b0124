//! The files that only list what `PROJECT.toml` holds: `src/api/mod.rs`, each version's
//! `src/api/<version>/mod.rs` and `src/controllers/mod.rs`.
//!
//! Every command renders them whole from the project file instead of inserting lines above
//! markers: rustfmt may rewrap any line (a long `pub use` breaks across lines), and an insertion
//! into a wrapped line breaks the file. They are the project's, but not for hand edits: one that
//! no longer matches what the previous project file renders was edited, and is only replaced
//! with `--force`.

use std::path::Path;

use anyhow::{Result, bail};

use super::TemplateContext;
use crate::project::Project;
use crate::scaffold::{IfExists, Plan, templates};

/// Plans the registry files of `after`. `before` is the project file as the command found it
/// (`None` for `init`), which says what the files on disk should hold if nobody edited them.
pub fn plan(
    plan: &mut Plan,
    dir: &Path,
    before: Option<&Project>,
    after: &Project,
    force: bool,
) -> Result<()> {
    let previous = match before {
        Some(before) => render(before)?,
        None => Vec::new(),
    };
    for (path, content) in render(after)? {
        let on_disk = match std::fs::read_to_string(dir.join(&path)) {
            Ok(text) => Some(text),
            // A file where a folder should be fails the write later, which rolls back.
            Err(err)
                if matches!(
                    err.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                None
            }
            Err(err) => bail!("cannot read `{path}`: {err}"),
        };
        if let Some(on_disk) = &on_disk
            && !force
            && !same_code(on_disk, &content)
            && !previous
                .iter()
                .any(|(old_path, old)| *old_path == path && same_code(on_disk, old))
        {
            bail!(
                "`{path}` was edited by hand, but cargo-operator writes it whole from `PROJECT.toml`; move your code into another module, or pass `--force` to replace it"
            );
        }
        plan.add_file(&path, content, IfExists::Overwrite)?;
    }
    Ok(())
}

/// Every registry file of `project`, as rendered (before rustfmt).
fn render(project: &Project) -> Result<Vec<(String, String)>> {
    let mut context = TemplateContext::new(project, None);
    let mut files: Vec<(String, String)> = templates::render_set("registry", &context)?
        .into_iter()
        .map(|file| (file.path, file.content))
        .collect();
    for version in context.versions.clone() {
        context.version = Some(version);
        for file in templates::render_set("registry-version", &context)? {
            files.push((file.path, file.content));
        }
    }
    Ok(files)
}

/// Whether two versions of a file hold the same code whatever rustfmt did to its layout: line
/// breaks, indentation, and the trailing commas it adds or drops when it wraps a list.
fn same_code(a: &str, b: &str) -> bool {
    let code = |text: &str| {
        text.split_whitespace()
            .collect::<String>()
            .replace(",}", "}")
            .replace(",)", ")")
            .replace(",]", "]")
    };
    code(a) == code(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_does_not_count_as_an_edit() {
        assert!(same_code(
            "pub use foo::{Foo, FooSpec};\n",
            "pub use foo::{\n    Foo,\n    FooSpec,\n};\n"
        ));
        assert!(!same_code(
            "pub mod foo;\n",
            "pub mod foo;\npub mod mine;\n"
        ));
    }
}
