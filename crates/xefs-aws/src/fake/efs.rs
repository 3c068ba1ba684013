//! EFS in the fake: file systems found by creation token, mount targets (one per zone, one VPC
//! per file system), file-system policies, and the states between.

use std::net::Ipv4Addr;

use xefs_core::iam::PolicyDocument;
use xefs_core::ids::{FileSystemId, MountTargetId, SecurityGroupId, SubnetId};
use xefs_core::spec::ThroughputMode;

use super::iam::or_absent;
use super::principals::first_invalid;
use super::seed::zone_id_of_name;
use super::world::{FileSystemRec, IdKind, Life, MountTargetRec, RegionWorld, World};
use super::{Caller, Cx};
use crate::AwsResult;
use crate::ports::{Efs, FileSystem, LifeCycle, MountTarget, NewFileSystem};
use crate::sdk::classify::Fault;

/// What an empty file system reports as its size (EFS's metadata).
const EMPTY_SIZE_BYTES: u64 = 6 * 1024;

/// At most this many security groups per mount target.
const MAX_GROUPS: usize = 5;

/// EFS of one account of a [`FakeAws`](super::FakeAws).
#[derive(Debug, Clone)]
pub struct FakeEfs(pub(crate) Caller);

fn fs_not_found(id: &FileSystemId) -> Fault {
    Fault::service(
        "FileSystemNotFound",
        &format!("File system '{id}' does not exist."),
        404,
    )
}

fn mt_not_found(id: &MountTargetId) -> Fault {
    Fault::service(
        "MountTargetNotFound",
        &format!("Mount target '{id}' does not exist."),
        404,
    )
}

fn bad_request(message: &str) -> Fault {
    Fault::service("BadRequest", message, 400)
}

fn wrong_fs_state(id: &FileSystemId, life: Life) -> Fault {
    Fault::service(
        "IncorrectFileSystemLifeCycleState",
        &format!(
            "File system '{id}' is in state {}; retry when it is available.",
            life.name()
        ),
        409,
    )
}

fn wrong_mt_state(id: &MountTargetId, life: Life) -> Fault {
    Fault::service(
        "IncorrectMountTargetState",
        &format!("Mount target '{id}' is in state {}.", life.name()),
        409,
    )
}

fn life_cycle(life: Life) -> LifeCycle {
    match life {
        Life::Creating { .. } => LifeCycle::Creating,
        Life::Available => LifeCycle::Available,
        Life::Updating { .. } => LifeCycle::Updating,
        Life::Deleting { .. } => LifeCycle::Deleting,
    }
}

fn fs_view(r: &RegionWorld, f: &FileSystemRec) -> FileSystem {
    FileSystem {
        id: f.id.clone(),
        creation_token: f.creation_token.clone(),
        life_cycle: life_cycle(f.life),
        performance_mode: f.performance_mode,
        throughput_mode: f.throughput_mode,
        provisioned_throughput_mibps: f.provisioned_throughput_mibps,
        encrypted: f.encrypted,
        kms_key_id: f.kms_key_id.clone(),
        one_zone_az_id: f.one_zone_az_id.clone(),
        size_bytes: f.size_bytes,
        mount_targets: u32::try_from(
            r.mount_targets
                .values()
                .filter(|m| m.file_system == f.id)
                .count(),
        )
        .unwrap_or(u32::MAX),
        tags: f.tags.clone(),
    }
}

fn mt_view(m: &MountTargetRec) -> MountTarget {
    MountTarget {
        id: m.id.clone(),
        file_system_id: m.file_system.clone(),
        subnet_id: m.subnet.clone(),
        vpc_id: Some(m.vpc.clone()),
        az_id: Some(m.az_id.clone()),
        ip_address: Some(m.ip_address.clone()),
        life_cycle: life_cycle(m.life),
    }
}

fn region<'w>(w: &'w World, cx: &Cx<'_>) -> std::borrow::Cow<'w, RegionWorld> {
    match w.region(cx.account, cx.region) {
        Some(r) => std::borrow::Cow::Borrowed(r),
        None => std::borrow::Cow::Owned(RegionWorld::default()),
    }
}

fn internal(e: impl std::fmt::Display) -> Fault {
    Fault::service("InternalServerError", &e.to_string(), 500)
}

/// The groups a mount target in `subnet` may use: each must exist and be in the subnet's VPC;
/// none means the VPC's default group.
fn check_groups(
    r: &RegionWorld,
    subnet: &SubnetId,
    groups: &[SecurityGroupId],
) -> Result<Vec<SecurityGroupId>, Fault> {
    let vpc = &r
        .subnets
        .get(subnet)
        .ok_or_else(|| {
            Fault::service(
                "SubnetNotFound",
                &format!("Subnet '{subnet}' does not exist."),
                404,
            )
        })?
        .vpc;
    if groups.len() > MAX_GROUPS {
        return Err(Fault::service(
            "SecurityGroupLimitExceeded",
            &format!("A mount target can have at most {MAX_GROUPS} security groups."),
            400,
        ));
    }
    if groups.is_empty() {
        let default = r
            .security_groups
            .values()
            .find(|g| &g.vpc == vpc && g.name == "default")
            .ok_or_else(|| {
                Fault::service(
                    "SecurityGroupNotFound",
                    &format!("VPC '{vpc}' has no default security group."),
                    400,
                )
            })?;
        return Ok(vec![default.id.clone()]);
    }
    for g in groups {
        let group = r.security_groups.get(g).ok_or_else(|| {
            Fault::service(
                "SecurityGroupNotFound",
                &format!("Security group '{g}' does not exist."),
                400,
            )
        })?;
        if &group.vpc != vpc {
            return Err(Fault::service(
                "SecurityGroupMismatch",
                &format!(
                    "Security group '{g}' is in VPC '{}', not in the subnet's VPC '{vpc}'.",
                    group.vpc
                ),
                400,
            ));
        }
    }
    Ok(groups.to_vec())
}

#[async_trait::async_trait]
impl Efs for FakeEfs {
    async fn file_system_by_token(&self, token: &str) -> AwsResult<Option<FileSystem>> {
        self.0
            .call("DescribeFileSystems", Some(token), |w, cx| {
                let r = region(w, cx);
                Ok(r.file_systems
                    .values()
                    .find(|f| f.creation_token == token)
                    .map(|f| fs_view(&r, f)))
            })
            .await
    }

    async fn describe_file_system(&self, id: &FileSystemId) -> AwsResult<Option<FileSystem>> {
        let result = self
            .0
            .call("DescribeFileSystems", Some(id.as_str()), |w, cx| {
                let r = region(w, cx);
                r.file_systems
                    .get(id)
                    .map(|f| fs_view(&r, f))
                    .ok_or_else(|| fs_not_found(id))
            })
            .await;
        or_absent(result.map(Some), None)
    }

    async fn create_file_system(&self, new: &NewFileSystem) -> AwsResult<FileSystem> {
        let token = new.creation_token.as_str();
        let result = self
            .0
            .call("CreateFileSystem", Some(token), |w, cx| {
                if let Some(existing) = region(w, cx)
                    .file_systems
                    .values()
                    .find(|f| f.creation_token == token)
                {
                    return Err(Fault::service(
                        "FileSystemAlreadyExists",
                        &format!(
                            "File system '{}' already exists with creation token '{token}'",
                            existing.id
                        ),
                        409,
                    ));
                }
                if new.throughput_mode == ThroughputMode::Provisioned
                    && new.provisioned_throughput_mibps.is_none()
                {
                    return Err(bad_request(
                        "ProvisionedThroughputInMibps is required with throughput mode provisioned",
                    ));
                }
                let one_zone_az_id = match &new.one_zone_az_name {
                    None => None,
                    Some(name) => {
                        Some(zone_id_of_name(cx.account, cx.region, name).ok_or_else(|| {
                            bad_request(&format!(
                                "Availability zone '{name}' is not valid in {}",
                                cx.region
                            ))
                        })?)
                    }
                };
                let kms_key_id = new.encrypted.then(|| {
                    let key = new
                        .kms_key_id
                        .as_deref()
                        .unwrap_or("xefs-sim-default-efs-key");
                    if key.starts_with("arn:") {
                        key.to_owned()
                    } else if key.starts_with("alias/") {
                        format!(
                            "arn:{}:kms:{}:{}:{key}",
                            cx.partition.as_str(),
                            cx.region,
                            cx.account
                        )
                    } else {
                        format!(
                            "arn:{}:kms:{}:{}:key/{key}",
                            cx.partition.as_str(),
                            cx.region,
                            cx.account
                        )
                    }
                });
                let id = FileSystemId::parse(&w.new_id(IdKind::FileSystem)).map_err(internal)?;
                let rec = FileSystemRec {
                    id: id.clone(),
                    creation_token: token.to_owned(),
                    life: Life::Creating {
                        until: cx.now.after(cx.latency.file_system_available),
                    },
                    performance_mode: new.performance_mode,
                    throughput_mode: new.throughput_mode,
                    provisioned_throughput_mibps: new.provisioned_throughput_mibps,
                    encrypted: new.encrypted,
                    kms_key_id,
                    one_zone_az_id,
                    size_bytes: EMPTY_SIZE_BYTES,
                    tags: new.tags.clone(),
                    policy: None,
                };
                let r = w.region_mut(cx.account, cx.region);
                r.file_systems.insert(id.clone(), rec);
                let view = r.file_systems.get(&id).map(|f| fs_view(r, f));
                view.ok_or_else(|| fs_not_found(&id))
            })
            .await;
        match result {
            // As the adapter: the token is taken, by an earlier attempt whose answer was lost or
            // by the stack's file system; either way it is the one to use.
            Err(e) if e.is_code("FileSystemAlreadyExists") => {
                match self.file_system_by_token(token).await? {
                    Some(existing) => Ok(existing),
                    None => Err(e),
                }
            }
            other => other,
        }
    }

    async fn update_throughput(
        &self,
        id: &FileSystemId,
        mode: ThroughputMode,
        provisioned_mibps: Option<f64>,
    ) -> AwsResult<()> {
        self.0
            .call("UpdateFileSystem", Some(id.as_str()), |w, cx| {
                let until = cx.now.after(cx.latency.file_system_update);
                let f = w
                    .region_mut(cx.account, cx.region)
                    .file_systems
                    .get_mut(id)
                    .ok_or_else(|| fs_not_found(id))?;
                if f.life != Life::Available {
                    return Err(wrong_fs_state(id, f.life));
                }
                if mode == ThroughputMode::Provisioned && provisioned_mibps.is_none() {
                    return Err(bad_request(
                        "ProvisionedThroughputInMibps is required with throughput mode provisioned",
                    ));
                }
                f.throughput_mode = mode;
                f.provisioned_throughput_mibps = provisioned_mibps;
                f.life = Life::Updating { until };
                Ok(())
            })
            .await
    }

    async fn delete_file_system(&self, id: &FileSystemId) -> AwsResult<()> {
        let result = self
            .0
            .call("DeleteFileSystem", Some(id.as_str()), |w, cx| {
                let until = cx.now.after(cx.latency.file_system_deletion);
                let r = w.region_mut(cx.account, cx.region);
                let in_use = r.mount_targets.values().any(|m| &m.file_system == id);
                let f = r.file_systems.get_mut(id).ok_or_else(|| fs_not_found(id))?;
                match f.life {
                    Life::Deleting { .. } => return Ok(()),
                    Life::Creating { .. } | Life::Updating { .. } => {
                        return Err(wrong_fs_state(id, f.life));
                    }
                    Life::Available => {}
                }
                if in_use {
                    return Err(Fault::service(
                        "FileSystemInUse",
                        &format!(
                            "File system '{id}' has mount targets created in it. Delete all \
                             mount targets before deleting the file system."
                        ),
                        409,
                    ));
                }
                f.life = Life::Deleting { until };
                Ok(())
            })
            .await;
        or_absent(result, ())
    }

    async fn mount_targets(&self, fs: &FileSystemId) -> AwsResult<Vec<MountTarget>> {
        let result = self
            .0
            .call("DescribeMountTargets", Some(fs.as_str()), |w, cx| {
                let r = region(w, cx);
                if !r.file_systems.contains_key(fs) {
                    return Err(fs_not_found(fs));
                }
                Ok(r.mount_targets
                    .values()
                    .filter(|m| &m.file_system == fs)
                    .map(mt_view)
                    .collect())
            })
            .await;
        // No file system, no mount targets.
        or_absent(result, Vec::new())
    }

    async fn mount_target_security_groups(
        &self,
        id: &MountTargetId,
    ) -> AwsResult<Vec<SecurityGroupId>> {
        let result = self
            .0
            .call(
                "DescribeMountTargetSecurityGroups",
                Some(id.as_str()),
                |w, cx| {
                    let r = region(w, cx);
                    let m = r.mount_targets.get(id).ok_or_else(|| mt_not_found(id))?;
                    if m.life != Life::Available {
                        return Err(wrong_mt_state(id, m.life));
                    }
                    Ok(m.security_groups.clone())
                },
            )
            .await;
        or_absent(result, Vec::new())
    }

    async fn create_mount_target(
        &self,
        fs: &FileSystemId,
        subnet: &SubnetId,
        security_groups: &[SecurityGroupId],
    ) -> AwsResult<MountTarget> {
        let resource = format!("{fs}/{subnet}");
        self.0
            .call("CreateMountTarget", Some(&resource), |w, cx| {
                let r = region(w, cx);
                let f = r.file_systems.get(fs).ok_or_else(|| fs_not_found(fs))?;
                if f.life != Life::Available {
                    return Err(wrong_fs_state(fs, f.life));
                }
                let groups = check_groups(&r, subnet, security_groups)?;
                let s = r.subnets.get(subnet).ok_or_else(|| {
                    Fault::service(
                        "SubnetNotFound",
                        &format!("Subnet '{subnet}' does not exist."),
                        404,
                    )
                })?;
                if let Some(zone) = f.one_zone_az_id.as_ref().filter(|z| **z != s.az_id) {
                    return Err(Fault::service(
                        "AvailabilityZonesMismatch",
                        &format!(
                            "File system '{fs}' is One Zone storage in {zone}; subnet '{subnet}' \
                             is in {}.",
                            s.az_id
                        ),
                        400,
                    ));
                }
                for m in r.mount_targets.values().filter(|m| &m.file_system == fs) {
                    if m.vpc != s.vpc {
                        return Err(Fault::service(
                            "MountTargetConflict",
                            &format!(
                                "File system '{fs}' already has mount target '{}' in VPC '{}'; all \
                                 its mount targets must be in one VPC.",
                                m.id, m.vpc
                            ),
                            409,
                        ));
                    }
                    if m.az_id == s.az_id {
                        return Err(Fault::service(
                            "MountTargetConflict",
                            &format!(
                                "mount target already exists in this AZ ({}): '{}'",
                                m.az_id, m.id
                            ),
                            409,
                        ));
                    }
                }
                let net = s.cidr.net();
                let host = u32::from(net.network()).saturating_add(s.next_host.max(4));
                let ip = Ipv4Addr::from(host);
                if !net.contains(&ip) || ip == net.broadcast() {
                    return Err(Fault::service(
                        "NoFreeAddressesInSubnet",
                        &format!("Subnet '{subnet}' has no free address."),
                        409,
                    ));
                }
                let (vpc, az_id) = (s.vpc.clone(), s.az_id.clone());
                let id = MountTargetId::parse(&w.new_id(IdKind::MountTarget)).map_err(internal)?;
                let rec = MountTargetRec {
                    id: id.clone(),
                    file_system: fs.clone(),
                    subnet: subnet.clone(),
                    vpc,
                    az_id,
                    ip_address: ip.to_string(),
                    security_groups: groups,
                    life: Life::Creating {
                        until: cx.now.after(cx.latency.mount_target_available),
                    },
                };
                let view = mt_view(&rec);
                let r = w.region_mut(cx.account, cx.region);
                if let Some(s) = r.subnets.get_mut(subnet) {
                    s.next_host = s.next_host.max(4) + 1;
                }
                r.mount_targets.insert(id, rec);
                Ok(view)
            })
            .await
    }

    async fn set_mount_target_security_groups(
        &self,
        id: &MountTargetId,
        security_groups: &[SecurityGroupId],
    ) -> AwsResult<()> {
        self.0
            .call(
                "ModifyMountTargetSecurityGroups",
                Some(id.as_str()),
                |w, cx| {
                    let r = region(w, cx);
                    let m = r.mount_targets.get(id).ok_or_else(|| mt_not_found(id))?;
                    if m.life != Life::Available {
                        return Err(wrong_mt_state(id, m.life));
                    }
                    let groups = check_groups(&r, &m.subnet, security_groups)?;
                    if let Some(m) = w
                        .region_mut(cx.account, cx.region)
                        .mount_targets
                        .get_mut(id)
                    {
                        m.security_groups = groups;
                    }
                    Ok(())
                },
            )
            .await
    }

    async fn delete_mount_target(&self, id: &MountTargetId) -> AwsResult<()> {
        let result = self
            .0
            .call("DeleteMountTarget", Some(id.as_str()), |w, cx| {
                let until = cx.now.after(cx.latency.mount_target_deletion);
                let m = w
                    .region_mut(cx.account, cx.region)
                    .mount_targets
                    .get_mut(id)
                    .ok_or_else(|| mt_not_found(id))?;
                if m.life != Life::Available {
                    return Err(wrong_mt_state(id, m.life));
                }
                m.life = Life::Deleting { until };
                Ok(())
            })
            .await;
        or_absent(result, ())
    }

    async fn file_system_policy(&self, fs: &FileSystemId) -> AwsResult<Option<PolicyDocument>> {
        let result = self
            .0
            .call("DescribeFileSystemPolicy", Some(fs.as_str()), |w, cx| {
                let r = region(w, cx);
                let f = r.file_systems.get(fs).ok_or_else(|| fs_not_found(fs))?;
                let json = f.policy.as_deref().ok_or_else(|| {
                    Fault::service(
                        "PolicyNotFound",
                        &format!("File system '{fs}' has no policy."),
                        404,
                    )
                })?;
                PolicyDocument::parse(json).map_err(internal)
            })
            .await;
        // PolicyNotFound, or no file system (hence no policy).
        or_absent(result.map(Some), None)
    }

    async fn put_file_system_policy(
        &self,
        fs: &FileSystemId,
        document: &PolicyDocument,
    ) -> AwsResult<()> {
        self.0
            .call("PutFileSystemPolicy", Some(fs.as_str()), |w, cx| {
                let f = region(w, cx)
                    .file_systems
                    .get(fs)
                    .cloned()
                    .ok_or_else(|| fs_not_found(fs))?;
                if f.life != Life::Available {
                    return Err(wrong_fs_state(fs, f.life));
                }
                if document.statements.is_empty() {
                    return Err(Fault::service(
                        "InvalidPolicyException",
                        "Policy has no statements",
                        400,
                    ));
                }
                if let Some(principal) = first_invalid(w, document, cx.now) {
                    return Err(Fault::service(
                        "InvalidPolicyException",
                        &format!("Policy contains invalid Principal block: {principal}"),
                        400,
                    ));
                }
                if let Some(f) = w.region_mut(cx.account, cx.region).file_systems.get_mut(fs) {
                    f.policy = Some(document.to_json_compact());
                }
                Ok(())
            })
            .await
    }

    async fn delete_file_system_policy(&self, fs: &FileSystemId) -> AwsResult<()> {
        let result = self
            .0
            .call("DeleteFileSystemPolicy", Some(fs.as_str()), |w, cx| {
                let f = w
                    .region_mut(cx.account, cx.region)
                    .file_systems
                    .get_mut(fs)
                    .ok_or_else(|| fs_not_found(fs))?;
                // EFS answers success when there is no policy.
                f.policy = None;
                Ok(())
            })
            .await;
        or_absent(result, ())
    }
}
