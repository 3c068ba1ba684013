//! What can be compared between the spec and a live file system: the fields EFS fixes at
//! creation (a mismatch is an error with its fix), and those `UpdateFileSystem` can change
//! (a mismatch is drift).

use xefs_core::spec::{PerformanceMode, ThroughputMode};
use xefs_core::step::{FieldDiff, StepError};

use super::FileSystemStep;
use crate::ports::{FileSystem, LifeCycle};

impl FileSystemStep {
    /// Fails when a field EFS fixes at creation differs from the spec: no update can fix it.
    pub(super) fn check_fixed_fields(&self, fs: &FileSystem) -> Result<(), StepError> {
        let mut wrong = Vec::new();
        if fs.performance_mode != self.spec.performance_mode {
            wrong.push((
                "performance_mode",
                performance_name(fs.performance_mode).to_owned(),
                performance_name(self.spec.performance_mode).to_owned(),
            ));
        }
        if fs.encrypted != self.spec.encrypted {
            wrong.push((
                "encrypted",
                fs.encrypted.to_string(),
                self.spec.encrypted.to_string(),
            ));
        }
        if let Some(key) = self
            .spec
            .kms_key_id
            .as_deref()
            .filter(|_| self.spec.encrypted)
        {
            let same = fs
                .kms_key_id
                .as_deref()
                .is_some_and(|live| same_kms_key(live, key));
            if !same {
                let live = fs.kms_key_id.clone().unwrap_or_else(|| "none".to_owned());
                wrong.push(("kms_key_id", live, key.to_owned()));
            }
        }
        if fs.one_zone_az_id != self.spec.one_zone_az_id {
            let zone = |z: &Option<xefs_core::ids::AzId>| {
                z.as_ref()
                    .map_or_else(|| "none (Regional)".to_owned(), |z| z.to_string())
            };
            wrong.push((
                "one_zone_az_id",
                zone(&fs.one_zone_az_id),
                zone(&self.spec.one_zone_az_id),
            ));
        }
        if wrong.is_empty() {
            return Ok(());
        }
        let fields: Vec<String> = wrong
            .iter()
            .map(|(field, live, desired)| {
                format!("{field} is {live} (the spec asks for {desired})")
            })
            .collect();
        Err(StepError::permanent(format!(
            "EFS file system {} (creation token {}) in account {}: {}. EFS fixes these when a \
             file system is created, so xefs cannot change them: put the live values in the \
             spec, or use a new stack name (a new creation token, hence a new file system), or \
             copy the data out, delete file system {} and apply again",
            fs.id,
            self.token(),
            self.account.id,
            fields.join("; "),
            fs.id
        ))
        .with_code("ImmutableFieldChanged")
        .with_resource(fs.id.to_string()))
    }

    /// Differences `UpdateFileSystem` can fix, and a state still settling.
    pub(super) fn drift(&self, fs: &FileSystem) -> Vec<FieldDiff> {
        let mut diff = Vec::new();
        if fs.throughput_mode != self.spec.throughput_mode {
            diff.push(FieldDiff::new(
                "throughput_mode",
                throughput_name(fs.throughput_mode),
                throughput_name(self.spec.throughput_mode),
            ));
        }
        if let (ThroughputMode::Provisioned, Some(want)) = (
            self.spec.throughput_mode,
            self.spec.provisioned_throughput_mibps,
        ) && fs
            .provisioned_throughput_mibps
            .is_none_or(|live| (live - want).abs() > 1e-6)
        {
            diff.push(FieldDiff::new(
                "provisioned_throughput_mibps",
                fs.provisioned_throughput_mibps
                    .map_or_else(|| "none".to_owned(), |v| v.to_string()),
                want.to_string(),
            ));
        }
        if fs.life_cycle != LifeCycle::Available {
            diff.push(FieldDiff::new(
                "life_cycle",
                life_cycle_name(&fs.life_cycle),
                "available",
            ));
        }
        diff
    }

    pub(super) fn throughput_differs(&self, fs: &FileSystem) -> bool {
        self.drift(fs).iter().any(|d| d.field != "life_cycle")
    }
}

/// Whether the live key (EFS reports an ARN) is the one the spec names by ARN or key id. An
/// alias cannot be compared without asking KMS, so it is taken as matching.
pub(super) fn same_kms_key(live: &str, spec: &str) -> bool {
    if live == spec || spec.starts_with("alias/") || spec.contains(":alias/") {
        return true;
    }
    !spec.starts_with("arn:") && live.rsplit('/').next() == Some(spec)
}

/// The name AWS gives a performance mode, as users see it in the console and CLI.
fn performance_name(mode: PerformanceMode) -> &'static str {
    match mode {
        PerformanceMode::GeneralPurpose => "generalPurpose",
        PerformanceMode::MaxIo => "maxIO",
    }
}

/// The name AWS gives a throughput mode.
fn throughput_name(mode: ThroughputMode) -> &'static str {
    match mode {
        ThroughputMode::Elastic => "elastic",
        ThroughputMode::Bursting => "bursting",
        ThroughputMode::Provisioned => "provisioned",
    }
}

/// The name AWS gives a life-cycle state.
pub(crate) fn life_cycle_name(state: &LifeCycle) -> &str {
    match state {
        LifeCycle::Creating => "creating",
        LifeCycle::Available => "available",
        LifeCycle::Updating => "updating",
        LifeCycle::Deleting => "deleting",
        LifeCycle::Deleted => "deleted",
        LifeCycle::Error => "error",
        LifeCycle::Other(s) => s,
    }
}
