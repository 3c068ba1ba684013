//! A world whose AWS side is wrong: the verify phase fails where a real cluster would, with
//! the events a real cluster shows.

use std::sync::Arc;

use xefs_core::blueprint::Phase;

use super::cluster;
use super::flow::{Harness, TestResult};
use crate::fake::{
    MountOracle, MountRequest, NFS_CONNECTION_TIMED_OUT, PROVISIONING_ACCESS_DENIED,
    ProvisionRequest, SimFailure,
};

/// Refuses provisioning, or mounting, as told.
struct Broken {
    provision: bool,
    mount: bool,
}

impl MountOracle for Broken {
    fn provision(&self, _request: &ProvisionRequest) -> Result<(), SimFailure> {
        if self.provision {
            return Err(SimFailure::provisioning_access_denied());
        }
        Ok(())
    }

    fn mount(&self, request: &MountRequest) -> Result<(), SimFailure> {
        if self.mount {
            return Err(SimFailure::mount_connection_timed_out(request));
        }
        Ok(())
    }
}

/// The verify phase's error on a cluster judged by `oracle`.
async fn verify_error(test: &str, oracle: Broken) -> Result<String, Box<dyn std::error::Error>> {
    let fake = cluster().with_oracle(Arc::new(oracle));
    let mut h = Harness::new(test, fake)?;
    h.install().await?;
    let plan = h.plan(&[Phase::Verify])?;
    let report = h.engine.apply(&plan, &mut h.state).await?;
    assert!(!report.is_success());
    let failure = report.failures.first().ok_or("verify did not fail")?;
    assert!(!failure.error.is_retryable());
    Ok(failure.error.to_string())
}

#[tokio::test(start_paused = true)]
async fn denied_provisioning_fails_at_the_claim_with_the_provisioners_event() -> TestResult {
    let message = verify_error(
        "denied",
        Broken {
            provision: true,
            mount: false,
        },
    )
    .await?;
    assert!(
        message.contains("verification failed: claim did not bind"),
        "{message}"
    );
    assert!(
        message.contains("PersistentVolumeClaim xefs-verify/xefs-verify: ProvisioningFailed (×"),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "failed to provision volume with StorageClass \"efs-sc\": {PROVISIONING_ACCESS_DENIED}"
        )),
        "{message}"
    );
    assert!(
        message.contains("Pod xefs-verify/xefs-writer: FailedScheduling"),
        "{message}"
    );
    assert!(
        message.contains("namespace xefs-verify deleted"),
        "{message}"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_mount_that_times_out_fails_at_the_writer_with_the_kubelets_event() -> TestResult {
    let message = verify_error(
        "timeout",
        Broken {
            provision: false,
            mount: true,
        },
    )
    .await?;
    assert!(
        message.contains("verification failed: writer did not start"),
        "{message}"
    );
    assert!(
        message.contains("Pod xefs-verify/xefs-writer: FailedMount (×"),
        "{message}"
    );
    assert!(
        message.contains("MountVolume.SetUp failed for volume \"pvc-"),
        "{message}"
    );
    assert!(message.contains(NFS_CONNECTION_TIMED_OUT), "{message}");
    assert!(!message.contains("ProvisioningFailed"), "{message}");
    Ok(())
}
