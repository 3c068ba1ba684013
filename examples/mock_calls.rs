//! Asserting exact AWS calls with the `mockall` mocks of the ports (`xefs-aws` feature
//! `mock`): the strictest kind of test, for the guarantees a platform team leans on — here,
//! that credentials for the wrong account stop everything before the first write, and that
//! destroying a stack that was never applied makes no call at all.
//!
//! `cargo test --example mock_calls`

fn main() {
    println!("run `cargo test --example mock_calls`");
}

#[cfg(test)]
mod tests {
    use xefs::Stack;
    use xefs::aws::ProviderError;
    use xefs::core::spec::StackSpec;

    use std::sync::Arc;

    use xefs::aws::ports::{MockEc2, MockEfs, MockIam, MockSts};
    use xefs::aws::{Account, AwsAccounts};
    use xefs::core::ids::{AccountId, Region};

    /// An account whose ports are these mocks: any call without an expectation fails the test.
    fn account(id: &str, sts: MockSts) -> Account {
        Account::new(
            AccountId::parse(id).expect("an account id"),
            Region::parse("us-east-2").expect("a region"),
            Arc::new(MockIam::new()),
            Arc::new(MockEc2::new()),
            Arc::new(MockEfs::new()),
            Arc::new(sts),
        )
    }

    /// STS answering that the credentials act in `actual`, exactly once.
    fn sts_answering(actual: &str) -> MockSts {
        let mut sts = MockSts::new();
        let actual = actual.to_owned();
        sts.expect_caller_identity().times(1).returning(move || {
            Ok(xefs::aws::ports::CallerIdentity {
                account: AccountId::parse(&actual).expect("an account id"),
                arn: xefs::core::ids::Arn::parse(&format!("arn:aws:iam::{actual}:user/ci"))
                    .expect("an arn"),
            })
        });
        sts
    }

    fn accounts(cluster_sts: MockSts, storage_sts: MockSts) -> AwsAccounts {
        AwsAccounts {
            cluster: account("111111111111", cluster_sts),
            storage: account("222222222222", storage_sts),
        }
    }

    #[tokio::test]
    async fn wrong_account_credentials_are_refused_with_one_call_each() {
        // B's credentials act in a third account; IAM, EC2 and EFS must never be called.
        let accounts = accounts(sts_answering("111111111111"), sts_answering("333333333333"));
        let err = accounts.verify_identities().await.expect_err("refused");
        match err {
            ProviderError::WrongAccount {
                expected, actual, ..
            } => {
                assert_eq!(expected.as_str(), "222222222222");
                assert_eq!(actual.as_str(), "333333333333");
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[tokio::test]
    async fn destroying_a_stack_never_applied_calls_nothing()
    -> Result<(), Box<dyn std::error::Error>> {
        let spec = StackSpec::builder("never-applied", "us-east-2")
            .cluster(
                "sts-cluster",
                "111111111111",
                "vpc-0a1b2c3d4e5f60718",
                "10.0.0.0/16",
            )
            .storage("222222222222", "vpc-0f1e2d3c4b5a69788", "10.1.0.0/16")
            // Without a cluster, the AWS phase needs what it would read there.
            .set("cluster.oidc_provider", "oidc.example.com/abc")
            .set("cluster.worker_subnets", vec!["subnet-0a1b2c3d4e5f60718"])
            .build()?;
        let state = tempfile::tempdir()?;
        // No expectation anywhere: a single AWS call would fail the test.
        let stack = Stack::new(
            spec,
            state.path(),
            accounts(MockSts::new(), MockSts::new()),
            None,
        )
        .with_phases(&[xefs::core::blueprint::Phase::Aws]);
        let report = stack.destroy(false).await?;
        assert!(report.is_success());
        assert!(report.removed.is_empty());
        Ok(())
    }
}
