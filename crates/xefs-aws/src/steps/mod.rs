//! The AWS steps of the blueprint, each an implementation of [`xefs_core::step::Step`] over the
//! ports of one account (or both, for preflight).

mod guard;
#[cfg(test)]
mod test_support;

mod attachment;
mod client_access;
mod common;
mod discovery;
mod iam_policy;
mod iam_role;
mod managed_policy;
pub mod output_names;
mod preflight;

pub use attachment::AttachmentStep;
pub use client_access::EfsClientAccessStep;
pub use discovery::{DiscoverClusterAccountStep, DiscoverStorageAccountStep};
pub use guard::require_stack_tag;
pub use iam_policy::IamPolicyStep;
pub use iam_role::IamRoleStep;
pub use preflight::PreflightStep;
