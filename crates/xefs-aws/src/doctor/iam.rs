//! The IAM side of the chain: the two roles with their documents, A's OIDC provider, and the
//! worker nodes' roles.

use std::collections::BTreeSet;

use xefs_core::doctor::{AttachedPolicy, ClusterFacts, OidcFacts, RoleDocuments};
use xefs_core::ids::{Arn, IamName, OidcProvider};
use xefs_core::spec::StackSpec;
use xefs_core::step::StepContext;

use super::join::try_join_all;
use crate::ports::Instance;
use crate::sdk::classify::is_not_found;
use crate::{Account, AwsResult};

/// A role's trust and attached policies; `None` when there is no such role.
///
/// `GetRole` and `ListAttachedRolePolicies` go out together (the list is empty for a missing
/// role), then each policy's default version is read concurrently.
pub(super) async fn role_documents(
    ctx: &StepContext,
    account: &Account,
    name: &IamName,
) -> AwsResult<Option<RoleDocuments>> {
    let (role, attached) = tokio::try_join!(
        async { account.iam(ctx).await.get_role(name).await },
        async { account.iam(ctx).await.attached_policies(name).await },
    )?;
    let Some(role) = role else {
        return Ok(None);
    };
    let policies = try_join_all(
        attached
            .iter()
            .map(|arn| attached_policy(ctx, account, arn)),
    )
    .await?
    .into_iter()
    .flatten()
    .collect();
    Ok(Some(RoleDocuments {
        trust: role.trust,
        policies,
    }))
}

/// One attached policy at its default version; `None` when it vanished between the list and
/// the read.
async fn attached_policy(
    ctx: &StepContext,
    account: &Account,
    arn: &Arn,
) -> AwsResult<Option<AttachedPolicy>> {
    let Some(policy) = account.iam(ctx).await.get_policy(arn).await? else {
        return Ok(None);
    };
    match account
        .iam(ctx)
        .await
        .get_policy_document(arn, &policy.default_version_id)
        .await
    {
        Ok(document) => Ok(Some(AttachedPolicy {
            arn: arn.clone(),
            document,
        })),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The cluster's OIDC provider: the spec's, else the issuer the cluster reports. `None` when
/// neither is known, or the cluster signs its own tokens (an empty or unusable issuer).
pub(super) fn oidc_provider(
    spec: &StackSpec,
    cluster: Option<&ClusterFacts>,
) -> Option<OidcProvider> {
    if let Some(provider) = &spec.cluster.oidc_provider {
        return Some(provider.clone());
    }
    let issuer = cluster?.service_account_issuer.as_deref()?.trim();
    if issuer.is_empty() {
        return None;
    }
    OidcProvider::parse(issuer).ok()
}

/// Whether A's IAM lists `provider` (`ListOpenIDConnectProviders`, compared by ARN as preflight
/// does).
pub(super) async fn oidc_facts(
    ctx: &StepContext,
    account: &Account,
    spec: &StackSpec,
    provider: OidcProvider,
) -> AwsResult<OidcFacts> {
    let arn = Arn::oidc_provider(spec.partition(), &spec.cluster.account_id, &provider);
    let registered = account.iam(ctx).await.oidc_providers().await?;
    Ok(OidcFacts {
        registered: registered.contains(&arn),
        provider,
        arn,
    })
}

/// The worker nodes' roles: the spec's, else those of the worker instances' instance profiles
/// (as cluster-account discovery finds them), sorted and unique.
pub(super) async fn node_roles(
    ctx: &StepContext,
    account: &Account,
    spec: &StackSpec,
    instances: &[Instance],
) -> AwsResult<Vec<Arn>> {
    if !spec.cluster.node_role_arns.is_empty() {
        return Ok(spec.cluster.node_role_arns.clone());
    }
    let profiles: BTreeSet<&str> = instances
        .iter()
        .filter_map(|i| i.instance_profile_arn.as_deref())
        .filter_map(|arn| arn.rsplit('/').next())
        .filter(|name| !name.is_empty())
        .collect();
    let roles = try_join_all(profiles.into_iter().map(|profile| async move {
        account.iam(ctx).await.instance_profile_roles(profile).await
    }))
    .await?;
    Ok(roles
        .into_iter()
        .flatten()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect())
}
