//! Names of the outputs the IAM, discovery and preflight steps produce beyond those in
//! [`xefs_core::blueprint::out`] (which lists only the outputs other steps read). They are the
//! keys of the state journal, so they never change.

/// [`super::IamPolicyStep`], [`super::AttachmentStep`], [`super::EfsClientAccessStep`]: the
/// policy's ARN.
pub const POLICY_ARN: &str = "policy_arn";
/// [`super::IamPolicyStep`], [`super::EfsClientAccessStep`]: the policy's default version as
/// last observed or made (`v3`), when known: the next observe reads that version alone and
/// learns from it whether it is still the default.
pub const POLICY_DEFAULT_VERSION: &str = "policy_default_version";
/// [`super::IamRoleStep`]: the role's ARN.
pub const ROLE_ARN: &str = "role_arn";
/// [`super::AttachmentStep`]: the name of the role the policy is attached to.
pub const ROLE: &str = "role";
/// [`super::EfsClientAccessStep`]: the names of the roles the policy is attached to, which
/// `destroy` detaches it from.
pub const ATTACHED_ROLES: &str = "attached_roles";
/// [`super::DiscoverStorageAccountStep`]: worker zone ids with no subnet in B's VPC. Discovery
/// reports them and preflight fails on them, so the plan shows the whole picture first.
pub const UNCOVERED_AZ_IDS: &str = "uncovered_az_ids";
/// [`super::DiscoverStorageAccountStep`]: with One Zone storage, the worker zone ids that reach
/// the file system from another zone (slower, and billed as cross-AZ traffic). Preflight turns
/// them into warnings.
pub const CROSS_ZONE_AZ_IDS: &str = "cross_zone_az_ids";
/// [`super::PreflightStep`]: the ARN of the principal acting in account A.
pub const CLUSTER_CALLER: &str = "cluster_caller";
/// [`super::PreflightStep`]: the ARN of the principal acting in account B.
pub const STORAGE_CALLER: &str = "storage_caller";
/// [`super::PreflightStep`]: what works but deserves a look (e.g. cross-zone mounts).
pub const WARNINGS: &str = "warnings";
