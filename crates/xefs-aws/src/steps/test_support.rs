//! Helpers for the steps' unit tests: accounts served by mockall mocks, and step contexts.
#![allow(dead_code)] // Used by the step modules' tests as they need them.

use std::sync::Arc;

use xefs_core::blueprint::Address;
use xefs_core::ids::{AccountId, Region};
use xefs_core::step::{Inputs, StepContext, WaitPolicy};

use crate::Account;
use crate::ports::{MockEc2, MockEfs, MockIam, MockSts};

/// Account A's id in step tests.
pub(crate) const A: &str = "111111111111";
/// Account B's id in step tests.
pub(crate) const B: &str = "222222222222";

/// The mocks behind one account; a mock without expectations fails the test when called.
#[derive(Default)]
pub(crate) struct Mocks {
    pub iam: MockIam,
    pub ec2: MockEc2,
    pub efs: MockEfs,
    pub sts: MockSts,
}

impl Mocks {
    /// The account `id` in `us-east-1`, served by these mocks.
    pub(crate) fn account(self, id: &str) -> Account {
        Account::new(
            AccountId::parse(id).expect("test account id"),
            Region::parse("us-east-1").expect("test region"),
            Arc::new(self.iam),
            Arc::new(self.ec2),
            Arc::new(self.efs),
            Arc::new(self.sts),
        )
    }
}

/// A context for `address` with these inputs, polling every second (under a paused clock).
pub(crate) fn ctx(address: &str, inputs: Inputs) -> StepContext {
    StepContext::new(Address::parse(address).expect("test address"), inputs).with_wait_policy(
        WaitPolicy {
            initial: std::time::Duration::from_secs(1),
            max: std::time::Duration::from_secs(1),
            factor: 1.0,
        },
    )
}
