//! `xefs status`: what the journal records about the stack; no cloud calls.

use xefs::simulate::Simulation;
use xefs_core::state::StackState;

use crate::cli::{OutputFormat, StatusArgs};
use crate::diagnostics::CliError;
use crate::{exit, output};

pub fn run(args: &StatusArgs) -> Result<u8, CliError> {
    let spec = super::load_spec(&args.config)?;
    let state = StackState::open(&args.state, &spec.name).map_err(CliError::State)?;
    let resources = state.resources();
    let journal = state.journal_path();
    let world = if args.simulate {
        Some(
            Simulation::open(&args.state, &spec)
                .map_err(CliError::Simulation)?
                .summary(),
        )
    } else {
        None
    };
    match args.output {
        OutputFormat::Json => {
            let mut doc = output::status_json(spec.name.as_str(), &journal, &resources);
            if let Some(world) = &world {
                doc["simulation"] = serde_json::to_value(world).unwrap_or_default();
            }
            println!("{doc:#}");
        }
        OutputFormat::Text => {
            print!(
                "{}",
                output::status_text(spec.name.as_str(), &journal, &resources)
            );
            if let Some(world) = &world {
                print!("{world}");
            }
        }
    }
    for w in state.warnings() {
        eprintln!("warning: {w}");
    }
    Ok(exit::SUCCESS)
}
