//! `xefs`: cross-account Amazon EFS on ROSA, planned and undoable.
//!
//! The binary only wires: it parses arguments, loads the config, calls the library and renders
//! the result. Exit codes: 0 success, 1 failure, 2 usage or configuration error (and, with
//! `plan --detailed-exitcode`, 2 when changes are pending).

mod cli;
mod commands;
mod diagnostics;
mod exit;
mod hints;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let code = err.exit_code();
            eprintln!("{:?}", miette::Report::new(err));
            ExitCode::from(code)
        }
    }
}
