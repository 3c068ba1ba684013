//! A stack's loaded state: the replayed journal plus the handle to append to it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::journal::Journal;
use super::{Failpoint, ResourceState, StateDir, StateError};
use crate::blueprint::Address;
use crate::ids::StackName;

/// A stack's state: what xefs created, adopted or was creating when it last stopped, and the
/// open, locked journal the engine appends to.
pub struct StackState {
    dir: StateDir,
    journal: Journal,
    warnings: Vec<String>,
}

impl std::fmt::Debug for StackState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackState")
            .field("dir", &self.dir)
            .field("resources", &self.journal.resources())
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

impl StackState {
    /// Locks `<root>/<stack>/` and loads its journal: the usual way in.
    pub fn open(root: &Path, stack: &StackName) -> Result<Self, StateError> {
        Self::load(StateDir::open(root, stack)?)
    }

    /// Loads the journal of an already locked directory, replaying every record. A torn final
    /// record (a crash mid-write) is dropped with a warning; any other damage is an error.
    pub fn load(dir: StateDir) -> Result<Self, StateError> {
        let loaded = Journal::open(&dir.journal_path())?;
        Ok(Self {
            dir,
            journal: loaded.journal,
            warnings: loaded.warnings,
        })
    }

    /// Installs a crash-simulation hook called before every journal write (tests).
    #[must_use]
    pub fn with_failpoint(self, failpoint: Failpoint) -> Self {
        self.journal.set_failpoint(Some(failpoint));
        self
    }

    /// The stack's name.
    pub fn stack(&self) -> &StackName {
        self.dir.stack()
    }

    /// The journal file.
    pub fn journal_path(&self) -> PathBuf {
        self.dir.journal_path()
    }

    /// What the journal says about one step.
    pub fn resource(&self, address: &Address) -> Option<ResourceState> {
        self.journal.resource(address)
    }

    /// What the journal says about every step it mentions.
    pub fn resources(&self) -> BTreeMap<Address, ResourceState> {
        self.journal.resources()
    }

    /// Problems found while loading that did not stop it (a torn final record).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// How many records this session wrote.
    pub fn writes(&self) -> u64 {
        self.journal.writes()
    }

    pub(crate) fn journal(&self) -> &Journal {
        &self.journal
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::state::{Entry, Observed, Op, Outcome, Ownership};
    use crate::step::StepOutputs;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn intent() -> Entry {
        Entry::Intent {
            op: Op::Ensure,
            observed: Observed::Absent,
            drifted_fields: vec![],
        }
    }

    #[test]
    fn journal_survives_reopen_and_tolerates_a_torn_tail() -> TestResult {
        let root = tempfile::tempdir()?;
        let stack = StackName::parse("s")?;
        let a = Address::parse("storage.efs.file-system")?;
        {
            let state = StackState::open(root.path(), &stack)?;
            state.journal().append(&a, intent())?;
            state.journal().append(
                &a,
                Entry::Result {
                    op: Op::Ensure,
                    outcome: Outcome::Created,
                    outputs: Some(StepOutputs::new().with("id", "fs-1")?),
                    error: None,
                    recovered: false,
                },
            )?;
        }
        let path = root.path().join("s").join("journal.jsonl");
        let mut bytes = fs::read(&path)?;
        bytes.extend_from_slice(br#"{"v":1,"seq":3,"addr"#);
        fs::write(&path, &bytes)?;

        let state = StackState::open(root.path(), &stack)?;
        assert_eq!(state.warnings().len(), 1, "{:?}", state.warnings());
        let r = state.resource(&a).ok_or("missing")?;
        assert_eq!(r.ownership, Some(Ownership::Created));
        assert_eq!(r.outputs.ok_or("no outputs")?.get::<String>("id")?, "fs-1");
        // The torn bytes are gone and appends continue on a fresh line with the next seq.
        let seq = state.journal().append(&a, intent())?;
        assert_eq!(seq, 3);
        drop(state);
        let state = StackState::open(root.path(), &stack)?;
        assert!(state.warnings().is_empty());
        assert!(state.resource(&a).ok_or("missing")?.in_flight.is_some());
        Ok(())
    }

    #[test]
    fn damage_before_the_last_line_is_an_error() -> TestResult {
        let root = tempfile::tempdir()?;
        let stack = StackName::parse("s")?;
        drop(StackState::open(root.path(), &stack)?);
        let path = root.path().join("s").join("journal.jsonl");
        fs::write(&path, "not json\n")?;
        let err = StackState::open(root.path(), &stack)
            .err()
            .ok_or("expected an error")?;
        assert!(matches!(err, StateError::Corrupt { line: 1, .. }), "{err}");
        fs::write(
            &path,
            r#"{"v":2,"seq":1,"at_unix_ms":0,"address":"a","type":"intent"}"#.to_owned() + "\n",
        )?;
        let err = StackState::open(root.path(), &stack)
            .err()
            .ok_or("expected an error")?;
        assert!(
            matches!(err, StateError::UnsupportedVersion { found: 2, .. }),
            "{err}"
        );
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn journal_is_private() -> TestResult {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir()?;
        let state = StackState::open(root.path(), &StackName::parse("s")?)?;
        let mode = fs::metadata(state.journal_path())?.permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        Ok(())
    }
}
