//! Preflight: every check that can fail the procedure halfway, run in both accounts before the
//! first write, and reported together so that one run shows everything to fix.

use std::collections::BTreeSet;
use std::time::Duration;

use xefs_core::blueprint::steps::Preflight;
use xefs_core::ids::{AccountId, Arn, AzId, Ipv4Cidr, OidcProvider, SubnetId, VpcId};
use xefs_core::step::{Ensured, Observation, Step, StepContext, StepError, StepOutputs};

use super::common::read_only_ensure;
use super::output_names::{
    CLUSTER_CALLER, CROSS_ZONE_AZ_IDS, STORAGE_CALLER, UNCOVERED_AZ_IDS, WARNINGS,
};
use crate::ports::CallerIdentity;
use crate::{Account, AccountRole, AwsAccounts, ProviderError};

/// Checks, before anything is written, that the procedure can succeed: the credentials act in
/// the accounts the spec names, both VPCs exist with the CIDRs the spec gives (routes and the
/// security group use them), the CIDRs do not overlap (peering would be refused), A's IAM
/// knows the cluster's OIDC provider (else the CSI role's web identity never works), and B's
/// VPC has a subnet in every zone id where workers run.
///
/// Every problem is collected and reported in one error, each with its fix. A failed AWS call
/// is not a finding: it is returned as is, so throttling is retried. Outputs `cluster_caller`,
/// `storage_caller` (the principals' ARNs) and `warnings`.
#[derive(Debug, Clone)]
pub struct PreflightStep {
    spec: Preflight,
    accounts: AwsAccounts,
}

/// The spec's key for each account's settings, to name in fixes.
fn key(role: AccountRole) -> &'static str {
    match role {
        AccountRole::Cluster => "cluster",
        AccountRole::Storage => "storage",
    }
}

impl PreflightStep {
    /// The checks described by `spec`, over both accounts.
    pub fn new(spec: Preflight, accounts: AwsAccounts) -> Self {
        Self { spec, accounts }
    }

    /// The caller identity of `account`, or `None` with a problem when it is not `expected`.
    async fn identity(
        account: &Account,
        role: AccountRole,
        expected: &AccountId,
        problems: &mut Vec<String>,
    ) -> Result<Option<CallerIdentity>, StepError> {
        let k = key(role);
        if &account.id != expected {
            problems.push(format!(
                "xefs was given account {} for {role}, but the spec says {expected}: check \
                 {k}.account_id",
                account.id
            ));
            return Ok(None);
        }
        match account.verify_identity(role).await {
            Ok(identity) => Ok(Some(identity)),
            Err(ProviderError::WrongAccount {
                role,
                expected,
                actual,
                caller,
            }) => {
                problems.push(format!(
                    "the credentials for {role} belong to account {actual} ({caller}), but the \
                     spec says {expected}: give xefs credentials for account {expected} \
                     ({k}.profile, or the AWS environment), or correct {k}.account_id"
                ));
                Ok(None)
            }
            Err(ProviderError::Aws(e)) => Err(e.into()),
            Err(other) => Err(StepError::permanent(other.to_string())),
        }
    }

    /// Checks that `vpc` exists in `account` and has `cidr`; returns its CIDR blocks (with
    /// the spec's, for the overlap check).
    async fn vpc_cidrs(
        ctx: &StepContext,
        account: &Account,
        role: AccountRole,
        (vpc, cidr): &(VpcId, Ipv4Cidr),
        problems: &mut Vec<String>,
    ) -> Result<BTreeSet<Ipv4Cidr>, StepError> {
        let k = key(role);
        let mut cidrs = BTreeSet::from([*cidr]);
        let Some(live) = account.ec2(ctx).await.describe_vpc(vpc).await? else {
            problems.push(format!(
                "VPC {vpc} was not found in account {} ({}): check {k}.vpc_id and the region",
                account.id, account.region
            ));
            return Ok(cidrs);
        };
        cidrs.insert(live.cidr);
        cidrs.extend(live.cidrs.iter().copied());
        if live.cidr != *cidr && !live.cidrs.contains(cidr) {
            let real: Vec<String> = cidrs
                .iter()
                .filter(|c| *c != cidr)
                .map(ToString::to_string)
                .collect();
            problems.push(format!(
                "VPC {vpc} in account {} has the CIDR block(s) {}, not {cidr}: set \
                 {k}.vpc_cidr to one of them",
                account.id,
                real.join(", ")
            ));
        }
        Ok(cidrs)
    }

    /// Checks that account A's IAM has the cluster's OIDC provider.
    async fn oidc_registered(
        &self,
        ctx: &StepContext,
        problems: &mut Vec<String>,
    ) -> Result<(), StepError> {
        let a = &self.accounts.cluster;
        let provider: OidcProvider = self.spec.oidc_provider.get(ctx.inputs())?;
        let expected = Arn::oidc_provider(a.region.partition(), &a.id, &provider);
        let registered = a.iam(ctx).await.oidc_providers().await?;
        if !registered.contains(&expected) {
            problems.push(format!(
                "the cluster's OIDC provider {provider} is not registered in account {}'s IAM \
                 (no {expected}), so the CSI role's web identity cannot be trusted: register it \
                 with `rosa create oidc-provider --cluster <cluster>` or `aws iam \
                 create-open-id-connect-provider --url {} --client-id-list openshift`",
                a.id,
                provider.issuer_url()
            ));
        }
        Ok(())
    }

    /// Checks that B's VPC covers every zone id where the workers run; adds the One Zone
    /// cross-zone warning.
    fn zone_coverage(
        &self,
        ctx: &StepContext,
        problems: &mut Vec<String>,
        warnings: &mut Vec<String>,
    ) -> Result<(), StepError> {
        let inputs = ctx.inputs();
        let storage_discovery = &self.spec.mount_target_subnets.step;
        let worker_zones: Vec<AzId> = self.spec.worker_az_ids.get(inputs)?;
        let subnets: Vec<SubnetId> = self.spec.mount_target_subnets.get(inputs)?;
        let uncovered: Vec<AzId> = inputs.get(storage_discovery, UNCOVERED_AZ_IDS)?;
        let cross_zone: Vec<AzId> = inputs.get(storage_discovery, CROSS_ZONE_AZ_IDS)?;
        let vpc = &self.spec.storage_vpc.0;
        let b = &self.accounts.storage.id;
        let list = |zones: &[AzId]| {
            zones
                .iter()
                .map(AzId::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        };
        if worker_zones.is_empty() {
            problems.push(
                "no worker zone id is known, so there is nowhere to put mount targets: check \
                 cluster.worker_subnets or the cluster's worker nodes"
                    .to_owned(),
            );
        } else if !uncovered.is_empty() {
            problems.push(format!(
                "VPC {vpc} in account {b} has no subnet in zone id(s) {} where the file system \
                 needs a mount target: create one in each (zone names differ between accounts; \
                 `aws ec2 describe-availability-zones --zone-ids <id>` in account {b} gives the \
                 name), or name one per zone in storage.subnets",
                list(&uncovered)
            ));
        } else if subnets.is_empty() {
            problems.push(format!(
                "no subnet of VPC {vpc} in account {b} was chosen for mount targets: name them \
                 in storage.subnets"
            ));
        }
        if !cross_zone.is_empty() {
            warnings.push(format!(
                "workers in zone id(s) {} will mount the One Zone file system from another \
                 zone: slower, and billed as cross-AZ traffic",
                list(&cross_zone)
            ));
        }
        Ok(())
    }

    async fn check(&self, ctx: &StepContext) -> Result<StepOutputs, StepError> {
        let (a, b) = (&self.accounts.cluster, &self.accounts.storage);
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let mut b_problems = Vec::new();
        let (cluster_caller, storage_caller) = tokio::join!(
            Self::identity(
                a,
                AccountRole::Cluster,
                &self.spec.cluster_account,
                &mut problems
            ),
            Self::identity(
                b,
                AccountRole::Storage,
                &self.spec.storage_account,
                &mut b_problems
            ),
        );
        let (cluster_caller, storage_caller) = (cluster_caller?, storage_caller?);
        problems.append(&mut b_problems);

        // With the wrong credentials every other answer from that account would mislead
        // ("VPC not found"), so its checks wait until the identity is fixed.
        let mut a_cidrs = BTreeSet::from([self.spec.cluster_vpc.1]);
        if cluster_caller.is_some() {
            a_cidrs = Self::vpc_cidrs(
                ctx,
                a,
                AccountRole::Cluster,
                &self.spec.cluster_vpc,
                &mut problems,
            )
            .await?;
            self.oidc_registered(ctx, &mut problems).await?;
        }
        let mut b_cidrs = BTreeSet::from([self.spec.storage_vpc.1]);
        if storage_caller.is_some() {
            b_cidrs = Self::vpc_cidrs(
                ctx,
                b,
                AccountRole::Storage,
                &self.spec.storage_vpc,
                &mut problems,
            )
            .await?;
        }
        for ca in &a_cidrs {
            for cb in b_cidrs.iter().filter(|cb| ca.overlaps(cb)) {
                problems.push(format!(
                    "CIDR {ca} of VPC {} overlaps CIDR {cb} of VPC {}: AWS refuses to peer \
                     VPCs with overlapping ranges; use VPCs with disjoint CIDR blocks",
                    self.spec.cluster_vpc.0, self.spec.storage_vpc.0
                ));
            }
        }
        self.zone_coverage(ctx, &mut problems, &mut warnings)?;

        match (cluster_caller, storage_caller) {
            (Some(cluster), Some(storage)) if problems.is_empty() => StepOutputs::new()
                .with(CLUSTER_CALLER, cluster.arn)?
                .with(STORAGE_CALLER, storage.arn)?
                .with(WARNINGS, warnings),
            _ => {
                let n = problems.len();
                let bullets: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
                Err(StepError::permanent(format!(
                    "preflight found {n} problem{}; nothing was changed:\n{}",
                    if n == 1 { "" } else { "s" },
                    bullets.join("\n")
                ))
                .with_code("PreflightFailed"))
            }
        }
    }
}

#[async_trait::async_trait]
impl Step for PreflightStep {
    fn describe(&self) -> String {
        format!(
            "preflight checks in accounts {} and {}",
            self.accounts.cluster.id, self.accounts.storage.id
        )
    }

    fn mutates(&self) -> bool {
        false
    }

    fn expected_duration(&self) -> Duration {
        Duration::from_secs(1)
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        Ok(Observation::Present(self.check(ctx).await?))
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        read_only_ensure(self, ctx, observed).await
    }

    async fn remove(&self, _ctx: &StepContext, _recorded: &StepOutputs) -> Result<(), StepError> {
        // Checks write nothing, so there is nothing to undo.
        Ok(())
    }
}

#[cfg(test)]
mod tests;
