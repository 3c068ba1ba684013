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
    let code = match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let code = err.exit_code();
            eprintln!("{:?}", miette::Report::new(err));
            ExitCode::from(code)
        }
    };
    // `xefs bench` runs commands as child processes and reads their peak memory here (Linux
    // `VmHWM`), as a parent cannot read it once the child has exited.
    if std::env::var_os(commands::PEAK_RSS_ENV).is_some()
        && let Some(bytes) = xefs::bench::peak_rss_bytes()
    {
        eprintln!("{}{bytes}", commands::PEAK_RSS_LINE);
    }
    code
}
