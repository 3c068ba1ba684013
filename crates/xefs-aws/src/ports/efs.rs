use xefs_core::iam::PolicyDocument;
use xefs_core::ids::{AzId, FileSystemId, MountTargetId, SecurityGroupId, SubnetId, VpcId};
use xefs_core::spec::{PerformanceMode, ThroughputMode};

use super::Tags;
use crate::AwsResult;

/// The lifecycle state of a file system or mount target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LifeCycle {
    /// `creating`.
    Creating,
    /// `available`.
    Available,
    /// `updating`.
    Updating,
    /// `deleting`.
    Deleting,
    /// `deleted`.
    Deleted,
    /// `error`.
    Error,
    /// A state this version of xefs does not know.
    Other(String),
}

/// An EFS file system.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSystem {
    /// Its id.
    pub id: FileSystemId,
    /// The creation token it was created with.
    pub creation_token: String,
    /// Its state.
    pub life_cycle: LifeCycle,
    /// Performance mode.
    pub performance_mode: PerformanceMode,
    /// Throughput mode.
    pub throughput_mode: ThroughputMode,
    /// Provisioned MiB/s.
    pub provisioned_throughput_mibps: Option<f64>,
    /// Encrypted at rest.
    pub encrypted: bool,
    /// Its KMS key, when encrypted.
    pub kms_key_id: Option<String>,
    /// The zone id of One Zone storage.
    pub one_zone_az_id: Option<AzId>,
    /// Bytes stored (metered; lags by up to hours).
    pub size_bytes: u64,
    /// How many mount targets it has.
    pub mount_targets: u32,
    /// Its tags.
    pub tags: Tags,
}

/// What `CreateFileSystem` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFileSystem {
    /// Idempotency token: a second create with the same token returns the same file system.
    pub creation_token: String,
    /// Performance mode.
    pub performance_mode: PerformanceMode,
    /// Throughput mode.
    pub throughput_mode: ThroughputMode,
    /// Provisioned MiB/s.
    pub provisioned_throughput_mibps: Option<f64>,
    /// Encrypted at rest.
    pub encrypted: bool,
    /// KMS key.
    pub kms_key_id: Option<String>,
    /// One Zone storage in this zone *name* of the calling account.
    pub one_zone_az_name: Option<String>,
    /// Tags.
    pub tags: Tags,
}

/// An EFS mount target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountTarget {
    /// Its id.
    pub id: MountTargetId,
    /// Its file system.
    pub file_system_id: FileSystemId,
    /// Its subnet.
    pub subnet_id: SubnetId,
    /// Its VPC.
    pub vpc_id: Option<VpcId>,
    /// Its zone id.
    pub az_id: Option<AzId>,
    /// Its IP address.
    pub ip_address: Option<String>,
    /// Its state.
    pub life_cycle: LifeCycle,
}

/// EFS in one account.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait Efs: Send + Sync {
    /// `DescribeFileSystems` by creation token; `None` when there is none.
    async fn file_system_by_token(&self, token: &str) -> AwsResult<Option<FileSystem>>;
    /// `DescribeFileSystems` by id; `None` when it does not exist.
    async fn describe_file_system(&self, id: &FileSystemId) -> AwsResult<Option<FileSystem>>;
    /// `CreateFileSystem`, tagged at creation.
    async fn create_file_system(&self, fs: &NewFileSystem) -> AwsResult<FileSystem>;
    /// `UpdateFileSystem`: throughput mode and provisioned throughput.
    async fn update_throughput(
        &self,
        id: &FileSystemId,
        mode: ThroughputMode,
        provisioned_mibps: Option<f64>,
    ) -> AwsResult<()>;
    /// `DeleteFileSystem`; success when it is already gone.
    async fn delete_file_system(&self, id: &FileSystemId) -> AwsResult<()>;

    /// `DescribeMountTargets` of a file system, every page.
    async fn mount_targets(&self, fs: &FileSystemId) -> AwsResult<Vec<MountTarget>>;
    /// `DescribeMountTargetSecurityGroups`.
    async fn mount_target_security_groups(
        &self,
        id: &MountTargetId,
    ) -> AwsResult<Vec<SecurityGroupId>>;
    /// `CreateMountTarget`.
    async fn create_mount_target(
        &self,
        fs: &FileSystemId,
        subnet: &SubnetId,
        security_groups: &[SecurityGroupId],
    ) -> AwsResult<MountTarget>;
    /// `ModifyMountTargetSecurityGroups`.
    async fn set_mount_target_security_groups(
        &self,
        id: &MountTargetId,
        security_groups: &[SecurityGroupId],
    ) -> AwsResult<()>;
    /// `DeleteMountTarget`; success when it is already gone.
    async fn delete_mount_target(&self, id: &MountTargetId) -> AwsResult<()>;

    /// `DescribeFileSystemPolicy`; `None` when the file system has no policy.
    async fn file_system_policy(&self, fs: &FileSystemId) -> AwsResult<Option<PolicyDocument>>;
    /// `PutFileSystemPolicy`.
    async fn put_file_system_policy(
        &self,
        fs: &FileSystemId,
        document: &PolicyDocument,
    ) -> AwsResult<()>;
    /// `DeleteFileSystemPolicy`; success when there is none.
    async fn delete_file_system_policy(&self, fs: &FileSystemId) -> AwsResult<()>;
}
