//! Save and load: a world saved mid-install resumes where it stopped.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;
use xefs_core::blueprint::{addr, manifests};
use xefs_core::sim::{SimClock, SimTime};

use super::{NS, cluster};
use crate::fake::{AlwaysWorks, FakeCluster};
use crate::steps::test_support::spec_at;
use crate::{Cluster, Condition, K8sResult, ObjectRef};

#[tokio::test(start_paused = true)]
async fn a_world_saved_mid_install_resumes_where_it_stopped() -> K8sResult<()> {
    let c = cluster();
    let group = spec_at!(addr::OPERATOR_GROUP, OperatorGroup);
    c.apply(&manifests::operator_group(&group, "demo")).await?;
    let sub = spec_at!(addr::SUBSCRIPTION, Subscription);
    c.apply(&manifests::subscription(&sub, "demo")).await?;
    tokio::time::sleep(Duration::from_secs(20)).await;
    let operator = ObjectRef::new(
        "apps/v1",
        "Deployment",
        Some(NS),
        "aws-efs-csi-driver-operator",
    );
    let halfway = c.get(&operator).await?;
    assert!(halfway.is_some(), "the CSV has created the Deployment");
    assert!(!Condition::DeploymentAvailable.is_met(halfway.as_ref()));
    let before = c.inventory();
    let saved = c.save()?;
    drop(c);

    // Another process, later in real time: the world's clock resumes where it stopped.
    let at = FakeCluster::saved_time(&saved);
    assert_eq!(at, Some(SimTime::from_millis(20_000)));
    let clock = SimClock::starting_at(at.unwrap_or_default());
    let resumed = FakeCluster::load(saved.clone(), clock, Arc::new(AlwaysWorks))?;
    assert_eq!(resumed.inventory(), before);
    assert_eq!(
        resumed.save()?,
        saved,
        "saving again at once changes nothing"
    );
    let start = Instant::now();
    resumed
        .wait_for(
            &operator,
            Condition::DeploymentAvailable,
            Duration::from_secs(600),
        )
        .await?;
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(20),
        "the rest of the 40 s"
    );
    assert_eq!(resumed.clock().now(), SimTime::from_millis(40_000));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_save_of_another_format_is_refused() {
    let e = FakeCluster::load(
        json!({ "format": 99 }),
        SimClock::new(),
        Arc::new(AlwaysWorks),
    )
    .err()
    .map(|e| e.to_string());
    assert_eq!(
        e.as_deref(),
        Some(
            "load: cannot load the simulated cluster: format Some(99), this version reads format 1"
        )
    );
}
