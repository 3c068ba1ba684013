//! What every moto test needs: the server ([`Moto`]), an isolated AWS account per test
//! ([`fresh_account_id`], [`account`]), and a ready-made two-account network
//! ([`TwoAccountWorld`]).
//!
//! moto maps the credentials returned by `sts:AssumeRole` of `arn:aws:iam::<ID>:role/<any>` to
//! account `<ID>`, and keeps each account's resources apart. So each test takes fresh account
//! ids and cannot see (or break) what another test created, while all tests share one server.
//!
//! ```no_run
//! # async fn demo() {
//! use xefs_moto::{self as support, Moto, fresh_account_id};
//! let moto = Moto::shared();
//! let id = fresh_account_id();
//! let account = support::account(moto, &id).await; // xefs ports, acting in `id`
//! let raw = aws_sdk_ec2::Client::new(&support::sdk_config(moto, &id).await); // raw SDK
//! # }
//! ```

pub mod moto;
pub mod world;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_config::SdkConfig;
use xefs_aws::sdk::{
    ConnectOptions, CredentialSource, SdkEc2, SdkEfs, SdkIam, SdkSts, connect_account,
    load_sdk_config,
};
use xefs_aws::{Account, AccountRole, CallStats};
use xefs_core::ids::{AccountId, Region};

pub use moto::Moto;
pub use world::{TwoAccountWorld, Worker, WorldAccount, WorldOptions, WorldSubnet};

/// The region every moto test works in (moto names its zones `us-east-1a` → `use1-az6`,
/// `us-east-1b` → `use1-az1`, `us-east-1c` → `use1-az2`, in every account).
pub const REGION: &str = "us-east-1";

/// The role assumed in a test account to get credentials that moto maps to it. moto does not
/// check that the role exists.
pub const TEST_ROLE: &str = "xefs-test";

/// [`REGION`] as xefs's type.
pub fn region() -> Region {
    Region::parse(REGION).expect("REGION is a valid region")
}

/// An account id no other test of this run uses: a random base (so reruns against a
/// long-lived moto start clean too) plus a counter.
pub fn fresh_account_id() -> AccountId {
    static BASE: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let base = *BASE.get_or_init(|| fastrand::u64(100_000_000_000..800_000_000_000));
    let id = base + NEXT.fetch_add(1, Ordering::Relaxed);
    AccountId::parse(&id.to_string()).expect("12 digits")
}

/// Options that send every call to `moto`.
pub fn options(moto: &Moto) -> ConnectOptions {
    ConnectOptions::new().with_endpoint_url(moto.endpoint())
}

/// moto's default credentials (any keys work; these map to moto's default account
/// `123456789012`).
pub fn base_credentials() -> CredentialSource {
    CredentialSource::Static {
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
        session_token: None,
    }
}

/// Static credentials that moto maps to `account`: keys from `sts:AssumeRole` of a role in it.
pub async fn credentials(moto: &Moto, account: &AccountId) -> CredentialSource {
    let base = load_sdk_config(
        AccountRole::Cluster,
        &region(),
        &base_credentials(),
        &options(moto),
    )
    .await
    .expect("moto's base configuration loads");
    let assumed = aws_sdk_sts::Client::new(&base)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/{TEST_ROLE}"))
        .role_session_name("xefs-tests")
        .send()
        .await
        .expect("moto's STS assumes a role in the test account");
    let keys = assumed
        .credentials()
        .expect("AssumeRole returns credentials");
    CredentialSource::Static {
        access_key_id: keys.access_key_id().to_owned(),
        secret_access_key: keys.secret_access_key().to_owned(),
        session_token: Some(keys.session_token().to_owned()),
    }
}

/// An SDK configuration acting in `account`, for raw clients (building fixtures, or reading
/// back what an adapter did, independently of the adapters).
pub async fn sdk_config(moto: &Moto, account: &AccountId) -> SdkConfig {
    config_for(moto, &credentials(moto, account).await).await
}

/// An SDK configuration with these credentials and moto's endpoint.
pub async fn config_for(moto: &Moto, credentials: &CredentialSource) -> SdkConfig {
    load_sdk_config(AccountRole::Cluster, &region(), credentials, &options(moto))
        .await
        .expect("the test account's configuration loads")
}

/// The four SDK adapters of one account, used directly (the [`Account`] wrapper hands them
/// out only to steps, through a rate limit), and the counter they record into.
#[derive(Debug, Clone)]
pub struct Ports {
    /// The account they act in.
    pub id: AccountId,
    /// IAM.
    pub iam: SdkIam,
    /// EC2.
    pub ec2: SdkEc2,
    /// EFS.
    pub efs: SdkEfs,
    /// STS.
    pub sts: SdkSts,
    /// Their calls.
    pub stats: CallStats,
}

impl Ports {
    /// The adapters over `config`, acting in `id`, with a fresh counter.
    pub fn new(config: &SdkConfig, id: &AccountId) -> Self {
        let stats = CallStats::new();
        Self {
            id: id.clone(),
            iam: SdkIam::new(aws_sdk_iam::Client::new(config), id.clone(), stats.clone()),
            ec2: SdkEc2::new(aws_sdk_ec2::Client::new(config), id.clone(), stats.clone()),
            efs: SdkEfs::new(aws_sdk_efs::Client::new(config), id.clone(), stats.clone()),
            sts: SdkSts::new(aws_sdk_sts::Client::new(config), id.clone(), stats.clone()),
            stats,
        }
    }
}

/// The adapters of a fresh account of their own.
pub async fn fresh_ports(moto: &Moto) -> Ports {
    let id = fresh_account_id();
    Ports::new(&sdk_config(moto, &id).await, &id)
}

/// xefs's ports acting in `account`, through the SDK adapters.
pub async fn account(moto: &Moto, account: &AccountId) -> Account {
    account_with_stats(moto, account, &CallStats::new()).await
}

/// Like [`account()`], counting calls in `stats`.
pub async fn account_with_stats(moto: &Moto, account: &AccountId, stats: &CallStats) -> Account {
    connect_account(
        AccountRole::Cluster,
        account.clone(),
        &region(),
        &credentials(moto, account).await,
        &options(moto).with_stats(stats.clone()),
    )
    .await
    .expect("the test account connects")
}
