//! A customer-managed IAM policy (A's CSI driver policy, B's cross-account policy).

use std::time::Duration;

use xefs_core::blueprint::steps::IamPolicy;
use xefs_core::ids::Arn;
use xefs_core::step::{Ensured, Observation, Step, StepContext, StepError, StepOutputs};

use super::common::render;
use super::managed_policy::{self, Created};
use super::output_names::POLICY_ARN;
use crate::Account;

/// A customer-managed policy, found by its ARN (which the name determines), so a policy a
/// crashed run created is found again.
///
/// A drifted document is replaced by a new default version rather than by deleting and
/// recreating the policy, which would detach it from its roles for a moment. Outputs
/// `policy_arn`.
#[derive(Debug, Clone)]
pub struct IamPolicyStep {
    spec: IamPolicy,
    account: Account,
}

impl IamPolicyStep {
    /// The policy described by `spec`, in `account`.
    pub fn new(spec: IamPolicy, account: Account) -> Self {
        Self { spec, account }
    }

    fn what(&self) -> String {
        format!("IAM policy {}", self.spec.name)
    }

    fn outputs(arn: &Arn, version: Option<&str>) -> Result<StepOutputs, StepError> {
        managed_policy::with_version(StepOutputs::new().with(POLICY_ARN, arn)?, version)
    }
}

#[async_trait::async_trait]
impl Step for IamPolicyStep {
    fn describe(&self) -> String {
        format!("{} in account {}", self.what(), self.account.id)
    }

    fn expected_duration(&self) -> Duration {
        Duration::from_secs(2)
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let desired = render(&self.spec.document, ctx.inputs(), &self.what())?;
        let Some(live) = managed_policy::read_default(&self.account, ctx, &self.spec.arn).await?
        else {
            return Ok(Observation::Absent);
        };
        let outputs = Self::outputs(&self.spec.arn, Some(&live.id))?;
        Ok(
            match managed_policy::document_diff(&live.document, &desired) {
                None => Observation::Present(outputs),
                Some(diff) => Observation::Drifted {
                    outputs,
                    diff: vec![diff],
                },
            },
        )
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        let desired = render(&self.spec.document, ctx.inputs(), &self.what())?;
        match observed {
            Observation::Absent => {
                let created = managed_policy::create(
                    &self.account,
                    ctx,
                    &self.spec.name,
                    &self.spec.arn,
                    &desired,
                    &self.spec.tags,
                )
                .await?;
                Ok(match created {
                    Created::New(arn) => {
                        Ensured::created(Self::outputs(&arn, Some(managed_policy::FIRST_VERSION))?)
                    }
                    Created::Existing(change) => Ensured {
                        change,
                        outputs: Self::outputs(&self.spec.arn, None)?,
                    },
                })
            }
            Observation::Drifted { .. } => {
                let version =
                    managed_policy::replace_document(&self.account, ctx, &self.spec.arn, &desired)
                        .await?;
                Ok(Ensured::updated(Self::outputs(
                    &self.spec.arn,
                    Some(&version),
                )?))
            }
            Observation::Present(outputs) => Ok(Ensured::unchanged(outputs.clone())),
            Observation::NotApplicable { reason } => Err(StepError::permanent(format!(
                "{} always applies, but was observed as not applicable ({reason})",
                self.what()
            ))),
        }
    }

    async fn remove(&self, ctx: &StepContext, _recorded: &StepOutputs) -> Result<(), StepError> {
        // The ARN follows from the name, so the spec finds the policy even without outputs.
        let Some(policy) = self
            .account
            .iam(ctx)
            .await
            .get_policy(&self.spec.arn)
            .await?
        else {
            return Ok(());
        };
        managed_policy::delete(&self.account, ctx, &policy, &self.spec.tags).await
    }
}

#[cfg(test)]
mod tests;
