//! One module per subcommand.

mod render;

use crate::cli::{Cli, Command, ConfigArgs};
use crate::diagnostics::CliError;
use xefs_core::spec::{ProcessEnv, StackSpec};

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Render(args) => render::run(&args),
    }
}

/// Loads and validates the config; errors carry the file's text for source snippets.
fn load_spec(args: &ConfigArgs) -> Result<StackSpec, CliError> {
    StackSpec::load(&args.config, &ProcessEnv).map_err(|errors| {
        let text = std::fs::read_to_string(&args.config).unwrap_or_default();
        CliError::config(&args.config, text, errors)
    })
}
