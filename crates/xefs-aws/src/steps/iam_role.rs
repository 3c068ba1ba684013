//! An IAM role (A's web-identity role for the CSI driver, B's cross-account role).

use std::time::Duration;

use xefs_core::blueprint::steps::IamRole;
use xefs_core::iam::PolicyDocument;
use xefs_core::ids::Arn;
use xefs_core::step::{Change, Ensured, Observation, Step, StepContext, StepError, StepOutputs};

use super::common::{policy_diff, render, scope};
use super::output_names::ROLE_ARN;
use super::{is_ours, require_stack_tag};
use crate::Account;
use crate::ports::NewRole;

/// An IAM role, found by its name, whose trust policy xefs keeps as the spec says.
///
/// IAM is eventually consistent: a trust policy naming a principal created seconds ago is
/// rejected (`MalformedPolicyDocument`, "Invalid principal"). The SDK adapter marks that error
/// retryable, so the engine retries with backoff and this step only propagates it. Outputs
/// `role_arn`.
#[derive(Debug, Clone)]
pub struct IamRoleStep {
    spec: IamRole,
    account: Account,
}

impl IamRoleStep {
    /// The role described by `spec`, in `account`.
    pub fn new(spec: IamRole, account: Account) -> Self {
        Self { spec, account }
    }

    fn what(&self) -> String {
        format!("IAM role {}", self.spec.name)
    }

    fn outputs(arn: &Arn) -> Result<StepOutputs, StepError> {
        StepOutputs::new().with(ROLE_ARN, arn)
    }

    fn desired_trust(&self, ctx: &StepContext) -> Result<PolicyDocument, StepError> {
        render(&self.spec.trust, ctx.inputs(), &self.what())
    }

    async fn create(
        &self,
        ctx: &StepContext,
        trust: &PolicyDocument,
    ) -> Result<Ensured, StepError> {
        let role = NewRole {
            name: self.spec.name.clone(),
            trust: trust.clone(),
            description: self.spec.description.clone(),
            tags: self.spec.tags.clone(),
        };
        match self.account.iam(ctx).await.create_role(&role).await {
            Ok(arn) => Ok(Ensured::created(Self::outputs(&arn)?)),
            // Created between observe and ensure (a crashed run's CreateRole, or a concurrent
            // one): converge on it instead of failing.
            Err(e) if e.is_code("EntityAlreadyExists") => {
                let Some(live) = self
                    .account
                    .iam(ctx)
                    .await
                    .get_role(&self.spec.name)
                    .await?
                else {
                    return Err(StepError::retryable(format!(
                        "IAM says role {} exists but GetRole does not find it yet",
                        self.spec.name
                    ))
                    .with_context(scope(&self.account), "GetRole")
                    .with_resource(format!("role/{}", self.spec.name)));
                };
                let change = if policy_diff("trust", &live.trust, trust).is_none() {
                    Change::Unchanged
                } else {
                    self.update_trust(ctx, trust).await?;
                    Change::Updated
                };
                // Tagged for this stack: made by xefs, typically by this very call, whose
                // answer was lost and which the SDK sent again. Claim it, so that destroy
                // removes it, instead of adopting it.
                let change = if is_ours(&live.tags, &self.spec.tags) {
                    Change::Created
                } else {
                    change
                };
                Ok(Ensured {
                    change,
                    outputs: Self::outputs(&live.arn)?,
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn update_trust(
        &self,
        ctx: &StepContext,
        trust: &PolicyDocument,
    ) -> Result<(), StepError> {
        self.account
            .iam(ctx)
            .await
            .update_trust(&self.spec.name, trust)
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Step for IamRoleStep {
    fn describe(&self) -> String {
        format!("{} in account {}", self.what(), self.account.id)
    }

    fn expected_duration(&self) -> Duration {
        Duration::from_secs(2)
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let desired = self.desired_trust(ctx)?;
        let Some(role) = self
            .account
            .iam(ctx)
            .await
            .get_role(&self.spec.name)
            .await?
        else {
            return Ok(Observation::Absent);
        };
        let outputs = Self::outputs(&role.arn)?;
        Ok(match policy_diff("trust", &role.trust, &desired) {
            None => Observation::Present(outputs),
            Some(diff) => Observation::Drifted {
                outputs,
                diff: vec![diff],
            },
        })
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        let desired = self.desired_trust(ctx)?;
        match observed {
            Observation::Absent => self.create(ctx, &desired).await,
            Observation::Drifted { outputs, .. } => {
                self.update_trust(ctx, &desired).await?;
                Ok(Ensured::updated(outputs.clone()))
            }
            Observation::Present(outputs) => Ok(Ensured::unchanged(outputs.clone())),
            Observation::NotApplicable { reason } => Err(StepError::permanent(format!(
                "{} always applies, but was observed as not applicable ({reason})",
                self.what()
            ))),
        }
    }

    async fn remove(&self, ctx: &StepContext, _recorded: &StepOutputs) -> Result<(), StepError> {
        let name = &self.spec.name;
        let Some(role) = self.account.iam(ctx).await.get_role(name).await? else {
            return Ok(());
        };
        require_stack_tag(&self.what(), &role.tags, &self.spec.tags)?;
        match self.account.iam(ctx).await.delete_role(name).await {
            Ok(()) => Ok(()),
            Err(e) if e.is_code("DeleteConflict") => {
                // Attachments are removed by their own steps before the role; what is left
                // was attached by someone else, and the user must decide about it.
                let attached = self.account.iam(ctx).await.attached_policies(name).await?;
                let what_is_left = if attached.is_empty() {
                    "it has no managed policy attached, so it still has inline policies or \
                     belongs to an instance profile; remove those"
                        .to_owned()
                } else {
                    let list: Vec<String> = attached.iter().map(ToString::to_string).collect();
                    format!(
                        "these policies are still attached: {}; detach them (`aws iam \
                         detach-role-policy --role-name {name} --policy-arn <arn>`)",
                        list.join(", ")
                    )
                };
                Err(StepError::permanent(format!(
                    "cannot delete {}: {what_is_left}, then run destroy again",
                    self.what()
                ))
                .with_code("DeleteConflict")
                .with_context(scope(&self.account), "DeleteRole")
                .with_resource(format!("role/{name}")))
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests;
