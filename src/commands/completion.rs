//! `cargo operator completion <shell>`: a completion script for `cargo operator …`.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cargo;

pub fn run(shell: Shell) {
    clap_complete::generate(
        shell,
        &mut Cargo::command(),
        "cargo",
        &mut std::io::stdout(),
    );
}
