//! How long things take in the fake: each call, and the states AWS moves through on its own.

use std::time::Duration;

/// The fake's timings, on tokio's clock through the world's
/// [`SimClock`](xefs_core::sim::SimClock): under a paused runtime a ninety-second mount target
/// costs no real time, yet every wait reads as ninety seconds.
///
/// The defaults are what AWS takes in practice, so `--simulate` shows plausible progress and
/// whole-flow tests exercise the waits and retries the real procedure meets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latency {
    /// Each call's round trip, drawn evenly between the two (50–200 ms).
    pub per_call: (Duration, Duration),
    /// A new file system is `creating` this long (5 s).
    pub file_system_available: Duration,
    /// `UpdateFileSystem` leaves it `updating` this long (5 s).
    pub file_system_update: Duration,
    /// A deleted file system stays `deleting` this long (10 s).
    pub file_system_deletion: Duration,
    /// A new mount target is `creating` this long (90 s).
    pub mount_target_available: Duration,
    /// A deleted mount target stays `deleting` this long, holding its security group (30 s).
    pub mount_target_deletion: Duration,
    /// The accepter's account sees a peering request this long after it is made (1 s).
    pub peering_visible: Duration,
    /// An accepted peering is `provisioning` this long before `active` (2 s).
    pub peering_active: Duration,
    /// A deleted peering is `deleting` this long before `deleted` (1 s).
    pub peering_deletion: Duration,
    /// A new role cannot be named as a principal in a trust or file-system policy for this
    /// long (10 s): IAM's propagation, answered with a retryable "Invalid principal".
    pub iam_propagation: Duration,
}

impl Default for Latency {
    fn default() -> Self {
        Self {
            per_call: (Duration::from_millis(50), Duration::from_millis(200)),
            file_system_available: Duration::from_secs(5),
            file_system_update: Duration::from_secs(5),
            file_system_deletion: Duration::from_secs(10),
            mount_target_available: Duration::from_secs(90),
            mount_target_deletion: Duration::from_secs(30),
            peering_visible: Duration::from_secs(1),
            peering_active: Duration::from_secs(2),
            peering_deletion: Duration::from_secs(1),
            iam_propagation: Duration::from_secs(10),
        }
    }
}

impl Latency {
    /// Nothing takes time: every resource is ready at once, like moto. For unit tests that
    /// check rules, not waits.
    pub fn instant() -> Self {
        Self {
            per_call: (Duration::ZERO, Duration::ZERO),
            file_system_available: Duration::ZERO,
            file_system_update: Duration::ZERO,
            file_system_deletion: Duration::ZERO,
            mount_target_available: Duration::ZERO,
            mount_target_deletion: Duration::ZERO,
            peering_visible: Duration::ZERO,
            peering_active: Duration::ZERO,
            peering_deletion: Duration::ZERO,
            iam_propagation: Duration::ZERO,
        }
    }

    /// Every duration divided by `factor` (at least 1): the world's pace for `--simulate`, where
    /// a demo should not take the minutes AWS does.
    #[must_use]
    pub fn scaled_down(&self, factor: u32) -> Self {
        let f = factor.max(1);
        Self {
            per_call: (self.per_call.0 / f, self.per_call.1 / f),
            file_system_available: self.file_system_available / f,
            file_system_update: self.file_system_update / f,
            file_system_deletion: self.file_system_deletion / f,
            mount_target_available: self.mount_target_available / f,
            mount_target_deletion: self.mount_target_deletion / f,
            peering_visible: self.peering_visible / f,
            peering_active: self.peering_active / f,
            peering_deletion: self.peering_deletion / f,
            iam_propagation: self.iam_propagation / f,
        }
    }
}
