//! [`Efs`] over `aws_sdk_efs`.

use aws_sdk_efs::Client;
use aws_sdk_efs::types::Tag;
use xefs_core::iam::PolicyDocument;
use xefs_core::ids::{
    AccountId, AzId, FileSystemId, MountTargetId, SecurityGroupId, SubnetId, VpcId,
};
use xefs_core::spec::ThroughputMode;

use super::calls::{Calls, or_absent};
use super::convert::{
    life_cycle, performance_mode_from_sdk, performance_mode_to_sdk, tags_from,
    throughput_mode_from_sdk, throughput_mode_to_sdk,
};
use crate::ports::{Efs, FileSystem, MountTarget, NewFileSystem};
use crate::{AwsResult, CallStats, Service};

/// EFS in one account, through the AWS SDK.
///
/// `create_file_system` is idempotent by creation token, as EFS intends: when a file system
/// with the token exists (`FileSystemAlreadyExists`), it is returned instead of an error.
#[derive(Debug, Clone)]
pub struct SdkEfs {
    client: Client,
    calls: Calls,
}

/// The fields of a file system that xefs reads, borrowed from either of the SDK's two shapes
/// (`FileSystemDescription` and `CreateFileSystemOutput`), which have the same accessors.
struct FileSystemFields<'a> {
    id: &'a str,
    creation_token: &'a str,
    life_cycle: &'a aws_sdk_efs::types::LifeCycleState,
    performance_mode: &'a aws_sdk_efs::types::PerformanceMode,
    throughput_mode: Option<&'a aws_sdk_efs::types::ThroughputMode>,
    provisioned_throughput_mibps: Option<f64>,
    encrypted: Option<bool>,
    kms_key_id: Option<&'a str>,
    az_id: Option<&'a str>,
    size_bytes: Option<i64>,
    mount_targets: i32,
    tags: &'a [Tag],
}

macro_rules! file_system_fields {
    ($d:expr) => {{
        let d = $d;
        FileSystemFields {
            id: d.file_system_id(),
            creation_token: d.creation_token(),
            life_cycle: d.life_cycle_state(),
            performance_mode: d.performance_mode(),
            throughput_mode: d.throughput_mode(),
            provisioned_throughput_mibps: d.provisioned_throughput_in_mibps(),
            encrypted: d.encrypted(),
            kms_key_id: d.kms_key_id(),
            az_id: d.availability_zone_id(),
            size_bytes: d.size_in_bytes().map(|s| s.value()),
            mount_targets: d.number_of_mount_targets(),
            tags: d.tags(),
        }
    }};
}

/// The fields of a mount target, from `MountTargetDescription` or `CreateMountTargetOutput`.
struct MountTargetFields<'a> {
    id: &'a str,
    file_system_id: &'a str,
    subnet_id: &'a str,
    vpc_id: Option<&'a str>,
    az_id: Option<&'a str>,
    ip_address: Option<&'a str>,
    life_cycle: &'a aws_sdk_efs::types::LifeCycleState,
}

macro_rules! mount_target_fields {
    ($d:expr) => {{
        let d = $d;
        MountTargetFields {
            id: d.mount_target_id(),
            file_system_id: d.file_system_id(),
            subnet_id: d.subnet_id(),
            vpc_id: d.vpc_id(),
            az_id: d.availability_zone_id(),
            ip_address: d.ip_address(),
            life_cycle: d.life_cycle_state(),
        }
    }};
}

impl SdkEfs {
    /// An adapter over `client`, whose credentials act in `account`; every call is counted in
    /// `stats`.
    pub fn new(client: Client, account: AccountId, stats: CallStats) -> Self {
        Self {
            client,
            calls: Calls::new(Service::Efs, account, stats),
        }
    }

    fn file_system(&self, call: &'static str, f: FileSystemFields<'_>) -> AwsResult<FileSystem> {
        let bad = |what: String| self.calls.bad_response(call, Some(f.id), what);
        Ok(FileSystem {
            id: self
                .calls
                .parse(call, "file system id", Some(f.id), FileSystemId::parse)?,
            creation_token: f.creation_token.to_owned(),
            life_cycle: life_cycle(f.life_cycle),
            performance_mode: performance_mode_from_sdk(f.performance_mode).ok_or_else(|| {
                bad(format!(
                    "unknown performance mode {}",
                    f.performance_mode.as_str()
                ))
            })?,
            throughput_mode: throughput_mode_from_sdk(f.throughput_mode).ok_or_else(|| {
                bad(format!(
                    "unknown throughput mode {}",
                    f.throughput_mode.map(|m| m.as_str()).unwrap_or_default()
                ))
            })?,
            provisioned_throughput_mibps: f.provisioned_throughput_mibps,
            encrypted: f.encrypted.unwrap_or(false),
            kms_key_id: f.kms_key_id.filter(|k| !k.is_empty()).map(str::to_owned),
            one_zone_az_id: self
                .calls
                .parse_opt(call, "zone id", f.az_id, AzId::parse)?,
            size_bytes: u64::try_from(f.size_bytes.unwrap_or(0))
                .map_err(|_| bad(format!("negative size {:?}", f.size_bytes)))?,
            mount_targets: u32::try_from(f.mount_targets)
                .map_err(|_| bad(format!("negative mount target count {}", f.mount_targets)))?,
            tags: tags_from(f.tags.iter().map(|t| (Some(t.key()), Some(t.value())))),
        })
    }

    fn mount_target(&self, call: &'static str, m: MountTargetFields<'_>) -> AwsResult<MountTarget> {
        Ok(MountTarget {
            id: self
                .calls
                .parse(call, "mount target id", Some(m.id), MountTargetId::parse)?,
            file_system_id: self.calls.parse(
                call,
                "file system id",
                Some(m.file_system_id),
                FileSystemId::parse,
            )?,
            subnet_id: self
                .calls
                .parse(call, "subnet id", Some(m.subnet_id), SubnetId::parse)?,
            vpc_id: self
                .calls
                .parse_opt(call, "VPC id", m.vpc_id, VpcId::parse)?,
            az_id: self
                .calls
                .parse_opt(call, "zone id", m.az_id, AzId::parse)?,
            ip_address: m.ip_address.filter(|a| !a.is_empty()).map(str::to_owned),
            life_cycle: life_cycle(m.life_cycle),
        })
    }

    /// `DescribeFileSystems` by id or by creation token, every page.
    async fn file_systems(
        &self,
        resource: &str,
        id: Option<&FileSystemId>,
        token: Option<&str>,
    ) -> AwsResult<Vec<FileSystem>> {
        const CALL: &str = "DescribeFileSystems";
        let mut pages = self
            .client
            .describe_file_systems()
            .set_file_system_id(id.map(ToString::to_string))
            .set_creation_token(token.map(str::to_owned))
            .into_paginator()
            .send();
        let mut found = Vec::new();
        while let Some(page) = pages.next().await {
            let page = self.calls.page(CALL, Some(resource), page)?;
            for f in page.file_systems() {
                found.push(self.file_system(CALL, file_system_fields!(f))?);
            }
        }
        Ok(found)
    }
}

#[async_trait::async_trait]
impl Efs for SdkEfs {
    async fn file_system_by_token(&self, token: &str) -> AwsResult<Option<FileSystem>> {
        let found = self.file_systems(token, None, Some(token)).await?;
        Ok(found.into_iter().find(|f| f.creation_token == token))
    }

    async fn describe_file_system(&self, id: &FileSystemId) -> AwsResult<Option<FileSystem>> {
        let found = self
            .file_systems(id.as_str(), Some(id), None)
            .await
            .map(|f| f.into_iter().find(|f| &f.id == id));
        or_absent(found, None)
    }

    async fn create_file_system(&self, fs: &NewFileSystem) -> AwsResult<FileSystem> {
        const CALL: &str = "CreateFileSystem";
        let token = fs.creation_token.as_str();
        let tags = fs
            .tags
            .iter()
            .map(|(k, v)| {
                Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| self.calls.invalid_input(CALL, Some(token), e))
            })
            .collect::<AwsResult<Vec<_>>>()?;
        let request = self
            .client
            .create_file_system()
            .creation_token(token)
            .performance_mode(performance_mode_to_sdk(fs.performance_mode))
            .throughput_mode(throughput_mode_to_sdk(fs.throughput_mode))
            .set_provisioned_throughput_in_mibps(fs.provisioned_throughput_mibps)
            .encrypted(fs.encrypted)
            .set_kms_key_id(fs.kms_key_id.clone())
            .set_availability_zone_name(fs.one_zone_az_name.clone())
            .set_tags(Some(tags))
            .send();
        match self.calls.send(CALL, Some(token), request).await {
            Ok(out) => self.file_system(CALL, file_system_fields!(&out)),
            // The token is taken: by an earlier attempt of ours whose answer was lost, or by the
            // file system this stack already has. Either way it is the one to use.
            Err(e) if e.is_code("FileSystemAlreadyExists") => {
                match self.file_system_by_token(token).await? {
                    Some(existing) => Ok(existing),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn update_throughput(
        &self,
        id: &FileSystemId,
        mode: ThroughputMode,
        provisioned_mibps: Option<f64>,
    ) -> AwsResult<()> {
        let request = self
            .client
            .update_file_system()
            .file_system_id(id.as_str())
            .throughput_mode(throughput_mode_to_sdk(mode))
            .set_provisioned_throughput_in_mibps(provisioned_mibps)
            .send();
        self.calls
            .send("UpdateFileSystem", Some(id.as_str()), request)
            .await
            .map(drop)
    }

    async fn delete_file_system(&self, id: &FileSystemId) -> AwsResult<()> {
        let request = self
            .client
            .delete_file_system()
            .file_system_id(id.as_str())
            .send();
        let result = self
            .calls
            .send("DeleteFileSystem", Some(id.as_str()), request)
            .await;
        or_absent(result.map(drop), ())
    }

    async fn mount_targets(&self, fs: &FileSystemId) -> AwsResult<Vec<MountTarget>> {
        const CALL: &str = "DescribeMountTargets";
        let mut pages = self
            .client
            .describe_mount_targets()
            .file_system_id(fs.as_str())
            .into_paginator()
            .send();
        let mut targets = Vec::new();
        while let Some(page) = pages.next().await {
            let page = match self.calls.page(CALL, Some(fs.as_str()), page) {
                Ok(page) => page,
                // No file system, no mount targets.
                Err(e) => return or_absent(Err(e), Vec::new()),
            };
            for m in page.mount_targets() {
                targets.push(self.mount_target(CALL, mount_target_fields!(m))?);
            }
        }
        Ok(targets)
    }

    async fn mount_target_security_groups(
        &self,
        id: &MountTargetId,
    ) -> AwsResult<Vec<SecurityGroupId>> {
        const CALL: &str = "DescribeMountTargetSecurityGroups";
        let request = self
            .client
            .describe_mount_target_security_groups()
            .mount_target_id(id.as_str())
            .send();
        let result = self.calls.send(CALL, Some(id.as_str()), request).await;
        let Some(out) = or_absent(result.map(Some), None)? else {
            return Ok(Vec::new());
        };
        out.security_groups()
            .iter()
            .map(|g| {
                self.calls
                    .parse(CALL, "security group id", Some(g), SecurityGroupId::parse)
            })
            .collect()
    }

    async fn create_mount_target(
        &self,
        fs: &FileSystemId,
        subnet: &SubnetId,
        security_groups: &[SecurityGroupId],
    ) -> AwsResult<MountTarget> {
        const CALL: &str = "CreateMountTarget";
        let resource = format!("{fs}/{subnet}");
        let request = self
            .client
            .create_mount_target()
            .file_system_id(fs.as_str())
            .subnet_id(subnet.as_str())
            .set_security_groups(
                (!security_groups.is_empty())
                    .then(|| security_groups.iter().map(ToString::to_string).collect()),
            )
            .send();
        let out = self.calls.send(CALL, Some(&resource), request).await?;
        self.mount_target(CALL, mount_target_fields!(&out))
    }

    async fn set_mount_target_security_groups(
        &self,
        id: &MountTargetId,
        security_groups: &[SecurityGroupId],
    ) -> AwsResult<()> {
        let request = self
            .client
            .modify_mount_target_security_groups()
            .mount_target_id(id.as_str())
            .set_security_groups(Some(
                security_groups.iter().map(ToString::to_string).collect(),
            ))
            .send();
        self.calls
            .send(
                "ModifyMountTargetSecurityGroups",
                Some(id.as_str()),
                request,
            )
            .await
            .map(drop)
    }

    async fn delete_mount_target(&self, id: &MountTargetId) -> AwsResult<()> {
        let request = self
            .client
            .delete_mount_target()
            .mount_target_id(id.as_str())
            .send();
        let result = self
            .calls
            .send("DeleteMountTarget", Some(id.as_str()), request)
            .await;
        or_absent(result.map(drop), ())
    }

    async fn file_system_policy(&self, fs: &FileSystemId) -> AwsResult<Option<PolicyDocument>> {
        const CALL: &str = "DescribeFileSystemPolicy";
        let request = self
            .client
            .describe_file_system_policy()
            .file_system_id(fs.as_str())
            .send();
        let result = self.calls.send(CALL, Some(fs.as_str()), request).await;
        // PolicyNotFound, or no file system (hence no policy).
        let Some(out) = or_absent(result.map(Some), None)? else {
            return Ok(None);
        };
        match out.policy().filter(|p| !p.trim().is_empty()) {
            None => Ok(None),
            // EFS returns the document as plain JSON (unlike IAM, not percent-encoded).
            Some(json) => PolicyDocument::parse(json)
                .map(Some)
                .map_err(|e| self.calls.bad_response(CALL, Some(fs.as_str()), e)),
        }
    }

    async fn put_file_system_policy(
        &self,
        fs: &FileSystemId,
        document: &PolicyDocument,
    ) -> AwsResult<()> {
        let request = self
            .client
            .put_file_system_policy()
            .file_system_id(fs.as_str())
            .policy(document.to_json_compact())
            .send();
        self.calls
            .send("PutFileSystemPolicy", Some(fs.as_str()), request)
            .await
            .map(drop)
    }

    async fn delete_file_system_policy(&self, fs: &FileSystemId) -> AwsResult<()> {
        let request = self
            .client
            .delete_file_system_policy()
            .file_system_id(fs.as_str())
            .send();
        let result = self
            .calls
            .send("DeleteFileSystemPolicy", Some(fs.as_str()), request)
            .await;
        // EFS answers success when there is no policy; no file system means no policy either.
        or_absent(result.map(drop), ())
    }
}
