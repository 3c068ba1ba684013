//! The journal's records: an intent before every mutating call, a result after it.

use serde::{Deserialize, Serialize};

use crate::blueprint::Address;
use crate::step::StepOutputs;

/// The version written in every record's `v`; bumped (with a migration) whenever the meaning
/// of a record changes.
pub const JOURNAL_VERSION: u32 = 1;

/// One line of `journal.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct JournalRecord {
    /// The record schema version ([`JOURNAL_VERSION`]).
    pub v: u32,
    /// Position in the journal, from 1, never reused.
    pub seq: u64,
    /// Wall-clock time of the write, in milliseconds since the Unix epoch (for audits).
    pub at_unix_ms: u64,
    /// The step the record is about.
    pub address: Address,
    /// Intent or result.
    #[serde(flatten)]
    pub entry: Entry,
}

/// What a record says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Entry {
    /// Written (and fsynced) before a mutating call, so a crash during the call is known.
    Intent {
        /// The call about to be made.
        op: Op,
        /// What `observe` found just before (decides who owns the resource).
        observed: Observed,
        /// For a drifted resource, the fields that differ (names only: values may be long).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        drifted_fields: Vec<String>,
    },
    /// Written (and fsynced) after a call, or after a read-only step or an adoption.
    Result {
        /// The call that was made.
        op: Op,
        /// How it ended.
        outcome: Outcome,
        /// The resource's outputs, for dependents and for `destroy`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outputs: Option<StepOutputs>,
        /// The error, when the outcome is `failed`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// True when this result settles an intent left without a result by an earlier run
        /// (a crash), after observing the resource.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        recovered: bool,
    },
}

/// A mutating call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    /// `Step::ensure` (or, for results only, a read-only step or an adoption).
    Ensure,
    /// `Step::remove`.
    Remove,
}

/// What `observe` found before an intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Observed {
    /// Nothing: the call will create it, so xefs owns what the call makes.
    Absent,
    /// There and as desired.
    Present,
    /// There but different.
    Drifted,
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// xefs created the resource: `destroy` removes it.
    Created,
    /// xefs changed an existing resource.
    Updated,
    /// Nothing needed doing (written only when the outputs changed).
    Unchanged,
    /// The resource existed before xefs: `destroy` leaves it unless asked.
    Adopted,
    /// A read-only step ran; its outputs feed dependents and `destroy`.
    Read,
    /// The resource is gone.
    Removed,
    /// The call failed; see `error`.
    Failed,
}

/// The JSON schema of a journal line, for tooling and to pin the format in a snapshot test.
pub fn journal_schema() -> schemars::Schema {
    schemars::schema_for!(JournalRecord)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_stable() {
        insta::assert_json_snapshot!("journal_record_schema_v1", journal_schema());
    }

    #[test]
    fn records_round_trip_in_their_documented_shape() -> Result<(), Box<dyn std::error::Error>> {
        let address = Address::parse("storage.efs.file-system")?;
        let intent = JournalRecord {
            v: JOURNAL_VERSION,
            seq: 7,
            at_unix_ms: 1,
            address: address.clone(),
            entry: Entry::Intent {
                op: Op::Ensure,
                observed: Observed::Absent,
                drifted_fields: vec![],
            },
        };
        let line = serde_json::to_string(&intent)?;
        assert_eq!(
            line,
            r#"{"v":1,"seq":7,"at_unix_ms":1,"address":"storage.efs.file-system","type":"intent","op":"ensure","observed":"absent"}"#
        );
        assert_eq!(serde_json::from_str::<JournalRecord>(&line)?, intent);
        let result = JournalRecord {
            seq: 8,
            entry: Entry::Result {
                op: Op::Ensure,
                outcome: Outcome::Created,
                outputs: Some(StepOutputs::new().with("file_system_id", "fs-1")?),
                error: None,
                recovered: false,
            },
            ..intent
        };
        let line = serde_json::to_string(&result)?;
        assert_eq!(
            line,
            r#"{"v":1,"seq":8,"at_unix_ms":1,"address":"storage.efs.file-system","type":"result","op":"ensure","outcome":"created","outputs":{"file_system_id":"fs-1"}}"#
        );
        assert_eq!(serde_json::from_str::<JournalRecord>(&line)?, result);
        Ok(())
    }
}
