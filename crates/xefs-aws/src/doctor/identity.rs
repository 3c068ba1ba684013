//! Whose credentials answer for each account: the first fact, and the gate for every other
//! read in that account.

use xefs_core::doctor::IdentityFact;
use xefs_core::ids::AccountId;

use crate::{Account, AccountRole, ProviderError};

/// Asks STS who the credentials of `account` belong to. Returns the fact, and the account when
/// it may be read further: only credentials verified to act in `expected` are used, so doctor
/// never reports another account's resources as the spec's.
///
/// Every failure is a fact, not an error: a connection that never came up, missing or expired
/// credentials, a refused `AssumeRole`, even a throttled `GetCallerIdentity` (the SDK already
/// retried it) all leave the account unreadable, and the finding says why.
pub(super) async fn check<'a>(
    account: &'a Result<Account, ProviderError>,
    role: AccountRole,
    expected: &AccountId,
) -> (IdentityFact, Option<&'a Account>) {
    let account = match account {
        Ok(account) => account,
        Err(e) => {
            return (
                IdentityFact::Unavailable {
                    error: e.to_string(),
                },
                None,
            );
        }
    };
    let (actual, caller) = match account.verify_identity(role).await {
        Ok(identity) => (identity.account, identity.arn.to_string()),
        Err(ProviderError::WrongAccount { actual, caller, .. }) => (actual, caller),
        Err(e) => {
            return (
                IdentityFact::Unavailable {
                    error: e.to_string(),
                },
                None,
            );
        }
    };
    if &actual == expected {
        (IdentityFact::Verified { caller }, Some(account))
    } else {
        (IdentityFact::WrongAccount { actual, caller }, None)
    }
}
