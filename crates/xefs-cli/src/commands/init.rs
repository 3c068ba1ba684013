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

/// What the cluster tells: its name and region (Infrastructure/cluster), its OIDC provider
/// (Authentication/cluster) and its worker nodes' EC2 instances.
async fn discover_cluster(found: &mut Found, cluster: &dyn Cluster) -> Vec<InstanceId> {
    let infrastructure =
        ObjectRef::new("config.openshift.io/v1", "Infrastructure", None, "cluster");
    match cluster.get(&infrastructure).await {
        Ok(Some(infra)) => {
            match cluster_name(&infra) {
                Some(name) => found.offer(
                    "cluster.name",
                    &name,
                    Source::Discovered("Infrastructure/cluster".into()),
                ),
                None => found.warn(
                    "cluster.name: Infrastructure/cluster has neither status.infrastructureName \
                     nor status.apiServerURL"
                        .into(),
                ),
            }
            match infra["status"]["platformStatus"]["aws"]["region"].as_str() {
                Some(region) => found.offer(
                    "stack.region",
                    region,
                    Source::Discovered("Infrastructure/cluster".into()),
                ),
                None => found.warn(
                    "stack.region: Infrastructure/cluster names no AWS region (is this a cluster on AWS?)"
                        .into(),
                ),
            }
        }
        Ok(None) => found.warn(
            "cluster.name, stack.region: the cluster has no Infrastructure/cluster object (not OpenShift?)"
                .into(),
        ),
        Err(e) => found.warn(format!(
            "cluster.name, stack.region: could not read Infrastructure/cluster: {e}"
        )),
    }
    match cluster.authentication().await {
        Ok(auth) => match auth.and_then(|a| a.spec.service_account_issuer) {
            Some(issuer) if !issuer.trim().is_empty() => found.offer(
                "cluster.oidc_provider",
                &issuer,
                Source::Discovered("Authentication/cluster".into()),
            ),
            _ => found.warn(
                "cluster.oidc_provider: the cluster has no external service-account issuer \
                 (cross-account EFS needs an STS cluster)"
                    .into(),
            ),
        },
        Err(e) => found.warn(format!(
            "cluster.oidc_provider: could not read Authentication/cluster: {e}"
        )),
    }
    match cluster
        .nodes(Some(driver::WORKER_SELECTOR.to_owned()))
        .await
    {
        Ok(nodes) => {
            let mut ids: Vec<InstanceId> =
                nodes.into_iter().filter_map(|n| n.instance_id).collect();
            ids.sort();
            ids.dedup();
            if ids.is_empty() {
                found.warn(format!(
                    "cluster.vpc_id: no worker node (`{}`) names an EC2 instance",
                    driver::WORKER_SELECTOR
                ));
            }
            ids
        }
        Err(e) => {
            found.warn(format!(
                "cluster.vpc_id: could not list the worker nodes: {e}"
            ));
            Vec::new()
        }
    }
}

/// The cluster's name: `status.infrastructureName` without the installer's random suffix
/// (`sts-cluster-x7k2p`), else the name in the API server's URL (`https://api.NAME.…`).
pub(crate) fn cluster_name(infrastructure: &serde_json::Value) -> Option<String> {
    let status = &infrastructure["status"];
    if let Some(name) = status["infrastructureName"].as_str()
        && let Some((cluster, suffix)) = name.rsplit_once('-')
        && !cluster.is_empty()
        && suffix.len() == 5
        && suffix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return Some(cluster.to_owned());
    }
    let url = status["apiServerURL"].as_str()?;
    let host = url.split("://").nth(1).unwrap_or(url);
    let mut labels = host.split(['.', ':', '/']);
    match (labels.next(), labels.next()) {
        (Some("api"), Some(name)) if !name.is_empty() => Some(name.to_owned()),
        _ => None,
    }
}

/// What account A's credentials tell: the account's id, and the VPC (and its CIDR) the worker
/// instances run in.
async fn discover_account(found: &mut Found, account: &Account, workers: &[InstanceId]) {
    let Ok(address) = Address::parse("init.discovery") else {
        return;
    };
    let ctx = StepContext::new(address, Inputs::new());
    match account.sts(&ctx).await.caller_identity().await {
        Ok(identity) => found.offer(
            "cluster.account_id",
            identity.account.as_str(),
            Source::Discovered(format!("sts:GetCallerIdentity ({})", identity.arn)),
        ),
        Err(e) => {
            found.warn(format!(
                "cluster.account_id, cluster.vpc_id, cluster.vpc_cidr: the default AWS \
                 credentials do not work: {e}"
            ));
            return;
        }
    }
    if workers.is_empty() {
        return;
    }
    let instances = match account.ec2(&ctx).await.describe_instances(workers).await {
        Ok(instances) => instances,
        Err(e) => {
            found.warn(format!(
                "cluster.vpc_id: could not describe the worker instances: {e}"
            ));
            return;
        }
    };
    let mut vpcs: BTreeMap<VpcId, usize> = BTreeMap::new();
    for vpc in instances.into_iter().filter_map(|i| i.vpc_id) {
        *vpcs.entry(vpc).or_default() += 1;
    }
    let Some((vpc, count)) = vpcs.iter().max_by_key(|(_, n)| **n) else {
        found.warn(format!(
            "cluster.vpc_id: account {} has none of the worker instances ({}): are the \
             default credentials account A's?",
            account.id,
            workers.len()
        ));
        return;
    };
    if vpcs.len() > 1 {
        found.warn(format!(
            "cluster.vpc_id: the worker instances are in {} VPCs; taking {vpc}, which has {count}",
            vpcs.len()
        ));
    }
    found.offer(
        "cluster.vpc_id",
        vpc.as_str(),
        Source::Discovered(format!(
            "ec2:DescribeInstances of {count} worker instance(s)"
        )),
    );
    match account.ec2(&ctx).await.describe_vpc(vpc).await {
        Ok(Some(v)) => found.offer(
            "cluster.vpc_cidr",
            &v.cidr.to_string(),
            Source::Discovered("ec2:DescribeVpcs".into()),
        ),
        Ok(None) => found.warn(format!("cluster.vpc_cidr: VPC {vpc} was not found")),
        Err(e) => found.warn(format!("cluster.vpc_cidr: could not describe {vpc}: {e}")),
    }
}

/// Discovery through the kubeconfig's current context and the default AWS credentials.
async fn discover_live(found: &mut Found) {
    let workers = match tokio::time::timeout(DISCOVERY_TIMEOUT, KubeCluster::connect(None)).await {
        Ok(Ok(kube)) => {
            let cluster: Arc<dyn Cluster> = Arc::new(kube);
            match tokio::time::timeout(DISCOVERY_TIMEOUT, discover_cluster(found, &*cluster)).await
            {
                Ok(workers) => workers,
                Err(_) => {
                    found.warn(format!(
                        "the cluster did not answer within {}s: nothing read from it",
                        DISCOVERY_TIMEOUT.as_secs()
                    ));
                    Vec::new()
                }
            }
        }
        Ok(Err(e)) => {
            found.warn(format!(
                "cluster.name, stack.region, cluster.oidc_provider, cluster.vpc_id: no cluster \
                 to read ({e}); `oc login …` first to discover them"
            ));
            Vec::new()
        }
        Err(_) => {
            found.warn("connecting to the cluster timed out: nothing read from it".into());
            Vec::new()
        }
    };
    let Some(region) = found
        .get("stack.region")
        .and_then(|r| Region::parse(r).ok())
    else {
        found.warn(
            "cluster.account_id, cluster.vpc_id, cluster.vpc_cidr: the region is unknown (set \
             AWS_REGION), so account A was not read"
                .into(),
        );
        return;
    };
    let options = ConnectOptions::default().with_stats(CallStats::new());
    let config = match load_sdk_config(
        AccountRole::Cluster,
        &region,
        &CredentialSource::DefaultChain,
        &options,
    )
    .await
    {
        Ok(config) => config,
        Err(e) => {
            found.warn(format!("cluster.account_id: no AWS configuration: {e}"));
            return;
        }
    };
    // The id only names the account in error messages until STS says whose it is.
    let Ok(unknown) = AccountId::parse("000000000000") else {
        return;
    };
    let account = account_from_config(unknown, region, &config, options.stats().clone());
    if tokio::time::timeout(
        DISCOVERY_TIMEOUT,
        discover_account(found, &account, &workers),
    )
    .await
    .is_err()
    {
        found.warn(format!(
            "AWS did not answer within {}s: account A was not read",
            DISCOVERY_TIMEOUT.as_secs()
        ));
    }
}

/// Discovery in the simulated world of the state directory (the example stack's, seeded from
/// the shipped example with the guide's variables applied).
async fn discover_simulated(found: &mut Found, state: &Path) -> Result<(), CliError> {
    let spec = match StackSpec::from_toml_str(EXAMPLE_CONFIG, &ProcessEnv) {
        Ok(spec) => spec,
        Err(_) => StackSpec::from_toml_str(EXAMPLE_CONFIG, &BTreeMap::<String, String>::new())
            .map_err(|errors| {
                CliError::config(
                    Path::new("examples/xefs.toml"),
                    EXAMPLE_CONFIG.into(),
                    errors,
                )
            })?,
    };
    let sim = Simulation::open(state, &spec).map_err(CliError::Simulation)?;
    let workers = discover_cluster(found, &*sim.cluster()).await;
    let accounts = sim.accounts(&CallStats::new());
    discover_account(found, &accounts.cluster, &workers).await;
    Ok(())
}

/// Asks for each required value still unknown; an empty answer (or the end of input) leaves
/// it to fill in later. Returns how many were answered.
pub(crate) fn ask_missing(
    found: &mut Found,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> std::io::Result<usize> {
    let mut answered = 0;
    for k in KEYS.iter().filter(|k| !k.optional) {
        if found.has(k.dotted) {
            continue;
        }
        if k.dotted == "stack.name" {
            derive(found);
            if found.has(k.dotted) {
                continue;
            }
        }
        if let Some(value) = ask(input, out, k)? {
            found.values.insert(k.dotted, (value, Source::Answered));
            answered += 1;
        }
    }
    Ok(answered)
}

/// One question, asked again (at most three times) while the answer does not parse.
fn ask(input: &mut dyn BufRead, out: &mut dyn Write, k: &Key) -> std::io::Result<Option<String>> {
    for _ in 0..3 {
        write!(out, "{} — {}; empty to fill in later: ", k.dotted, k.what)?;
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            writeln!(out)?;
            return Ok(None);
        }
        let answer = line.trim();
        if answer.is_empty() {
            return Ok(None);
        }
        match (k.check)(answer) {
            Ok(value) => return Ok(Some(value)),
            Err(e) => writeln!(out, "  {e}")?,
        }
    }
    Ok(None)
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The example's text with every found value in place, each line saying where its value came
/// from, and `# TODO` on each required key still holding the example's value. Every comment
/// of the example stays.
pub(crate) fn fill(template: &str, found: &Found) -> String {
    let mut out = String::from(
        "# Written by `xefs init`. Values marked `# from …` or `# discovered: …` were filled in\n\
         # for this machine; those marked `# TODO` still hold the example's placeholder.\n\
         #\n",
    );
    let mut section = "";
    let mut done: Vec<&str> = Vec::new();
    for line in template.lines() {
        if let Some(rest) = line.strip_prefix('[') {
            section = rest.split(']').next().unwrap_or_default();
        }
        let bare = line.strip_prefix("# ").unwrap_or(line);
        let target = KEYS.iter().find(|k| {
            let (s, name) = k.dotted.split_once('.').unwrap_or_default();
            s == section && !done.contains(&k.dotted) && bare.starts_with(&format!("{name} = "))
        });
        let Some(k) = target else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        done.push(k.dotted);
        let name = k.dotted.split_once('.').map_or(k.dotted, |(_, n)| n);
        match found.values.get(k.dotted) {
            Some((value, source)) => {
                out.push_str(&format!("{name} = {}  # {source}\n", toml_string(value)));
            }
            None if k.optional => {
                out.push_str(line);
                out.push('\n');
            }
            None => {
                out.push_str(&format!("{bare}  # TODO: {}\n", k.what));
            }
        }
    }
    out
}

/// The keys that still hold the example's placeholder.
fn missing(found: &Found) -> Vec<&'static str> {
    KEYS.iter()
        .filter(|k| !k.optional && !found.has(k.dotted))
        .map(|k| k.dotted)
        .collect()
}

/// What was written, for people.
fn summary(path: &Path, found: &Found) -> String {
    let mut out = format!("Wrote {}", path.display());
    if found.values.is_empty() {
        out.push_str(": the example, nothing filled in.\n");
    } else {
        out.push_str(":\n");
        let width = found.values.keys().map(|k| k.len()).max().unwrap_or(0);
        let value_width = found
            .values
            .values()
            .map(|(v, _)| v.len())
            .max()
            .unwrap_or(0);
        for k in KEYS {
            if let Some((value, source)) = found.values.get(k.dotted) {
                out.push_str(&format!(
                    "  {:<width$}  {value:<value_width$}  {source}\n",
                    k.dotted
                ));
            }
        }
    }
    let missing = missing(found);
    if missing.is_empty() {
        out.push_str(&format!(
            "Next: review it, then `xefs plan --config {}`.\n",
            path.display()
        ));
    } else {
        out.push_str(&format!(
            "Still to fill in (marked `# TODO`, the example's values until then): {}.\n",
            missing.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(values: &[(&'static str, &str)]) -> Found {
        let mut f = Found::default();
        for (k, v) in values {
            f.offer(k, v, Source::Answered);
        }
        f
    }

    #[test]
    fn every_key_is_in_the_example() {
        let all: Vec<(&'static str, &str)> = vec![
            ("stack.name", "my-stack"),
            ("stack.region", "eu-west-1"),
            ("cluster.name", "prod"),
            ("cluster.account_id", "123456789012"),
            ("cluster.vpc_id", "vpc-0123456789abcdef0"),
            ("cluster.vpc_cidr", "10.20.0.0/16"),
            ("cluster.oidc_provider", "https://oidc.example.com/abc"),
            ("storage.account_id", "210987654321"),
            ("storage.vpc_id", "vpc-0fedcba9876543210"),
            ("storage.vpc_cidr", "10.30.0.0/16"),
        ];
        let text = fill(EXAMPLE_CONFIG, &found(&all));
        for (k, v) in &all {
            let name = k.split_once('.').map(|(_, n)| n).unwrap_or_default();
            let v = v.trim_start_matches("https://");
            assert!(
                text.contains(&format!("\n{name} = \"{v}\"  # answered at the prompt\n")),
                "{k} not filled in:\n{text}"
            );
        }
        assert!(!text.contains("# TODO:"), "{text}");
        // Every comment of the example is still there (but the OIDC provider's example line,
        // which now holds a value).
        for line in EXAMPLE_CONFIG
            .lines()
            .filter(|l| l.starts_with('#') && !l.starts_with("# oidc_provider = "))
        {
            assert!(text.contains(line), "lost {line:?}");
        }
        let spec = StackSpec::from_toml_str(&text, &BTreeMap::<String, String>::new())
            .map_err(|e| format!("{e:?}"));
        assert!(spec.is_ok(), "{spec:?}");
    }

    #[test]
    fn unknown_required_keys_are_marked_todo() {
        let text = fill(EXAMPLE_CONFIG, &found(&[("cluster.name", "prod")]));
        assert!(text.contains("\nname = \"prod\"  # answered at the prompt\n"));
        assert!(text.contains(
            "\naccount_id = \"222222222222\"  # TODO: account B's 12-digit id, the file system's (AWS_ACCOUNT_B_ID)\n"
        ), "{text}");
        // The optional OIDC provider stays commented out.
        assert!(text.contains("\n# oidc_provider = \"oidc.op1.openshiftapps.com/"));
        assert_eq!(
            missing(&found(&[("cluster.name", "prod")])),
            [
                "stack.region",
                "stack.name",
                "cluster.account_id",
                "cluster.vpc_id",
                "cluster.vpc_cidr",
                "storage.account_id",
                "storage.vpc_id",
                "storage.vpc_cidr"
            ]
        );
    }

    #[test]
    fn the_guides_variables_win_and_a_different_discovery_is_a_warning() {
        let env: BTreeMap<String, String> = [
            ("AWS_ACCOUNT_A_ID".to_owned(), " 123456789012 ".to_owned()),
            ("AWS_ACCOUNT_B_VPC_CIDR".to_owned(), "not a cidr".to_owned()),
            ("CLUSTER_NAME".to_owned(), String::new()),
        ]
        .into();
        let mut f = Found::default();
        from_env(&mut f, &env);
        assert_eq!(f.get("cluster.account_id"), Some("123456789012"));
        assert!(!f.has("storage.vpc_cidr"));
        assert!(!f.has("cluster.name"));
        f.offer(
            "cluster.account_id",
            "999999999999",
            Source::Discovered("sts".into()),
        );
        assert_eq!(f.get("cluster.account_id"), Some("123456789012"));
        assert_eq!(f.warnings.len(), 2, "{:?}", f.warnings);
        assert!(f.warnings[1].contains("AWS_ACCOUNT_A_ID says `123456789012`"));
    }

    #[test]
    fn prompts_ask_for_what_is_missing_and_retry_bad_answers() -> std::io::Result<()> {
        let mut f = found(&[
            ("stack.region", "us-east-2"),
            ("cluster.name", "prod"),
            ("cluster.account_id", "123456789012"),
            ("cluster.vpc_id", "vpc-0123456789abcdef0"),
            ("cluster.vpc_cidr", "10.20.0.0/16"),
        ]);
        let mut input = std::io::Cursor::new("12345\n210987654321\n\n10.30.0.0/16\n");
        let mut out = Vec::new();
        let answered = ask_missing(&mut f, &mut input, &mut out)?;
        assert_eq!(answered, 2);
        assert_eq!(f.get("stack.name"), Some("prod"));
        assert_eq!(f.get("storage.account_id"), Some("210987654321"));
        assert_eq!(f.get("storage.vpc_id"), None);
        assert_eq!(f.get("storage.vpc_cidr"), Some("10.30.0.0/16"));
        let out = String::from_utf8_lossy(&out);
        assert_eq!(out.matches("storage.account_id — ").count(), 2, "{out}");
        assert!(out.contains("12345"), "{out}");
        Ok(())
    }

    #[test]
    fn the_cluster_name_is_the_infrastructure_name_without_its_suffix() {
        let infra = |name: &str, url: &str| serde_json::json!({"status": {"infrastructureName": name, "apiServerURL": url}});
        assert_eq!(
            cluster_name(&infra("sts-cluster-x7k2p", "")),
            Some("sts-cluster".into())
        );
        assert_eq!(
            cluster_name(&infra(
                "sts",
                "https://api.prod.ab12.p1.openshiftapps.com:6443"
            )),
            Some("prod".into())
        );
        assert_eq!(cluster_name(&serde_json::json!({})), None);
    }
}
