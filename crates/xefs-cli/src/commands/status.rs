//! `xefs status`: what the journal records about the stack; no cloud calls.

use xefs_core::state::StackState;

use crate::cli::{OutputFormat, StatusArgs};
use crate::diagnostics::CliError;
use crate::{exit, output};

pub fn run(args: &StatusArgs) -> Result<u8, CliError> {
    let spec = super::load_spec(&args.config)?;
    let state = StackState::open(&args.state, &spec.name).map_err(CliError::State)?;
    let resources = state.resources();
    let journal = state.journal_path();
    match args.output {
        OutputFormat::Json => println!(
            "{:#}",
            output::status_json(spec.name.as_str(), &journal, &resources)
        ),
        OutputFormat::Text => print!(
            "{}",
            output::status_text(spec.name.as_str(), &journal, &resources)
        ),
    }
    for w in state.warnings() {
        eprintln!("warning: {w}");
    }
    Ok(exit::SUCCESS)
}
