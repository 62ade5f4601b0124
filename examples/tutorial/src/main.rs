// Copyright 2026 The tutorial Authors.
// SPDX-License-Identifier: Apache-2.0

//! The manager binary: `manager --help` lists its flags.

use std::process::ExitCode;

use clap::Parser;
use tutorial::manager::{self, Options};

#[tokio::main]
async fn main() -> ExitCode {
    let options = Options::parse();
    if let Err(message) = tutorial::init_tracing(&options.log_level, options.log_format) {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    manager::run(options).await
}
