//! The simulated controllers, driven by the objects xefs itself emits.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;
use xefs_core::blueprint::manifests::{self, verify_names};
use xefs_core::blueprint::{Address, addr, out};
use xefs_core::spec::InstallPlanApproval;
use xefs_core::step::{Inputs, StepOutputs};

use super::{NS, cluster, instant_cluster};
use crate::fake::{FakeCluster, OPERATOR_CSV};
use crate::steps::test_support::spec_at;
use crate::{Cluster, Condition, K8sResult, ObjectRef, Propagation};

pub(super) const FS: &str = "fs-0123456789abcdef0";
const OLM: &str = "operators.coreos.com/v1alpha1";
const OPERATOR: &str = "aws-efs-csi-driver-operator";

fn deployment(name: &str) -> ObjectRef {
    ObjectRef::new("apps/v1", "Deployment", Some(NS), name)
}

fn subscription_ref() -> ObjectRef {
    ObjectRef::new(OLM, "Subscription", Some(NS), OPERATOR)
}

async fn get(c: &FakeCluster, r: &ObjectRef) -> K8sResult<Value> {
    Ok(c.get(r).await?.unwrap_or(Value::Null))
}

/// The example's OperatorGroup and Subscription (with this approval).
async fn subscribe(c: &FakeCluster, approval: InstallPlanApproval) -> K8sResult<()> {
    let group = spec_at!(addr::OPERATOR_GROUP, OperatorGroup);
    c.apply(&manifests::operator_group(&group, "demo")).await?;
    let sub = xefs_core::blueprint::steps::Subscription {
        approval,
        ..spec_at!(addr::SUBSCRIPTION, Subscription)
    };
    c.apply(&manifests::subscription(&sub, "demo")).await?;
    Ok(())
}

/// Everything up to a ready driver: the cloud credentials, the operator, the
/// `ClusterCSIDriver`.
pub(super) async fn install_driver(c: &FakeCluster) -> K8sResult<()> {
    let creds = spec_at!(addr::CLOUD_CREDENTIALS, CloudCredentialsSecret);
    c.apply(&manifests::cloud_credentials_secret(&creds, "demo"))
        .await?;
    subscribe(c, InstallPlanApproval::Automatic).await?;
    let long = Duration::from_secs(600);
    c.wait_for(&deployment(OPERATOR), Condition::DeploymentAvailable, long)
        .await?;
    let ccd = spec_at!(addr::CSI_DRIVER, ClusterCsiDriver);
    c.apply(&manifests::cluster_csi_driver(&ccd, "demo"))
        .await?;
    c.wait_for(
        &deployment("aws-efs-csi-driver-controller"),
        Condition::DeploymentAvailable,
        long,
    )
    .await?;
    Ok(())
}

/// The StorageClass of file system [`FS`], its provisioner secret and the RBAC to read it.
pub(super) async fn storage(c: &FakeCluster) -> K8sResult<()> {
    let cross = spec_at!(addr::CROSS_ACCOUNT_SECRET, CrossAccountSecret);
    c.apply(&manifests::cross_account_secret(&cross, "demo"))
        .await?;
    let rbac = spec_at!(addr::SECRET_READER, SecretReaderRbac);
    for object in manifests::secret_reader_rbac(&rbac, "demo") {
        c.apply(&object).await?;
    }
    c.apply(&storage_class_manifest()).await?;
    Ok(())
}

pub(super) fn storage_class_manifest() -> Value {
    let spec = spec_at!(addr::STORAGE_CLASS, StorageClass);
    let outputs = StepOutputs::new()
        .with(out::FILE_SYSTEM_ID, FS)
        .unwrap_or_default();
    let inputs = Inputs::new().with(
        Address::parse(addr::FILE_SYSTEM).unwrap_or_else(|e| panic!("{e}")),
        outputs,
    );
    manifests::storage_class(&spec, "demo", &inputs).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(start_paused = true)]
async fn olm_installs_the_operator_forty_seconds_after_the_subscription() -> K8sResult<()> {
    let c = cluster();
    let start = Instant::now();
    subscribe(&c, InstallPlanApproval::Automatic).await?;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let sub = get(&c, &subscription_ref()).await?;
    assert_eq!(sub["status"]["state"], "UpgradePending");
    assert_eq!(sub["status"]["currentCSV"], OPERATOR_CSV);
    let plan = sub["status"]["installPlanRef"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(plan.starts_with("install-"), "{plan}");
    assert!(c.get(&deployment(OPERATOR)).await?.is_none());

    let available = c
        .wait_for(
            &deployment(OPERATOR),
            Condition::DeploymentAvailable,
            Duration::from_secs(600),
        )
        .await?;
    assert_eq!(start.elapsed(), Duration::from_secs(40));
    assert_eq!(
        available["metadata"]["ownerReferences"][0]["kind"],
        "ClusterServiceVersion"
    );
    let sub = get(&c, &subscription_ref()).await?;
    assert_eq!(sub["status"]["installedCSV"], OPERATOR_CSV);
    assert_eq!(sub["status"]["state"], "AtLatestKnown");
    let plan = get(&c, &ObjectRef::new(OLM, "InstallPlan", Some(NS), &plan)).await?;
    assert_eq!(plan["status"]["phase"], "Complete");
    let csv = get(
        &c,
        &ObjectRef::new(OLM, "ClusterServiceVersion", Some(NS), OPERATOR_CSV),
    )
    .await?;
    assert_eq!(csv["status"]["phase"], "Succeeded");

    // Deleting the Subscription takes its InstallPlan, not the CSV; deleting the CSV takes the
    // operator.
    assert!(
        c.delete(&subscription_ref(), Propagation::Background)
            .await?
    );
    assert!(
        c.list(OLM, "InstallPlan", Some(NS.into()), None)
            .await?
            .is_empty()
    );
    assert!(c.get(&deployment(OPERATOR)).await?.is_some());
    let csv = ObjectRef::new(OLM, "ClusterServiceVersion", Some(NS), OPERATOR_CSV);
    assert!(c.delete(&csv, Propagation::Background).await?);
    assert!(c.get(&deployment(OPERATOR)).await?.is_none());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn manual_approval_waits_for_the_plan_to_be_approved() -> K8sResult<()> {
    let c = cluster();
    subscribe(&c, InstallPlanApproval::Manual).await?;
    tokio::time::sleep(Duration::from_secs(300)).await;
    let sub = get(&c, &subscription_ref()).await?;
    let plan_name = sub["status"]["installPlanRef"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let plan_ref = ObjectRef::new(OLM, "InstallPlan", Some(NS), &plan_name);
    let plan = get(&c, &plan_ref).await?;
    assert_eq!(plan["status"]["phase"], "RequiresApproval");
    assert_eq!(plan["spec"]["approved"], false);
    assert_eq!(
        plan["spec"]["clusterServiceVersionNames"],
        json!([OPERATOR_CSV])
    );
    assert!(c.get(&deployment(OPERATOR)).await?.is_none());
    // What the subscription step applies to approve it.
    let approved = c
        .apply(&json!({ "apiVersion": OLM, "kind": "InstallPlan",
                        "metadata": { "name": plan_name, "namespace": NS },
                        "spec": { "approved": true } }))
        .await?;
    assert_eq!(
        approved["spec"]["approval"], "Manual",
        "fields OLM owns are kept"
    );
    let start = Instant::now();
    c.wait_for(
        &deployment(OPERATOR),
        Condition::DeploymentAvailable,
        Duration::from_secs(600),
    )
    .await?;
    assert_eq!(start.elapsed(), Duration::from_secs(35));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn olm_explains_a_missing_operator_group_and_an_unknown_channel() -> K8sResult<()> {
    let c = instant_cluster();
    let sub = spec_at!(addr::SUBSCRIPTION, Subscription);
    c.apply(&manifests::subscription(&sub, "demo")).await?;
    let csv = get(
        &c,
        &ObjectRef::new(OLM, "ClusterServiceVersion", Some(NS), OPERATOR_CSV),
    )
    .await?;
    assert_eq!(csv["status"]["phase"], "Failed");
    assert_eq!(csv["status"]["reason"], "NoOperatorGroup");
    assert!(c.get(&deployment(OPERATOR)).await?.is_none());
    // An OperatorGroup lets the CSV install.
    let group = spec_at!(addr::OPERATOR_GROUP, OperatorGroup);
    c.apply(&manifests::operator_group(&group, "demo")).await?;
    let operator = get(&c, &deployment(OPERATOR)).await?;
    assert!(Condition::DeploymentAvailable.is_met(Some(&operator)));

    let other = instant_cluster();
    let preview = xefs_core::blueprint::steps::Subscription {
        channel: "preview".into(),
        ..sub
    };
    other
        .apply(&manifests::subscription(&preview, "demo"))
        .await?;
    let status = get(&other, &subscription_ref()).await?["status"].clone();
    assert_eq!(status["conditions"][0]["type"], "ResolutionFailed");
    assert!(
        status["conditions"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no operators found in channel preview")),
        "{status}"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_driver_waits_for_its_cloud_credentials() -> K8sResult<()> {
    let c = cluster();
    subscribe(&c, InstallPlanApproval::Automatic).await?;
    c.wait_for(
        &deployment(OPERATOR),
        Condition::DeploymentAvailable,
        Duration::from_secs(600),
    )
    .await?;
    let start = Instant::now();
    let ccd = spec_at!(addr::CSI_DRIVER, ClusterCsiDriver);
    c.apply(&manifests::cluster_csi_driver(&ccd, "demo"))
        .await?;
    let node = ObjectRef::new("apps/v1", "DaemonSet", Some(NS), "aws-efs-csi-driver-node");
    let ds = c
        .wait_for(&node, Condition::DaemonSetReady, Duration::from_secs(600))
        .await?;
    assert_eq!(start.elapsed(), Duration::from_secs(30));
    assert_eq!(ds["status"]["numberReady"], 6, "on every node");
    let controller = deployment("aws-efs-csi-driver-controller");
    let e = c
        .wait_for(
            &controller,
            Condition::DeploymentAvailable,
            Duration::from_secs(120),
        )
        .await
        .expect_err("no credentials, no controller");
    assert!(
        e.message.contains("MinimumReplicasUnavailable"),
        "{}",
        e.message
    );
    let driver = get(
        &c,
        &ObjectRef::new(
            "operator.openshift.io/v1",
            "ClusterCSIDriver",
            None,
            "efs.csi.aws.com",
        ),
    )
    .await?;
    let degraded = driver["status"]["conditions"]
        .as_array()
        .and_then(|cs| {
            cs.iter()
                .find(|c| c["type"] == "AWSEFSDriverControllerServiceControllerDegraded")
                .cloned()
        })
        .unwrap_or_default();
    assert_eq!(degraded["status"], "True");
    assert!(
        degraded["message"]
            .as_str()
            .is_some_and(|m| m.contains("secret \"aws-efs-cloud-credentials\" not found"))
    );

    let creds = spec_at!(addr::CLOUD_CREDENTIALS, CloudCredentialsSecret);
    c.apply(&manifests::cloud_credentials_secret(&creds, "demo"))
        .await?;
    let start = Instant::now();
    c.wait_for(
        &controller,
        Condition::DeploymentAvailable,
        Duration::from_secs(120),
    )
    .await?;
    assert_eq!(start.elapsed(), Duration::from_secs(30));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_claim_binds_and_the_reader_sees_the_writers_line_from_another_node() -> K8sResult<()> {
    let c = instant_cluster();
    install_driver(&c).await?;
    storage(&c).await?;
    let verify = spec_at!(addr::VERIFY, Verify);
    for object in manifests::verify_objects(&verify, "demo") {
        c.apply(&object).await?;
    }
    let vns = verify.namespace.as_str();
    let claim = get(
        &c,
        &ObjectRef::new(
            "v1",
            "PersistentVolumeClaim",
            Some(vns),
            verify_names::CLAIM,
        ),
    )
    .await?;
    assert_eq!(claim["status"]["phase"], "Bound");
    let volume = claim["spec"]["volumeName"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let pv = get(&c, &ObjectRef::new("v1", "PersistentVolume", None, &volume)).await?;
    let handle = pv["spec"]["csi"]["volumeHandle"]
        .as_str()
        .unwrap_or_default();
    assert!(handle.starts_with(&format!("{FS}::fsap-")), "{handle}");
    assert_eq!(pv["spec"]["mountOptions"], json!(["iam"]));
    let pod = |name: &str| ObjectRef::new("v1", "Pod", Some(vns), name);
    let writer = get(&c, &pod(verify_names::WRITER)).await?;
    let reader = get(&c, &pod(verify_names::READER)).await?;
    assert_eq!(
        (
            writer["status"]["phase"].clone(),
            reader["status"]["phase"].clone()
        ),
        (json!("Running"), json!("Running"))
    );
    assert_ne!(
        writer["spec"]["nodeName"], reader["spec"]["nodeName"],
        "anti-affinity"
    );
    let workers: Vec<String> = c
        .nodes(Some("node-role.kubernetes.io/worker".into()))
        .await?
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert!(
        workers
            .iter()
            .any(|w| writer["spec"]["nodeName"] == w.as_str())
    );
    // The reader polls every 2 s until the line is there.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        c.pod_logs(vns, verify_names::READER).await?,
        format!("{}\n", verify_names::LINE)
    );
    let files = c.inventory().volumes;
    assert_eq!(
        files[&volume]["/verify"],
        format!("{}\n", verify_names::LINE)
    );
    let events = c.events(vns, verify_names::WRITER).await?;
    let reasons: Vec<&str> = events.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(
        reasons,
        ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    );
    // The namespace goes with the claim, and the claim's volume with it.
    let ns = ObjectRef::new("v1", "Namespace", None, vns);
    c.delete(&ns, Propagation::Foreground).await?;
    c.wait_for(&ns, Condition::Deleted, Duration::from_secs(60))
        .await?;
    assert!(
        c.get(&ObjectRef::new("v1", "PersistentVolume", None, &volume))
            .await?
            .is_none()
    );
    assert!(!c.inventory().volumes.contains_key(&volume));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_provisioner_needs_the_class_the_secret_and_the_right_to_read_it() -> K8sResult<()> {
    let c = instant_cluster();
    install_driver(&c).await?;
    let verify = spec_at!(addr::VERIFY, Verify);
    let [ns, claim, ..] = manifests::verify_objects(&verify, "demo");
    c.apply(&ns).await?;
    c.apply(&claim).await?;
    let vns = verify.namespace.as_str();
    let warnings = |events: Vec<crate::EventSummary>| -> Vec<String> {
        events
            .into_iter()
            .filter(|e| e.event_type == "Warning")
            .map(|e| e.message)
            .collect()
    };
    assert_eq!(
        warnings(c.events(vns, verify_names::CLAIM).await?),
        ["storageclass.storage.k8s.io \"efs-sc\" not found"]
    );
    c.apply(&storage_class_manifest()).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let messages = warnings(c.events(vns, verify_names::CLAIM).await?);
    assert!(
        messages.iter().any(|m| m
            == "failed to provision volume with StorageClass \"efs-sc\": error getting secret \
                cross-account-arn in namespace openshift-cluster-csi-drivers: secrets \
                \"cross-account-arn\" not found"),
        "{messages:?}"
    );
    let cross = spec_at!(addr::CROSS_ACCOUNT_SECRET, CrossAccountSecret);
    c.apply(&manifests::cross_account_secret(&cross, "demo"))
        .await?;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let messages = warnings(c.events(vns, verify_names::CLAIM).await?);
    assert!(
        messages.iter().any(|m| m.contains(
            "User \"system:serviceaccount:openshift-cluster-csi-drivers:aws-efs-csi-driver-controller-sa\" \
             cannot get resource \"secrets\""
        )),
        "{messages:?}"
    );
    let rbac = spec_at!(addr::SECRET_READER, SecretReaderRbac);
    for object in manifests::secret_reader_rbac(&rbac, "demo") {
        c.apply(&object).await?;
    }
    let claim_ref = ObjectRef::new(
        "v1",
        "PersistentVolumeClaim",
        Some(vns),
        verify_names::CLAIM,
    );
    c.wait_for(&claim_ref, Condition::PvcBound, Duration::from_secs(600))
        .await?;
    Ok(())
}
