//! The AWS steps of the blueprint, each an implementation of [`xefs_core::step::Step`] over the
//! ports of one account (or both, for preflight).

mod attachment;
mod client_access;
mod common;
mod discovery;
mod file_system;
mod file_system_policy;
#[cfg(test)]
pub(crate) mod fixtures;
mod guard;
mod iam_policy;
mod iam_role;
mod managed_policy;
mod memo;
mod mount_targets;
pub mod output_names;
mod peering;
mod peering_accept;
mod preflight;
mod routes;
mod security_group;
#[cfg(test)]
pub(crate) mod test_support;

pub use attachment::AttachmentStep;
pub use client_access::EfsClientAccessStep;
pub use discovery::{DiscoverClusterAccountStep, DiscoverStorageAccountStep};
pub(crate) use file_system::life_cycle_name;
pub use file_system::{EMPTY_FILE_SYSTEM_BYTES, FileSystemStep};
pub use file_system_policy::FileSystemPolicyStep;
pub(crate) use guard::is_ours;
pub use guard::require_stack_tag;
pub use iam_policy::IamPolicyStep;
pub use iam_role::IamRoleStep;
pub use mount_targets::{MountTargetRecord, MountTargetsStep};
pub use peering::PeeringRequestStep;
pub use peering_accept::{PeeringAcceptStep, PeeringDnsStep};
pub use preflight::PreflightStep;
pub use routes::PeerRoutesStep;
pub use security_group::{NFS_PORT, SecurityGroupStep};
