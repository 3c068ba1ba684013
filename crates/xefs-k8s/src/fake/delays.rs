//! How long the simulated controllers take: realistic by default, so that waits, progress and
//! measured durations look like a real install; [`Delays::instant`] for unit tests.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The simulated controllers' latencies. Retries after a failure keep their own backoff (the
/// external-provisioner's 1 s → 5 min, the kubelet's 0.5 s → 2 min 2 s, the scheduler's
/// 1 s → 10 s) whatever these say, so a failing world never spins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delays {
    /// Subscription → InstallPlan (OLM resolves the catalog).
    pub olm_resolve: Duration,
    /// Approved InstallPlan → ClusterServiceVersion and operator Deployment created.
    pub olm_install: Duration,
    /// Operator Deployment created → available (CSV `Succeeded`).
    pub operator_rollout: Duration,
    /// `ClusterCSIDriver` seen by the operator → controller Deployment and node DaemonSet
    /// ready.
    pub driver_rollout: Duration,
    /// Claim seen by the CSI provisioner → access point created (or the attempt failed).
    pub provision: Duration,
    /// Pod scheduled → volumes mounted, image pulled, container running.
    pub pod_start: Duration,
    /// Namespace `Terminating` → gone with everything in it.
    pub namespace_deletion: Duration,
}

impl Delays {
    /// Everything at once: a unit test sees each controller's result on its next call.
    pub const fn instant() -> Self {
        Self {
            olm_resolve: Duration::ZERO,
            olm_install: Duration::ZERO,
            operator_rollout: Duration::ZERO,
            driver_rollout: Duration::ZERO,
            provision: Duration::ZERO,
            pod_start: Duration::ZERO,
            namespace_deletion: Duration::ZERO,
        }
    }

    /// Subscription → operator available, with Automatic approval.
    pub fn operator_install(&self) -> Duration {
        self.olm_resolve + self.olm_install + self.operator_rollout
    }
}

impl Default for Delays {
    /// About what a ROSA cluster shows: the operator about 40 s after its Subscription, the
    /// driver about 30 s after its `ClusterCSIDriver`, a volume in about 3 s, a pod in about
    /// 5 s, a namespace gone about 5 s after its deletion.
    fn default() -> Self {
        Self {
            olm_resolve: Duration::from_secs(5),
            olm_install: Duration::from_secs(10),
            operator_rollout: Duration::from_secs(25),
            driver_rollout: Duration::from_secs(30),
            provision: Duration::from_secs(3),
            pod_start: Duration::from_secs(5),
            namespace_deletion: Duration::from_secs(5),
        }
    }
}
