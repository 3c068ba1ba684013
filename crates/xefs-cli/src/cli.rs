//! Arguments. Command names, flags and their meanings are interfaces: add, never rename.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Cross-account Amazon EFS on Red Hat OpenShift Service on AWS: planned, resumable, undoable.
#[derive(Debug, Parser)]
#[command(name = "xefs", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write every IAM document, manifest, the manual procedure and plan.json, touching no cloud.
    Render(RenderArgs),
}

/// Where the stack's config comes from.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The stack's config file. The guide's environment variables (CLUSTER_NAME, AWS_REGION,
    /// AWS_ACCOUNT_A_ID, ...) override its values.
    #[arg(long, short = 'c', value_name = "FILE", default_value = "xefs.toml")]
    pub config: PathBuf,
}

/// `xefs render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Directory to write into (created if missing; files of the same names are replaced).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
}
