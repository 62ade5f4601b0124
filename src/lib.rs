//! cargo-operator: scaffold Kubernetes operators in Rust, on kube-rs.
//!
//! `main.rs` only parses the command line; [`run`] dispatches to one module per command in
//! [`commands`], which plan files with [`scaffold`] and record what they did in [`project`].

pub mod cli;
pub mod commands;
pub mod model;
pub mod plugins;
pub mod scaffold;
pub mod ui;
pub mod values;
pub mod vendor;

use anyhow::{Context as _, Result};

use cli::{Cargo, Command, Create, Delete};

/// Runs one parsed command in the current directory.
pub fn run(cli: Cargo) -> Result<()> {
    let Cargo::Operator(operator) = cli;
    match operator.command {
        Command::Init(args) => commands::init::run(args, &current_dir()?),
        Command::Create(Create::Api(args)) => commands::create_api::run(args, &current_dir()?),
        Command::Create(Create::Webhook(args)) => {
            commands::create_webhook::run(args, &current_dir()?)
        }
        Command::Delete(Delete::Api(args)) => commands::delete_api::run(args, &current_dir()?),
        Command::Edit(args) => commands::edit::run(args, &current_dir()?),
        Command::Manifests(args) => commands::manifests::run(args, &current_dir()?),
        Command::Update(args) => commands::update::run(args, &current_dir()?),
        Command::Version => {
            commands::version::run();
            Ok(())
        }
        Command::Completion { shell } => {
            commands::completion::run(shell);
            Ok(())
        }
    }
}

fn current_dir() -> Result<std::path::PathBuf> {
    std::env::current_dir().context("cannot read the current directory")
}
