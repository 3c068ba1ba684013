//! Reading what is there: the chosen subnets (one per zone, one VPC), the file system's mount
//! targets paired with them by subnet or zone id, their security groups, and what differs.

use std::collections::BTreeMap;

use xefs_core::blueprint::out;
use xefs_core::ids::{AzId, FileSystemId, MountTargetId, SecurityGroupId, SubnetId, VpcId};
use xefs_core::step::{FieldDiff, StepContext, StepError};

use super::MountTargetsStep;
use crate::ports::{LifeCycle, MountTarget, Subnet};
use crate::steps::file_system::life_cycle_name;
use crate::steps::memo;

/// What the dependencies say the mount targets must be.
pub(super) struct Wanted {
    pub(super) fs: FileSystemId,
    pub(super) group: SecurityGroupId,
    /// One subnet per zone id, in the order discovery chose them.
    pub(super) subnets: Vec<Subnet>,
    pub(super) vpc: VpcId,
}

/// Whether a mount target's security groups are exactly the wanted one.
pub(super) enum Groups {
    /// Exactly the NFS group.
    Right,
    /// Anything else (typically B's default group, the guide's result), as EFS lists it.
    Wrong(Vec<SecurityGroupId>),
    /// Not `available` yet, so EFS cannot tell.
    Unchecked,
}

/// A chosen subnet and the mount target serving its zone, if any.
pub(super) struct Slot {
    pub(super) subnet: Subnet,
    pub(super) target: Option<MountTarget>,
    pub(super) groups: Groups,
}

impl MountTargetsStep {
    /// Reads the dependencies' outputs and the chosen subnets' zones and VPC; refuses two
    /// subnets in one zone, or subnets in two VPCs, which EFS would refuse one by one later.
    /// When `observing`, the subnets discovery read in this run serve (see [`memo`]).
    pub(super) async fn wanted(
        &self,
        ctx: &StepContext,
        observing: bool,
    ) -> Result<Wanted, StepError> {
        let fs = self.spec.file_system.get(ctx.inputs())?;
        let group = self.spec.security_group.get(ctx.inputs())?;
        let ids: Vec<SubnetId> = self.spec.subnets.get(ctx.inputs())?;
        let remembered = observing
            .then(|| memo::recall_subnets(&self.account.id, &ids))
            .flatten();
        let described = match remembered {
            Some(subnets) => subnets,
            None => self.account.ec2(ctx).await.describe_subnets(&ids).await?,
        };
        let mut subnets: Vec<Subnet> = Vec::new();
        for id in &ids {
            let subnet = described.iter().find(|s| &s.id == id).ok_or_else(|| {
                StepError::permanent(format!(
                    "subnet {id} does not exist in account {}",
                    self.account.id
                ))
            })?;
            match subnets.iter().find(|s| s.az_id == subnet.az_id) {
                Some(s) if s.id == subnet.id => {}
                Some(s) => {
                    return Err(StepError::permanent(format!(
                        "subnets {} and {id} are both in zone {}, but EFS allows one mount \
                         target per zone: list one subnet per zone",
                        s.id, subnet.az_id
                    )));
                }
                None => subnets.push(subnet.clone()),
            }
        }
        let vpc = subnets
            .first()
            .map(|s| s.vpc_id.clone())
            .ok_or_else(|| StepError::permanent("no subnets were chosen for the mount targets"))?;
        if let Some(other) = subnets.iter().find(|s| s.vpc_id != vpc) {
            return Err(StepError::permanent(format!(
                "the mount-target subnets span VPCs {vpc} and {} ({}), but a file system's mount \
                 targets must all be in one VPC",
                other.vpc_id, other.id
            )));
        }
        Ok(Wanted {
            fs,
            group,
            subnets,
            vpc,
        })
    }

    /// The file system's mount targets, without deleted ones.
    pub(super) async fn live_targets(
        &self,
        ctx: &StepContext,
        fs: &FileSystemId,
    ) -> Result<Vec<MountTarget>, StepError> {
        let targets = self.account.efs(ctx).await.mount_targets(fs).await?;
        Ok(targets
            .into_iter()
            .filter(|t| t.life_cycle != LifeCycle::Deleted)
            .collect())
    }

    /// Reads the mount targets, checks none is outside the VPC, and pairs each chosen subnet
    /// with the one serving its zone.
    pub(super) async fn survey(
        &self,
        ctx: &StepContext,
        wanted: &Wanted,
    ) -> Result<Vec<Slot>, StepError> {
        let targets = self.live_targets(ctx, &wanted.fs).await?;
        // Where each subnet is: the chosen ones, and any other a mount target names without
        // saying its VPC or zone (DescribeMountTargets normally says both).
        let mut places: BTreeMap<SubnetId, (VpcId, AzId)> = wanted
            .subnets
            .iter()
            .map(|s| (s.id.clone(), (s.vpc_id.clone(), s.az_id.clone())))
            .collect();
        let unknown: Vec<SubnetId> = targets
            .iter()
            .filter(|t| {
                (t.vpc_id.is_none() || t.az_id.is_none()) && !places.contains_key(&t.subnet_id)
            })
            .map(|t| t.subnet_id.clone())
            .collect();
        if !unknown.is_empty() {
            for s in self
                .account
                .ec2(ctx)
                .await
                .describe_subnets(&unknown)
                .await?
            {
                places.insert(s.id, (s.vpc_id, s.az_id));
            }
        }
        for t in &targets {
            let vpc = t
                .vpc_id
                .as_ref()
                .or_else(|| places.get(&t.subnet_id).map(|(v, _)| v));
            if let Some(vpc) = vpc.filter(|v| **v != wanted.vpc) {
                return Err(self.other_vpc(wanted, t, vpc));
            }
        }
        let zone_of = |t: &MountTarget| {
            t.az_id
                .clone()
                .or_else(|| places.get(&t.subnet_id).map(|(_, z)| z.clone()))
        };
        let mut slots = Vec::new();
        for subnet in &wanted.subnets {
            let target = targets
                .iter()
                .find(|t| t.subnet_id == subnet.id)
                .or_else(|| {
                    targets
                        .iter()
                        .find(|t| zone_of(t).as_ref() == Some(&subnet.az_id))
                })
                .cloned();
            let groups = match &target {
                None => Groups::Unchecked,
                Some(t) => {
                    unusable(t)?;
                    if t.life_cycle == LifeCycle::Available {
                        self.check_groups(ctx, &t.id, &wanted.group).await?
                    } else {
                        Groups::Unchecked
                    }
                }
            };
            slots.push(Slot {
                subnet: subnet.clone(),
                target,
                groups,
            });
        }
        Ok(slots)
    }

    pub(super) async fn check_groups(
        &self,
        ctx: &StepContext,
        id: &MountTargetId,
        group: &SecurityGroupId,
    ) -> Result<Groups, StepError> {
        let groups = self
            .account
            .efs(ctx)
            .await
            .mount_target_security_groups(id)
            .await?;
        Ok(if groups.iter().all(|g| g == group) && !groups.is_empty() {
            Groups::Right
        } else {
            Groups::Wrong(groups)
        })
    }

    pub(super) fn other_vpc(
        &self,
        wanted: &Wanted,
        target: &MountTarget,
        vpc: &VpcId,
    ) -> StepError {
        StepError::permanent(format!(
            "EFS file system {} already has mount target {} in subnet {} of VPC {vpc}, but its \
             mount targets must be in VPC {} (the VPC peered with the cluster), and EFS allows \
             mount targets in one VPC only. Delete it (`aws efs delete-mount-target \
             --mount-target-id {}`, in account {}) and apply again",
            wanted.fs, target.id, target.subnet_id, wanted.vpc, target.id, self.account.id
        ))
        .with_code("MountTargetConflict")
        .with_resource(target.id.to_string())
    }
}

/// Fails for a mount target that will not become available on its own.
pub(super) fn unusable(target: &MountTarget) -> Result<(), StepError> {
    match &target.life_cycle {
        LifeCycle::Deleting => Err(StepError::retryable(format!(
            "mount target {} is being deleted; a new one can be created in its zone once it is \
             gone",
            target.id
        ))
        .with_resource(target.id.to_string())),
        LifeCycle::Error => Err(StepError::permanent(format!(
            "mount target {} is in state `error`: delete it (`aws efs delete-mount-target \
             --mount-target-id {}`) and apply again",
            target.id, target.id
        ))
        .with_resource(target.id.to_string())),
        _ => Ok(()),
    }
}

/// The field-level differences of a survey; empty when every zone has an available mount
/// target in exactly the wanted group.
pub(super) fn drift(slots: &[Slot], group: &SecurityGroupId) -> Vec<FieldDiff> {
    let mut diff = Vec::new();
    let zones = |filter: &dyn Fn(&Slot) -> bool| {
        let z: Vec<&str> = slots
            .iter()
            .filter(|s| filter(s))
            .map(|s| s.subnet.az_id.as_str())
            .collect();
        if z.is_empty() {
            "none".to_owned()
        } else {
            z.join(", ")
        }
    };
    if slots.iter().any(|s| s.target.is_none()) {
        diff.push(FieldDiff::new(
            out::MOUNT_TARGETS,
            zones(&|s| s.target.is_some()),
            zones(&|_| true),
        ));
    }
    let wrong: Vec<String> = slots
        .iter()
        .filter_map(|s| match (&s.target, &s.groups) {
            (Some(t), Groups::Wrong(groups)) => {
                let names: Vec<&str> = groups.iter().map(SecurityGroupId::as_str).collect();
                Some(format!("{}: {}", t.id, names.join(", ")))
            }
            _ => None,
        })
        .collect();
    if !wrong.is_empty() {
        diff.push(FieldDiff::new(
            "security_groups",
            wrong.join("; "),
            group.as_str(),
        ));
    }
    let pending: Vec<String> = slots
        .iter()
        .filter_map(|s| s.target.as_ref())
        .filter(|t| t.life_cycle != LifeCycle::Available)
        .map(|t| format!("{} {}", t.id, life_cycle_name(&t.life_cycle)))
        .collect();
    if !pending.is_empty() {
        diff.push(FieldDiff::new(
            "life_cycle",
            pending.join("; "),
            "available",
        ));
    }
    diff
}
