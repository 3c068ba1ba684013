use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::blueprint::{OutputRef, PolicyTemplate, Value};
use crate::ids::{AzId, FileSystemId, SecurityGroupId, VpcId};
use crate::spec::{PerformanceMode, ThroughputMode};

/// The EFS file system, created with the stack name as creation token so that a retried
/// create returns the same file system. Outputs `file_system_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileSystem {
    /// B's VPC: with One Zone storage, the zone *name* `CreateFileSystem` wants is read from
    /// B's subnet in the spec's zone id (names are shuffled per account, ids are not).
    pub vpc_id: VpcId,
    /// The creation token.
    pub creation_token: String,
    /// Performance mode.
    pub performance_mode: PerformanceMode,
    /// Throughput mode.
    pub throughput_mode: ThroughputMode,
    /// MiB/s with provisioned throughput.
    pub provisioned_throughput_mibps: Option<f64>,
    /// Encrypted at rest.
    pub encrypted: bool,
    /// KMS key.
    pub kms_key_id: Option<String>,
    /// One Zone storage in this zone id.
    pub one_zone_az_id: Option<AzId>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// One mount target per chosen subnet of B's VPC, in the security group, polled until each
/// is `available` (EFS has no waiter; real ones take minutes). Outputs `mount_targets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MountTargets {
    /// The file system.
    pub file_system: Value<FileSystemId>,
    /// Subnets, one per worker zone id.
    pub subnets: OutputRef,
    /// Their security group.
    pub security_group: Value<SecurityGroupId>,
}

/// The file-system policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileSystemPolicy {
    /// The file system.
    pub file_system: Value<FileSystemId>,
    /// The document.
    pub document: PolicyTemplate,
}
