//! One module per subcommand, plus what the cloud-facing ones share.

mod apply;
mod bench;
mod completions;
mod demo;
mod destroy;
mod doctor;
mod init;
mod plan;
mod render;
mod session;
mod status;
mod verify;

use crate::cli::{Cli, Command, ConfigArgs};
use crate::diagnostics::CliError;
use crate::exit;
use xefs_core::spec::{ProcessEnv, StackSpec};

pub use bench::{PEAK_RSS_ENV, PEAK_RSS_LINE};

/// Runs the parsed command; returns the exit code of a command that completed.
pub fn run(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::Demo(args) => runtime(true)?.block_on(demo::run(&args)),
        Command::Bench(args) => runtime(true)?.block_on(bench::run(&args)),
        Command::Init(args) => runtime(args.simulate)?.block_on(init::run(&args)),
        Command::Completions(args) => Ok(completions::run(&args)),
        Command::Render(args) => render::run(&args).map(|()| exit::SUCCESS),
        Command::Status(args) => status::run(&args),
        Command::Plan(args) => runtime(args.stack.simulate)?.block_on(plan::run(&args)),
        Command::Apply(args) => runtime(args.stack.simulate)?.block_on(apply::run(&args)),
        Command::Verify(args) => runtime(args.simulate)?.block_on(verify::run(&args)),
        Command::Destroy(args) => runtime(args.stack.simulate)?.block_on(destroy::run(&args)),
        Command::Doctor(args) => runtime(args.simulate)?.block_on(doctor::run(&args)),
    }
}

/// The async runtime. Simulated runs use one thread and a paused clock that jumps to the next
/// timer whenever every task waits: the simulated clouds' minutes pass at once, and every
/// duration xefs measures still reads as the simulated time.
fn runtime(simulate: bool) -> Result<tokio::runtime::Runtime, CliError> {
    let mut builder = if simulate {
        let mut b = tokio::runtime::Builder::new_current_thread();
        b.start_paused(true);
        b
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    builder.enable_all().build().map_err(|source| CliError::Io {
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
