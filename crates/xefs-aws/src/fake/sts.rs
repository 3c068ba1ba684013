//! STS in the fake: every account's ports belong to a session of the same simulated role.

use xefs_core::ids::Arn;

use super::Caller;
use crate::AwsResult;
use crate::ports::{CallerIdentity, Sts};
use crate::sdk::classify::Fault;

/// The role whose session the fake's callers are.
pub const SIM_ROLE: &str = "xefs-sim";
/// The session name of the fake's callers.
pub const SIM_SESSION: &str = "xefs";

/// STS of one account of a [`FakeAws`](super::FakeAws).
#[derive(Debug, Clone)]
pub struct FakeSts(pub(crate) Caller);

#[async_trait::async_trait]
impl Sts for FakeSts {
    async fn caller_identity(&self) -> AwsResult<CallerIdentity> {
        self.0
            .call("GetCallerIdentity", None, |_, cx| {
                let arn = format!(
                    "arn:{}:sts::{}:assumed-role/{SIM_ROLE}/{SIM_SESSION}",
                    cx.partition.as_str(),
                    cx.account
                );
                Ok(CallerIdentity {
                    account: cx.account.clone(),
                    arn: Arn::parse(&arn)
                        .map_err(|e| Fault::service("InternalFailure", &e.to_string(), 500))?,
                })
            })
            .await
    }
}
