//! The ports: what the AWS steps need from each service, with xefs's domain types in and out.
//!
//! Each port instance acts in one account, with that account's credentials. The SDK adapters
//! in [`crate::sdk`] implement them; with the `mock` feature, `mockall` mocks (`MockIam`,
//! `MockEc2`, `MockEfs`, `MockSts`) let a platform tool's tests assert exact calls.
//!
//! Conventions: `describe_*`/`get_*` return `Ok(None)` (or an empty list) when the resource does
//! not exist, instead of AWS's not-found error; `delete_*` return `Ok(())` when it is already
//! gone. Every other AWS error is an [`AwsError`](crate::AwsError) that says whether to retry.

mod ec2;
mod efs;
mod iam;
mod sts;

pub use ec2::*;
pub use efs::*;
pub use iam::*;
pub use sts::*;

use std::collections::BTreeMap;

/// Resource tags, key to value.
pub type Tags = BTreeMap<String, String>;
