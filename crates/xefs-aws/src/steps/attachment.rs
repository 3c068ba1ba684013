//! A managed policy attached to a role.

use std::time::Duration;

use xefs_core::blueprint::steps::IamRolePolicyAttachment;
use xefs_core::step::{Ensured, Observation, Step, StepContext, StepError, StepOutputs};

use super::output_names::{POLICY_ARN, ROLE};
use crate::Account;

/// A managed policy attached to a role, found by listing the role's attached policies.
///
/// An attachment carries no tags, so nothing on it says who made it: `destroy` detaches it
/// only when the journal says xefs attached it (the engine decides that). Outputs `role` and
/// `policy_arn`.
#[derive(Debug, Clone)]
pub struct AttachmentStep {
    spec: IamRolePolicyAttachment,
    account: Account,
}

impl AttachmentStep {
    /// The attachment described by `spec`, in `account`.
    pub fn new(spec: IamRolePolicyAttachment, account: Account) -> Self {
        Self { spec, account }
    }

    fn outputs(&self) -> Result<StepOutputs, StepError> {
        StepOutputs::new()
            .with(ROLE, &self.spec.role)?
            .with(POLICY_ARN, &self.spec.policy)
    }
}

#[async_trait::async_trait]
impl Step for AttachmentStep {
    fn describe(&self) -> String {
        format!(
            "attachment of IAM policy {} to role {} in account {}",
            self.spec.policy, self.spec.role, self.account.id
        )
    }

    fn expected_duration(&self) -> Duration {
        Duration::from_secs(2)
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let attached = self
            .account
            .iam(ctx)
            .await
            .attached_policies(&self.spec.role)
            .await?;
        Ok(if attached.contains(&self.spec.policy) {
            Observation::Present(self.outputs()?)
        } else {
            Observation::Absent
        })
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        match observed {
            Observation::Present(outputs) => Ok(Ensured::unchanged(outputs.clone())),
            // An attachment has no fields to drift; attaching again is harmless either way.
            Observation::Absent | Observation::Drifted { .. } => {
                self.account
                    .iam(ctx)
                    .await
                    .attach_policy(&self.spec.role, &self.spec.policy)
                    .await?;
                Ok(Ensured::created(self.outputs()?))
            }
            Observation::NotApplicable { reason } => Err(StepError::permanent(format!(
                "{} always applies, but was observed as not applicable ({reason})",
                self.describe()
            ))),
        }
    }

    async fn remove(&self, ctx: &StepContext, _recorded: &StepOutputs) -> Result<(), StepError> {
        match self
            .account
            .iam(ctx)
            .await
            .detach_policy(&self.spec.role, &self.spec.policy)
            .await
        {
            // The role or the policy is already gone, and the attachment with it.
            Err(e) if e.is_code("NoSuchEntity") => Ok(()),
            result => Ok(result?),
        }
    }
}

#[cfg(test)]
mod tests {
    use xefs_core::blueprint::addr;
    use xefs_core::ids::{AccountId, Arn, IamName};
    use xefs_core::step::{Change, Inputs};

    use super::*;
    use crate::steps::test_support::{A, Mocks, ctx};
    use crate::{AwsError, Service};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn policy() -> Arn {
        Arn::parse(&format!("arn:aws:iam::{A}:policy/xefs-csi")).expect("test ARN")
    }

    fn role() -> IamName {
        IamName::parse("xefs-csi-role").expect("test name")
    }

    fn step(m: Mocks) -> AttachmentStep {
        AttachmentStep::new(
            IamRolePolicyAttachment {
                account: AccountId::parse(A).expect("test account"),
                role: role(),
                policy: policy(),
            },
            m.account(A),
        )
    }

    fn context() -> StepContext {
        ctx(addr::CSI_ATTACHMENT, Inputs::new())
    }

    #[tokio::test]
    async fn fresh_attach_lists_then_attaches() -> TestResult {
        let mut m = Mocks::default();
        m.iam
            .expect_attached_policies()
            .withf(|r| r == &role())
            .times(1)
            .returning(|_| {
                Ok(vec![
                    Arn::parse("arn:aws:iam::aws:policy/ReadOnlyAccess").expect("test ARN"),
                ])
            });
        m.iam
            .expect_attach_policy()
            .withf(|r, p| r == &role() && p == &policy())
            .times(1)
            .returning(|_, _| Ok(()));
        let step = step(m);
        assert!(step.describe().contains(A));
        let ctx = context();
        let observed = step.observe(&ctx).await?;
        assert_eq!(observed, Observation::Absent);
        let ensured = step.ensure(&ctx, &observed).await?;
        assert_eq!(ensured.change, Change::Created);
        assert_eq!(ensured.outputs.get::<IamName>(ROLE)?, role());
        assert_eq!(ensured.outputs.get::<Arn>(POLICY_ARN)?, policy());
        Ok(())
    }

    #[tokio::test]
    async fn an_existing_attachment_gets_no_write() -> TestResult {
        let mut m = Mocks::default();
        m.iam
            .expect_attached_policies()
            .times(1)
            .returning(|_| Ok(vec![policy()]));
        let step = step(m);
        let ctx = context();
        let observed = step.observe(&ctx).await?;
        assert!(matches!(observed, Observation::Present(_)));
        assert_eq!(
            step.ensure(&ctx, &observed).await?.change,
            Change::Unchanged
        );
        Ok(())
    }

    #[tokio::test]
    async fn remove_detaches_and_a_gone_role_is_success() -> TestResult {
        let mut m = Mocks::default();
        m.iam
            .expect_detach_policy()
            .withf(|r, p| r == &role() && p == &policy())
            .times(1)
            .returning(|_, _| Ok(()));
        step(m).remove(&context(), &StepOutputs::new()).await?;

        let mut m = Mocks::default();
        m.iam.expect_detach_policy().times(1).returning(|_, _| {
            Err(AwsError::new(
                Service::Iam,
                "DetachRolePolicy",
                Some("NoSuchEntity".into()),
                "The role cannot be found.",
                false,
            ))
        });
        step(m).remove(&context(), &StepOutputs::new()).await?;
        Ok(())
    }

    #[tokio::test]
    async fn other_detach_errors_are_reported() -> TestResult {
        let mut m = Mocks::default();
        m.iam.expect_detach_policy().times(1).returning(|_, _| {
            Err(AwsError::new(
                Service::Iam,
                "DetachRolePolicy",
                Some("AccessDenied".into()),
                "not allowed",
                false,
            ))
        });
        let err = step(m)
            .remove(&context(), &StepOutputs::new())
            .await
            .err()
            .ok_or("expected an error")?;
        assert_eq!(err.code(), Some("AccessDenied"));
        Ok(())
    }
}
