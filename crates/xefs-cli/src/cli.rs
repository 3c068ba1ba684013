//! Arguments. Command names, flags and their meanings are interfaces: add, never rename.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The exit codes, as `xefs --help` lists them (see `crate::exit`).
const EXIT_CODES: &str = "Exit codes:
  0  success (`plan`: whether or not changes are pending)
  1  failure: a cloud call, a check or a write failed
  2  usage or config error, nothing was done; `plan --detailed-exitcode`: changes pending";

/// Cross-account Amazon EFS on Red Hat OpenShift Service on AWS: planned, resumable, undoable.
#[derive(Debug, Parser)]
#[command(
    name = "xefs",
    version,
    about,
    long_about = None,
    propagate_version = true,
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Try xefs on simulated clouds: plan, apply, verify, doctor and destroy the example stack.
    ///
    /// Nothing real is touched: a simulated AWS (accounts 111111111111 and 222222222222) and a
    /// simulated ROSA cluster stand in, with AWS's rules and latencies on a fast clock, so the
    /// whole procedure (about three simulated minutes) takes a second or two.
    Demo(DemoArgs),
    /// Measure xefs on simulated clouds: critical-path efficiency, AWS calls, and a fleet.
    ///
    /// One stack is applied, applied again, planned and destroyed with AWS's realistic
    /// latencies; then N stacks are applied at once in one simulated AWS with AWS-like rate
    /// limits. Times are simulated (a paused clock), except the `real` figures.
    Bench(BenchArgs),
    /// Write a commented xefs.toml, filled in from the guide's variables and from discovery.
    ///
    /// Starts from the shipped example (every key, every comment) and fills in the guide's
    /// environment variables (CLUSTER_NAME, AWS_REGION, AWS_ACCOUNT_A_ID, ...), then what the
    /// cluster (through the kubeconfig) and account A (through the default AWS credentials)
    /// tell: the cluster's name, region and OIDC provider, account A's id, VPC and CIDR.
    /// Account B cannot be discovered: on a terminal xefs asks for what is still missing;
    /// otherwise those keys keep the example's value, marked `# TODO`, and are listed.
    /// Discovery problems are warnings, never errors.
    Init(InitArgs),
    /// Write every IAM document, manifest, the manual procedure and plan.json, touching no cloud.
    Render(RenderArgs),
    /// Show what `apply` would change, reading the live resources (no writes).
    Plan(PlanArgs),
    /// Create or update everything the stack needs, resuming where an earlier run stopped.
    Apply(ApplyArgs),
    /// Run the end-to-end check on an applied stack: one pod writes, another reads it back.
    ///
    /// The verify phase alone: a ReadWriteMany claim of the stack's StorageClass, a writer pod
    /// and a reader pod (on another node when there is one), each stage timed. It leaves
    /// nothing behind unless `verify.keep`. Exit 0 when the reader saw the writer's line.
    Verify(VerifyArgs),
    /// Delete what xefs created for the stack, dependents first; leave everything else.
    Destroy(DestroyArgs),
    /// Show what the state directory records about the stack (no cloud calls).
    Status(StatusArgs),
    /// Explain why a cross-account mount would fail (read-only checks, exit 1 on a failure).
    ///
    /// Reads both accounts and the cluster without changing anything, then checks the
    /// credentials, the VPCs and the OIDC provider, every hop of the NFS path from each worker
    /// subnet to its mount target, the IAM chain from the CSI service accounts to B's file
    /// system, and the cluster's Secrets and StorageClass. Before `apply`, what apply creates is
    /// skipped, so doctor works as a preflight. Exit 0 when nothing failed (warnings allowed).
    Doctor(DoctorArgs),
    /// Print a completion script for a shell to stdout.
    ///
    /// Install it where the shell looks for completions, e.g.:
    ///
    ///   bash        xefs completions bash > ~/.local/share/bash-completion/completions/xefs
    ///   zsh         xefs completions zsh > "${fpath[1]}/_xefs"
    ///   fish        xefs completions fish > ~/.config/fish/completions/xefs.fish
    ///   PowerShell  xefs completions powershell | Out-String | Invoke-Expression
    ///   elvish      eval (xefs completions elvish | slurp)
    #[command(
        verbatim_doc_comment,
        about = "Print a completion script for a shell to stdout"
    )]
    Completions(CompletionsArgs),
}

/// A part of the procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PhaseArg {
    /// The steps in AWS accounts A and B.
    Aws,
    /// The steps on the OpenShift cluster.
    Cluster,
    /// The end-to-end write/read check.
    Verify,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// For people.
    #[default]
    Text,
    /// One JSON document on stdout, for scripts (progress still goes to stderr).
    Json,
}

/// Which stack, which part of it, and where its state lives.
#[derive(Debug, Args)]
pub struct StackArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Only these phases (and the read-only steps they need); every phase when absent.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "PHASE")]
    pub phase: Vec<PhaseArg>,
    /// The state directory; the stack's journal is `<DIR>/<stack>/journal.jsonl`.
    #[arg(long, value_name = "DIR", default_value = ".xefs")]
    pub state: PathBuf,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Run against a simulated AWS and OpenShift instead of real ones: the world is kept in
    /// the state directory, so consecutive commands see the same one, and its clock runs fast.
    #[arg(long)]
    pub simulate: bool,
}

/// `--stacks`: refused by clap (exit 2, a usage error) rather than by the bench (exit 1).
fn stacks_in_range(value: &str) -> Result<usize, String> {
    let max = xefs::bench::MAX_STACKS;
    match value.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("expected a number of stacks from 1 to {max}")),
    }
}

/// `xefs bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Stacks applied at once in the fleet measurement (1 to 128).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = stacks_in_range)]
    pub stacks: usize,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// `xefs demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the demo's config, state and simulated world in DIR (a temporary directory,
    /// removed afterwards, when absent); rerun any command there with `--simulate`.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Stop after `doctor`, leaving the stack applied (with `--state`, to explore it).
    #[arg(long, requires = "state")]
    pub keep: bool,
}

/// `xefs plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// Exit 2 when changes are pending, 0 when none (1 on failure), as `terraform plan` does.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// After each step to run, print the equivalent `aws`/`oc` commands (the manual
    /// procedure's section for it, as `xefs render` writes it to procedure.sh).
    #[arg(long)]
    pub show_commands: bool,
    /// Show the IAM documents of the policies and roles to create (documents that would
    /// change are always shown, as a line diff).
    #[arg(long)]
    pub show_documents: bool,
}

/// `xefs init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The config file to write.
    #[arg(long, short = 'c', value_name = "FILE", default_value = "xefs.toml")]
    pub config: PathBuf,
    /// Replace the file if it exists (refused otherwise, with exit code 2).
    #[arg(long)]
    pub force: bool,
    /// Fill in only the guide's environment variables: no cluster or AWS calls.
    #[arg(long)]
    pub no_discover: bool,
    /// Never ask, even on a terminal: what is still unknown is left marked `# TODO`.
    #[arg(long)]
    pub no_input: bool,
    /// Discover from the simulated clouds kept in the state directory instead of real ones.
    #[arg(long)]
    pub simulate: bool,
    /// The state directory (only read with `--simulate`, for the simulated world).
    #[arg(long, value_name = "DIR", default_value = ".xefs")]
    pub state: PathBuf,
}

/// `xefs completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `xefs apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// Apply without asking (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `xefs verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The state directory.
    #[arg(long, value_name = "DIR", default_value = ".xefs")]
    pub state: PathBuf,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Run against a simulated AWS and OpenShift instead of real ones: the world is kept in
    /// the state directory, so consecutive commands see the same one, and its clock runs fast.
    #[arg(long)]
    pub simulate: bool,
}

/// `xefs destroy`.
#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// Destroy without asking (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Also delete a file system that holds data (refused otherwise).
    #[arg(long)]
    pub delete_data: bool,
}

/// `xefs status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The state directory.
    #[arg(long, value_name = "DIR", default_value = ".xefs")]
    pub state: PathBuf,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Also describe the simulated world kept in the state directory: its clock and what
    /// each simulated account and the cluster hold.
    #[arg(long)]
    pub simulate: bool,
}

/// `xefs doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// `aws` alone skips the cluster (its objects, issuer and nodes); the accounts are always
    /// read, as every cluster check compares against them.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "PHASE")]
    pub phase: Vec<PhaseArg>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Also write what was read (JSON, no secrets) to FILE, e.g. to attach to a support
    /// ticket; `--from-snapshot` checks it again offline.
    #[arg(long, value_name = "FILE")]
    pub save_snapshot: Option<PathBuf>,
    /// Check a snapshot written by `--save-snapshot` instead of reading the live state: no
    /// credentials, cluster or network needed.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["phase", "save_snapshot", "simulate"])]
    pub from_snapshot: Option<PathBuf>,
    /// Check the simulated world kept in the state directory (see `apply --simulate`).
    #[arg(long)]
    pub simulate: bool,
    /// The state directory (only read with `--simulate`, for the simulated world).
    #[arg(long, value_name = "DIR", default_value = ".xefs")]
    pub state: PathBuf,
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
