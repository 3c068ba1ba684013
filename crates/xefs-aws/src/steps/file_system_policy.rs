//! The file-system policy in account B: account A's principals may mount, over TLS only.
//!
//! Compared by meaning ([`PolicyDocument::equivalent`]), not by text, so that EFS's own
//! rewriting of a stored policy (ordering, single values as strings) is not drift.

use xefs_core::blueprint::out;
use xefs_core::blueprint::steps::FileSystemPolicy;
use xefs_core::iam::PolicyDocument;
use xefs_core::ids::FileSystemId;
use xefs_core::step::{Ensured, FieldDiff, Observation, Step, StepContext, StepError, StepOutputs};

use crate::Account;

/// The EFS file-system policy, in account B.
///
/// Outputs `file_system_id`, the file system the policy is on, which `destroy` needs.
#[derive(Debug, Clone)]
pub struct FileSystemPolicyStep {
    spec: FileSystemPolicy,
    account: Account,
}

impl FileSystemPolicyStep {
    /// The policy `spec` describes, put in `account` (account B, which owns the file system).
    pub fn new(spec: FileSystemPolicy, account: Account) -> Self {
        Self { spec, account }
    }

    fn wanted(&self, ctx: &StepContext) -> Result<(FileSystemId, PolicyDocument), StepError> {
        let fs = self.spec.file_system.get(ctx.inputs())?;
        let document = self
            .spec
            .document
            .render(ctx.inputs())
            .map_err(|e| StepError::permanent(e.to_string()))?;
        Ok((fs, document))
    }
}

fn outputs(fs: &FileSystemId) -> Result<StepOutputs, StepError> {
    StepOutputs::new().with(out::FILE_SYSTEM_ID, fs)
}

#[async_trait::async_trait]
impl Step for FileSystemPolicyStep {
    fn describe(&self) -> String {
        format!(
            "file-system policy of the stack's EFS file system, in account {}",
            self.account.id
        )
    }

    fn expected_duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(2)
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let (fs, desired) = self.wanted(ctx)?;
        let live = self.account.efs(ctx).await.file_system_policy(&fs).await?;
        let Some(live) = live else {
            return Ok(Observation::Absent);
        };
        let outputs = outputs(&fs)?;
        Ok(if live.equivalent(&desired) {
            Observation::Present(outputs)
        } else {
            Observation::Drifted {
                outputs,
                diff: vec![FieldDiff::new(
                    "policy",
                    live.to_json_compact(),
                    desired.to_json_compact(),
                )],
            }
        })
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        if let Observation::Present(existing) = observed {
            return Ok(Ensured::unchanged(existing.clone()));
        }
        let (fs, desired) = self.wanted(ctx)?;
        self.account
            .efs(ctx)
            .await
            .put_file_system_policy(&fs, &desired)
            .await?;
        let outputs = outputs(&fs)?;
        Ok(if observed.is_absent() {
            Ensured::created(outputs)
        } else {
            Ensured::updated(outputs)
        })
    }

    async fn remove(&self, ctx: &StepContext, recorded: &StepOutputs) -> Result<(), StepError> {
        let fs: FileSystemId = recorded.get(out::FILE_SYSTEM_ID)?;
        match self
            .account
            .efs(ctx)
            .await
            .delete_file_system_policy(&fs)
            .await
        {
            Ok(()) => Ok(()),
            // The file system went first (deleted by hand): its policy went with it.
            Err(e) if e.is_code("FileSystemNotFound") => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use xefs_core::blueprint::{Address, OutputRef, PolicyTemplate, Value, addr};
    use xefs_core::iam::Statement;
    use xefs_core::ids::{AccountId, Arn, Partition, Region};
    use xefs_core::step::{Change, Inputs};

    use super::*;
    use crate::steps::test_support::{A, B, Mocks, ctx};
    use crate::{AwsError, Service};

    const FS: &str = "fs-0000000f";

    fn fs_value() -> Value<FileSystemId> {
        Value::After(OutputRef {
            step: Address::parse(addr::FILE_SYSTEM).expect("address"),
            output: out::FILE_SYSTEM_ID.into(),
        })
    }

    fn spec() -> FileSystemPolicy {
        FileSystemPolicy {
            file_system: fs_value(),
            document: PolicyTemplate::FileSystem {
                region: Region::parse("us-east-1").expect("region"),
                account: AccountId::parse(B).expect("account"),
                file_system: fs_value(),
                principals: vec![Arn::account_root(
                    Partition::Aws,
                    &AccountId::parse(A).expect("account"),
                )],
            },
        }
    }

    fn c() -> StepContext {
        let inputs = Inputs::new().with(
            Address::parse(addr::FILE_SYSTEM).expect("address"),
            outputs(&FileSystemId::parse(FS).expect("fs")).expect("outputs"),
        );
        ctx(addr::FILE_SYSTEM_POLICY, inputs)
    }

    fn desired() -> PolicyDocument {
        spec().document.render(c().inputs()).expect("render")
    }

    fn step(mocks: Mocks) -> FileSystemPolicyStep {
        FileSystemPolicyStep::new(spec(), mocks.account(B))
    }

    fn live(m: &mut Mocks, answer: Option<PolicyDocument>) {
        m.efs
            .expect_file_system_policy()
            .withf(|fs| fs.as_str() == FS)
            .times(1)
            .returning(move |_| Ok(answer.clone()));
    }

    fn expect_put(m: &mut Mocks) {
        m.efs
            .expect_put_file_system_policy()
            .withf(|fs, doc| fs.as_str() == FS && doc == &desired())
            .times(1)
            .returning(|_, _| Ok(()));
    }

    #[tokio::test]
    async fn a_missing_policy_is_put() -> Result<(), StepError> {
        let mut m = Mocks::default();
        live(&mut m, None);
        expect_put(&mut m);
        let step = step(m);
        let observed = step.observe(&c()).await?;
        assert_eq!(observed, Observation::Absent);
        let ensured = step.ensure(&c(), &observed).await?;
        assert_eq!(ensured.change, Change::Created);
        assert_eq!(ensured.outputs.get::<String>("file_system_id")?, FS);
        Ok(())
    }

    #[tokio::test]
    async fn an_equivalent_policy_makes_no_write() -> Result<(), StepError> {
        // EFS hands back the statements in its own order: still the same policy.
        let doc = desired();
        let reordered = PolicyDocument::new(doc.statements.iter().rev().cloned().collect());
        let mut m = Mocks::default();
        live(&mut m, Some(reordered));
        let step = step(m);
        let observed = step.observe(&c()).await?;
        assert!(matches!(observed, Observation::Present(_)), "{observed:?}");
        assert_eq!(
            step.ensure(&c(), &observed).await?.change,
            Change::Unchanged
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_different_policy_drifts_and_is_replaced() -> Result<(), StepError> {
        let other = PolicyDocument::new(vec![Statement::allow(["elasticfilesystem:ClientMount"])]);
        let mut m = Mocks::default();
        live(&mut m, Some(other.clone()));
        expect_put(&mut m);
        let step = step(m);
        let observed = step.observe(&c()).await?;
        let Observation::Drifted { diff, .. } = &observed else {
            return Err(StepError::permanent(format!(
                "expected drift, got {observed:?}"
            )));
        };
        assert_eq!(
            diff,
            &[FieldDiff::new(
                "policy",
                other.to_json_compact(),
                desired().to_json_compact()
            )]
        );
        assert_eq!(step.ensure(&c(), &observed).await?.change, Change::Updated);
        Ok(())
    }

    #[tokio::test]
    async fn remove_deletes_the_policy_and_a_gone_file_system_is_fine() -> Result<(), StepError> {
        let recorded = outputs(&FileSystemId::parse(FS).expect("fs"))?;
        let mut m = Mocks::default();
        m.efs
            .expect_delete_file_system_policy()
            .withf(|fs| fs.as_str() == FS)
            .times(1)
            .returning(|_| Ok(()));
        step(m).remove(&c(), &recorded).await?;

        let mut m = Mocks::default();
        m.efs
            .expect_delete_file_system_policy()
            .times(1)
            .returning(|_| {
                Err(AwsError::new(
                    Service::Efs,
                    "DeleteFileSystemPolicy",
                    Some("FileSystemNotFound".into()),
                    "no such file system",
                    false,
                ))
            });
        step(m).remove(&c(), &recorded).await
    }

    #[tokio::test]
    async fn other_delete_errors_are_reported() -> Result<(), StepError> {
        let recorded = outputs(&FileSystemId::parse(FS).expect("fs"))?;
        let mut m = Mocks::default();
        m.efs
            .expect_delete_file_system_policy()
            .times(1)
            .returning(|_| {
                Err(AwsError::new(
                    Service::Efs,
                    "DeleteFileSystemPolicy",
                    Some("AccessDenied".into()),
                    "not allowed",
                    false,
                ))
            });
        let err = step(m).remove(&c(), &recorded).await.err();
        assert_eq!(
            err.and_then(|e| e.code().map(str::to_owned)).as_deref(),
            Some("AccessDenied")
        );
        Ok(())
    }
}
