//! One AWS account as the steps see it: its id, its region, and a port per service.

use std::sync::Arc;

use xefs_core::ids::{AccountId, Region};
use xefs_core::step::StepContext;

use crate::ports::{CallerIdentity, Ec2, Efs, Iam, Sts};
use crate::{AwsError, ProviderError};

/// The clients of one account. Cheap to clone.
///
/// Steps reach a service through [`Account::iam`] and friends, which first wait for the
/// process-wide rate limit of that account and service: one call per acquisition.
#[derive(Clone)]
pub struct Account {
    /// The account's id, as the spec names it.
    pub id: AccountId,
    /// The region the clients act in.
    pub region: Region,
    iam: Arc<dyn Iam>,
    ec2: Arc<dyn Ec2>,
    efs: Arc<dyn Efs>,
    sts: Arc<dyn Sts>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl Account {
    /// An account served by these ports (SDK clients, mocks, or fakes).
    pub fn new(
        id: AccountId,
        region: Region,
        iam: Arc<dyn Iam>,
        ec2: Arc<dyn Ec2>,
        efs: Arc<dyn Efs>,
        sts: Arc<dyn Sts>,
    ) -> Self {
        Self {
            id,
            region,
            iam,
            ec2,
            efs,
            sts,
        }
    }

    /// IAM, after the rate limit allows one call.
    pub async fn iam(&self, ctx: &StepContext) -> &dyn Iam {
        ctx.rate_limits().acquire(self.id.as_str(), "iam").await;
        &*self.iam
    }

    /// EC2, after the rate limit allows one call.
    pub async fn ec2(&self, ctx: &StepContext) -> &dyn Ec2 {
        ctx.rate_limits().acquire(self.id.as_str(), "ec2").await;
        &*self.ec2
    }

    /// EFS, after the rate limit allows one call.
    pub async fn efs(&self, ctx: &StepContext) -> &dyn Efs {
        ctx.rate_limits().acquire(self.id.as_str(), "efs").await;
        &*self.efs
    }

    /// STS, after the rate limit allows one call.
    pub async fn sts(&self, ctx: &StepContext) -> &dyn Sts {
        ctx.rate_limits().acquire(self.id.as_str(), "sts").await;
        &*self.sts
    }

    /// Asks STS who the credentials belong to and checks it is this account: run before the
    /// first write, so that credentials for the wrong account never create anything.
    pub async fn verify_identity(
        &self,
        role: AccountRole,
    ) -> Result<CallerIdentity, ProviderError> {
        let identity = self
            .sts
            .caller_identity()
            .await
            .map_err(|e: AwsError| ProviderError::Aws(e.in_account(&self.id)))?;
        if identity.account != self.id {
            return Err(ProviderError::WrongAccount {
                role,
                expected: self.id.clone(),
                actual: identity.account,
                caller: identity.arn.to_string(),
            });
        }
        Ok(identity)
    }
}

/// Which of the two accounts of a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountRole {
    /// Account A, which runs the cluster.
    Cluster,
    /// Account B, which holds the file system.
    Storage,
}

impl std::fmt::Display for AccountRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AccountRole::Cluster => "cluster account A",
            AccountRole::Storage => "storage account B",
        })
    }
}

/// Both accounts of a stack.
#[derive(Debug, Clone)]
pub struct AwsAccounts {
    /// Account A.
    pub cluster: Account,
    /// Account B.
    pub storage: Account,
}

impl AwsAccounts {
    /// Checks both accounts' identities (concurrently); the first mismatch or failure is the
    /// error.
    pub async fn verify_identities(&self) -> Result<(), ProviderError> {
        let (a, b) = tokio::join!(
            self.cluster.verify_identity(AccountRole::Cluster),
            self.storage.verify_identity(AccountRole::Storage)
        );
        a?;
        b?;
        Ok(())
    }
}
