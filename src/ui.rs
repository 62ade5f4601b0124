//! Everything the user sees besides errors: the file summary, next steps and prompts.

use std::io::IsTerminal;

use anyhow::{Context as _, Result};

use crate::scaffold::rustfmt::Outcome;
use crate::scaffold::{Change, Plan, project_file};

/// How every command that writes ends: `PROJECT.toml` records this version and the hashes of
/// the files as written; then the diff and nothing written for `--dry-run`; else the plan
/// applied, one line per file, and what to do next.
pub fn finish(
    plan: &mut Plan,
    formatting: &Outcome,
    dry_run: bool,
    next_steps: &[&str],
) -> Result<()> {
    record_in_project_file(plan)?;
    if dry_run {
        print_dry_run(plan);
        return Ok(());
    }
    plan.apply()?;
    print_changes(plan);
    print_formatting(formatting);
    print_next_steps(next_steps);
    Ok(())
}

/// `project_file::record`, and a note when the project was made by another version: the files
/// this command did not write are still that version's.
pub fn record_in_project_file(plan: &mut Plan) -> Result<()> {
    if let Some(previous) = project_file::record(plan)? {
        print_notes(&[format!(
            "`PROJECT.toml` said cargo-operator {previous} made this project and now says {}; the files this command did not write are still {previous}'s: `cargo operator update --from-binary <cargo-operator {previous}>` brings them up to date",
            project_file::CLI_VERSION
        )]);
    }
    Ok(())
}

/// Prints one line per file the plan touched, like `cargo new` and Kubebuilder do; a vendored
/// crate is one line, since nobody reads its files one by one.
pub fn print_changes(plan: &Plan) {
    let mut vendored: Vec<(String, Change, usize)> = Vec::new();
    for (path, change) in plan.changes() {
        if let Some(rest) = path.strip_prefix(&format!("{}/", crate::vendor::VENDOR_DIR)) {
            let krate = format!(
                "{}/{}/",
                crate::vendor::VENDOR_DIR,
                rest.split('/').next().unwrap_or_default()
            );
            match vendored.iter_mut().find(|(name, _, _)| *name == krate) {
                Some((_, summary, count)) => {
                    *count += 1;
                    // One changed file makes the crate updated.
                    if *summary == Change::Unchanged {
                        *summary = change;
                    }
                }
                None => vendored.push((krate, change, 1)),
            }
            continue;
        }
        println!("{:>10} {path}", verb(change));
    }
    for (krate, change, count) in vendored {
        println!("{:>10} {krate} ({count} files)", verb(change));
    }
}

/// `--dry-run`: a unified diff of every file the plan would write, on stdout (`git apply` takes
/// it), then a count on stderr. A vendored crate is one line, as in `print_changes`: its files
/// are this binary's copy of the runtime, not something to review.
pub fn print_dry_run(plan: &Plan) {
    let vendor_prefix = format!("{}/", crate::vendor::VENDOR_DIR);
    let (mut created, mut updated, mut vendored) = (0, 0, 0);
    for (path, original, content) in plan.writes() {
        match original {
            None => created += 1,
            Some(_) => updated += 1,
        }
        if path.starts_with(&vendor_prefix) {
            vendored += 1;
            continue;
        }
        let old_name = match original {
            Some(_) => format!("a/{path}"),
            None => "/dev/null".to_string(),
        };
        let diff = similar::TextDiff::from_lines(original.unwrap_or_default(), content);
        print!(
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&old_name, &format!("b/{path}"))
        );
    }
    let mut deleted = 0;
    for (path, original) in plan.removals() {
        deleted += 1;
        let diff = similar::TextDiff::from_lines(original, "");
        print!(
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), "/dev/null")
        );
    }
    if vendored > 0 {
        eprintln!(
            "note: {vendored} files of the runtime crates in `{vendor_prefix}` would be written too (not shown)"
        );
    }
    let deleted = if deleted > 0 {
        format!(", {deleted} deleted")
    } else {
        String::new()
    };
    eprintln!(
        "dry run: {created} files would be created and {updated} updated{deleted}; nothing was written"
    );
}

/// Prints each note on stderr, such as why a Kubebuilder flag changes nothing.
pub fn print_notes(notes: &[String]) {
    for note in notes {
        eprintln!("note: {note}");
    }
}

fn verb(change: Change) -> &'static str {
    match change {
        Change::Create => "created",
        Change::Update => "updated",
        Change::Unchanged => "unchanged",
        Change::Skip => "kept",
        Change::Delete => "deleted",
    }
}

/// Says so when the Rust files could not be formatted, since `cargo fmt --check` may then fail.
pub fn print_formatting(outcome: &Outcome) {
    if *outcome == Outcome::RustfmtMissing {
        println!(
            "\nnote: rustfmt was not found, so the Rust files are as rendered; install it with `rustup component add rustfmt` and run `cargo fmt`"
        );
    }
}

pub fn print_next_steps(steps: &[&str]) {
    println!("\nNext:");
    for step in steps {
        println!("  {step}");
    }
}

/// Resolves a yes/no flag: the flag's value if given, the answer to `question` on a terminal,
/// else `default` (never prompting when nobody can answer).
pub fn confirm_unless_given(flag: Option<bool>, question: &str, default: bool) -> Result<bool> {
    if let Some(value) = flag {
        return Ok(value);
    }
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Ok(default);
    }
    dialoguer::Confirm::new()
        .with_prompt(question)
        .default(default)
        .show_default(false)
        .wait_for_newline(true)
        .interact()
        .with_context(|| format!("cannot read the answer to `{question}`; pass the flag instead"))
}

/// Resolves a text flag: the flag's value if given, the answer to `question` on a terminal
/// (offering `default`), else `default`.
pub fn input_unless_given(flag: Option<String>, question: &str, default: &str) -> Result<String> {
    if let Some(value) = flag {
        return Ok(value);
    }
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Ok(default.to_string());
    }
    dialoguer::Input::<String>::new()
        .with_prompt(question)
        .default(default.to_string())
        .interact_text()
        .with_context(|| format!("cannot read the answer to `{question}`; pass the flag instead"))
}

/// One warning line on stderr: the command goes on.
pub fn warn(message: &str) {
    eprintln!("warning: {message}");
}
