//! A ready-made two-account world in moto, built with raw SDK clients (not xefs's ports, so
//! the ports under test never build their own fixtures):
//!
//! * account A (the cluster's): VPC `10.0.0.0/16` with four subnets in three zones — two in
//!   `use1-az6`, one each in `use1-az1` and `use1-az2`; the second `use1-az6` subnet is on an
//!   explicit route table, the others on the VPC's main table; an IAM OIDC provider for
//!   `https://oidc.example.com/abc123`; and, unless disabled, one worker instance per subnet
//!   with the instance profile `xefs-worker-profile` (role `xefs-worker-role`).
//! * account B (the file system's): VPC `10.1.0.0/16` with one subnet in each of the same three
//!   zone ids, all on the main table.
//!
//! Both accounts are fresh, so every world is isolated from every other.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use aws_config::SdkConfig;
use aws_sdk_ec2::types::IamInstanceProfileSpecification;
use xefs_aws::sdk::{
    ConnectOptions, CredentialSource, EnvConfigFileKind, EnvConfigFiles, connect_account,
};
use xefs_aws::{Account, AccountRole, CallStats};
use xefs_core::ids::{
    AccountId, Arn, AzId, InstanceId, Ipv4Cidr, OidcProvider, RouteTableId, SubnetId, VpcId,
};
use xefs_core::spec::StackSpec;

use crate::{Moto, Ports, config_for, credentials, fresh_account_id, options, region};

/// The OIDC issuer registered in account A.
pub const OIDC_ISSUER: &str = "https://oidc.example.com/abc123";
/// The profile holding account A's credentials in [`TwoAccountWorld::profile_files`].
pub const CLUSTER_PROFILE: &str = "xefs-cluster";
/// The profile holding account B's credentials in [`TwoAccountWorld::profile_files`].
pub const STORAGE_PROFILE: &str = "xefs-storage";
/// The workers' instance profile in account A.
pub const WORKER_PROFILE: &str = "xefs-worker-profile";
/// The role of the workers' instance profile in account A.
pub const WORKER_ROLE: &str = "xefs-worker-role";

/// A subnet of the world.
#[derive(Debug, Clone)]
pub struct WorldSubnet {
    /// Its id.
    pub id: SubnetId,
    /// Its zone name in its account (`us-east-1a`…).
    pub az_name: String,
    /// Its zone id (`use1-az6`…).
    pub az_id: AzId,
    /// Its CIDR.
    pub cidr: Ipv4Cidr,
    /// The route table that serves it: its explicit one, or the VPC's main table.
    pub route_table: RouteTableId,
}

/// A worker instance in account A.
#[derive(Debug, Clone)]
pub struct Worker {
    /// Its id.
    pub instance_id: InstanceId,
    /// Its subnet.
    pub subnet_id: SubnetId,
    /// Its instance profile's ARN.
    pub instance_profile_arn: Arn,
    /// The role in that profile.
    pub role_arn: Arn,
}

/// One account of the world and its network.
#[derive(Debug, Clone)]
pub struct WorldAccount {
    /// The account id.
    pub id: AccountId,
    /// Credentials moto maps to this account.
    pub credentials: CredentialSource,
    /// An SDK configuration with those credentials and moto's endpoint.
    pub config: SdkConfig,
    /// Its VPC.
    pub vpc_id: VpcId,
    /// Its VPC's CIDR.
    pub vpc_cidr: Ipv4Cidr,
    /// Its subnets, in creation order.
    pub subnets: Vec<WorldSubnet>,
    /// The VPC's main route table.
    pub main_route_table: RouteTableId,
    /// The explicitly associated route table, if the account has one.
    pub explicit_route_table: Option<RouteTableId>,
}

impl WorldAccount {
    /// The ids of its subnets.
    pub fn subnet_ids(&self) -> Vec<SubnetId> {
        self.subnets.iter().map(|s| s.id.clone()).collect()
    }

    /// The zone ids its subnets are in.
    pub fn az_ids(&self) -> BTreeSet<AzId> {
        self.subnets.iter().map(|s| s.az_id.clone()).collect()
    }

    /// Its subnets in one zone id.
    pub fn subnets_in(&self, az: &AzId) -> Vec<&WorldSubnet> {
        self.subnets.iter().filter(|s| &s.az_id == az).collect()
    }

    /// A raw EC2 client in this account.
    pub fn ec2(&self) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.config)
    }

    /// A raw IAM client in this account.
    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.config)
    }

    /// A raw EFS client in this account.
    pub fn efs(&self) -> aws_sdk_efs::Client {
        aws_sdk_efs::Client::new(&self.config)
    }

    /// The SDK adapters in this account, with a fresh call counter.
    pub fn ports(&self) -> Ports {
        Ports::new(&self.config, &self.id)
    }

    /// xefs's [`Account`] for this account, counting calls in `stats`.
    pub async fn account(&self, moto: &Moto, role: AccountRole, stats: &CallStats) -> Account {
        connect_account(
            role,
            self.id.clone(),
            &region(),
            &self.credentials,
            &options(moto).with_stats(stats.clone()),
        )
        .await
        .expect("the world's account connects")
    }

    /// The `aws_access_key_id`… lines of a credentials-file profile for this account.
    fn profile_section(&self, name: &str) -> String {
        let CredentialSource::Static {
            access_key_id,
            secret_access_key,
            session_token,
        } = &self.credentials
        else {
            unreachable!("world accounts use static credentials")
        };
        let mut section = format!(
            "[{name}]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {secret_access_key}\n"
        );
        if let Some(token) = session_token {
            let _ = writeln!(section, "aws_session_token = {token}");
        }
        section
    }
}

/// What to build besides the networks.
#[derive(Debug, Clone, Copy)]
pub struct WorldOptions {
    /// One worker instance per subnet of account A, with an instance profile and role.
    pub workers: bool,
}

impl Default for WorldOptions {
    fn default() -> Self {
        Self { workers: true }
    }
}

/// Two fresh accounts with their networks, an OIDC provider and workers in A.
#[derive(Debug, Clone)]
pub struct TwoAccountWorld {
    /// Account A, the cluster's.
    pub cluster: WorldAccount,
    /// Account B, the file system's.
    pub storage: WorldAccount,
    /// The OIDC provider registered in A, as IAM names it (`oidc.example.com/abc123`).
    pub oidc_provider: OidcProvider,
    /// Its ARN.
    pub oidc_provider_arn: Arn,
    /// Account A's workers (empty with `workers: false`).
    pub workers: Vec<Worker>,
    endpoint: String,
}

impl TwoAccountWorld {
    /// The default world, on the shared moto server.
    pub async fn build() -> Self {
        Self::build_on(Moto::shared(), WorldOptions::default()).await
    }

    /// A world on `moto`, with `options`.
    pub async fn build_on(moto: &Moto, options: WorldOptions) -> Self {
        let (a, b) = (fresh_account_id(), fresh_account_id());
        let cluster_layout = [
            ("use1-az6", "10.0.1.0/24"),
            ("use1-az6", "10.0.2.0/24"),
            ("use1-az1", "10.0.3.0/24"),
            ("use1-az2", "10.0.4.0/24"),
        ];
        let storage_layout = [
            ("use1-az6", "10.1.1.0/24"),
            ("use1-az1", "10.1.2.0/24"),
            ("use1-az2", "10.1.3.0/24"),
        ];
        let (cluster, storage) = tokio::join!(
            build_account(moto, a, "10.0.0.0/16", &cluster_layout, Some(1)),
            build_account(moto, b, "10.1.0.0/16", &storage_layout, None),
        );
        let (oidc_provider, oidc_provider_arn) = create_oidc_provider(&cluster).await;
        let workers = if options.workers {
            create_workers(&cluster).await
        } else {
            Vec::new()
        };
        Self {
            cluster,
            storage,
            oidc_provider,
            oidc_provider_arn,
            workers,
            endpoint: moto.endpoint().to_owned(),
        }
    }

    /// A credentials file with [`CLUSTER_PROFILE`] (A) and [`STORAGE_PROFILE`] (B), so specs
    /// can name profiles as users do.
    pub fn profile_files(&self) -> EnvConfigFiles {
        EnvConfigFiles::builder()
            .include_default_config_file(false)
            .include_default_credentials_file(false)
            .with_contents(EnvConfigFileKind::Credentials, self.credentials_file())
            .build()
    }

    /// The text of an AWS shared credentials file with both profiles: for a child process
    /// (the `xefs` binary) pointed at it with `AWS_SHARED_CREDENTIALS_FILE`.
    pub fn credentials_file(&self) -> String {
        format!(
            "{}\n{}",
            self.cluster.profile_section(CLUSTER_PROFILE),
            self.storage.profile_section(STORAGE_PROFILE)
        )
    }

    /// moto's endpoint, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Connect options for [`xefs_aws::sdk::connect`]: moto's endpoint and
    /// [`TwoAccountWorld::profile_files`].
    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions::new()
            .with_endpoint_url(&self.endpoint)
            .with_profile_files(self.profile_files())
    }

    /// A spec for this world: A through [`CLUSTER_PROFILE`], B through [`STORAGE_PROFILE`],
    /// the OIDC provider and every subnet of A as worker subnets; B's mount-target subnets
    /// left to be matched by zone id.
    pub fn spec_toml(&self, stack: &str) -> String {
        self.spec_toml_with(stack, &format!("profile = \"{STORAGE_PROFILE}\""))
    }

    /// Like [`TwoAccountWorld::spec_toml`], but B is reached by assuming `role` in B with A's
    /// credentials (`storage.assume_role_arn`); moto maps the assumed credentials to B.
    pub fn spec_toml_assuming(&self, stack: &str, role: &str) -> String {
        self.spec_toml_with(
            stack,
            &format!(
                "assume_role_arn = \"arn:aws:iam::{}:role/{role}\"",
                self.storage.id
            ),
        )
    }

    /// [`TwoAccountWorld::spec_toml`], parsed and validated (without environment overrides).
    pub fn spec(&self, stack: &str) -> StackSpec {
        parse_spec(&self.spec_toml(stack))
    }

    fn spec_toml_with(&self, stack: &str, storage_access: &str) -> String {
        let subnets = self
            .cluster
            .subnets
            .iter()
            .map(|s| format!("\"{}\"", s.id))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            r#"[stack]
name = "{stack}"
region = "{region}"

[cluster]
name = "moto-cluster"
account_id = "{a}"
profile = "{CLUSTER_PROFILE}"
vpc_id = "{a_vpc}"
vpc_cidr = "{a_cidr}"
oidc_provider = "{oidc}"
worker_subnets = [{subnets}]

[storage]
account_id = "{b}"
{storage_access}
vpc_id = "{b_vpc}"
vpc_cidr = "{b_cidr}"
"#,
            region = crate::REGION,
            a = self.cluster.id,
            a_vpc = self.cluster.vpc_id,
            a_cidr = self.cluster.vpc_cidr,
            oidc = self.oidc_provider,
            b = self.storage.id,
            b_vpc = self.storage.vpc_id,
            b_cidr = self.storage.vpc_cidr,
        )
    }
}

/// Parses a spec without environment overrides.
pub fn parse_spec(toml: &str) -> StackSpec {
    let no_env = std::collections::BTreeMap::<String, String>::new();
    match StackSpec::from_toml_str(toml, &no_env) {
        Ok(spec) => spec,
        Err(errors) => panic!("the world's spec is invalid: {errors:?}\n{toml}"),
    }
}

/// Creates the VPC and subnets of one account; `explicit` is the index of the subnet to put on
/// an explicit route table.
async fn build_account(
    moto: &Moto,
    id: AccountId,
    vpc_cidr: &str,
    layout: &[(&str, &str)],
    explicit: Option<usize>,
) -> WorldAccount {
    let credentials = credentials(moto, &id).await;
    let config = config_for(moto, &credentials).await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let vpc = ec2
        .create_vpc()
        .cidr_block(vpc_cidr)
        .send()
        .await
        .expect("moto creates the VPC");
    let vpc_id = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("CreateVpc returns an id");
    let vpc_id = VpcId::parse(vpc_id).expect("moto's VPC id parses");

    let tables = ec2
        .describe_route_tables()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(vpc_id.as_str())
                .build(),
        )
        .send()
        .await
        .expect("moto lists the route tables");
    let main_route_table = tables
        .route_tables()
        .iter()
        .find(|t| t.associations().iter().any(|a| a.main() == Some(true)))
        .and_then(|t| t.route_table_id())
        .expect("a new VPC has a main route table");
    let main_route_table = RouteTableId::parse(main_route_table).expect("moto's table id parses");

    let mut subnets = Vec::new();
    for (az_id, cidr) in layout {
        let created = ec2
            .create_subnet()
            .vpc_id(vpc_id.as_str())
            .cidr_block(*cidr)
            .availability_zone_id(*az_id)
            .send()
            .await
            .expect("moto creates the subnet");
        let s = created.subnet().expect("CreateSubnet returns the subnet");
        subnets.push(WorldSubnet {
            id: SubnetId::parse(s.subnet_id().expect("subnet id")).expect("subnet id parses"),
            az_name: s
                .availability_zone()
                .expect("moto names the zone")
                .to_owned(),
            az_id: AzId::parse(s.availability_zone_id().expect("moto gives the zone id"))
                .expect("zone id parses"),
            cidr: Ipv4Cidr::parse(cidr).expect("layout CIDRs are valid"),
            route_table: main_route_table.clone(),
        });
    }

    let mut explicit_route_table = None;
    if let Some(index) = explicit {
        let table = ec2
            .create_route_table()
            .vpc_id(vpc_id.as_str())
            .send()
            .await
            .expect("moto creates the route table");
        let table = RouteTableId::parse(
            table
                .route_table()
                .and_then(|t| t.route_table_id())
                .expect("CreateRouteTable returns an id"),
        )
        .expect("table id parses");
        ec2.associate_route_table()
            .route_table_id(table.as_str())
            .subnet_id(subnets[index].id.as_str())
            .send()
            .await
            .expect("moto associates the table");
        subnets[index].route_table = table.clone();
        explicit_route_table = Some(table);
    }

    WorldAccount {
        id,
        credentials,
        config,
        vpc_id,
        vpc_cidr: Ipv4Cidr::parse(vpc_cidr).expect("valid VPC CIDR"),
        subnets,
        main_route_table,
        explicit_route_table,
    }
}

async fn create_oidc_provider(cluster: &WorldAccount) -> (OidcProvider, Arn) {
    let created = cluster
        .iam()
        .create_open_id_connect_provider()
        .url(OIDC_ISSUER)
        .client_id_list("openshift")
        .thumbprint_list("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")
        .send()
        .await
        .expect("moto registers the OIDC provider");
    let arn = Arn::parse(
        created
            .open_id_connect_provider_arn()
            .expect("CreateOpenIDConnectProvider returns the ARN"),
    )
    .expect("the provider ARN parses");
    let provider = OidcProvider::parse(OIDC_ISSUER).expect("the issuer parses");
    (provider, arn)
}

async fn create_workers(cluster: &WorldAccount) -> Vec<Worker> {
    let iam = cluster.iam();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let role = iam
        .create_role()
        .role_name(WORKER_ROLE)
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("moto creates the worker role");
    let role_arn = Arn::parse(
        role.role()
            .map(|r| r.arn())
            .expect("CreateRole returns the role"),
    )
    .expect("the role ARN parses");
    let profile = iam
        .create_instance_profile()
        .instance_profile_name(WORKER_PROFILE)
        .send()
        .await
        .expect("moto creates the instance profile");
    let instance_profile_arn = Arn::parse(
        profile
            .instance_profile()
            .map(|p| p.arn())
            .expect("CreateInstanceProfile returns the profile"),
    )
    .expect("the profile ARN parses");
    iam.add_role_to_instance_profile()
        .instance_profile_name(WORKER_PROFILE)
        .role_name(WORKER_ROLE)
        .send()
        .await
        .expect("moto adds the role to the profile");

    let ec2 = cluster.ec2();
    let mut workers = Vec::new();
    for subnet in &cluster.subnets {
        let run = ec2
            .run_instances()
            .image_id("ami-12c6146b")
            .min_count(1)
            .max_count(1)
            .subnet_id(subnet.id.as_str())
            .iam_instance_profile(
                IamInstanceProfileSpecification::builder()
                    .name(WORKER_PROFILE)
                    .build(),
            )
            .send()
            .await
            .expect("moto runs the worker");
        let id = run
            .instances()
            .first()
            .and_then(|i| i.instance_id())
            .expect("RunInstances returns the instance");
        workers.push(Worker {
            instance_id: InstanceId::parse(id).expect("instance id parses"),
            subnet_id: subnet.id.clone(),
            instance_profile_arn: instance_profile_arn.clone(),
            role_arn: role_arn.clone(),
        });
    }
    workers
}
