use xefs_core::iam::PolicyDocument;
use xefs_core::ids::{Arn, IamName};

use super::Tags;
use crate::AwsResult;

/// A customer-managed policy, without its document (read the default version for that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicy {
    /// Its ARN.
    pub arn: Arn,
    /// The id of the default version (`v1`, `v2`, …).
    pub default_version_id: String,
    /// Its tags.
    pub tags: Tags,
}

/// One version's document, and whether it is the policy's default.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionDocument {
    /// The document, decoded.
    pub document: PolicyDocument,
    /// Whether it is the version in effect.
    pub is_default: bool,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// `v1`, `v2`, …
    pub id: String,
    /// Whether it is the version in effect.
    pub is_default: bool,
    /// Creation time as RFC 3339, for pruning the oldest first.
    pub created: String,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    /// Its name.
    pub name: IamName,
    /// Its ARN.
    pub arn: Arn,
    /// Its trust policy, decoded.
    pub trust: PolicyDocument,
    /// Its description.
    pub description: Option<String>,
    /// Its tags.
    pub tags: Tags,
}

/// What `CreateRole` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRole {
    /// Role name.
    pub name: IamName,
    /// Trust policy.
    pub trust: PolicyDocument,
    /// Description.
    pub description: String,
    /// Tags.
    pub tags: Tags,
}

/// What `CreatePolicy` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPolicy {
    /// Policy name.
    pub name: IamName,
    /// The document.
    pub document: PolicyDocument,
    /// Tags.
    pub tags: Tags,
}

/// IAM in one account.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait Iam: Send + Sync {
    /// `GetPolicy`; `None` when there is no such policy.
    async fn get_policy(&self, arn: &Arn) -> AwsResult<Option<ManagedPolicy>>;
    /// `GetPolicyVersion`: the document of one version, decoded.
    async fn get_policy_document(&self, arn: &Arn, version_id: &str) -> AwsResult<PolicyDocument>;
    /// `GetPolicyVersion` with whether the version is the default: one read that says both
    /// what is in effect and that it still is. `None` when the policy or version is gone.
    async fn get_policy_version(
        &self,
        arn: &Arn,
        version_id: &str,
    ) -> AwsResult<Option<VersionDocument>>;
    /// `ListPolicyVersions`, every page.
    async fn list_policy_versions(&self, arn: &Arn) -> AwsResult<Vec<PolicyVersion>>;
    /// `CreatePolicy`; returns its ARN.
    async fn create_policy(&self, policy: &NewPolicy) -> AwsResult<Arn>;
    /// `CreatePolicyVersion` as the new default; returns the version id.
    async fn create_default_policy_version(
        &self,
        arn: &Arn,
        document: &PolicyDocument,
    ) -> AwsResult<String>;
    /// `DeletePolicyVersion` (never the default one).
    async fn delete_policy_version(&self, arn: &Arn, version_id: &str) -> AwsResult<()>;
    /// `DeletePolicy` (its non-default versions must be gone first).
    async fn delete_policy(&self, arn: &Arn) -> AwsResult<()>;

    /// `GetRole`; `None` when there is no such role.
    async fn get_role(&self, name: &IamName) -> AwsResult<Option<Role>>;
    /// `CreateRole`; returns its ARN.
    async fn create_role(&self, role: &NewRole) -> AwsResult<Arn>;
    /// `UpdateAssumeRolePolicy`.
    async fn update_trust(&self, name: &IamName, trust: &PolicyDocument) -> AwsResult<()>;
    /// `DeleteRole` (its policies must be detached first).
    async fn delete_role(&self, name: &IamName) -> AwsResult<()>;

    /// `ListAttachedRolePolicies`, every page; empty when the role does not exist.
    async fn attached_policies(&self, role: &IamName) -> AwsResult<Vec<Arn>>;
    /// `AttachRolePolicy`.
    async fn attach_policy(&self, role: &IamName, policy: &Arn) -> AwsResult<()>;
    /// `DetachRolePolicy`; success when it is not attached.
    async fn detach_policy(&self, role: &IamName, policy: &Arn) -> AwsResult<()>;

    /// `GetInstanceProfile`: the ARNs of its roles; empty when there is no such profile.
    async fn instance_profile_roles(&self, profile_name: &str) -> AwsResult<Vec<Arn>>;
    /// `ListOpenIDConnectProviders`: the ARNs of the account's OIDC providers.
    async fn oidc_providers(&self) -> AwsResult<Vec<Arn>>;
}
