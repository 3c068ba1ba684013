//! Bounded waits: how often to look, and what a timeout says (what was awaited, for how long,
//! and the last state seen, which usually names the cause).

use std::time::Duration;

use serde_json::Value;

use crate::{Condition, K8sError, ObjectRef};

/// The first pause between two looks at the object; it doubles up to [`MAX_POLL`].
pub(super) const FIRST_POLL: Duration = Duration::from_secs(1);
/// The longest pause between two looks: operators take minutes, a few requests a minute are
/// nothing for the API server.
pub(super) const MAX_POLL: Duration = Duration::from_secs(10);

/// What the last look found.
#[derive(Debug, Default)]
pub(crate) enum LastSeen {
    /// The wait ended before the first answer.
    #[default]
    Nothing,
    /// The object did not exist.
    Absent,
    /// The object, not yet meeting the condition.
    Object(Value),
    /// A retryable error (the wait keeps going through those).
    Error(K8sError),
}

/// At most this many characters of a status in a message.
const MAX_STATUS: usize = 400;

impl LastSeen {
    /// The state in words, for the timeout message.
    pub fn describe(&self) -> String {
        match self {
            LastSeen::Nothing => "no answer from the API server yet".to_owned(),
            LastSeen::Absent => "the object did not exist".to_owned(),
            LastSeen::Object(o) => match o.get("status") {
                Some(status) if !status.is_null() => {
                    let text = status.to_string();
                    match text.char_indices().nth(MAX_STATUS) {
                        Some((cut, _)) => format!("status {}…", &text[..cut]),
                        None => format!("status {text}"),
                    }
                }
                _ => "the object had no status yet".to_owned(),
            },
            LastSeen::Error(e) => format!("error: {e}"),
        }
    }
}

/// `10 min`, `90 s`, `250 ms`.
fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if d.subsec_millis() != 0 && secs < 10 {
        format!("{} ms", d.as_millis())
    } else if secs >= 60 && secs.is_multiple_of(60) {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

/// The error of a wait that ran out of time.
pub(crate) fn timed_out(
    object: &ObjectRef,
    condition: Condition,
    timeout: Duration,
    last: &LastSeen,
) -> K8sError {
    let mut e = K8sError::new(
        "wait",
        format!(
            "timed out after {} waiting for {object} {}; last seen: {}",
            human(timeout),
            condition.describe(),
            last.describe()
        ),
        false,
    )
    .on(object.to_string());
    e.reason = Some("Timeout".to_owned());
    e
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human(Duration::from_secs(600)), "10 min");
        assert_eq!(human(Duration::from_secs(90)), "90 s");
        assert_eq!(human(Duration::from_millis(250)), "250 ms");
    }

    #[test]
    fn the_last_state_is_described_and_long_statuses_cut() {
        let long = LastSeen::Object(json!({ "status": { "message": "x".repeat(1000) } }));
        let text = long.describe();
        assert!(text.starts_with("status {\"message\":\"xxx"));
        assert!(text.ends_with('…'));
        assert!(text.chars().count() < MAX_STATUS + 20);
        assert_eq!(
            LastSeen::Object(json!({ "spec": {} })).describe(),
            "the object had no status yet"
        );
        assert_eq!(LastSeen::Absent.describe(), "the object did not exist");
    }
}
