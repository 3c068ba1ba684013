//! What a failed check tells the user: which stage failed, and the Warning events of the claim
//! and the pods, which name the real cause far better than a timeout does
//! (`ProvisioningFailed … AccessDenied`, `FailedMount … mount.nfs4: Connection timed out`,
//! `Failed to resolve "fs-….efs…amazonaws.com"`).

use std::fmt;

use xefs_core::step::StepError;

use crate::EventSummary;

/// The stages of the check, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    /// Creating the namespace, the claim and the pods.
    Create,
    /// The claim being bound to a new volume (the provisioner made an access point).
    ClaimBound,
    /// The writer running (the node mounted the volume).
    WriterRunning,
    /// The reader running.
    ReaderRunning,
    /// The reader's logs showing the writer's line.
    LineSeen,
}

impl Stage {
    /// What failed, in words.
    pub(super) fn failure(self) -> &'static str {
        match self {
            Stage::Create => "could not create the check's objects",
            Stage::ClaimBound => "claim did not bind",
            Stage::WriterRunning => "writer did not start",
            Stage::ReaderRunning => "reader did not start",
            Stage::LineSeen => "reader never saw the line",
        }
    }

    /// Whether the pods may have logged something worth showing.
    pub(super) fn pods_started(self) -> bool {
        matches!(
            self,
            Stage::WriterRunning | Stage::ReaderRunning | Stage::LineSeen
        )
    }
}

/// A stage that failed, with its error.
#[derive(Debug)]
pub(super) struct Failure {
    /// The stage.
    pub(super) stage: Stage,
    /// Why.
    pub(super) error: StepError,
}

impl Failure {
    /// `error` happened during `stage`.
    pub(super) fn at(stage: Stage) -> impl FnOnce(StepError) -> Failure {
        move |error| Failure { stage, error }
    }
}

/// What became of the check's namespace after a failure.
#[derive(Debug)]
pub(super) enum Cleanup {
    /// Kept for inspection (`verify.keep`).
    Kept,
    /// Deleted.
    Deleted,
    /// Deleting it failed.
    Failed(StepError),
}

/// What the cluster says about a failed check, gathered before the namespace is deleted
/// (its events go with it).
#[derive(Debug, Default)]
pub(super) struct Evidence {
    /// The Warning events of the claim and the pods, in that order.
    pub(super) warnings: Vec<EventSummary>,
    /// Events that could not be read, and why.
    pub(super) unreadable_events: Vec<String>,
    /// The last lines of each pod's log that has any, by pod.
    pub(super) logs: Vec<(String, String)>,
}

/// Everything known about a failed check.
#[derive(Debug)]
pub(super) struct Report {
    /// The namespace of the check.
    pub(super) namespace: String,
    /// What failed.
    pub(super) failure: Failure,
    /// What the cluster said about it.
    pub(super) evidence: Evidence,
    /// What became of the namespace.
    pub(super) cleanup: Cleanup,
}

impl Report {
    /// The report as the step's error: permanent for a failed stage (a cancelled run stays
    /// cancelled, a transient API error stays retryable), with the stage's code.
    pub(super) fn into_error(self) -> StepError {
        let kind = self.failure.error.kind();
        let code = self.failure.error.code().map(str::to_owned);
        let mut error = StepError::new(kind, self.to_string());
        if let Some(code) = code {
            error = error.with_code(code);
        }
        error
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "verification failed: {}: {}",
            self.failure.stage.failure(),
            self.failure.error
        )?;
        let evidence = &self.evidence;
        if evidence.warnings.is_empty() {
            f.write_str("\nno Warning events about the claim or the pods")?;
        } else {
            f.write_str("\nWarning events:")?;
            for e in &evidence.warnings {
                write!(f, "\n  {}: {}", e.object, e.reason)?;
                if e.count > 1 {
                    write!(f, " (×{})", e.count)?;
                }
                write!(f, ": {}", e.message.trim())?;
            }
        }
        for unreadable in &evidence.unreadable_events {
            write!(f, "\n(events not read: {unreadable})")?;
        }
        for (pod, log) in &evidence.logs {
            write!(f, "\nlog of pod {pod}:")?;
            for line in log.lines() {
                write!(f, "\n  {line}")?;
            }
        }
        match &self.cleanup {
            Cleanup::Kept => write!(
                f,
                "\nnamespace {} kept for inspection (verify.keep)",
                self.namespace
            ),
            Cleanup::Deleted => write!(f, "\nnamespace {} deleted", self.namespace),
            Cleanup::Failed(e) => write!(
                f,
                "\nnamespace {} could not be deleted: {e}",
                self.namespace
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(object: &str, reason: &str, count: u32, message: &str) -> EventSummary {
        EventSummary {
            event_type: "Warning".into(),
            reason: reason.into(),
            message: message.into(),
            count,
            object: object.into(),
        }
    }

    #[test]
    fn names_the_stage_the_events_the_logs_and_the_cleanup() {
        let report = Report {
            namespace: "xefs-verify".into(),
            failure: Failure::at(Stage::WriterRunning)(
                StepError::permanent("timed out after 600s waiting for the writer")
                    .with_code("Timeout"),
            ),
            evidence: Evidence {
                warnings: vec![
                    event(
                        "Pod xefs-verify/xefs-writer",
                        "FailedMount",
                        4,
                        "MountVolume.SetUp failed: mount.nfs4: Connection timed out\n",
                    ),
                    event(
                        "Pod xefs-verify/xefs-reader",
                        "FailedScheduling",
                        1,
                        "0/3 nodes",
                    ),
                ],
                unreadable_events: vec!["Pod xefs-verify/xefs-reader: forbidden".into()],
                logs: vec![("xefs-writer".into(), "line 1\nline 2".into())],
            },
            cleanup: Cleanup::Failed(StepError::retryable("etcd is slow")),
        };
        assert_eq!(
            report.to_string(),
            "verification failed: writer did not start: timed out after 600s waiting for the writer (Timeout)\n\
             Warning events:\n  \
             Pod xefs-verify/xefs-writer: FailedMount (×4): MountVolume.SetUp failed: mount.nfs4: Connection timed out\n  \
             Pod xefs-verify/xefs-reader: FailedScheduling: 0/3 nodes\n\
             (events not read: Pod xefs-verify/xefs-reader: forbidden)\n\
             log of pod xefs-writer:\n  line 1\n  line 2\n\
             namespace xefs-verify could not be deleted: etcd is slow"
        );
        let error = report.into_error();
        assert!(!error.is_retryable());
        assert_eq!(error.code(), Some("Timeout"));
    }

    #[test]
    fn says_so_when_there_are_no_events() {
        let report = Report {
            namespace: "ns".into(),
            failure: Failure::at(Stage::LineSeen)(StepError::permanent("timed out")),
            evidence: Evidence::default(),
            cleanup: Cleanup::Kept,
        };
        assert_eq!(
            report.to_string(),
            "verification failed: reader never saw the line: timed out\n\
             no Warning events about the claim or the pods\n\
             namespace ns kept for inspection (verify.keep)"
        );
    }
}
