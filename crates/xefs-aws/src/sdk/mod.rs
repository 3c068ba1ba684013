//! The ports over the AWS SDK, and the credentials to use them in both accounts.
//!
//! * [`connect`] builds the [`AwsAccounts`](crate::AwsAccounts) of a stack spec: account A with
//!   `cluster.profile` or the default chain, account B with `storage.assume_role_arn` (assumed
//!   with A's credentials), `storage.profile`, or the default chain. [`connect_account`] and
//!   [`account_from_config`] connect a single account.
//! * [`SdkIam`], [`SdkEc2`], [`SdkEfs`] and [`SdkSts`] implement the ports over the SDK clients:
//!   every page of every list is read, AWS's ids are parsed into xefs's types (a malformed one is
//!   an error, never a panic), not-found becomes `None`/success as the port contracts say, and
//!   every call is counted in a [`CallStats`](crate::CallStats).
//! * [`classify`] is the one place where SDK errors become [`AwsError`](crate::AwsError)s,
//!   with the rule for what is retryable.
//!
//! The standard `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables work as with any
//! AWS SDK; [`ConnectOptions::with_endpoint_url`] overrides them (e.g. for moto).
//!
//! ```no_run
//! use xefs_aws::CallStats;
//! use xefs_aws::sdk::{ConnectOptions, connect};
//! use xefs_core::spec::StackSpec;
//!
//! # async fn example(spec: &StackSpec) -> Result<(), xefs_aws::ProviderError> {
//! let stats = CallStats::new();
//! let accounts = connect(spec, &ConnectOptions::new().with_stats(stats.clone())).await?;
//! // Refuse to go on with credentials of the wrong accounts, before any write.
//! accounts.verify_identities().await?;
//! println!("{} reads so far", stats.total().reads);
//! # Ok(())
//! # }
//! ```

mod calls;
pub mod classify;
mod connect;
mod convert;
mod ec2;
mod efs;
mod iam;
#[cfg(test)]
mod mock_tests;
mod sts;

pub use connect::{
    ConnectOptions, CredentialSource, SESSION_NAME, account_from_config, connect, connect_account,
    load_sdk_config,
};
pub use ec2::SdkEc2;
pub use efs::SdkEfs;
pub use iam::SdkIam;
pub use sts::SdkSts;

/// Profile files to read instead of the standard ones, for
/// [`ConnectOptions::with_profile_files`]: files by path or by content.
pub use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
