//! Why the state directory could not be used.

use std::io;
use std::path::PathBuf;

use crate::blueprint::Address;

/// A failure of the state directory: the lock, the journal file, or its contents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Reading or writing a state file failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done ("opening", "writing", …).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// Another process holds the stack's lock.
    #[error(
        "stack `{stack}` is in use by another xefs process{}: wait for it to finish or stop it \
         (the lock in {} is released as soon as that process exits)",
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
        path.display()
    )]
    Locked {
        /// The stack's name.
        stack: String,
        /// The holder's process id, as it wrote it in the lock file.
        pid: Option<u32>,
        /// The lock file.
        path: PathBuf,
    },
    /// A complete journal line is not a valid record: the file was edited or damaged.
    #[error(
        "{}:{line}: not a valid journal record ({message}); the journal is append-only and must \
         not be edited",
        path.display()
    )]
    Corrupt {
        /// The journal file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// The journal was written by a newer xefs.
    #[error(
        "{}:{line}: journal record version {found} is newer than this xefs understands \
         (up to {supported}); upgrade xefs",
        path.display()
    )]
    UnsupportedVersion {
        /// The journal file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// The record's version.
        found: u64,
        /// The newest version this build reads.
        supported: u32,
    },
    /// A step's outputs contain what looks like a credential; it is not journaled.
    #[error(
        "outputs of `{address}` contain what looks like a secret in `{field}`; outputs are \
         journaled in plain text, so the step must not return it"
    )]
    SecretInOutputs {
        /// The step.
        address: Address,
        /// The output field.
        field: String,
    },
    /// A failpoint simulated a process crash at this journal write (tests only); the journal
    /// accepts no more writes in this session.
    #[error("simulated crash at journal write #{index}")]
    Crashed {
        /// The 0-based index of the journal write in this session.
        index: u64,
    },
    /// A record could not be serialized.
    #[error("cannot serialize a journal record: {0}")]
    Serialize(#[from] serde_json::Error),
}

impl StateError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
