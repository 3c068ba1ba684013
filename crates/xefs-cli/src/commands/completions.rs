//! `xefs completions SHELL`: a completion script on stdout, generated from the same argument
//! definitions the binary parses with, so it never falls behind a new flag.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit;

pub fn run(args: &CompletionsArgs) -> u8 {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "xefs", &mut std::io::stdout());
    exit::SUCCESS
}
