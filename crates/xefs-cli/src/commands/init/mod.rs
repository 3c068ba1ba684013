//! `xefs init`: a commented `xefs.toml`, from the shipped example with the values this machine
//! can tell filled in — the guide's environment variables first, then discovery (the cluster
//! through the kubeconfig, account A through the default credentials), then the user's answers
//! on a terminal. What stays unknown keeps the example's value, marked `# TODO`.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use xefs::simulate::{EXAMPLE_CONFIG, Simulation};
use xefs_aws::sdk::{ConnectOptions, CredentialSource, account_from_config, load_sdk_config};
use xefs_aws::{Account, AccountRole, CallStats};
use xefs_core::blueprint::{Address, driver};
use xefs_core::ids::{
    AccountId, InstanceId, Ipv4Cidr, K8sName, OidcProvider, Region, StackName, VpcId,
};
use xefs_core::spec::{ENV_OVERRIDES, EnvSource, ProcessEnv, StackSpec};
use xefs_core::step::{Inputs, StepContext};
use xefs_k8s::{Cluster, KubeCluster, ObjectRef};

use crate::cli::InitArgs;
use crate::diagnostics::CliError;
use crate::exit;

mod discover;
mod prompt;
mod template;
#[cfg(test)]
mod tests;

use self::discover::{discover_live, discover_simulated};
use self::prompt::ask_missing;
use self::template::{fill, summary};

/// How long each discovery (the cluster's, account A's) may take before it is given up.
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// The keys `init` fills in, in the order it asks for them; all are required but the OIDC
/// provider, which `apply` can discover itself.
const KEYS: &[Key] = &[
    Key::new(
        "stack.region",
        "the region of both VPCs, e.g. us-east-2 (AWS_REGION)",
        check::<Region>,
    ),
    Key::new(
        "cluster.name",
        "the cluster's name (CLUSTER_NAME)",
        check::<K8sName>,
    ),
    Key::new(
        "stack.name",
        "the stack's name: lowercase letters, digits and dashes",
        check::<StackName>,
    ),
    Key::new(
        "cluster.account_id",
        "account A's 12-digit id, the cluster's (AWS_ACCOUNT_A_ID)",
        check::<AccountId>,
    ),
    Key::new(
        "cluster.vpc_id",
        "the cluster's VPC id (ACCOUNT_A_VPC_ID)",
        check::<VpcId>,
    ),
    Key::new(
        "cluster.vpc_cidr",
        "the cluster VPC's CIDR (AWS_ACCOUNT_A_VPC_CIDR)",
        check::<Ipv4Cidr>,
    ),
    Key::new(
        "cluster.oidc_provider",
        "the cluster's OIDC provider",
        check::<OidcProvider>,
    )
    .optional(),
    Key::new(
        "storage.account_id",
        "account B's 12-digit id, the file system's (AWS_ACCOUNT_B_ID)",
        check::<AccountId>,
    ),
    Key::new(
        "storage.vpc_id",
        "account B's VPC id for the mount targets (ACCOUNT_B_VPC_ID)",
        check::<VpcId>,
    ),
    Key::new(
        "storage.vpc_cidr",
        "account B VPC's CIDR, not overlapping A's (AWS_ACCOUNT_B_VPC_CIDR)",
        check::<Ipv4Cidr>,
    ),
];

/// One key of the file that `init` fills in.
struct Key {
    /// `section.key`.
    dotted: &'static str,
    /// What it is, for prompts and TODO comments.
    what: &'static str,
    /// Parses and normalizes a value.
    check: fn(&str) -> Result<String, String>,
    /// A missing value is fine (the key stays commented out).
    optional: bool,
}

impl Key {
    const fn new(
        dotted: &'static str,
        what: &'static str,
        check: fn(&str) -> Result<String, String>,
    ) -> Self {
        Self {
            dotted,
            what,
            check,
            optional: false,
        }
    }

    const fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
}

fn key(dotted: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.dotted == dotted)
}

/// A value parsed with xefs's own parser, in its normal form.
fn check<T>(s: &str) -> Result<String, String>
where
    T: FromStr + Display,
    T::Err: Display,
{
    s.trim()
        .parse::<T>()
        .map(|v| v.to_string())
        .map_err(|e| e.to_string())
}

/// Where a value came from, as the file's comment and the summary say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// One of the guide's variables.
    Env(&'static str),
    /// Read from the cluster or account A.
    Discovered(String),
    /// Derived from another value.
    Derived(&'static str),
    /// Typed in at the prompt.
    Answered,
}

impl Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Env(var) => write!(f, "from {var}"),
            Source::Discovered(how) => write!(f, "discovered: {how}"),
            Source::Derived(from) => write!(f, "from {from}"),
            Source::Answered => f.write_str("answered at the prompt"),
        }
    }
}

/// The values found so far, by dotted key.
#[derive(Debug, Default)]
pub(crate) struct Found {
    values: BTreeMap<&'static str, (String, Source)>,
    warnings: Vec<String>,
}

impl Found {
    fn get(&self, dotted: &str) -> Option<&str> {
        self.values.get(dotted).map(|(v, _)| v.as_str())
    }

    fn has(&self, dotted: &str) -> bool {
        self.values.contains_key(dotted)
    }

    /// Records a value unless one is known already (the guide's variables come first); a
    /// discovered value that differs from the variable's is a warning.
    fn offer(&mut self, dotted: &'static str, value: &str, source: Source) {
        let Some(k) = key(dotted) else { return };
        let value = match (k.check)(value) {
            Ok(v) => v,
            Err(e) => {
                self.warn(format!("{dotted}: ignoring `{value}` ({source}): {e}"));
                return;
            }
        };
        match self.values.get(dotted) {
            Some((have, Source::Env(var))) if *have != value => {
                let warning = format!(
                    "{dotted}: {var} says `{have}` but {source} says `{value}`; writing {var}'s"
                );
                self.warn(warning);
            }
            Some(_) => {}
            None => {
                self.values.insert(dotted, (value, source));
            }
        }
    }

    fn warn(&mut self, warning: String) {
        self.warnings.push(warning);
    }
}

pub async fn run(args: &InitArgs) -> Result<u8, CliError> {
    let path = &args.config;
    if path.exists() && !args.force {
        return Err(CliError::Exists { path: path.clone() });
    }
    let mut found = Found::default();
    from_env(&mut found, &ProcessEnv);
    if !args.no_discover {
        if args.simulate {
            discover_simulated(&mut found, &args.state).await?;
        } else {
            discover_live(&mut found).await;
        }
    }
    derive(&mut found);
    let interactive = !args.no_input && std::io::stdin().is_terminal();
    if interactive {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let mut err = std::io::stderr();
        ask_missing(&mut found, &mut input, &mut err).map_err(|source| CliError::Io {
            what: "read the answers".into(),
            source,
        })?;
    }
    let text = fill(EXAMPLE_CONFIG, &found);
    std::fs::write(path, &text).map_err(|source| CliError::Write {
        path: path.clone(),
        source,
    })?;
    for w in &found.warnings {
        eprintln!("warning: {w}");
    }
    print!("{}", summary(path, &found));
    // The file as the next command will read it (the guide's variables still override it).
    if let Err(errors) = StackSpec::load(path, &ProcessEnv) {
        eprintln!(
            "warning: {} does not load yet; `xefs render --config {}` says why:",
            path.display(),
            path.display()
        );
        for e in &errors.0 {
            eprintln!("  {}: {}", e.key, e.message);
        }
    }
    Ok(exit::SUCCESS)
}

/// The guide's variables, as the spec loader reads them (set and not blank).
fn from_env(found: &mut Found, env: &dyn EnvSource) {
    for (dotted, var) in ENV_OVERRIDES {
        let Some(value) = env.var(var) else { continue };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if let Some(k) = key(dotted) {
            found.offer(k.dotted, value, Source::Env(var));
        }
    }
}

/// The stack's name from the cluster's, when nothing else named it.
fn derive(found: &mut Found) {
    if !found.has("stack.name")
        && let Some(name) = found.get("cluster.name").map(str::to_owned)
    {
        found.offer("stack.name", &name, Source::Derived("cluster.name"));
    }
}
