//! [`Sts`] over `aws_sdk_sts`.

use aws_sdk_sts::Client;
use xefs_core::ids::{AccountId, Arn};

use super::calls::Calls;
use crate::ports::{CallerIdentity, Sts};
use crate::{AwsResult, CallStats, Service};

/// STS in one account, through the AWS SDK: who the credentials belong to.
#[derive(Debug, Clone)]
pub struct SdkSts {
    client: Client,
    calls: Calls,
}

impl SdkSts {
    /// An adapter over `client`, whose credentials should act in `account`; every call is
    /// counted in `stats`.
    pub fn new(client: Client, account: AccountId, stats: CallStats) -> Self {
        Self {
            client,
            calls: Calls::new(Service::Sts, account, stats),
        }
    }
}

#[async_trait::async_trait]
impl Sts for SdkSts {
    async fn caller_identity(&self) -> AwsResult<CallerIdentity> {
        const CALL: &str = "GetCallerIdentity";
        let out = self
            .calls
            .send(CALL, None, self.client.get_caller_identity().send())
            .await?;
        Ok(CallerIdentity {
            account: self
                .calls
                .parse(CALL, "account id", out.account(), AccountId::parse)?,
            arn: self
                .calls
                .parse(CALL, "caller ARN", out.arn(), Arn::parse)?,
        })
    }
}
