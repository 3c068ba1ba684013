//! B's file system as the file-system step finds it (by the stack's creation token), its
//! policy, and its mount targets with their security groups.

use xefs_core::doctor::FileSystemFacts;
use xefs_core::ids::{Arn, SecurityGroupId};
use xefs_core::spec::StackSpec;
use xefs_core::step::StepContext;

use super::join::try_join_all;
use crate::ports::{LifeCycle, MountTarget};
use crate::sdk::classify::is_not_found;
use crate::steps::life_cycle_name;
use crate::{Account, AwsResult};

/// The file system and what hangs off it.
pub(super) struct FileSystemRead {
    /// The facts the snapshot holds.
    pub(super) facts: FileSystemFacts,
    /// Its mount targets (deleted ones left out), each with its security groups.
    pub(super) mount_targets: Vec<(MountTarget, Vec<SecurityGroupId>)>,
}

/// The file system with the stack's creation `token`; `None` when there is none, or only a
/// deleted one (as the file-system step sees it).
pub(super) async fn read(
    ctx: &StepContext,
    account: &Account,
    spec: &StackSpec,
    token: &str,
) -> AwsResult<Option<FileSystemRead>> {
    let found = account.efs(ctx).await.file_system_by_token(token).await?;
    let Some(fs) = found.filter(|fs| fs.life_cycle != LifeCycle::Deleted) else {
        return Ok(None);
    };
    let (policy, targets) = tokio::try_join!(
        async { account.efs(ctx).await.file_system_policy(&fs.id).await },
        async { account.efs(ctx).await.mount_targets(&fs.id).await },
    )?;
    let targets: Vec<MountTarget> = targets
        .into_iter()
        .filter(|t| t.life_cycle != LifeCycle::Deleted)
        .collect();
    let groups = try_join_all(targets.iter().map(|t| groups_of(ctx, account, t))).await?;
    Ok(Some(FileSystemRead {
        facts: FileSystemFacts {
            arn: Arn::efs_file_system(&spec.region, &spec.storage.account_id, &fs.id),
            id: fs.id,
            life_cycle: life_cycle_name(&fs.life_cycle).to_owned(),
            policy,
            policy_expected: spec.efs.file_system_policy,
        },
        mount_targets: targets.into_iter().zip(groups).collect(),
    }))
}

/// A mount target's security groups. EFS answers only for an `available` one
/// (`IncorrectMountTargetState` otherwise): the others get none, and fail their availability
/// check anyway.
async fn groups_of(
    ctx: &StepContext,
    account: &Account,
    target: &MountTarget,
) -> AwsResult<Vec<SecurityGroupId>> {
    if target.life_cycle != LifeCycle::Available {
        return Ok(Vec::new());
    }
    match account
        .efs(ctx)
        .await
        .mount_target_security_groups(&target.id)
        .await
    {
        Ok(groups) => Ok(groups),
        Err(e) if is_not_found(&e) || e.is_code("IncorrectMountTargetState") => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}
