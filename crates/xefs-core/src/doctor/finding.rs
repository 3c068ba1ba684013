//! Doctor's unit of output: one check on one resource, passed or not, with the fix.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which check a finding comes from. The kebab-case names are stable: `--output json` and
/// tests match on them. Variants are declared in checklist order, group by group (see
/// [`CheckGroup`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    // Preflight: what must hold before `xefs apply` can work.
    /// The credentials given for an account must act in that account (`sts:GetCallerIdentity`).
    Credentials,
    /// The spec's VPC must exist in its account and hold the spec's `*.vpc_cidr`, which routes
    /// and rules are built from.
    VpcCidr,
    /// The two VPCs' CIDR blocks must be disjoint, or peering cannot route between them.
    CidrOverlap,
    /// A's IAM must list an OIDC provider for the cluster's issuer, or no service-account token
    /// can be exchanged for A's CSI role.
    OidcProvider,
    /// The cluster must issue service-account tokens from a public OIDC issuer (an STS
    /// cluster), the one xefs trusts.
    ServiceAccountIssuer,
    /// B's VPC (or `storage.subnets`) must have a subnet in every AZ id where workers run, to
    /// hold a mount target there.
    StorageZones,
    // Network: the NFS path from the workers to the mount targets and back.
    /// A peering must join the two VPCs and be `active`.
    PeeringActive,
    /// Each worker subnet must be a known subnet of A's VPC.
    WorkerSubnet,
    /// Mount targets must sit in B's peered VPC (not, say, B's default VPC).
    MountTargetVpc,
    /// Mount targets must be `available`.
    MountTargetAvailable,
    /// Each worker AZ id should have a mount target in the same AZ id.
    AzAlignment,
    /// A's route table must send B's CIDR to the peering.
    RouteToPeer,
    /// B's route table must send A's CIDR back to the peering.
    RouteBack,
    /// The mount target's security groups must admit TCP 2049 from the workers.
    NfsIngress,
    /// The worker subnet's network ACL must pass NFS out and the replies back.
    AclClusterSubnet,
    /// The mount target subnet's network ACL must pass NFS in and the replies out.
    AclStorageSubnet,
    // IAM: the chain of roles the driver walks.
    /// A's CSI role must exist.
    CsiRole,
    /// B's cross-account role must exist.
    CrossAccountRole,
    /// A's CSI role's trust must let the driver's service accounts (and only them) assume it
    /// with their OIDC tokens.
    CsiTrust,
    /// A's CSI role must be allowed to assume B's role: A's policy *and* B's trust.
    AssumeCrossAccountRole,
    /// B's role must allow every EFS call the driver makes on the file system, scoped to it.
    DriverPermissions,
    // File system.
    /// B's file system must exist and be `available`.
    FileSystem,
    /// The file-system policy must let A's node roles mount and write over TLS, and refuse
    /// mounts without TLS.
    FileSystemPolicy,
    // Cluster: the objects the driver reads.
    /// Secret `aws-efs-cloud-credentials` must name A's CSI role.
    CloudCredentialsSecret,
    /// `ClusterCSIDriver/efs.csi.aws.com` must exist, or the operator installs no driver.
    CsiDriver,
    /// The provisioner Secret must name B's cross-account role.
    CrossAccountSecret,
    /// The StorageClass must use `efs.csi.aws.com`, the stack's file system and the
    /// cross-account Secret.
    StorageClass,
}

impl CheckId {
    /// Every check, in checklist order.
    pub const ALL: [CheckId; 27] = [
        CheckId::Credentials,
        CheckId::VpcCidr,
        CheckId::CidrOverlap,
        CheckId::OidcProvider,
        CheckId::ServiceAccountIssuer,
        CheckId::StorageZones,
        CheckId::PeeringActive,
        CheckId::WorkerSubnet,
        CheckId::MountTargetVpc,
        CheckId::MountTargetAvailable,
        CheckId::AzAlignment,
        CheckId::RouteToPeer,
        CheckId::RouteBack,
        CheckId::NfsIngress,
        CheckId::AclClusterSubnet,
        CheckId::AclStorageSubnet,
        CheckId::CsiRole,
        CheckId::CrossAccountRole,
        CheckId::CsiTrust,
        CheckId::AssumeCrossAccountRole,
        CheckId::DriverPermissions,
        CheckId::FileSystem,
        CheckId::FileSystemPolicy,
        CheckId::CloudCredentialsSecret,
        CheckId::CsiDriver,
        CheckId::CrossAccountSecret,
        CheckId::StorageClass,
    ];

    /// The stable kebab-case name, e.g. `route-to-peer`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Credentials => "credentials",
            CheckId::VpcCidr => "vpc-cidr",
            CheckId::CidrOverlap => "cidr-overlap",
            CheckId::OidcProvider => "oidc-provider",
            CheckId::ServiceAccountIssuer => "service-account-issuer",
            CheckId::StorageZones => "storage-zones",
            CheckId::PeeringActive => "peering-active",
            CheckId::WorkerSubnet => "worker-subnet",
            CheckId::MountTargetVpc => "mount-target-vpc",
            CheckId::MountTargetAvailable => "mount-target-available",
            CheckId::AzAlignment => "az-alignment",
            CheckId::RouteToPeer => "route-to-peer",
            CheckId::RouteBack => "route-back",
            CheckId::NfsIngress => "nfs-ingress",
            CheckId::AclClusterSubnet => "acl-cluster-subnet",
            CheckId::AclStorageSubnet => "acl-storage-subnet",
            CheckId::CsiRole => "csi-role",
            CheckId::CrossAccountRole => "cross-account-role",
            CheckId::CsiTrust => "csi-trust",
            CheckId::AssumeCrossAccountRole => "assume-cross-account-role",
            CheckId::DriverPermissions => "driver-permissions",
            CheckId::FileSystem => "file-system",
            CheckId::FileSystemPolicy => "file-system-policy",
            CheckId::CloudCredentialsSecret => "cloud-credentials-secret",
            CheckId::CsiDriver => "csi-driver",
            CheckId::CrossAccountSecret => "cross-account-secret",
            CheckId::StorageClass => "storage-class",
        }
    }

    /// The checklist section the check belongs to.
    pub fn group(self) -> CheckGroup {
        match self {
            CheckId::Credentials
            | CheckId::VpcCidr
            | CheckId::CidrOverlap
            | CheckId::OidcProvider
            | CheckId::ServiceAccountIssuer
            | CheckId::StorageZones => CheckGroup::Preflight,
            CheckId::PeeringActive
            | CheckId::WorkerSubnet
            | CheckId::MountTargetVpc
            | CheckId::MountTargetAvailable
            | CheckId::AzAlignment
            | CheckId::RouteToPeer
            | CheckId::RouteBack
            | CheckId::NfsIngress
            | CheckId::AclClusterSubnet
            | CheckId::AclStorageSubnet => CheckGroup::Network,
            CheckId::CsiRole
            | CheckId::CrossAccountRole
            | CheckId::CsiTrust
            | CheckId::AssumeCrossAccountRole
            | CheckId::DriverPermissions => CheckGroup::Iam,
            CheckId::FileSystem | CheckId::FileSystemPolicy => CheckGroup::FileSystem,
            CheckId::CloudCredentialsSecret
            | CheckId::CsiDriver
            | CheckId::CrossAccountSecret
            | CheckId::StorageClass => CheckGroup::Cluster,
        }
    }
}

/// The sections of doctor's checklist, in the order [`diagnose`](fn@super::diagnose) reports
/// them, so the CLI can print a heading per section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckGroup {
    /// Credentials, VPCs, CIDRs, the OIDC provider and zones: what `apply` needs.
    Preflight,
    /// The NFS path between the VPCs.
    Network,
    /// The roles and policies of both accounts.
    Iam,
    /// B's file system and its policy.
    FileSystem,
    /// The cluster's Secrets, driver and StorageClass.
    Cluster,
}

impl CheckGroup {
    /// The stable kebab-case name, e.g. `file-system`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckGroup::Preflight => "preflight",
            CheckGroup::Network => "network",
            CheckGroup::Iam => "iam",
            CheckGroup::FileSystem => "file-system",
            CheckGroup::Cluster => "cluster",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of a check. Ordered `Passed < Skipped < Warned < Failed`, so the worst of
/// several outcomes is their maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check holds; listed so doctor prints a full checklist.
    Passed,
    /// The check could not run yet: what it looks at does not exist before `xefs apply`, or
    /// an input is missing (the finding says which). Not a failure.
    Skipped,
    /// Mounts work, but something is fragile or costly (e.g. cross-AZ traffic).
    Warned,
    /// Mounts fail (or will) until this is fixed; doctor exits 1.
    Failed,
}

impl Status {
    /// The stable lowercase name, e.g. `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Skipped => "skipped",
            Status::Warned => "warned",
            Status::Failed => "failed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check on one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The check.
    pub check: CheckId,
    /// The outcome.
    pub status: Status,
    /// The exact resource, e.g. `route table rtb-… in account 111111111111`, so the user knows
    /// what to open and with which credentials.
    pub resource: String,
    /// One line: what holds, or what is wrong and why it breaks the mount.
    pub message: String,
    /// How to fix it: an `aws …`/`oc …` command, an xefs config key, or `xefs apply`. `None`
    /// when passed or skipped (a skipped finding's message says what it waits for).
    pub fix: Option<String>,
}

impl Finding {
    /// A passed check.
    pub fn passed(check: CheckId, resource: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            check,
            status: Status::Passed,
            resource: resource.into(),
            message: message.into(),
            fix: None,
        }
    }

    /// A check that could not run; `message` says why (e.g. "not created yet: `xefs apply`
    /// creates it").
    pub fn skipped(
        check: CheckId,
        resource: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            check,
            status: Status::Skipped,
            resource: resource.into(),
            message: message.into(),
            fix: None,
        }
    }

    /// A warning: mounts work but should not be left this way.
    pub fn warned(
        check: CheckId,
        resource: impl Into<String>,
        message: impl Into<String>,
        fix: Option<String>,
    ) -> Self {
        Self {
            check,
            status: Status::Warned,
            resource: resource.into(),
            message: message.into(),
            fix,
        }
    }

    /// A failure, with the fix that makes it pass.
    pub fn failed(
        check: CheckId,
        resource: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            check,
            status: Status::Failed,
            resource: resource.into(),
            message: message.into(),
            fix: Some(fix.into()),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {} {}: {}",
            self.status, self.check, self.resource, self.message
        )?;
        if let Some(fix) = &self.fix {
            write!(f, "\n    fix: {fix}")?;
        }
        Ok(())
    }
}

/// The findings of a doctor run, in check order; decides the exit code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Findings(Vec<Finding>);

impl Findings {
    /// Every finding, passed ones included.
    pub fn iter(&self) -> std::slice::Iter<'_, Finding> {
        self.0.iter()
    }

    /// The failed findings: what stands between the user and a working mount.
    pub fn failed(&self) -> impl Iterator<Item = &Finding> {
        self.0.iter().filter(|f| f.status == Status::Failed)
    }

    /// The warned findings.
    pub fn warned(&self) -> impl Iterator<Item = &Finding> {
        self.0.iter().filter(|f| f.status == Status::Warned)
    }

    /// The skipped findings: checks that wait for `xefs apply` or for a missing input.
    pub fn skipped(&self) -> impl Iterator<Item = &Finding> {
        self.0.iter().filter(|f| f.status == Status::Skipped)
    }

    /// True when nothing failed (warnings and skips allowed): doctor's exit code 0.
    pub fn is_ok(&self) -> bool {
        self.failed().next().is_none()
    }

    /// Appends the findings of another check.
    pub fn extend(&mut self, more: impl IntoIterator<Item = Finding>) {
        self.0.extend(more);
    }

    /// The findings as a plain list.
    pub fn into_vec(self) -> Vec<Finding> {
        self.0
    }
}

impl From<Vec<Finding>> for Findings {
    fn from(v: Vec<Finding>) -> Self {
        Self(v)
    }
}

impl IntoIterator for Findings {
    type Item = Finding;
    type IntoIter = std::vec::IntoIter<Finding>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Findings {
    type Item = &'a Finding;
    type IntoIter = std::slice::Iter<'a, Finding>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
