//! The append-only, fsynced journal file and its replay.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use super::dir::private_file;
use super::{
    Entry, FailAction, Failpoint, JOURNAL_VERSION, JournalPoint, JournalRecord, RecordKind,
    ResourceState, StateError,
};
use crate::blueprint::Address;

/// A shared handle to the open journal: the engine's concurrent step tasks append through it.
///
/// Writes are synchronous on purpose: the intent must be durable before the mutating call
/// starts, and a record is a few hundred bytes.
#[derive(Clone)]
pub(crate) struct Journal(Arc<Mutex<JournalInner>>);

struct JournalInner {
    path: PathBuf,
    file: File,
    next_seq: u64,
    writes: u64,
    resources: BTreeMap<Address, ResourceState>,
    failpoint: Option<Failpoint>,
    crashed: Option<u64>,
}

/// What loading found besides the records.
pub(crate) struct Loaded {
    pub(crate) journal: Journal,
    pub(crate) warnings: Vec<String>,
}

impl Journal {
    /// Opens (creating if needed) the journal, replays it, and drops a torn final line.
    pub(crate) fn open(path: &Path) -> Result<Loaded, StateError> {
        let existed = path.exists();
        let mut file = private_file(path, OpenOptions::new().read(true).append(true))?;
        if !existed {
            sync_parent(path)?;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| StateError::io("reading", path, e))?;
        let mut warnings = Vec::new();
        let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        if complete < bytes.len() {
            let message = format!(
                "{}: ignored a torn final record ({} bytes without a newline), left by a run \
                 that stopped mid-write; the next run observes the resources it was about",
                path.display(),
                bytes.len() - complete
            );
            tracing::warn!("{message}");
            warnings.push(message);
            // The torn bytes carry nothing committed; cut them so the next append starts on a
            // fresh line.
            file.set_len(complete as u64)
                .and_then(|()| file.sync_data())
                .map_err(|e| StateError::io("truncating the torn record of", path, e))?;
        }
        let mut resources: BTreeMap<Address, ResourceState> = BTreeMap::new();
        let mut last_seq = 0;
        for (index, line) in bytes[..complete].split(|b| *b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let record = parse_line(path, index + 1, line)?;
            last_seq = last_seq.max(record.seq);
            resources
                .entry(record.address.clone())
                .or_default()
                .apply(record.seq, &record.entry);
        }
        let inner = JournalInner {
            path: path.to_owned(),
            file,
            next_seq: last_seq + 1,
            writes: 0,
            resources,
            failpoint: None,
            crashed: None,
        };
        Ok(Loaded {
            journal: Journal(Arc::new(Mutex::new(inner))),
            warnings,
        })
    }

    fn lock(&self) -> MutexGuard<'_, JournalInner> {
        // A panic while holding the lock cannot leave a half-applied record in memory that the
        // file does not have: the in-memory fold happens after the write. Keep going.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set_failpoint(&self, failpoint: Option<Failpoint>) {
        self.lock().failpoint = failpoint;
    }

    /// Appends one record, fsyncs it, and folds it into the in-memory state.
    pub(crate) fn append(&self, address: &Address, entry: Entry) -> Result<u64, StateError> {
        let mut inner = self.lock();
        if let Some(index) = inner.crashed {
            return Err(StateError::Crashed { index });
        }
        let seq = inner.next_seq;
        let index = inner.writes;
        let (kind, op) = match &entry {
            Entry::Intent { op, .. } => (RecordKind::Intent, *op),
            Entry::Result { op, .. } => (RecordKind::Result, *op),
        };
        let action = match &inner.failpoint {
            Some(failpoint) => failpoint(&JournalPoint {
                index,
                seq,
                address: address.clone(),
                kind,
                op,
            }),
            None => FailAction::Continue,
        };
        let record = JournalRecord {
            v: JOURNAL_VERSION,
            seq,
            at_unix_ms: now_unix_ms(),
            address: address.clone(),
            entry,
        };
        let mut line = serde_json::to_vec(&record)?;
        line.push(b'\n');
        let written: &[u8] = match action {
            FailAction::CrashBefore => {
                inner.crashed = Some(index);
                return Err(StateError::Crashed { index });
            }
            FailAction::CrashTorn => &line[..line.len() / 2],
            FailAction::Continue | FailAction::CrashAfter => &line,
        };
        let path = inner.path.clone();
        inner
            .file
            .write_all(written)
            .and_then(|()| inner.file.sync_data())
            .map_err(|e| StateError::io("appending to", &path, e))?;
        if action == FailAction::CrashTorn {
            inner.crashed = Some(index);
            return Err(StateError::Crashed { index });
        }
        inner.writes += 1;
        inner.next_seq += 1;
        inner
            .resources
            .entry(address.clone())
            .or_default()
            .apply(seq, &record.entry);
        if action == FailAction::CrashAfter {
            inner.crashed = Some(index);
            return Err(StateError::Crashed { index });
        }
        Ok(seq)
    }

    pub(crate) fn resource(&self, address: &Address) -> Option<ResourceState> {
        self.lock().resources.get(address).cloned()
    }

    pub(crate) fn resources(&self) -> BTreeMap<Address, ResourceState> {
        self.lock().resources.clone()
    }

    pub(crate) fn writes(&self) -> u64 {
        self.lock().writes
    }
}

fn parse_line(path: &Path, line_no: usize, line: &[u8]) -> Result<JournalRecord, StateError> {
    let corrupt = |message: String| StateError::Corrupt {
        path: path.to_owned(),
        line: line_no,
        message,
    };
    let value: serde_json::Value =
        serde_json::from_slice(line).map_err(|e| corrupt(e.to_string()))?;
    let version = value
        .get("v")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| corrupt("no version field `v`".to_owned()))?;
    if version > u64::from(JOURNAL_VERSION) {
        return Err(StateError::UnsupportedVersion {
            path: path.to_owned(),
            line: line_no,
            found: version,
            supported: JOURNAL_VERSION,
        });
    }
    serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))
}

/// Makes a newly created file's directory entry durable.
fn sync_parent(path: &Path) -> Result<(), StateError> {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        File::open(parent)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| StateError::io("syncing", parent, e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
