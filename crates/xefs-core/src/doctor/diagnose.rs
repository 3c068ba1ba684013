//! [`diagnose`]: every check over a [`DoctorSnapshot`], in checklist order, and what the
//! groups share (which account a check reads, when it must be skipped, the IAM questions'
//! inputs).

use super::finding::{CheckId, Finding, Findings};
use super::network::check_paths;
use super::snapshot::{AccountFacts, DoctorSnapshot, IdentityFact};
use super::{cluster, file_system, preflight, roles};
use crate::iam::questions::Setup;
use crate::ids::{Arn, OidcProvider, Partition};

/// Runs every check over `snapshot` and returns the full checklist, passed and skipped
/// findings included, in a stable order: preflight, network, IAM, file system, cluster.
///
/// Before the first `xefs apply` ([`DoctorSnapshot::applied`] is false) the checks of what
/// apply creates are skipped, not failed, so doctor doubles as a preflight. A check reading an
/// account whose credentials do not act in it is skipped too: only `credentials` fails, rather
/// than every check repeating it.
pub fn diagnose(snapshot: &DoctorSnapshot) -> Findings {
    let cx = Context::new(snapshot);
    let mut findings = Findings::default();
    findings.extend(preflight::check(&cx));
    findings.extend(network(&cx));
    findings.extend(roles::check(&cx));
    findings.extend(file_system::check(&cx));
    findings.extend(cluster::check(&cx));
    findings
}

/// One of the two accounts, for naming and gating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Account {
    /// A, the cluster's.
    Cluster,
    /// B, the file system's.
    Storage,
}

impl Account {
    /// Both, A first.
    pub(super) const BOTH: [Account; 2] = [Account::Cluster, Account::Storage];

    /// The account's facts.
    pub(super) fn facts(self, snapshot: &DoctorSnapshot) -> &AccountFacts {
        match self {
            Account::Cluster => &snapshot.cluster_account,
            Account::Storage => &snapshot.storage_account,
        }
    }

    /// The spec section that configures it (`cluster` or `storage`), for config keys in fixes.
    pub(super) fn section(self) -> &'static str {
        match self {
            Account::Cluster => "cluster",
            Account::Storage => "storage",
        }
    }
}

/// The snapshot and what every group needs to know about it.
pub(super) struct Context<'s> {
    /// The snapshot under diagnosis.
    pub(super) snapshot: &'s DoctorSnapshot,
    /// Whether anything `xefs apply` creates exists yet.
    pub(super) applied: bool,
}

/// The message of a check on something `xefs apply` creates, before the first apply.
pub(super) const NOT_CREATED: &str = "not created yet: `xefs apply` creates it";

impl<'s> Context<'s> {
    fn new(snapshot: &'s DoctorSnapshot) -> Self {
        Self {
            snapshot,
            applied: snapshot.applied(),
        }
    }

    /// Why checks reading `accounts` cannot run: the first of them whose credentials do not
    /// act in it. What was read with them came from another account, or not at all.
    pub(super) fn unreadable(&self, accounts: &[Account]) -> Option<String> {
        accounts.iter().find_map(|&account| {
            let facts = account.facts(self.snapshot);
            (!matches!(facts.identity, IdentityFact::Verified { .. })).then(|| {
                format!(
                    "not checked: the credentials for account {} do not work (see `credentials`)",
                    facts.expected
                )
            })
        })
    }

    /// Why a check on something `xefs apply` creates, reading `accounts`, cannot run: unusable
    /// credentials first, then "not created yet".
    pub(super) fn not_ready(&self, accounts: &[Account]) -> Option<String> {
        self.unreadable(accounts)
            .or_else(|| (!self.applied).then(|| NOT_CREATED.to_owned()))
    }

    /// The identifiers the IAM questions are about.
    ///
    /// `provider` is `None` when the issuer is unknown; `file_system` when there is no file
    /// system. Only question 1 reads the provider and only questions 3 and 4 the file system,
    /// and those are skipped when theirs is missing, so placeholders stand in for the others.
    pub(super) fn setup(&self, file_system: Option<&Arn>) -> Setup {
        let iam = &self.snapshot.iam;
        let partition = Partition::parse(iam.csi_role.arn.partition()).unwrap_or(Partition::Aws);
        let (provider, provider_arn) = match &self.snapshot.oidc {
            Some(oidc) => (oidc.provider.clone(), oidc.arn.clone()),
            None => {
                let provider = unknown_issuer();
                let arn = Arn::oidc_provider(
                    partition,
                    &self.snapshot.cluster_account.expected,
                    &provider,
                );
                (provider, arn)
            }
        };
        Setup {
            provider_arn,
            provider,
            namespace: iam.namespace.clone(),
            csi_role: iam.csi_role.arn.clone(),
            cross_account_role: iam.cross_account_role.arn.clone(),
            file_system: file_system.cloned().unwrap_or_else(|| {
                Arn::from_trusted(format!(
                    "arn:{partition}:elasticfilesystem:::file-system/unknown"
                ))
            }),
        }
    }
}

/// A stand-in issuer, never read (see [`Context::setup`]).
fn unknown_issuer() -> OidcProvider {
    OidcProvider::from_trusted("issuer.unknown.invalid".to_owned())
}

/// `IAM role <name> in account <id>`, for findings on a role.
pub(super) fn role_resource(arn: &Arn) -> String {
    let name = arn
        .resource()
        .strip_prefix("role/")
        .unwrap_or(arn.resource());
    match arn.account() {
        Some(account) => format!("IAM role {name} in account {account}"),
        None => format!("IAM role {arn}"),
    }
}

/// The network path checks, after apply; skipped before it or without readable facts.
fn network(cx: &Context<'_>) -> Vec<Finding> {
    let s = cx.snapshot;
    let why = cx.unreadable(&Account::BOTH).or_else(|| {
        s.network
            .is_none()
            .then(|| "not checked: the network facts could not be read (see `vpc-cidr`)".to_owned())
    });
    match (&s.network, why) {
        (Some(network), None) if cx.applied => check_paths(network),
        (_, why) => {
            let a = &s.cluster_account;
            let b = &s.storage_account;
            let path = "not checked yet: the NFS path is checked once `xefs apply` has created \
                        the mount targets";
            let zones = "not created yet: `xefs apply` creates a mount target in each worker \
                         AZ id";
            [
                (
                    CheckId::PeeringActive,
                    format!("VPC peering between {} and {}", a.vpc.id, b.vpc.id),
                    NOT_CREATED,
                ),
                (
                    CheckId::WorkerSubnet,
                    format!("worker subnets in account {}", a.expected),
                    path,
                ),
                (
                    CheckId::MountTargetVpc,
                    format!("mount targets in account {}", b.expected),
                    NOT_CREATED,
                ),
                (
                    CheckId::MountTargetAvailable,
                    format!("mount targets in account {}", b.expected),
                    NOT_CREATED,
                ),
                (
                    CheckId::AzAlignment,
                    format!("mount targets per worker AZ id in account {}", b.expected),
                    zones,
                ),
                (
                    CheckId::RouteToPeer,
                    format!(
                        "route tables of the worker subnets in account {}",
                        a.expected
                    ),
                    NOT_CREATED,
                ),
                (
                    CheckId::RouteBack,
                    format!(
                        "route tables of the mount-target subnets in account {}",
                        b.expected
                    ),
                    NOT_CREATED,
                ),
                (
                    CheckId::NfsIngress,
                    format!(
                        "security group of the mount targets in account {}",
                        b.expected
                    ),
                    NOT_CREATED,
                ),
                (
                    CheckId::AclClusterSubnet,
                    format!(
                        "network ACLs of the worker subnets in account {}",
                        a.expected
                    ),
                    path,
                ),
                (
                    CheckId::AclStorageSubnet,
                    format!(
                        "network ACLs of the mount-target subnets in account {}",
                        b.expected
                    ),
                    path,
                ),
            ]
            .into_iter()
            .map(|(check, resource, before_apply)| {
                Finding::skipped(check, resource, why.as_deref().unwrap_or(before_apply))
            })
            .collect()
        }
    }
}

#[cfg(test)]
mod tests;
