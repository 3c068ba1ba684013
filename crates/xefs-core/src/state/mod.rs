//! The crash-safe state of a stack: one locked directory per stack holding an append-only,
//! fsynced journal.
//!
//! Every mutating call is bracketed by an *intent* record (written and fsynced before the
//! call) and a *result* record (after it). A crash between the two leaves an intent without a
//! result; the next run settles it by observing the resource, never by guessing. Replaying the
//! journal gives, per step, who owns the resource ([`Ownership`]) and its last outputs, which
//! is what `destroy` needs to undo exactly what xefs created.

mod dir;
mod error;
mod failpoint;
mod journal;
mod record;
mod resource;
mod secrets;
mod stack;

pub use dir::StateDir;
pub use error::StateError;
pub use failpoint::{FailAction, Failpoint, JournalPoint, RecordKind};
pub(crate) use journal::Journal;
pub use record::{Entry, JOURNAL_VERSION, JournalRecord, Observed, Op, Outcome, journal_schema};
pub use resource::{InFlight, Ownership, ResourceState};
pub(crate) use secrets::find_secret;
pub use stack::StackState;
