//! Formats generated Rust with rustfmt, as `cargo fmt` would, before anything is written.
//!
//! Templates are laid out for typical names, but rustfmt's line breaks depend on the length of
//! every name in a line, so only rustfmt itself can make `cargo fmt --check` pass for any kind.
//! The files are formatted in parallel, one rustfmt process each, through stdin and stdout.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context as _, Result, bail};

use super::Plan;

/// The edition the generated `Cargo.toml` declares, which decides rustfmt's style.
const EDITION: &str = "2024";

/// What formatting did, for the command's summary.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Formatted,
    /// No rustfmt on PATH: the files are written as rendered.
    RustfmtMissing,
}

/// Formats every Rust file the plan creates or changes.
pub fn format_plan(plan: &mut Plan) -> Result<Outcome> {
    let files: Vec<(String, String)> = plan
        .writes()
        // The vendored crates are formatted where they come from.
        .filter(|(path, _, _)| path.ends_with(".rs") && !path.starts_with("vendor/"))
        .map(|(path, _, content)| (path.to_string(), content.to_string()))
        .collect();
    let program = rustfmt_program();
    let mut children = Vec::with_capacity(files.len());
    for (path, content) in &files {
        match spawn(&program, content) {
            Ok(child) => children.push((path, child)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Outcome::RustfmtMissing);
            }
            Err(err) => return Err(err).context("cannot run rustfmt"),
        }
    }
    for (path, child) in children {
        let output = child.wait_with_output().context("cannot run rustfmt")?;
        if !output.status.success() {
            // A template produced invalid Rust: a bug in cargo-operator, not in the user's input.
            bail!(
                "rustfmt rejected the generated `{path}` (a cargo-operator bug; please report it): {}",
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .next()
                    .unwrap_or_default()
            );
        }
        let formatted =
            String::from_utf8(output.stdout).context("rustfmt printed invalid UTF-8")?;
        plan.replace_content(path, formatted);
    }
    Ok(Outcome::Formatted)
}

/// The toolchain's own rustfmt when cargo runs us (`cargo operator …` sets `CARGO` to the
/// toolchain's cargo): calling it directly skips rustup's proxy, which costs more than the
/// formatting itself. Otherwise whatever `rustfmt` is on PATH.
fn rustfmt_program() -> PathBuf {
    std::env::var_os("CARGO")
        .map(PathBuf::from)
        .and_then(|cargo| Some(cargo.parent()?.join("rustfmt")))
        .filter(|rustfmt| rustfmt.is_file())
        .unwrap_or_else(|| PathBuf::from("rustfmt"))
}

fn spawn(program: &Path, content: &str) -> std::io::Result<Child> {
    let mut child = Command::new(program)
        .args(["--edition", EDITION, "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Generated files are far smaller than a pipe buffer, so writing all before reading is safe.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin.write_all(content.as_bytes())?;
    Ok(child)
}
