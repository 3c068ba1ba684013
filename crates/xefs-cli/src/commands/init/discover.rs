//! Discovery: what the cluster (through the kubeconfig) and account A (through the default
//! credentials) tell about the stack, each bounded in time; a failure is a warning.

use super::*;

/// What the cluster tells: its name and region (Infrastructure/cluster), its OIDC provider
/// (Authentication/cluster) and its worker nodes' EC2 instances.
pub(super) async fn discover_cluster(found: &mut Found, cluster: &dyn Cluster) -> Vec<InstanceId> {
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
pub(super) async fn discover_account(found: &mut Found, account: &Account, workers: &[InstanceId]) {
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
pub(super) async fn discover_live(found: &mut Found) {
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
pub(super) async fn discover_simulated(found: &mut Found, state: &Path) -> Result<(), CliError> {
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
