//! `xefs`: cross-account Amazon EFS on ROSA, planned and undoable.
//!
//! The binary only wires: it parses arguments, loads the config, calls the library and renders
//! the result. Exit codes: 0 success, 1 failure, 2 usage or configuration error.

mod cli;
mod commands;
mod diagnostics;
mod exit;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::from(exit::SUCCESS),
        Err(err) => {
            let code = err.exit_code();
            eprintln!("{:?}", miette::Report::new(err));
            ExitCode::from(code)
        }
    }
}
