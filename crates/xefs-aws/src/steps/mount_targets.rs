//! The file system's mount targets in account B: one per chosen subnet (one per worker zone
//! id), in the NFS security group, polled until `available`.
//!
//! The guide creates one in every subnet of whatever VPC its loop reads (often the default
//! VPC, which is not peered, after which EFS refuses mount targets anywhere else) and leaves
//! them in the default security group. Here a mount target in another VPC is a conflict
//! reported with its fix, an existing one in the right zone is used whatever its subnet (EFS
//! allows one per zone), and the wait is bounded: EFS has no waiter and real mount targets take
//! minutes.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use xefs_core::blueprint::out;
use xefs_core::blueprint::steps::MountTargets;
use xefs_core::ids::{AzId, FileSystemId, MountTargetId, SecurityGroupId, SubnetId};
use xefs_core::step::{Ensured, Observation, Step, StepContext, StepError, StepOutputs};

use self::survey::{Groups, Slot, Wanted, drift, unusable};
use crate::Account;
use crate::ports::{LifeCycle, MountTarget, Subnet};

/// One mount target as the `mount_targets` output lists it: what the StorageClass (its `az`
/// parameter) and `destroy` need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountTargetRecord {
    /// The mount target.
    pub id: MountTargetId,
    /// Its subnet (the chosen one, or another subnet of the same zone that already had one).
    pub subnet_id: SubnetId,
    /// Its zone id, the same in both accounts.
    pub az_id: AzId,
    /// The address the OpenShift driver mounts (it bakes an IP into each volume).
    pub ip_address: Option<String>,
}

/// The mount targets of the file system, in account B.
///
/// Outputs `mount_targets`: a list of [`MountTargetRecord`]s, one per chosen subnet's zone.
#[derive(Debug, Clone)]
pub struct MountTargetsStep {
    spec: MountTargets,
    account: Account,
    timeout: Duration,
}

impl MountTargetsStep {
    /// The mount targets `spec` describes, in `account` (account B); each wait (for them to be
    /// available, or gone) lasts at most `timeout`.
    pub fn new(spec: MountTargets, account: Account, timeout: Duration) -> Self {
        Self {
            spec,
            account,
            timeout,
        }
    }

    /// Polls until every chosen zone has an available mount target; returns them in the
    /// subnets' order. `just_created`: not before new ones can be (EFS takes minutes).
    async fn wait_available(
        &self,
        ctx: &StepContext,
        wanted: &Wanted,
        just_created: bool,
    ) -> Result<Vec<(Subnet, MountTarget)>, StepError> {
        let typical = if just_created {
            CREATION
        } else {
            Duration::ZERO
        };
        let what = format!(
            "{} of EFS file system {} to become available",
            count(wanted.subnets.len()),
            wanted.fs
        );
        ctx.wait_until_expecting(&what, typical, self.timeout, || async {
            let targets = self.live_targets(ctx, &wanted.fs).await?;
            let mut ready = Vec::new();
            for subnet in &wanted.subnets {
                let target = targets
                    .iter()
                    .find(|t| t.subnet_id == subnet.id)
                    .or_else(|| {
                        targets
                            .iter()
                            .find(|t| t.az_id.as_ref() == Some(&subnet.az_id))
                    })
                    .ok_or_else(|| {
                        StepError::retryable(format!(
                            "no mount target is listed in zone {} yet",
                            subnet.az_id
                        ))
                    })?;
                unusable(target)?;
                if target.life_cycle != LifeCycle::Available {
                    return Ok(None);
                }
                ready.push((subnet.clone(), target.clone()));
            }
            Ok(Some(ready))
        })
        .await
    }
}

impl MountTargetsStep {
    /// Creates the mount target of `subnet`. One that appeared in the zone since the survey is
    /// almost always this very call's, whose answer was lost and which the SDK sent again: it
    /// counts as created, so that destroy removes it (EFS cannot tag mount targets to tell);
    /// the wait finds and uses it.
    async fn create_in(
        &self,
        ctx: &StepContext,
        fs: &FileSystemId,
        subnet: &SubnetId,
        groups: &[SecurityGroupId],
    ) -> Result<(), StepError> {
        match self
            .account
            .efs(ctx)
            .await
            .create_mount_target(fs, subnet, groups)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_code("MountTargetConflict") => {
                tracing::info!(%subnet, error = %e, "mount target appeared in zone during create");
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Puts mount target `id` in exactly `groups` (the NFS group).
    async fn set_groups(
        &self,
        ctx: &StepContext,
        id: &MountTargetId,
        groups: &[SecurityGroupId],
    ) -> Result<(), StepError> {
        self.account
            .efs(ctx)
            .await
            .set_mount_target_security_groups(id, groups)
            .await?;
        Ok(())
    }
}

/// How long EFS typically takes to make a mount target available.
const CREATION: Duration = Duration::from_secs(90);

fn count(n: usize) -> String {
    if n == 1 {
        "1 mount target".to_owned()
    } else {
        format!("{n} mount targets")
    }
}

fn record(subnet: &Subnet, target: &MountTarget) -> MountTargetRecord {
    MountTargetRecord {
        id: target.id.clone(),
        subnet_id: target.subnet_id.clone(),
        az_id: subnet.az_id.clone(),
        ip_address: target.ip_address.clone(),
    }
}

fn outputs(records: &[MountTargetRecord]) -> Result<StepOutputs, StepError> {
    StepOutputs::new().with(out::MOUNT_TARGETS, records)
}

#[async_trait::async_trait]
impl Step for MountTargetsStep {
    fn describe(&self) -> String {
        format!(
            "EFS mount targets of the stack's file system, one per worker zone id, in account {}",
            self.account.id
        )
    }

    fn expected_duration(&self) -> Duration {
        CREATION
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let wanted = self.wanted(ctx, true).await?;
        let slots = self.survey(ctx, &wanted).await?;
        let records: Vec<MountTargetRecord> = slots
            .iter()
            .filter_map(|s| s.target.as_ref().map(|t| record(&s.subnet, t)))
            .collect();
        if records.is_empty() {
            return Ok(Observation::Absent);
        }
        let outputs = outputs(&records)?;
        let diff = drift(&slots, &wanted.group);
        // Not yet available counts as drift so that `ensure` runs and waits: a present step is
        // never ensured, and the StorageClass must not come before its mount targets.
        Ok(Observation::found(outputs, diff))
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        if let Observation::Present(existing) = observed {
            return Ok(Ensured::unchanged(existing.clone()));
        }
        let wanted = self.wanted(ctx, false).await?;
        // Observed absent a moment ago, in this attempt: no mount target to survey again. One
        // that appeared since is met below as `MountTargetConflict`.
        let slots = if matches!(observed, Observation::Absent) {
            wanted
                .subnets
                .iter()
                .map(|subnet| Slot {
                    subnet: subnet.clone(),
                    target: None,
                    groups: Groups::Unchecked,
                })
                .collect()
        } else {
            self.survey(ctx, &wanted).await?
        };
        let had_any = slots.iter().any(|s| s.target.is_some());
        let groups = std::slice::from_ref(&wanted.group);
        // One zone's create does not wait for another's: under a fleet's rate limits each
        // call waits its turn, and three in a row would triple that wait.
        let creates = slots
            .iter()
            .filter(|slot| slot.target.is_none())
            .map(|slot| self.create_in(ctx, &wanted.fs, &slot.subnet.id, groups));
        let created = futures::future::join_all(creates)
            .await
            .into_iter()
            .collect::<Result<Vec<()>, StepError>>()?
            .len();
        let mut changed = false;
        for slot in &slots {
            if let (Some(t), Groups::Wrong(_)) = (&slot.target, &slot.groups) {
                self.set_groups(ctx, &t.id, groups).await?;
                changed = true;
            }
        }
        let ready = self.wait_available(ctx, &wanted, created > 0).await?;
        // Those that were still settling during the survey can be checked now.
        let settling: Vec<&MountTargetId> = slots
            .iter()
            .filter(|s| matches!(s.groups, Groups::Unchecked))
            .filter_map(|s| s.target.as_ref().map(|t| &t.id))
            .collect();
        for (_, target) in ready.iter().filter(|(_, t)| settling.contains(&&t.id)) {
            if let Groups::Wrong(_) = self.check_groups(ctx, &target.id, &wanted.group).await? {
                self.set_groups(ctx, &target.id, groups).await?;
                changed = true;
            }
        }
        let records: Vec<MountTargetRecord> = ready.iter().map(|(s, t)| record(s, t)).collect();
        let outputs = outputs(&records)?;
        Ok(if created > 0 && !had_any {
            Ensured::created(outputs)
        } else if created > 0 || changed {
            Ensured::updated(outputs)
        } else {
            Ensured::unchanged(outputs)
        })
    }

    async fn remove(&self, ctx: &StepContext, recorded: &StepOutputs) -> Result<(), StepError> {
        let records: Vec<MountTargetRecord> = recorded.get(out::MOUNT_TARGETS)?;
        if records.is_empty() {
            return Ok(());
        }
        let ids: Vec<&MountTargetId> = records.iter().map(|r| &r.id).collect();
        let fs = self.spec.file_system.get(ctx.inputs())?;
        let remaining = || async {
            let live = match self.account.efs(ctx).await.mount_targets(&fs).await {
                Ok(live) => live,
                Err(e) if e.is_code("FileSystemNotFound") => Vec::new(),
                Err(e) => return Err(StepError::from(e)),
            };
            Ok(live
                .into_iter()
                .filter(|t| ids.contains(&&t.id) && t.life_cycle != LifeCycle::Deleted)
                .collect::<Vec<_>>())
        };
        let ours = remaining().await?;
        if ours.is_empty() {
            return Ok(());
        }
        for target in ours.iter().filter(|t| t.life_cycle != LifeCycle::Deleting) {
            self.account
                .efs(ctx)
                .await
                .delete_mount_target(&target.id)
                .await?;
        }
        let what = format!(
            "{} of EFS file system {fs} to be deleted",
            count(ours.len())
        );
        ctx.wait_until(&what, self.timeout, || async {
            Ok(remaining().await?.is_empty().then_some(()))
        })
        .await
    }
}

mod survey;
#[cfg(test)]
mod tests;
