//! Connecting both accounts of a spec, and the standard endpoint variables, against moto.

use std::process::Stdio;

use xefs_aws::AccountRole;
use xefs_aws::ports::{Ec2, Efs, Iam, Sts};
use xefs_aws::sdk::{ConnectOptions, CredentialSource, SdkEc2, SdkEfs, SdkIam, SdkSts, connect};
use xefs_core::ids::{AccountId, FileSystemId, VpcId};

use crate::support::world::parse_spec;
use crate::support::{self, Moto, TwoAccountWorld, WorldOptions};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[tokio::test]
async fn connect_uses_the_profiles_the_spec_names() -> TestResult {
    let world = TwoAccountWorld::build_on(Moto::shared(), WorldOptions { workers: false }).await;
    let spec = world.spec("demo");
    let options = world.connect_options();
    let accounts = connect(&spec, &options).await?;
    assert_eq!(accounts.cluster.id, world.cluster.id);
    assert_eq!(accounts.storage.id, world.storage.id);
    // Each account's credentials are the ones moto maps to it.
    accounts.verify_identities().await?;
    assert_eq!(options.stats().by_call()["sts:GetCallerIdentity"], 2);
    Ok(())
}

#[tokio::test]
async fn connect_assumes_the_storage_role_with_the_cluster_credentials() -> TestResult {
    let world = TwoAccountWorld::build_on(Moto::shared(), WorldOptions { workers: false }).await;
    let spec = parse_spec(&world.spec_toml_assuming("demo", "xefs-access"));
    assert_eq!(
        CredentialSource::for_storage(&spec).to_string(),
        format!(
            "role arn:aws:iam::{}:role/xefs-access assumed with profile `xefs-cluster`",
            world.storage.id
        )
    );
    let accounts = connect(&spec, &world.connect_options()).await?;
    let b = accounts
        .storage
        .verify_identity(AccountRole::Storage)
        .await?;
    assert_eq!(b.account, world.storage.id);
    assert!(
        b.arn
            .resource()
            .starts_with("assumed-role/xefs-access/xefs"),
        "{}",
        b.arn
    );
    accounts
        .cluster
        .verify_identity(AccountRole::Cluster)
        .await?;
    Ok(())
}

/// Set in the child process only: the account its credentials belong to.
const CHILD_ACCOUNT: &str = "XEFS_TEST_CHILD_ACCOUNT";
/// Set in the child process only: a VPC of that account.
const CHILD_VPC: &str = "XEFS_TEST_CHILD_VPC";

/// Runs [`child_uses_the_standard_endpoint_variables`] in a child process whose environment
/// holds the standard variables — the only honest way to test them, since changing this
/// process's environment is `unsafe` (and racy) while other tests run.
///
/// `AWS_ENDPOINT_URL` points at moto; `AWS_ENDPOINT_URL_EFS` at a closed port. The child
/// connects with the default credential chain and *no* endpoint override: IAM, EC2 and STS
/// reaching moto prove the general variable is honoured; EFS being refused proves the
/// service-specific one is, and that it wins.
#[tokio::test]
async fn endpoint_variables_from_the_environment_are_honoured() -> TestResult {
    let moto = Moto::shared();
    let world = TwoAccountWorld::build_on(moto, WorldOptions { workers: false }).await;
    let CredentialSource::Static {
        access_key_id,
        secret_access_key,
        session_token,
    } = &world.cluster.credentials
    else {
        panic!("world accounts use static credentials");
    };
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let empty = tempfile::tempdir()?;
    let output = tokio::process::Command::new(std::env::current_exe()?)
        .args([
            "connect::child_uses_the_standard_endpoint_variables",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", empty.path())
        .env("AWS_CONFIG_FILE", empty.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            empty.path().join("credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", secret_access_key)
        .env(
            "AWS_SESSION_TOKEN",
            session_token.as_deref().unwrap_or_default(),
        )
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_ENDPOINT_URL_EFS", format!("http://{closed}"))
        .env(CHILD_ACCOUNT, world.cluster.id.as_str())
        .env(CHILD_VPC, world.cluster.vpc_id.as_str())
        .stdin(Stdio::null())
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("test result: ok. 1 passed"),
        "the child failed or did not run its test:\n{stdout}\n{stderr}"
    );
    Ok(())
}

/// The child half of [`endpoint_variables_from_the_environment_are_honoured`]; does nothing
/// outside it.
#[tokio::test]
#[ignore = "runs in a child process started by endpoint_variables_from_the_environment_are_honoured"]
async fn child_uses_the_standard_endpoint_variables() -> TestResult {
    let (Ok(account), Ok(vpc)) = (std::env::var(CHILD_ACCOUNT), std::env::var(CHILD_VPC)) else {
        eprintln!("not started by endpoint_variables_from_the_environment_are_honoured: skipped");
        return Ok(());
    };
    let id = AccountId::parse(&account)?;
    let vpc = VpcId::parse(&vpc)?;
    // The default chain (environment keys) and no endpoint override: all from the environment.
    let options = ConnectOptions::new().with_max_attempts(1);
    assert_eq!(options.endpoint_url(), None);
    let config = xefs_aws::sdk::load_sdk_config(
        AccountRole::Cluster,
        &support::region(),
        &CredentialSource::DefaultChain,
        &options,
    )
    .await?;
    let stats = options.stats().clone();
    let sts = SdkSts::new(aws_sdk_sts::Client::new(&config), id.clone(), stats.clone());
    let ec2 = SdkEc2::new(aws_sdk_ec2::Client::new(&config), id.clone(), stats.clone());
    let iam = SdkIam::new(aws_sdk_iam::Client::new(&config), id.clone(), stats.clone());
    let efs = SdkEfs::new(aws_sdk_efs::Client::new(&config), id.clone(), stats);

    assert_eq!(sts.caller_identity().await?.account, id);
    assert_eq!(ec2.describe_vpc(&vpc).await?.map(|v| v.id), Some(vpc));
    assert_eq!(iam.oidc_providers().await?.len(), 1);
    let refused = efs
        .describe_file_system(&FileSystemId::parse("fs-0a1b2c3d")?)
        .await
        .expect_err("AWS_ENDPOINT_URL_EFS points at a closed port");
    assert!(refused.retryable && refused.code.is_none(), "{refused:?}");
    assert!(
        refused
            .message
            .to_ascii_lowercase()
            .contains("connection refused"),
        "{}",
        refused.message
    );
    Ok(())
}
