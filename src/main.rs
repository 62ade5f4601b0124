use std::process::ExitCode;

use clap::Parser;

use cargo_operator::cli::{Cargo, normalize_args};

fn main() -> ExitCode {
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
