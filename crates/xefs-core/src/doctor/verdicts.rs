//! From the IAM questions' [`Verdict`]s to findings: one finding per question, so a question
//! asked per call or per principal still reads as one checklist line.

use super::finding::{CheckId, Finding, Status};
use crate::iam::questions::Verdict;

/// One verdict, graded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Outcome {
    status: Status,
    reason: String,
    fix: Option<String>,
}

impl Outcome {
    /// A verdict whose good answer is "allowed": allowed → passed; allowed with a fix → warned
    /// (it works, but broader than needed); refused → failed.
    pub(super) fn allowed(v: Verdict) -> Self {
        let status = match (v.allowed, &v.fix) {
            (true, None) => Status::Passed,
            (true, Some(_)) => Status::Warned,
            (false, _) => Status::Failed,
        };
        Self {
            status,
            reason: v.reason,
            fix: v.fix,
        }
    }

    /// A verdict whose good answer is "refused" (a mount without TLS): refused → passed;
    /// allowed → warned, since the mount itself still works.
    pub(super) fn refused(v: Verdict) -> Self {
        Self {
            status: if v.allowed {
                Status::Warned
            } else {
                Status::Passed
            },
            reason: v.reason,
            fix: v.fix,
        }
    }
}

/// One finding for a question: the worst outcome. When it did not pass, the message holds the
/// reason of every outcome that did not pass (failures first) and the fix their distinct
/// fixes, `default_fix` standing in for a failure that brought none.
pub(super) fn finding(
    check: CheckId,
    resource: String,
    outcomes: Vec<Outcome>,
    passed: String,
    default_fix: &str,
) -> Finding {
    let mut bad: Vec<Outcome> = outcomes
        .into_iter()
        .filter(|o| o.status != Status::Passed)
        .collect();
    // Stable: failures first, each kind in question order.
    bad.sort_by_key(|o| std::cmp::Reverse(o.status));
    let Some(worst) = bad.first().map(|o| o.status) else {
        return Finding::passed(check, resource, passed);
    };
    let message = bad
        .iter()
        .map(|o| o.reason.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let mut fixes: Vec<&str> = Vec::new();
    for o in &bad {
        let fix = match (&o.fix, o.status) {
            (Some(fix), _) => fix.as_str(),
            (None, Status::Failed) => default_fix,
            (None, _) => continue,
        };
        if !fixes.contains(&fix) {
            fixes.push(fix);
        }
    }
    let fix = fixes.join("; ");
    if worst == Status::Failed {
        Finding::failed(check, resource, message, fix)
    } else {
        Finding::warned(check, resource, message, (!fix.is_empty()).then_some(fix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(allowed: bool, reason: &str, fix: Option<&str>) -> Verdict {
        Verdict {
            allowed,
            reason: reason.to_owned(),
            fix: fix.map(str::to_owned),
        }
    }

    #[test]
    fn the_worst_outcome_decides_and_lists_every_problem() {
        // (outcomes, status, message, fix)
        let cases: Vec<(Vec<Outcome>, Status, &str, Option<&str>)> = vec![
            (
                vec![Outcome::allowed(verdict(true, "ok", None))],
                Status::Passed,
                "all good",
                None,
            ),
            (
                vec![
                    Outcome::allowed(verdict(true, "wide", Some("narrow it"))),
                    Outcome::allowed(verdict(false, "denied", None)),
                    Outcome::allowed(verdict(true, "wide too", Some("narrow it"))),
                ],
                Status::Failed,
                "denied; wide; wide too",
                Some("default; narrow it"),
            ),
            (
                vec![Outcome::allowed(verdict(false, "denied", Some("allow it")))],
                Status::Failed,
                "denied",
                Some("allow it"),
            ),
            (
                vec![
                    Outcome::refused(verdict(false, "refused", None)),
                    Outcome::refused(verdict(true, "plain mount", Some("deny it"))),
                ],
                Status::Warned,
                "plain mount",
                Some("deny it"),
            ),
        ];
        for (outcomes, status, message, fix) in cases {
            let f = finding(
                CheckId::CsiTrust,
                "r".to_owned(),
                outcomes,
                "all good".to_owned(),
                "default",
            );
            assert_eq!(
                (f.status, f.message.as_str(), f.fix.as_deref()),
                (status, message, fix)
            );
        }
    }
}
