//! Errors as diagnostics: what failed, where, and a help line with the likely fix.

use std::path::{Path, PathBuf};

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};
use xefs_core::engine::{EngineError, StepFailure};
use xefs_core::spec::{SpecError, SpecErrors, ValueSource};

use crate::{exit, hints};

/// Every error the CLI reports.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The config is invalid: nothing was done.
    #[error("{} in {}", count(.errors.len()), .path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// Its text, for snippets.
        source_text: NamedSource<String>,
        /// Each problem.
        errors: Vec<ConfigProblem>,
    },
    /// A file could not be written.
    #[error("could not write {}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Some other I/O failed.
    #[error("could not {what}")]
    Io {
        /// What was being done.
        what: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `xefs init` would overwrite a file.
    #[error("{} exists: refusing to overwrite it", .path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// A command that changes things was run without a terminal and without `--yes`.
    #[error("refusing to change anything without confirmation: stdin is not a terminal")]
    NeedsConfirmation,
    /// Connecting to AWS, or confirming the accounts' identities, failed: nothing was written.
    #[error(transparent)]
    Provider(xefs_aws::ProviderError),
    /// Connecting to the cluster failed: nothing was done.
    #[error(transparent)]
    Cluster(xefs_k8s::K8sError),
    /// `doctor` could not read the cluster.
    #[error(transparent)]
    DoctorCluster(xefs_k8s::K8sError),
    /// A doctor snapshot file is not one `--save-snapshot` wrote.
    #[error("{} is not a doctor snapshot: {message}", .path.display())]
    Snapshot {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A command of `xefs demo` failed on the simulated clouds.
    #[error("the demo stopped: a command exited with {code}")]
    DemoFailed {
        /// Its exit code.
        code: u8,
    },
    /// The simulated world could not be created, read or saved.
    #[error(transparent)]
    Simulation(xefs::simulate::SimError),
    /// `xefs bench` could not measure.
    #[error(transparent)]
    Bench(xefs::bench::BenchError),
    /// Some selected steps have no provider.
    #[error("{}", EngineError::Unbound { unbound: unbound.clone() })]
    Unbound {
        /// The steps and where they act.
        unbound: Vec<(xefs_core::blueprint::Address, xefs_core::blueprint::Target)>,
    },
    /// Some steps could not be observed: nothing was changed. Each failure is a diagnostic of
    /// its own, with its code and likely fix.
    #[error("could not observe {} step{}: nothing was changed", .failures.len(), if .failures.len() == 1 { "" } else { "s" })]
    PlanFailed {
        /// Each failed step.
        failures: Vec<StepDiagnostic>,
    },
    /// The engine could not run (a cycle, cancellation, the state journal).
    #[error(transparent)]
    Engine(EngineError),
    /// The state directory could not be used (locked by another run, unreadable).
    #[error(transparent)]
    State(xefs_core::state::StateError),
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 problem".into()
    } else {
        format!("{n} problems")
    }
}

impl CliError {
    /// The engine's error, with a failed plan's step failures as diagnostics of their own.
    pub fn engine(error: EngineError) -> Self {
        match error {
            EngineError::PlanFailed { failures } => CliError::PlanFailed {
                failures: failures.into_iter().map(StepDiagnostic::new).collect(),
            },
            other => CliError::Engine(other),
        }
    }

    pub fn config(path: &Path, text: String, errors: SpecErrors) -> Self {
        let name = path.display().to_string();
        CliError::Config {
            path: path.to_owned(),
            source_text: NamedSource::new(name.clone(), text.clone()),
            errors: errors
                .0
                .into_iter()
                .map(|e| ConfigProblem::new(e, NamedSource::new(name.clone(), text.clone())))
                .collect(),
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Config { .. }
            | CliError::Exists { .. }
            | CliError::NeedsConfirmation
            | CliError::Unbound { .. }
            | CliError::Snapshot { .. } => exit::USAGE,
            CliError::Write { .. }
            | CliError::Io { .. }
            | CliError::Provider(_)
            | CliError::Cluster(_)
            | CliError::DoctorCluster(_)
            | CliError::Simulation(_)
            | CliError::Bench(_)
            | CliError::DemoFailed { .. }
            | CliError::PlanFailed { .. }
            | CliError::Engine(_)
            | CliError::State(_) => exit::FAILURE,
        }
    }
}

impl Diagnostic for CliError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        // AWS's and the API server's own codes where there is one.
        match self {
            CliError::Provider(xefs_aws::ProviderError::Aws(xefs_aws::AwsError {
                code: Some(code),
                ..
            })) => return Some(Box::new(format!("aws::{code}"))),
            CliError::Cluster(xefs_k8s::K8sError {
                status: Some(401 | 403),
                reason: Some(reason),
                ..
            })
            | CliError::DoctorCluster(xefs_k8s::K8sError {
                status: Some(401 | 403),
                reason: Some(reason),
                ..
            }) => return Some(Box::new(format!("k8s::{reason}"))),
            _ => {}
        }
        Some(Box::new(match self {
            CliError::Config { .. } => "xefs::config",
            CliError::Exists { .. } => "xefs::exists",
            CliError::Write { .. } | CliError::Io { .. } => "xefs::io",
            CliError::NeedsConfirmation => "xefs::confirm",
            CliError::Provider(xefs_aws::ProviderError::WrongAccount { .. }) => {
                "xefs::wrong-account"
            }
            CliError::Provider(_) => "xefs::aws",
            CliError::Cluster(_) | CliError::DoctorCluster(_) => "xefs::cluster",
            CliError::Snapshot { .. } => "xefs::snapshot",
            CliError::Simulation(_) | CliError::DemoFailed { .. } => "xefs::simulate",
            CliError::Bench(_) => "xefs::bench",
            CliError::Unbound { .. } => "xefs::phase",
            CliError::PlanFailed { .. } => "xefs::plan",
            CliError::Engine(_) => "xefs::engine",
            CliError::State(_) => "xefs::state",
        }))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        // The table's fix for AWS's or the API server's code, where it has one.
        let from_table = match self {
            CliError::Provider(xefs_aws::ProviderError::Aws(e)) => {
                e.code.as_deref().and_then(|code| {
                    let account = e.account.as_ref().map(|a| format!("account {a}"));
                    hints::aws(e.call, code, account.as_deref())
                })
            }
            CliError::Cluster(e) | CliError::DoctorCluster(e) => e
                .reason
                .as_deref()
                .and_then(|reason| hints::k8s(e.call, e.object.as_deref(), reason)),
            _ => None,
        };
        if let Some(help) = from_table {
            return Some(Box::new(help));
        }
        let help: String = match self {
            CliError::Config { .. } => {
                "fix the keys named above; nothing was created or written".into()
            }
            CliError::Write { .. } => "check that the directory is writable".into(),
            CliError::Exists { .. } => {
                "pass --force to replace it, or --config to write another file".into()
            }
            CliError::Io { .. } => return None,
            CliError::NeedsConfirmation => {
                "pass --yes to proceed without a prompt (e.g. in CI)".into()
            }
            CliError::Provider(xefs_aws::ProviderError::WrongAccount { role, .. }) => format!(
                "nothing was read or written; point the credentials for {role} at the right account ({})",
                match role {
                    xefs_aws::AccountRole::Cluster => "cluster.profile or the default chain",
                    xefs_aws::AccountRole::Storage => {
                        "storage.profile, storage.assume_role_arn or the default chain"
                    }
                }
            ),
            CliError::Provider(xefs_aws::ProviderError::Config { .. }) => {
                "check the AWS profiles named in the config (`aws configure list-profiles`)".into()
            }
            CliError::Provider(_) => {
                "nothing was written; check the credentials and network access to AWS".into()
            }
            CliError::Cluster(_) => "log in to the cluster (`oc login …`) or point KUBECONFIG at its kubeconfig; set cluster.kube_context to use another context; nothing was changed".into(),
            CliError::DoctorCluster(_) => "log in to the cluster (`oc login …`) or point KUBECONFIG at its kubeconfig (cluster.kube_context picks another context); or check only the accounts with `xefs doctor --phase aws`".into(),
            CliError::Snapshot { .. } => {
                "pass a file written by `xefs doctor --save-snapshot` with this version of xefs"
                    .into()
            }
            CliError::Simulation(_) => "the simulated world lives in <state>/<stack>/simulation.json: delete it (or pass another --state) to start a fresh one".into(),
            CliError::Bench(xefs::bench::BenchError::Options(_)) => {
                format!("pass --stacks between 1 and {}", xefs::bench::MAX_STACKS)
            }
            CliError::Bench(_) => "the simulated clouds are deterministic, so this is a bug in xefs: please report it with the output above".into(),
            CliError::DemoFailed { .. } => "the simulated clouds are deterministic, so this is a bug in xefs: please report it with the output above".into(),
            CliError::Unbound { unbound } => {
                if unbound
                    .iter()
                    .any(|(a, _)| a.as_str() == "openshift.discovery")
                {
                    "the AWS steps need values read from the cluster: name cluster.oidc_provider and cluster.worker_subnets in the config, or run the cluster phase too".into()
                } else {
                    "run only the phases this build can run, e.g. --phase aws".into()
                }
            }
            CliError::Engine(EngineError::PlanFailed { .. }) | CliError::PlanFailed { .. } => {
                "fix the errors below and plan again".into()
            }
            CliError::Engine(_) => return None,
            CliError::State(_) => {
                "another xefs run may hold the lock; wait for it, or check the state directory"
                    .into()
            }
        };
        Some(Box::new(help))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        match self {
            CliError::Config { errors, .. } => {
                Some(Box::new(errors.iter().map(|e| e as &dyn Diagnostic)))
            }
            CliError::PlanFailed { failures } => {
                Some(Box::new(failures.iter().map(|e| e as &dyn Diagnostic)))
            }
            _ => None,
        }
    }
}

/// A failed step as a diagnostic: what failed (the step, the call, the resource, the account),
/// AWS's or the API server's code as the diagnostic's (`aws::AccessDenied`, `k8s::Forbidden`),
/// and the likely fix from [`hints`].
#[derive(Debug)]
pub struct StepDiagnostic {
    failure: StepFailure,
    code: String,
    help: Option<String>,
}

impl StepDiagnostic {
    /// The diagnostic of a failed step.
    pub fn new(failure: StepFailure) -> Self {
        let code = hints::step_code(&failure.error);
        let help = hints::step(&failure.error);
        Self {
            failure,
            code,
            help,
        }
    }

    /// The diagnostic's code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The likely fix, when the table knows one.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// The diagnostic as miette draws it (without colours), for the text output of `apply`
    /// and `destroy`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
                .with_width(100)
                .with_break_words(false)
                .with_word_splitter(textwrap::WordSplitter::NoHyphenation);
        if handler.render_report(&mut out, self).is_err() {
            out = format!("error: {}\n", self.failure);
        }
        out
    }
}

impl std::fmt::Display for StepDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.failure.fmt(f)
    }
}

impl std::error::Error for StepDiagnostic {}

impl Diagnostic for StepDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
}

/// One config problem, with a snippet of the file where the value came from it.
#[derive(Debug)]
pub struct ConfigProblem {
    error: SpecError,
    source_text: NamedSource<String>,
}

impl ConfigProblem {
    fn new(error: SpecError, source_text: NamedSource<String>) -> Self {
        Self { error, source_text }
    }
}

/// The key, where its value came from, and what is wrong; the fix goes in the help line.
impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = &self.error;
        match (&e.source, e.key.is_empty()) {
            (_, true) => f.write_str(&e.message),
            (ValueSource::Env(var), false) => write!(f, "{} (from {var}): {}", e.key, e.message),
            _ => write!(f, "{}: {}", e.key, e.message),
        }
    }
}

impl std::error::Error for ConfigProblem {}

impl Diagnostic for ConfigProblem {
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.error
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        match (&self.error.source, &self.error.span) {
            (ValueSource::File, Some(_)) => Some(&self.source_text),
            _ => None,
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.error.span.clone()?;
        if !matches!(self.error.source, ValueSource::File) {
            return None;
        }
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(self.error.key.clone()),
            span,
        ))))
    }
}

#[cfg(test)]
mod tests {
    use xefs_aws::{AwsError, Service};
    use xefs_core::blueprint::Address;
    use xefs_core::ids::AccountId;
    use xefs_core::step::StepError;

    use super::*;

    fn denied_peering() -> Result<StepFailure, Box<dyn std::error::Error>> {
        let aws = AwsError::new(
            Service::Ec2,
            "CreateVpcPeeringConnection",
            Some("UnauthorizedOperation".into()),
            "You are not authorized to perform this operation.",
            false,
        )
        .in_account(&AccountId::parse("111111111111")?)
        .on("vpc-0a1b2c3d4e5f60718");
        Ok(StepFailure {
            address: Address::parse("cluster.network.peering")?,
            attempts: 1,
            error: StepError::from(aws),
        })
    }

    #[test]
    fn a_denied_call_renders_with_its_code_account_resource_and_fix()
    -> Result<(), Box<dyn std::error::Error>> {
        let diagnostic = StepDiagnostic::new(denied_peering()?);
        assert_eq!(diagnostic.code(), "aws::UnauthorizedOperation");
        insta::assert_snapshot!(diagnostic.render());
        Ok(())
    }

    #[test]
    fn a_failed_plan_lists_each_step_as_its_own_diagnostic()
    -> Result<(), Box<dyn std::error::Error>> {
        let forbidden = StepFailure {
            address: Address::parse("openshift.discovery")?,
            attempts: 1,
            error: StepError::permanent("nodes is forbidden")
                .with_code("Forbidden")
                .with_context("the cluster", "list"),
        };
        let err = CliError::engine(EngineError::PlanFailed {
            failures: vec![denied_peering()?, forbidden],
        });
        assert_eq!(err.exit_code(), exit::FAILURE);
        let related: Vec<String> = err
            .related()
            .into_iter()
            .flatten()
            .map(|d| d.code().map(|c| c.to_string()).unwrap_or_default())
            .collect();
        assert_eq!(related, ["aws::UnauthorizedOperation", "k8s::Forbidden"]);
        Ok(())
    }

    #[test]
    fn expired_credentials_at_connect_say_refresh_them() -> Result<(), Box<dyn std::error::Error>> {
        let err = CliError::Provider(xefs_aws::ProviderError::Aws(
            AwsError::new(
                Service::Sts,
                "GetCallerIdentity",
                Some("ExpiredToken".into()),
                "The security token included in the request is expired",
                false,
            )
            .in_account(&AccountId::parse("222222222222")?),
        ));
        assert_eq!(
            err.code().map(|c| c.to_string()).as_deref(),
            Some("aws::ExpiredToken")
        );
        let help = err.help().map(|h| h.to_string()).unwrap_or_default();
        assert!(
            help.starts_with("the credentials for account 222222222222 are invalid or expired"),
            "{help}"
        );
        Ok(())
    }
}
