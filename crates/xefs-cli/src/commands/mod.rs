//! One module per subcommand, plus what the cloud-facing ones share.

mod apply;
mod destroy;
mod doctor;
mod plan;
mod render;
mod session;
mod status;
mod verify;

use crate::cli::{Cli, Command, ConfigArgs};
use crate::diagnostics::CliError;
use crate::exit;
use xefs_core::spec::{ProcessEnv, StackSpec};

/// Runs the parsed command; returns the exit code of a command that completed.
pub fn run(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::Render(args) => render::run(&args).map(|()| exit::SUCCESS),
        Command::Status(args) => status::run(&args),
        Command::Plan(args) => runtime()?.block_on(plan::run(&args)),
        Command::Apply(args) => runtime()?.block_on(apply::run(&args)),
        Command::Verify(args) => runtime()?.block_on(verify::run(&args)),
        Command::Destroy(args) => runtime()?.block_on(destroy::run(&args)),
        Command::Doctor(args) => runtime()?.block_on(doctor::run(&args)),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| CliError::Io {
            what: "start the async runtime".into(),
            source,
        })
}

/// Loads and validates the config; errors carry the file's text for source snippets.
fn load_spec(args: &ConfigArgs) -> Result<StackSpec, CliError> {
    StackSpec::load(&args.config, &ProcessEnv).map_err(|errors| {
        let text = std::fs::read_to_string(&args.config).unwrap_or_default();
        CliError::config(&args.config, text, errors)
    })
}
