//! The AWS provider of xefs: every step of the procedure that acts in account A (the cluster's)
//! or account B (the file system's), through the AWS SDK.
//!
//! * [`ports`]: what the steps need from IAM, EC2, EFS and STS, with xefs's domain types in and
//!   out, mockable with `mockall` (feature `mock`).
//! * [`sdk`]: the ports over `aws-sdk-*`, with credentials per account (a profile, the default
//!   chain, or a role in B assumed with A's credentials) and the standard `AWS_ENDPOINT_URL`.
//! * [`steps`]: the blueprint's AWS steps, idempotent, tagged `xefs:stack=<name>`, bound to the
//!   ports by [`AwsProvider`].
//! * [`doctor`]: the read-only snapshot of both accounts that `xefs doctor` analyses.
//! * `fake` (feature `fake`): an in-memory AWS of any number of accounts, with AWS's rules,
//!   latencies and injected faults, for whole-flow tests and `--simulate`.
//!
//! ```
//! use xefs_aws::{AwsError, Service};
//! use xefs_core::step::StepError;
//!
//! // Ports classify AWS errors once; steps carry them to the engine, which retries only what
//! // can succeed on a second try.
//! let throttled = AwsError::new(Service::Ec2, "CreateRoute", Some("RequestLimitExceeded".into()), "slow down", true);
//! assert!(StepError::from(throttled).is_retryable());
//! ```

mod account;
pub mod doctor;
mod error;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
mod options;
pub mod ports;
mod provider;
pub mod sdk;
mod stats;
pub mod steps;

pub use account::{Account, AccountRole, AwsAccounts};
pub use error::{AwsError, AwsResult, ProviderError, Service};
pub use options::AwsOptions;
pub use provider::AwsProvider;
pub use stats::{CallCount, CallKind, CallStats};
