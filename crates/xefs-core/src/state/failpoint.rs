//! A hook that simulates a process crash at a chosen journal write, to prove crash safety.

use std::sync::Arc;

use super::Op;
use crate::blueprint::Address;

/// Which kind of record a journal write holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// An intent, before a mutating call.
    Intent,
    /// A result, after a call.
    Result,
}

/// A journal write about to happen, as shown to a [`Failpoint`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalPoint {
    /// 0-based index of this write among the writes of this `StackState`.
    pub index: u64,
    /// The record's sequence number.
    pub seq: u64,
    /// The step the record is about.
    pub address: Address,
    /// Intent or result.
    pub kind: RecordKind,
    /// The call the record is about.
    pub op: Op,
}

/// What a [`Failpoint`] makes of a journal write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailAction {
    /// Write normally.
    Continue,
    /// Die right before the write: nothing of it reaches the file.
    CrashBefore,
    /// Die in the middle of the write: half a line reaches the file (a torn record).
    CrashTorn,
    /// Die right after the write was fsynced.
    CrashAfter,
}

/// A crash-simulation hook, called before every journal write. After a crash the journal
/// refuses every further write and the engine stops at once, as if the process had died.
pub type Failpoint = Arc<dyn Fn(&JournalPoint) -> FailAction + Send + Sync>;
