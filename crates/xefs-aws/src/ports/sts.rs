use xefs_core::ids::{AccountId, Arn};

use crate::AwsResult;

/// Who the credentials of an account belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The account the credentials act in.
    pub account: AccountId,
    /// The calling principal (a user, or an assumed-role session).
    pub arn: Arn,
}

/// STS: who am I.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait Sts: Send + Sync {
    /// `GetCallerIdentity`.
    async fn caller_identity(&self) -> AwsResult<CallerIdentity>;
}
