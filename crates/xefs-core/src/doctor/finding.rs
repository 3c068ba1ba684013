//! Doctor's unit of output: one check on one resource, passed or not, with the fix.

use std::fmt;

use serde::Serialize;

/// Which check a finding comes from. The kebab-case names are stable: `--output json` and
/// tests match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    /// The two VPCs' CIDR blocks must be disjoint, or peering cannot route between them.
    CidrOverlap,
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
}

impl CheckId {
    /// The stable kebab-case name, e.g. `route-to-peer`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::CidrOverlap => "cidr-overlap",
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
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of a check. Ordered `Passed < Warned < Failed`, so the worst of several
/// outcomes is their maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check holds; listed so doctor prints a full checklist.
    Passed,
    /// Mounts work, but something is fragile or costly (e.g. cross-AZ traffic).
    Warned,
    /// Mounts fail (or will) until this is fixed; doctor exits 1.
    Failed,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Passed => "passed",
            Status::Warned => "warned",
            Status::Failed => "failed",
        })
    }
}

/// One check on one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// How to fix it: an `aws …` command or an xefs config key. `None` when passed.
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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

    /// True when nothing failed (warnings allowed): doctor's exit code 0.
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
