//! The EFS file system in account B.
//!
//! Found by its creation token (the stack's), so a retried or crashed create never makes a
//! second one. Fields EFS fixes at creation are checked, not silently ignored; `destroy`
//! refuses to delete data unless asked, and waits for the mount targets to be gone first.

use std::time::Duration;

use xefs_core::blueprint::out;
use xefs_core::blueprint::steps::FileSystem as FileSystemSpec;
use xefs_core::ids::FileSystemId;
use xefs_core::step::{Ensured, Observation, Step, StepContext, StepError, StepOutputs};

pub(crate) use self::fields::life_cycle_name;
use super::require_stack_tag;
use crate::ports::{FileSystem, LifeCycle, NewFileSystem};
use crate::{Account, AwsOptions};

/// What an empty file system reports as its size (its metadata); more means data.
pub const EMPTY_FILE_SYSTEM_BYTES: u64 = 6 * 1024;

/// The EFS file system, in account B.
///
/// Outputs `file_system_id`. A file system still `creating` (or `updating`) is reported as
/// drifted on its `life_cycle`, so that `ensure` runs and waits for it: a present step is
/// never ensured, and its dependents (the mount targets) would start against a file system
/// that cannot take them yet.
#[derive(Debug, Clone)]
pub struct FileSystemStep {
    spec: FileSystemSpec,
    account: Account,
    options: AwsOptions,
}

impl FileSystemStep {
    /// Refuses to delete a file system holding data unless `--delete-data`: checked before
    /// the destroy removes anything (`check_remove`), and again at the delete.
    fn data_guard(&self, fs: &FileSystem) -> Result<(), StepError> {
        if fs.size_bytes <= EMPTY_FILE_SYSTEM_BYTES || self.options.delete_data {
            return Ok(());
        }
        Err(StepError::permanent(format!(
            "refusing to delete EFS file system {}: it holds {} bytes, more than the {} bytes \
             of an empty file system. Copy out what you need, then run `xefs destroy \
             --delete-data` to delete it with its data. (EFS meters size with a \
             lag of up to a few hours: recent writes may not show yet, and data deleted \
             recently may still count.)",
            fs.id, fs.size_bytes, EMPTY_FILE_SYSTEM_BYTES
        ))
        .with_code("FileSystemNotEmpty")
        .with_resource(fs.id.to_string()))
    }

    /// The file system `spec` describes, in `account` (account B); `options` bound its waits
    /// and say whether `destroy` may delete data.
    pub fn new(spec: FileSystemSpec, account: Account, options: AwsOptions) -> Self {
        Self {
            spec,
            account,
            options,
        }
    }

    fn token(&self) -> &str {
        &self.spec.creation_token
    }

    /// The file system with this stack's token, unless there is none (or only a deleted one).
    async fn find(&self, ctx: &StepContext) -> Result<Option<FileSystem>, StepError> {
        let found = self
            .account
            .efs(ctx)
            .await
            .file_system_by_token(self.token())
            .await?;
        let Some(fs) = found else {
            return Ok(None);
        };
        match &fs.life_cycle {
            LifeCycle::Deleted => Ok(None),
            LifeCycle::Deleting => Err(StepError::retryable(format!(
                "EFS file system {} (creation token {}) is being deleted; a new one can be \
                 created with the same token once it is gone",
                fs.id,
                self.token()
            ))
            .with_resource(fs.id.to_string())),
            LifeCycle::Error => Err(StepError::permanent(format!(
                "EFS file system {} (creation token {}) is in state `error` in account {}: \
                 delete it (`aws efs delete-file-system --file-system-id {}`) and apply again",
                fs.id,
                self.token(),
                self.account.id,
                fs.id
            ))
            .with_resource(fs.id.to_string())),
            _ => {
                self.check_fixed_fields(&fs)?;
                Ok(Some(fs))
            }
        }
    }

    /// B's zone name for the spec's One Zone zone id; `None` for Regional storage.
    ///
    /// The spec names the zone by id (the same in every account), but `CreateFileSystem` takes
    /// the calling account's zone name; names are shuffled per account, so the sound
    /// translation is one of B's own subnets in that zone id.
    async fn one_zone_name(&self, ctx: &StepContext) -> Result<Option<String>, StepError> {
        let Some(zone) = &self.spec.one_zone_az_id else {
            return Ok(None);
        };
        let vpc = &self.spec.vpc_id;
        let subnets = self.account.ec2(ctx).await.subnets_in_vpc(vpc).await?;
        subnets
            .into_iter()
            .find(|s| &s.az_id == zone)
            .map(|s| Some(s.az_name))
            .ok_or_else(|| {
                StepError::permanent(format!(
                    "One Zone storage in {zone}: VPC {vpc} of account {} has no subnet in that \
                     zone id, so neither its zone name nor a mount target can be had there. Add \
                     a subnet in {zone}, or choose a zone id the VPC covers",
                    self.account.id
                ))
            })
    }

    /// Creates the file system. When EFS answers that the token is taken (a concurrent create,
    /// or a retried one whose first answer was lost), the file system found by the token is
    /// this stack's: only this stack creates with its token.
    async fn create(&self, ctx: &StepContext) -> Result<FileSystem, StepError> {
        let new = NewFileSystem {
            creation_token: self.spec.creation_token.clone(),
            performance_mode: self.spec.performance_mode,
            throughput_mode: self.spec.throughput_mode,
            provisioned_throughput_mibps: self.spec.provisioned_throughput_mibps,
            encrypted: self.spec.encrypted,
            kms_key_id: self.spec.kms_key_id.clone(),
            one_zone_az_name: self.one_zone_name(ctx).await?,
            tags: self.spec.tags.clone(),
        };
        match self.account.efs(ctx).await.create_file_system(&new).await {
            Ok(fs) => Ok(fs),
            Err(e) if e.is_code("FileSystemAlreadyExists") => match self.find(ctx).await? {
                Some(fs) => Ok(fs),
                None => Err(StepError::retryable(format!(
                    "EFS reports a file system with creation token {} that it does not list \
                     yet",
                    self.token()
                ))
                .with_code("FileSystemAlreadyExists")),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Polls until the file system is `available`; `just_created`: not before it can be
    /// (EFS typically takes a few seconds).
    async fn wait_available(
        &self,
        ctx: &StepContext,
        id: &FileSystemId,
        just_created: bool,
    ) -> Result<FileSystem, StepError> {
        let typical = if just_created {
            CREATION
        } else {
            Duration::ZERO
        };
        ctx.wait_until_expecting(
            &format!("EFS file system {id} to become available"),
            typical,
            self.options.file_system_timeout,
            || async {
                let fs = self
                    .account
                    .efs(ctx)
                    .await
                    .describe_file_system(id)
                    .await?
                    .ok_or_else(|| {
                        StepError::retryable(format!("EFS file system {id} is not listed yet"))
                    })?;
                match &fs.life_cycle {
                    LifeCycle::Available => Ok(Some(fs)),
                    LifeCycle::Error | LifeCycle::Deleting | LifeCycle::Deleted => {
                        Err(StepError::permanent(format!(
                            "EFS file system {id} went to state `{}` instead of `available`",
                            life_cycle_name(&fs.life_cycle)
                        ))
                        .with_resource(id.to_string()))
                    }
                    _ => Ok(None),
                }
            },
        )
        .await
    }

    async fn wait_deleted(&self, ctx: &StepContext, id: &FileSystemId) -> Result<(), StepError> {
        ctx.wait_until(
            &format!("EFS file system {id} to be deleted"),
            self.options.file_system_timeout,
            || async {
                let fs = self.account.efs(ctx).await.describe_file_system(id).await?;
                Ok(match fs {
                    None => Some(()),
                    Some(fs) if fs.life_cycle == LifeCycle::Deleted => Some(()),
                    Some(_) => None,
                })
            },
        )
        .await
    }
}

/// How long EFS typically takes to make a new file system available: seconds.
const CREATION: Duration = Duration::from_secs(5);

fn outputs(id: &FileSystemId) -> Result<StepOutputs, StepError> {
    StepOutputs::new().with(out::FILE_SYSTEM_ID, id)
}

#[async_trait::async_trait]
impl Step for FileSystemStep {
    fn describe(&self) -> String {
        format!(
            "EFS file system with creation token {}, in account {}",
            self.token(),
            self.account.id
        )
    }

    fn expected_duration(&self) -> Duration {
        Duration::from_secs(30)
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let Some(fs) = self.find(ctx).await? else {
            return Ok(Observation::Absent);
        };
        let outputs = outputs(&fs.id)?;
        let diff = self.drift(&fs);
        Ok(Observation::found(outputs, diff))
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        let (mut fs, created) = match observed {
            Observation::Present(existing) => return Ok(Ensured::unchanged(existing.clone())),
            Observation::Drifted { .. } => match self.find(ctx).await? {
                Some(fs) => (fs, false),
                None => (self.create(ctx).await?, true),
            },
            Observation::Absent | Observation::NotApplicable { .. } => {
                (self.create(ctx).await?, true)
            }
        };
        if fs.life_cycle != LifeCycle::Available {
            fs = self.wait_available(ctx, &fs.id, created).await?;
        }
        let mut updated = false;
        if self.throughput_differs(&fs) {
            self.account
                .efs(ctx)
                .await
                .update_throughput(
                    &fs.id,
                    self.spec.throughput_mode,
                    self.spec.provisioned_throughput_mibps,
                )
                .await?;
            updated = true;
            fs = self.wait_available(ctx, &fs.id, false).await?;
        }
        let outputs = outputs(&fs.id)?;
        Ok(if created {
            Ensured::created(outputs)
        } else if updated {
            Ensured::updated(outputs)
        } else {
            Ensured::unchanged(outputs)
        })
    }

    async fn check_remove(
        &self,
        ctx: &StepContext,
        recorded: &StepOutputs,
    ) -> Result<(), StepError> {
        let id: FileSystemId = recorded.get(out::FILE_SYSTEM_ID)?;
        match self
            .account
            .efs(ctx)
            .await
            .describe_file_system(&id)
            .await?
        {
            Some(fs) if !matches!(fs.life_cycle, LifeCycle::Deleted | LifeCycle::Deleting) => {
                self.data_guard(&fs)
            }
            _ => Ok(()),
        }
    }

    async fn remove(&self, ctx: &StepContext, recorded: &StepOutputs) -> Result<(), StepError> {
        let id: FileSystemId = recorded.get(out::FILE_SYSTEM_ID)?;
        let live = self
            .account
            .efs(ctx)
            .await
            .describe_file_system(&id)
            .await?;
        let fs = match live {
            None => return Ok(()),
            Some(fs) if fs.life_cycle == LifeCycle::Deleted => return Ok(()),
            Some(fs) if fs.life_cycle == LifeCycle::Deleting => {
                return self.wait_deleted(ctx, &id).await;
            }
            Some(fs) => fs,
        };
        require_stack_tag(&format!("EFS file system {id}"), &fs.tags, &self.spec.tags)?;
        self.data_guard(&fs)?;
        if fs.mount_targets > 0 {
            return Err(mount_targets_remain(&id, fs.mount_targets));
        }
        match self.account.efs(ctx).await.delete_file_system(&id).await {
            Ok(()) => {}
            // The count above lags the mount targets' own deletion by a little.
            Err(e) if e.is_code("FileSystemInUse") => {
                return Err(mount_targets_remain(&id, fs.mount_targets.max(1)));
            }
            Err(e) => return Err(e.into()),
        }
        self.wait_deleted(ctx, &id).await
    }
}

fn mount_targets_remain(id: &FileSystemId, count: u32) -> StepError {
    let noun = if count == 1 {
        "mount target"
    } else {
        "mount targets"
    };
    StepError::retryable(format!(
        "waiting for {count} {noun} of EFS file system {id} to be deleted first"
    ))
    .with_code("FileSystemInUse")
    .with_resource(id.to_string())
}

mod fields;
#[cfg(test)]
mod tests;
