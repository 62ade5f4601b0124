use std::process::ExitCode;

use clap::Parser;

use cargo_operator::cli::{Cargo, normalize_args};

fn main() -> ExitCode {
    die_quietly_on_a_closed_pipe();
    report_bugs_in_one_line();
    let cli = Cargo::parse_from(normalize_args(std::env::args_os().collect()));
    match cargo_operator::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` prints the whole context chain on one line.
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Rust ignores SIGPIPE, so printing into a closed pipe (`cargo operator … | head`) would be a
/// panic; with the default action back, the process ends as any Unix tool's does.
fn die_quietly_on_a_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: at the start of `main`, before any thread exists, setting a signal's action to
    // its default touches no Rust state.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// A panic is a bug of cargo-operator, never the user's input (that is an `error:` line): say
/// so in one line instead of Rust's several. The exit code stays 101. With `RUST_BACKTRACE`
/// set, the backtrace follows.
fn report_bugs_in_one_line() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("a panic without a message");
        let location = info
            .location()
            .map_or_else(String::new, |at| format!(" at {at}"));
        eprintln!(
            "cargo-operator hit a bug: {message}{location}; please report it with the command you ran"
        );
        let backtrace = std::backtrace::Backtrace::capture();
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            eprintln!("{backtrace}");
        }
    }));
}
