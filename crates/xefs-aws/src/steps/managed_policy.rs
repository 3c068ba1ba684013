//! Customer-managed policies, shared by the steps that own one ([`super::IamPolicyStep`] and
//! [`super::EfsClientAccessStep`]): reading the document in effect, replacing it within IAM's
//! five-version limit, and deleting a policy together with its old versions.

use xefs_core::iam::PolicyDocument;
use xefs_core::ids::{Arn, IamName};
use xefs_core::step::{Change, FieldDiff, StepContext, StepError, StepOutputs};

use super::common::{policy_diff, scope};
use super::output_names::POLICY_DEFAULT_VERSION;
use super::{is_ours, require_stack_tag};
use crate::Account;
use crate::ports::{ManagedPolicy, NewPolicy, PolicyVersion, Tags};

/// IAM keeps at most five versions of a managed policy; creating a sixth fails.
const MAX_VERSIONS: usize = 5;

/// A managed policy as it is now: its metadata and the document of its default version.
#[derive(Debug, Clone)]
pub(crate) struct LivePolicy {
    /// ARN, default version and tags.
    pub policy: ManagedPolicy,
    /// The document in effect.
    pub document: PolicyDocument,
}

/// A policy's default version, as observe needs it.
#[derive(Debug, Clone)]
pub(crate) struct DefaultVersion {
    /// Its id (`v1`, `v2`, …).
    pub id: String,
    /// The document in effect.
    pub document: PolicyDocument,
}

/// IAM makes a new policy's document version `v1`, the default.
pub(crate) const FIRST_VERSION: &str = "v1";

/// The default version of the policy at `arn`, or `None` when there is no policy.
///
/// When an earlier apply recorded the default version ([`POLICY_DEFAULT_VERSION`] in
/// [`StepContext::recorded`]), one `GetPolicyVersion` of it says both the document and
/// whether it is still the default: a no-op apply's one read. Otherwise (or if it no longer
/// is) `GetPolicy`, then `GetPolicyVersion` of its default.
pub(crate) async fn read_default(
    account: &Account,
    ctx: &StepContext,
    arn: &Arn,
) -> Result<Option<DefaultVersion>, StepError> {
    let recorded = ctx
        .recorded()
        .and_then(|o| o.get::<String>(POLICY_DEFAULT_VERSION).ok());
    if let Some(id) = recorded {
        let found = account.iam(ctx).await.get_policy_version(arn, &id).await?;
        if let Some(found) = found.filter(|v| v.is_default) {
            return Ok(Some(DefaultVersion {
                id,
                document: found.document,
            }));
        }
    }
    Ok(read(account, ctx, arn).await?.map(|live| DefaultVersion {
        id: live.policy.default_version_id,
        document: live.document,
    }))
}

/// `outputs` with the policy's default version, when known.
pub(crate) fn with_version(
    outputs: StepOutputs,
    version: Option<&str>,
) -> Result<StepOutputs, StepError> {
    match version {
        Some(v) => outputs.with(POLICY_DEFAULT_VERSION, v),
        None => Ok(outputs),
    }
}

/// The default version `outputs` name, if any.
pub(crate) fn version_in(outputs: &StepOutputs) -> Option<String> {
    outputs.get(POLICY_DEFAULT_VERSION).ok()
}

/// The policy at `arn` with its default version's document, or `None` when there is none.
pub(crate) async fn read(
    account: &Account,
    ctx: &StepContext,
    arn: &Arn,
) -> Result<Option<LivePolicy>, StepError> {
    let Some(policy) = account.iam(ctx).await.get_policy(arn).await? else {
        return Ok(None);
    };
    let document = account
        .iam(ctx)
        .await
        .get_policy_document(arn, &policy.default_version_id)
        .await?;
    Ok(Some(LivePolicy { policy, document }))
}

/// A `document` diff when the live document does not mean the same as the desired one.
pub(crate) fn document_diff(
    current: &PolicyDocument,
    desired: &PolicyDocument,
) -> Option<FieldDiff> {
    policy_diff("document", current, desired)
}

/// What [`create`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Created {
    /// The policy was created with this ARN (or found tagged for this stack: this call's own
    /// write, after a lost answer).
    New(Arn),
    /// It already existed (made between observe and ensure, e.g. by a run that crashed right
    /// after `CreatePolicy`); it was brought to the desired document instead.
    Existing(Change),
}

/// Creates the policy; if IAM says it already exists, converges the existing one instead, so
/// `ensure` stays idempotent even when its observation is stale.
pub(crate) async fn create(
    account: &Account,
    ctx: &StepContext,
    name: &IamName,
    arn: &Arn,
    document: &PolicyDocument,
    tags: &Tags,
) -> Result<Created, StepError> {
    let new = NewPolicy {
        name: name.clone(),
        document: document.clone(),
        tags: tags.clone(),
    };
    match account.iam(ctx).await.create_policy(&new).await {
        Ok(created) => Ok(Created::New(created)),
        Err(e) if e.is_code("EntityAlreadyExists") => {
            let Some(live) = read(account, ctx, arn).await? else {
                // IAM is eventually consistent: the policy exists but cannot be read yet.
                return Err(StepError::retryable(format!(
                    "IAM says policy {name} exists but GetPolicy does not find it yet"
                ))
                .with_context(scope(account), "GetPolicy")
                .with_resource(arn.to_string()));
            };
            let change = if document_diff(&live.document, document).is_none() {
                Change::Unchanged
            } else {
                replace_document(account, ctx, arn, document).await?;
                Change::Updated
            };
            // Tagged for this stack: this call's own write, whose answer was lost and which
            // the SDK sent again. Claim it, so that destroy removes it.
            Ok(if is_ours(&live.policy.tags, tags) {
                Created::New(live.policy.arn)
            } else {
                Created::Existing(change)
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Makes `document` the policy's default version, and returns its id. At IAM's five-version
/// limit the oldest non-default version is deleted first; the default one is never touched,
/// so the policy in effect never has a gap.
pub(crate) async fn replace_document(
    account: &Account,
    ctx: &StepContext,
    arn: &Arn,
    document: &PolicyDocument,
) -> Result<String, StepError> {
    let versions = account.iam(ctx).await.list_policy_versions(arn).await?;
    if versions.len() >= MAX_VERSIONS {
        let oldest = versions
            .iter()
            .filter(|v| !v.is_default)
            .min_by(|a, b| age_key(a).cmp(&age_key(b)))
            .ok_or_else(|| {
                StepError::permanent(format!(
                    "policy {arn} has {} versions and none of them is deletable (all default?)",
                    versions.len()
                ))
                .with_context(scope(account), "ListPolicyVersions")
            })?;
        account
            .iam(ctx)
            .await
            .delete_policy_version(arn, &oldest.id)
            .await?;
    }
    Ok(account
        .iam(ctx)
        .await
        .create_default_policy_version(arn, document)
        .await?)
}

/// Orders versions oldest first: by creation time (RFC 3339 in UTC sorts as text), then by
/// version number, so `v10` comes after `v9`.
fn age_key(v: &PolicyVersion) -> (&str, u64, &str) {
    let number =
        v.id.trim_start_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .unwrap_or(u64::MAX);
    (&v.created, number, &v.id)
}

/// Deletes `policy` after checking it carries this stack's tag: first every non-default
/// version (IAM refuses to delete a policy that has any), then the policy.
///
/// A policy still attached somewhere fails with `DeleteConflict`; xefs detaches only what it
/// attached, so the error says how to find the rest.
pub(crate) async fn delete(
    account: &Account,
    ctx: &StepContext,
    policy: &ManagedPolicy,
    desired_tags: &Tags,
) -> Result<(), StepError> {
    let arn = &policy.arn;
    require_stack_tag(&format!("IAM policy {arn}"), &policy.tags, desired_tags)?;
    let versions = account.iam(ctx).await.list_policy_versions(arn).await?;
    for version in versions.iter().filter(|v| !v.is_default) {
        account
            .iam(ctx)
            .await
            .delete_policy_version(arn, &version.id)
            .await?;
    }
    match account.iam(ctx).await.delete_policy(arn).await {
        Ok(()) => Ok(()),
        Err(e) if e.is_code("DeleteConflict") => Err(StepError::permanent(format!(
            "IAM policy {arn} is still attached to a role, user or group that xefs did not \
             attach; list them with `aws iam list-entities-for-policy --policy-arn {arn}`, \
             detach them, and run destroy again"
        ))
        .with_code("DeleteConflict")
        .with_context(scope(account), "DeletePolicy")
        .with_resource(arn.to_string())),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(id: &str, created: &str) -> PolicyVersion {
        PolicyVersion {
            id: id.into(),
            is_default: false,
            created: created.into(),
        }
    }

    #[test]
    fn oldest_is_by_time_then_by_number() {
        let same = "2024-01-01T00:00:00Z";
        let mut versions = [
            version("v10", same),
            version("v9", same),
            version("v2", "2024-02-01T00:00:00Z"),
        ];
        versions.sort_by(|a, b| age_key(a).cmp(&age_key(b)));
        let ids: Vec<&str> = versions.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, ["v9", "v10", "v2"]);
    }
}
