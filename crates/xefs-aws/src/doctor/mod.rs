//! Reading the live state of both accounts into the snapshot `xefs doctor` analyses.
//!
//! [`read_snapshot`] is strictly read-only: it calls only `Describe*`, `Get*` and `List*`, so
//! it is safe before `apply`, after it, and on a stack someone else changed by hand. What does
//! not exist is a fact (`None`, `found: None`, an empty list); what cannot be read because an
//! account's credentials are missing or belong elsewhere is a fact too
//! ([`IdentityFact`](xefs_core::doctor::IdentityFact)), and
//! the other account is still read. Only an AWS error on a readable account (throttling that
//! outlasted the SDK's retries, a denied describe…) is returned, naming its call and account.
//!
//! Independent calls go out together, so the whole read takes a few round trips, whatever the
//! number of calls:
//!
//! 1. both accounts' `GetCallerIdentity`;
//! 2. in each verified account at once: the VPCs then (when both exist) their subnets, route
//!    tables, network ACLs and the peering; the roles and their policies; A's OIDC providers and
//!    worker instances (then their instance profiles' roles); B's file system (by the stack's
//!    creation token) then its policy, its mount targets and their security groups;
//! 3. the security groups the mount targets use (and the NFS group xefs creates, by name), and
//!    the rare subnet outside both VPCs' lists (a worker subnet of another VPC).
//!
//! ```no_run
//! # async fn demo(spec: xefs_core::spec::StackSpec) -> Result<(), xefs_aws::AwsError> {
//! use xefs_aws::doctor::{DoctorAccounts, read_snapshot};
//! use xefs_aws::sdk::ConnectOptions;
//! use xefs_core::doctor::check_network;
//!
//! let accounts = DoctorAccounts::connect(&spec, &ConnectOptions::default()).await;
//! let snapshot = read_snapshot(&spec, &accounts, None).await?;
//! if let Some(network) = &snapshot.network {
//!     for finding in check_network(network) {
//!         println!("{finding}");
//!     }
//! }
//! # Ok(()) }
//! ```

mod iam;
mod identity;
mod join;
mod network;
mod storage;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use xefs_core::blueprint::{Address, Blueprint, StepSpec, addr};
use xefs_core::doctor::{
    AccountFacts, ClusterFacts, DoctorSnapshot, IamFacts, NetworkSnapshot, OidcFacts, PeeringState,
    RoleDocuments, RoleFacts, VpcFact,
};
use xefs_core::ids::{Arn, InstanceId, Ipv4Cidr, OidcProvider, SubnetId, VpcId};
use xefs_core::spec::StackSpec;
use xefs_core::step::{Inputs, StepContext};

use self::storage::FileSystemRead;
use crate::ports::{Instance, Vpc};
use crate::sdk::{ConnectOptions, CredentialSource, connect_account};
use crate::{Account, AccountRole, AwsAccounts, AwsError, ProviderError, Service};

/// The accounts as connected for doctor: failing to connect is a finding, not an error.
///
/// Unlike `apply`, doctor goes on when one account cannot be reached, so that the user sees
/// everything wrong with the other one in the same run.
#[derive(Debug)]
pub struct DoctorAccounts {
    /// Account A, or why it could not be connected.
    pub cluster: Result<Account, ProviderError>,
    /// Account B, or why it could not be connected.
    pub storage: Result<Account, ProviderError>,
}

impl DoctorAccounts {
    /// Connects both accounts as [`connect`](crate::sdk::connect) does (concurrently, with the
    /// same credential sources), keeping each account's failure instead of the first one.
    pub async fn connect(spec: &StackSpec, options: &ConnectOptions) -> Self {
        let (cluster_source, storage_source) = (
            CredentialSource::for_cluster(spec),
            CredentialSource::for_storage(spec),
        );
        let (cluster, storage) = tokio::join!(
            connect_account(
                AccountRole::Cluster,
                spec.cluster.account_id.clone(),
                &spec.region,
                &cluster_source,
                options,
            ),
            connect_account(
                AccountRole::Storage,
                spec.storage.account_id.clone(),
                &spec.region,
                &storage_source,
                options,
            ),
        );
        Self { cluster, storage }
    }
}

impl From<AwsAccounts> for DoctorAccounts {
    fn from(accounts: AwsAccounts) -> Self {
        Self {
            cluster: Ok(accounts.cluster),
            storage: Ok(accounts.storage),
        }
    }
}

/// Reads everything doctor checks in both accounts, without rate limits (doctor makes a few
/// dozen calls). See [`read_snapshot_with`] to share an engine's rate limits.
///
/// `cluster` holds the cluster's facts when doctor read them (not with `--phase aws`): its
/// service-account issuer stands in for `cluster.oidc_provider`, and its worker instances for
/// `cluster.worker_subnets` and `cluster.node_role_arns`, when the spec leaves them out. They
/// end up in the snapshot as they are.
///
/// An account whose identity is not verified is not read at all: its VPC's `cidrs` and its
/// role's `found` are `None`, there is no network snapshot, and the other account is still
/// read. Without A, `oidc` is `None` too (whether A registered the provider is unknown, which
/// is not the same as unregistered) and the node roles are the spec's.
pub async fn read_snapshot(
    spec: &StackSpec,
    accounts: &DoctorAccounts,
    cluster: Option<ClusterFacts>,
) -> Result<DoctorSnapshot, AwsError> {
    // Doctor's calls are reported under the preflight's address, the read-only check it
    // extends. The constant parses (a unit test says so), so this error cannot happen; it is
    // mapped rather than unwrapped all the same.
    let address = Address::parse(addr::PREFLIGHT).map_err(|e| {
        AwsError::new(
            Service::Sts,
            "GetCallerIdentity",
            None,
            e.to_string(),
            false,
        )
    })?;
    let ctx = StepContext::new(address, Inputs::new());
    read_snapshot_with(&ctx, spec, accounts, cluster).await
}

/// [`read_snapshot`] with the rate limits (and address, for traces) of `ctx`: every call first
/// waits for its account's and service's limit, as the steps' calls do.
pub async fn read_snapshot_with(
    ctx: &StepContext,
    spec: &StackSpec,
    accounts: &DoctorAccounts,
    cluster: Option<ClusterFacts>,
) -> Result<DoctorSnapshot, AwsError> {
    let names = Names::of(spec);
    let ((a_identity, a), (b_identity, b)) = tokio::join!(
        identity::check(
            &accounts.cluster,
            AccountRole::Cluster,
            &spec.cluster.account_id
        ),
        identity::check(
            &accounts.storage,
            AccountRole::Storage,
            &spec.storage.account_id
        ),
    );
    let oidc_provider = iam::oidc_provider(spec, cluster.as_ref());
    let worker_instances = cluster
        .as_ref()
        .map(|c| c.worker_instances.clone())
        .unwrap_or_default();

    let (vpcs, a_read, b_read) = tokio::try_join!(
        read_vpcs(ctx, spec, a, b),
        async {
            match a {
                Some(a) => read_cluster_account(ctx, a, spec, oidc_provider, &worker_instances)
                    .await
                    .map(Some),
                None => Ok(None),
            }
        },
        async {
            match b {
                Some(b) => read_storage_account(ctx, b, spec, &names).await.map(Some),
                None => Ok(None),
            }
        },
    )?;
    let file_system = b_read.as_ref().and_then(|r| r.file_system.as_ref());
    let network = match (&vpcs.network, a, b) {
        (Some(base), Some(a), Some(b)) => {
            let instances = a_read.as_ref().map_or(&[][..], |r| r.instances.as_slice());
            Some(finish_network(ctx, spec, &names, (a, b), base, instances, file_system).await?)
        }
        _ => None,
    };

    let node_roles = match &a_read {
        Some(r) => r.node_roles.clone(),
        None => spec.cluster.node_role_arns.clone(),
    };
    let (oidc, csi_role) = match a_read {
        Some(r) => (r.oidc, r.csi_role),
        None => (None, None),
    };
    let (cross_account_role, file_system) = match b_read {
        Some(r) => (r.role, r.file_system.map(|fs| fs.facts)),
        None => (None, None),
    };
    Ok(DoctorSnapshot {
        cluster_account: AccountFacts {
            expected: spec.cluster.account_id.clone(),
            identity: a_identity,
            vpc: vpc_fact(&spec.cluster.vpc_id, spec.cluster.vpc_cidr, vpcs.a.as_ref()),
        },
        storage_account: AccountFacts {
            expected: spec.storage.account_id.clone(),
            identity: b_identity,
            vpc: vpc_fact(&spec.storage.vpc_id, spec.storage.vpc_cidr, vpcs.b.as_ref()),
        },
        network,
        storage_subnets: spec.storage.subnets.clone(),
        oidc,
        iam: IamFacts {
            namespace: spec.operator.namespace.to_string(),
            csi_role: RoleFacts {
                arn: spec.csi_role_arn(),
                found: csi_role,
            },
            cross_account_role: RoleFacts {
                arn: spec.cross_account_role_arn(),
                found: cross_account_role,
            },
            node_roles,
        },
        file_system,
        cluster,
    })
}

/// The names the steps find their resources by, taken from the blueprint so doctor looks
/// exactly where `apply` creates.
struct Names {
    /// The file system's creation token.
    creation_token: String,
    /// The mount targets' NFS security group.
    nfs_group: Option<String>,
}

impl Names {
    fn of(spec: &StackSpec) -> Self {
        let mut names = Names {
            creation_token: spec.creation_token().to_owned(),
            nfs_group: None,
        };
        for step in Blueprint::build(spec).steps {
            match step.spec {
                StepSpec::FileSystem(fs) => names.creation_token = fs.creation_token,
                StepSpec::MountTargetSecurityGroup(sg) => names.nfs_group = Some(sg.name),
                _ => {}
            }
        }
        names
    }
}

/// The spec's VPC in one account, with its live CIDR blocks (primary first) when it exists.
fn vpc_fact(id: &VpcId, expected_cidr: Ipv4Cidr, live: Option<&Vpc>) -> VpcFact {
    VpcFact {
        id: id.clone(),
        expected_cidr,
        cidrs: live.map(|vpc| {
            std::iter::once(vpc.cidr)
                .chain(vpc.cidrs.iter().copied().filter(|c| *c != vpc.cidr))
                .collect()
        }),
    }
}

/// Both VPCs as found (`None` when missing or in an unreadable account), and, when both exist,
/// the first reads of the network.
struct VpcsRead {
    a: Option<Vpc>,
    b: Option<Vpc>,
    network: Option<NetworkBase>,
}

/// The network reads that need only the two VPCs.
struct NetworkBase {
    a_vpc: Vpc,
    b_vpc: Vpc,
    a: network::VpcRead,
    b: network::VpcRead,
    peering: Option<PeeringState>,
}

/// Describes both VPCs, then, when both exist, reads their subnets, route tables and ACLs and
/// the peering, all at once.
async fn read_vpcs(
    ctx: &StepContext,
    spec: &StackSpec,
    a: Option<&Account>,
    b: Option<&Account>,
) -> Result<VpcsRead, AwsError> {
    let (a_vpc, b_vpc) = tokio::try_join!(
        describe_vpc(ctx, a, &spec.cluster.vpc_id),
        describe_vpc(ctx, b, &spec.storage.vpc_id),
    )?;
    let network = match (a, b, &a_vpc, &b_vpc) {
        (Some(a), Some(b), Some(a_vpc), Some(b_vpc)) => {
            let (a_read, b_read, peering) = tokio::try_join!(
                network::read_vpc(ctx, a, &a_vpc.id),
                network::read_vpc(ctx, b, &b_vpc.id),
                network::read_peering(ctx, a, &a_vpc.id, &b_vpc.id),
            )?;
            Some(NetworkBase {
                a_vpc: a_vpc.clone(),
                b_vpc: b_vpc.clone(),
                a: a_read,
                b: b_read,
                peering,
            })
        }
        _ => None,
    };
    Ok(VpcsRead {
        a: a_vpc,
        b: b_vpc,
        network,
    })
}

/// The VPC `id`, when the account is readable and the VPC exists.
async fn describe_vpc(
    ctx: &StepContext,
    account: Option<&Account>,
    id: &VpcId,
) -> Result<Option<Vpc>, AwsError> {
    match account {
        Some(account) => account.ec2(ctx).await.describe_vpc(id).await,
        None => Ok(None),
    }
}

/// What doctor reads in account A besides its network.
struct ClusterRead {
    oidc: Option<OidcFacts>,
    csi_role: Option<RoleDocuments>,
    /// The worker instances, when the spec leaves the worker subnets or node roles out.
    instances: Vec<Instance>,
    node_roles: Vec<Arn>,
}

async fn read_cluster_account(
    ctx: &StepContext,
    a: &Account,
    spec: &StackSpec,
    oidc_provider: Option<OidcProvider>,
    worker_instances: &[InstanceId],
) -> Result<ClusterRead, AwsError> {
    let needs_instances = !worker_instances.is_empty()
        && (spec.cluster.worker_subnets.is_empty() || spec.cluster.node_role_arns.is_empty());
    let (oidc, csi_role, (instances, node_roles)) = tokio::try_join!(
        async {
            match oidc_provider {
                Some(p) => iam::oidc_facts(ctx, a, spec, p).await.map(Some),
                None => Ok(None),
            }
        },
        iam::role_documents(ctx, a, &spec.iam.csi_role_name),
        async {
            let instances = if needs_instances {
                a.ec2(ctx)
                    .await
                    .describe_instances(worker_instances)
                    .await?
            } else {
                Vec::new()
            };
            let roles = iam::node_roles(ctx, a, spec, &instances).await?;
            Ok((instances, roles))
        },
    )?;
    Ok(ClusterRead {
        oidc,
        csi_role,
        instances,
        node_roles,
    })
}

/// What doctor reads in account B besides its network.
struct StorageRead {
    role: Option<RoleDocuments>,
    file_system: Option<FileSystemRead>,
}

async fn read_storage_account(
    ctx: &StepContext,
    b: &Account,
    spec: &StackSpec,
    names: &Names,
) -> Result<StorageRead, AwsError> {
    let (role, file_system) = tokio::try_join!(
        iam::role_documents(ctx, b, &spec.iam.cross_account_role_name),
        storage::read(ctx, b, spec, &names.creation_token),
    )?;
    Ok(StorageRead { role, file_system })
}

/// The worker subnets: the spec's, else those of the worker instances, sorted and unique.
fn worker_subnets(spec: &StackSpec, instances: &[Instance]) -> BTreeSet<SubnetId> {
    if spec.cluster.worker_subnets.is_empty() {
        instances
            .iter()
            .filter_map(|i| i.subnet_id.clone())
            .collect()
    } else {
        spec.cluster.worker_subnets.iter().cloned().collect()
    }
}

/// The reads that need the mount targets or the workers: B's security groups, and the subnets
/// outside both VPCs' lists; then the network snapshot.
async fn finish_network(
    ctx: &StepContext,
    spec: &StackSpec,
    names: &Names,
    (a, b): (&Account, &Account),
    base: &NetworkBase,
    instances: &[Instance],
    file_system: Option<&FileSystemRead>,
) -> Result<NetworkSnapshot, AwsError> {
    let targets = file_system.map_or(&[][..], |fs| fs.mount_targets.as_slice());
    let used_groups: BTreeSet<_> = targets
        .iter()
        .flat_map(|(_, groups)| groups.iter().cloned())
        .collect();
    let workers = worker_subnets(spec, instances);
    let foreign_workers: BTreeSet<SubnetId> = workers
        .iter()
        .filter(|id| !base.a.subnets.iter().any(|s| &s.id == *id))
        .cloned()
        .collect();
    let foreign_targets = network::unresolved_mount_target_subnets(targets, &base.b);
    let (groups, a_elsewhere, b_elsewhere) = tokio::try_join!(
        network::read_groups(
            ctx,
            b,
            &spec.storage.vpc_id,
            &used_groups,
            names.nfs_group.as_deref()
        ),
        network::describe_each(ctx, a, &foreign_workers),
        network::describe_each(ctx, b, &foreign_targets),
    )?;
    Ok(NetworkSnapshot {
        cluster: network::vpc_side(&spec.cluster.account_id, &base.a_vpc, &base.a, &[]),
        storage: network::vpc_side(&spec.storage.account_id, &base.b_vpc, &base.b, &groups),
        peering: base.peering.clone(),
        workers: network::workers(&workers, &base.a, &a_elsewhere),
        mount_targets: network::mount_targets(targets, &base.b, &b_elsewhere),
    })
}

#[cfg(test)]
mod address_tests {
    use super::*;

    #[test]
    fn doctors_address_parses() {
        assert!(Address::parse(addr::PREFLIGHT).is_ok());
    }
}
