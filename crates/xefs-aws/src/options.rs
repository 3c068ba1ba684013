//! How the AWS steps behave where the spec has no say: waits, and the data guard on destroy.

use std::time::Duration;

/// Options of the AWS provider.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsOptions {
    /// Let `destroy` delete a file system that holds data. Off by default: a file system
    /// reporting more than the few KiB of an empty one is refused.
    pub delete_data: bool,
    /// How long to wait for a peering to become `active` after acceptance.
    pub peering_timeout: Duration,
    /// How long to wait for a new file system to become `available` (seconds, in practice).
    pub file_system_timeout: Duration,
    /// How long to wait for mount targets to become `available`, or to be gone (minutes).
    pub mount_target_timeout: Duration,
}

impl Default for AwsOptions {
    fn default() -> Self {
        Self {
            delete_data: false,
            peering_timeout: Duration::from_secs(5 * 60),
            file_system_timeout: Duration::from_secs(10 * 60),
            mount_target_timeout: Duration::from_secs(20 * 60),
        }
    }
}
