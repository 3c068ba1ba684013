//! The mount targets' security group in B's VPC, admitting NFS (TCP 2049) from A's CIDR.
//!
//! The guide opens 2049 on A's nodes (useless: security groups are stateful, replies are let
//! back in anyway) and leaves the mount targets in B's default group, which blocks A. The
//! traffic has to be admitted where it arrives: at the mount targets.

use std::time::Duration;

use xefs_core::blueprint::out;
use xefs_core::blueprint::steps::MountTargetSecurityGroup;
use xefs_core::ids::{Ipv4Cidr, SecurityGroupId};
use xefs_core::step::{Ensured, FieldDiff, Observation, Step, StepContext, StepError, StepOutputs};

use super::require_stack_tag;
use crate::Account;
use crate::ports::{NewSecurityGroup, SecurityGroupRule};

/// The NFS port EFS mount targets listen on.
pub const NFS_PORT: i32 = 2049;

/// The description of the ingress rule xefs adds.
const RULE_DESCRIPTION: &str = "NFS to EFS from the peered cluster VPC (xefs)";

/// The security group for the mount targets, in account B.
///
/// Found by VPC and name; outputs `security_group_id`, which the mount targets use.
#[derive(Debug, Clone)]
pub struct SecurityGroupStep {
    spec: MountTargetSecurityGroup,
    account: Account,
}

impl SecurityGroupStep {
    /// The group `spec` describes, in `account` (account B, which owns the VPC).
    pub fn new(spec: MountTargetSecurityGroup, account: Account) -> Self {
        Self { spec, account }
    }

    fn desired_rule(&self) -> String {
        format!("tcp {NFS_PORT} from {}", self.spec.nfs_source)
    }

    async fn create(&self, ctx: &StepContext) -> Result<SecurityGroupId, StepError> {
        let group = NewSecurityGroup {
            vpc_id: self.spec.vpc_id.clone(),
            name: self.spec.name.clone(),
            description: self.spec.description.clone(),
            tags: self.spec.tags.clone(),
        };
        match self
            .account
            .ec2(ctx)
            .await
            .create_security_group(&group)
            .await
        {
            Ok(id) => Ok(id),
            // Created since observe (a retried call whose answer was lost): use it.
            Err(e) if e.is_code("InvalidGroup.Duplicate") => self
                .account
                .ec2(ctx)
                .await
                .find_security_group(&self.spec.vpc_id, &self.spec.name)
                .await?
                .map(|g| g.id)
                .ok_or_else(|| e.into()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Whether `rule` lets NFS in from `source`: TCP (or all traffic) on a range holding 2049, from
/// a block containing `source`. A broader existing rule is enough; nothing is added next to it.
fn admits_nfs(rule: &SecurityGroupRule, source: &Ipv4Cidr) -> bool {
    let all = rule.protocol == "-1";
    let tcp = rule.protocol.eq_ignore_ascii_case("tcp") || rule.protocol == "6";
    let port = match (rule.from_port, rule.to_port) {
        (Some(from), Some(to)) => (from..=to).contains(&NFS_PORT),
        _ => false,
    };
    (all || (tcp && port)) && rule.cidrs.iter().any(|c| c.contains(source))
}

fn render_rules(rules: &[SecurityGroupRule]) -> String {
    if rules.is_empty() {
        return "none".to_owned();
    }
    rules
        .iter()
        .map(|r| {
            let ports = match (r.from_port, r.to_port) {
                (Some(f), Some(t)) if f == t => format!(" {f}"),
                (Some(f), Some(t)) => format!(" {f}-{t}"),
                _ => String::new(),
            };
            let cidrs: Vec<String> = r.cidrs.iter().map(ToString::to_string).collect();
            let from = if cidrs.is_empty() {
                "other groups".to_owned()
            } else {
                cidrs.join(", ")
            };
            format!("{}{ports} from {from}", r.protocol)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn outputs(id: &SecurityGroupId) -> Result<StepOutputs, StepError> {
    StepOutputs::new().with(out::SECURITY_GROUP_ID, id)
}

#[async_trait::async_trait]
impl Step for SecurityGroupStep {
    fn describe(&self) -> String {
        format!(
            "security group {} in {} (NFS from {}), in account {}",
            self.spec.name, self.spec.vpc_id, self.spec.nfs_source, self.account.id
        )
    }

    fn expected_duration(&self) -> Duration {
        Duration::from_secs(2)
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let found = self
            .account
            .ec2(ctx)
            .await
            .find_security_group(&self.spec.vpc_id, &self.spec.name)
            .await?;
        let Some(group) = found else {
            return Ok(Observation::Absent);
        };
        let outputs = outputs(&group.id)?;
        if group
            .ingress
            .iter()
            .any(|r| admits_nfs(r, &self.spec.nfs_source))
        {
            Ok(Observation::Present(outputs))
        } else {
            Ok(Observation::Drifted {
                outputs,
                diff: vec![FieldDiff::new(
                    "ingress",
                    render_rules(&group.ingress),
                    self.desired_rule(),
                )],
            })
        }
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        let (id, created) = match observed {
            Observation::Present(existing) => return Ok(Ensured::unchanged(existing.clone())),
            Observation::Drifted { outputs, .. } => (outputs.get(out::SECURITY_GROUP_ID)?, false),
            Observation::Absent | Observation::NotApplicable { .. } => {
                (self.create(ctx).await?, true)
            }
        };
        self.account
            .ec2(ctx)
            .await
            .allow_tcp_ingress(&id, NFS_PORT, &self.spec.nfs_source, RULE_DESCRIPTION)
            .await?;
        let outputs = outputs(&id)?;
        Ok(if created {
            Ensured::created(outputs)
        } else {
            Ensured::updated(outputs)
        })
    }

    async fn remove(&self, ctx: &StepContext, recorded: &StepOutputs) -> Result<(), StepError> {
        let id: SecurityGroupId = recorded.get(out::SECURITY_GROUP_ID)?;
        let live = self
            .account
            .ec2(ctx)
            .await
            .describe_security_group(&id)
            .await?;
        let Some(group) = live else {
            return Ok(());
        };
        require_stack_tag(
            &format!("security group {id} ({})", group.name),
            &group.tags,
            &self.spec.tags,
        )?;
        match self.account.ec2(ctx).await.delete_security_group(&id).await {
            Ok(()) => Ok(()),
            // EFS releases a deleted mount target's network interface minutes after the mount
            // target is gone; the engine retries with backoff.
            Err(e) if e.is_code("DependencyViolation") => Err(StepError::retryable(format!(
                "security group {id} is still attached to a network interface: waiting for EFS \
                 to release the deleted mount targets' interfaces (this takes a few minutes); \
                 if something else uses the group, detach it from that"
            ))
            .with_code("DependencyViolation")
            .with_resource(id.to_string())),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests;
