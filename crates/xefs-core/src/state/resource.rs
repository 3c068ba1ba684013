//! What the journal says about one step, replayed record by record.

use serde::Serialize;

use super::{Entry, Observed, Op, Outcome};
use crate::step::StepOutputs;

/// Who is responsible for a resource, which decides what `destroy` removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ownership {
    /// xefs created it (observed absent, then ensured): `destroy` removes it.
    Created,
    /// It existed before xefs touched it: `destroy` leaves it unless asked.
    Adopted,
    /// A read-only step: nothing to remove, only outputs to remember.
    Read,
    /// xefs attempted to create it (intent recorded with "absent") but never learned the result
    /// (a crash, or a failed call that may have half-succeeded). The next run observes it:
    /// if present it is xefs's.
    MaybeCreated,
}

/// An intent without a result: a call that was in flight when the last run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InFlight {
    /// The call.
    pub op: Op,
    /// What was observed before it.
    pub observed: Observed,
    /// The intent's sequence number.
    pub seq: u64,
}

/// The replayed state of one step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResourceState {
    /// Who owns the resource; `None` when xefs knows of none (never seen, or removed).
    pub ownership: Option<Ownership>,
    /// The last recorded outputs; kept after removal, since dependents' removal needs them.
    pub outputs: Option<StepOutputs>,
    /// A call whose result was never recorded.
    pub in_flight: Option<InFlight>,
    /// True once `destroy` removed it.
    pub removed: bool,
    /// The last failure recorded for it.
    pub last_error: Option<String>,
}

impl ResourceState {
    /// The outputs an earlier apply recorded for a resource that should still be there: xefs
    /// created or adopted it, and `destroy` never removed it. `None` otherwise.
    pub fn applied_outputs(&self) -> Option<&StepOutputs> {
        match self.ownership {
            Some(Ownership::Created | Ownership::Adopted) if !self.removed => self.outputs.as_ref(),
            _ => None,
        }
    }

    /// True when `destroy` should act on it: created (or maybe created) by xefs, or adopted
    /// and `include_adopted` is set.
    pub fn removable(&self, include_adopted: bool) -> bool {
        match self.ownership {
            Some(Ownership::Created | Ownership::MaybeCreated) => true,
            Some(Ownership::Adopted) => include_adopted,
            Some(Ownership::Read) | None => false,
        }
    }

    /// Folds one record into the state. These rules are the journal's meaning.
    pub(crate) fn apply(&mut self, seq: u64, entry: &Entry) {
        match entry {
            Entry::Intent { op, observed, .. } => {
                self.in_flight = Some(InFlight {
                    op: *op,
                    observed: *observed,
                    seq,
                });
                if *op == Op::Ensure {
                    self.removed = false;
                    if self.ownership.is_none() {
                        self.ownership = Some(match observed {
                            Observed::Absent => Ownership::MaybeCreated,
                            Observed::Present | Observed::Drifted => Ownership::Adopted,
                        });
                    }
                }
            }
            Entry::Result {
                op,
                outcome,
                outputs,
                error,
                ..
            } => {
                self.in_flight = None;
                if let Some(outputs) = outputs {
                    self.outputs = Some(outputs.clone());
                }
                match (op, outcome) {
                    (_, Outcome::Failed) => {
                        self.last_error.clone_from(error);
                        return;
                    }
                    (_, Outcome::Removed) => {
                        self.ownership = None;
                        self.removed = true;
                    }
                    (_, Outcome::Created) => self.ownership = Some(Ownership::Created),
                    (_, Outcome::Adopted) => self.ownership = Some(Ownership::Adopted),
                    (_, Outcome::Read) => self.ownership = Some(Ownership::Read),
                    (_, Outcome::Updated | Outcome::Unchanged) => {
                        self.ownership = Some(match self.ownership {
                            // A mutating call was made on what we tried to create: ours.
                            Some(Ownership::MaybeCreated) => Ownership::Created,
                            Some(other) => other,
                            None => Ownership::Adopted,
                        });
                    }
                }
                if *outcome != Outcome::Removed {
                    self.removed = false;
                }
                self.last_error = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(observed: Observed) -> Entry {
        Entry::Intent {
            op: Op::Ensure,
            observed,
            drifted_fields: vec![],
        }
    }

    fn result(op: Op, outcome: Outcome) -> Entry {
        Entry::Result {
            op,
            outcome,
            outputs: None,
            error: (outcome == Outcome::Failed).then(|| "boom".to_owned()),
            recovered: false,
        }
    }

    #[test]
    fn ownership_follows_the_first_observation() {
        let mut created = ResourceState::default();
        created.apply(1, &intent(Observed::Absent));
        assert_eq!(created.ownership, Some(Ownership::MaybeCreated));
        assert!(created.in_flight.is_some());
        created.apply(2, &result(Op::Ensure, Outcome::Created));
        assert_eq!(created.ownership, Some(Ownership::Created));
        assert!(created.in_flight.is_none());

        let mut adopted = ResourceState::default();
        adopted.apply(1, &intent(Observed::Drifted));
        adopted.apply(2, &result(Op::Ensure, Outcome::Updated));
        assert_eq!(adopted.ownership, Some(Ownership::Adopted));
        assert!(!adopted.removable(false));
        assert!(adopted.removable(true));
    }

    #[test]
    fn a_failed_create_stays_maybe_created_and_removal_clears() {
        let mut s = ResourceState::default();
        s.apply(1, &intent(Observed::Absent));
        s.apply(2, &result(Op::Ensure, Outcome::Failed));
        assert_eq!(s.ownership, Some(Ownership::MaybeCreated));
        assert_eq!(s.last_error.as_deref(), Some("boom"));
        assert!(s.removable(false));
        s.apply(3, &result(Op::Remove, Outcome::Removed));
        assert_eq!(s.ownership, None);
        assert!(s.removed);
        assert!(!s.removable(true));
    }

    #[test]
    fn an_owned_resource_stays_owned_when_recreated() {
        let mut s = ResourceState::default();
        s.apply(1, &intent(Observed::Absent));
        s.apply(2, &result(Op::Ensure, Outcome::Created));
        s.apply(3, &intent(Observed::Absent));
        assert_eq!(s.ownership, Some(Ownership::Created));
    }
}
