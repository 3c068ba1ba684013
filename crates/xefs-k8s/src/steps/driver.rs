//! `ClusterCSIDriver/efs.csi.aws.com`: the operator installs the driver when it sees it
//! Managed. Done when the controller Deployment is available and the node DaemonSet is ready
//! on every node; until then the object is reported drifted, so that `ensure` waits.
//!
//! Removing it makes the operator remove the driver's workloads, and only then its finalizer:
//! `remove` waits for that, so the operator (removed next, with the Subscription) is still
//! there to do it.

use serde_json::Value;
use tokio::time::Instant;
use xefs_core::blueprint::manifests;
use xefs_core::blueprint::steps::ClusterCsiDriver;
use xefs_core::step::{Ensured, FieldDiff, Observation, Step, StepContext, StepError, StepOutputs};

use super::common::{Kube, TIMEOUT_CODE, awaited, object_ref, remaining, typed};
use super::output_names::NAME;
use crate::objects::ClusterCSIDriver;
use crate::{ClusterHandle, Condition, ObjectRef, Propagation};

/// The diff field of a driver whose workloads are not ready yet.
const DRIVER_FIELD: &str = "driver";
/// The management state that makes the operator install the driver.
const MANAGED: &str = "Managed";

/// The `ClusterCSIDriver` that turns the EFS CSI driver on; done when its controller and node
/// DaemonSet are ready (bounded by `K8sOptions::driver_timeout`).
///
/// Outputs `name`.
#[derive(Debug, Clone)]
pub struct ClusterCsiDriverStep {
    spec: ClusterCsiDriver,
    handle: ClusterHandle,
}

impl ClusterCsiDriverStep {
    /// The `ClusterCSIDriver` `spec` describes, on the cluster of `handle`.
    pub fn new(spec: ClusterCsiDriver, handle: ClusterHandle) -> Self {
        Self { spec, handle }
    }

    fn manifest(&self) -> Value {
        manifests::cluster_csi_driver(&self.spec, self.handle.stack.as_str())
    }

    fn driver_ref(&self) -> Result<ObjectRef, StepError> {
        object_ref(&self.manifest())
    }

    fn controller_ref(&self) -> ObjectRef {
        ObjectRef::new(
            "apps/v1",
            "Deployment",
            Some(self.spec.namespace.as_str()),
            self.spec.controller_deployment.as_str(),
        )
    }

    fn node_ref(&self) -> ObjectRef {
        ObjectRef::new(
            "apps/v1",
            "DaemonSet",
            Some(self.spec.namespace.as_str()),
            self.spec.node_daemonset.as_str(),
        )
    }

    fn outputs(&self) -> Result<StepOutputs, StepError> {
        StepOutputs::new().with(NAME, self.spec.name.as_str())
    }

    /// The controller and node workloads in words when they are not ready, `None` when they
    /// are.
    async fn workloads_not_ready(&self, kube: &Kube<'_>) -> Result<Option<String>, StepError> {
        let controller = kube.get(&self.controller_ref()).await?;
        let node = kube.get(&self.node_ref()).await?;
        let mut problems = Vec::new();
        match &controller {
            None => problems.push("no controller Deployment".to_owned()),
            Some(_) if !Condition::DeploymentAvailable.is_met(controller.as_ref()) => {
                problems.push("controller not available".to_owned());
            }
            Some(_) => {}
        }
        match &node {
            None => problems.push("no node DaemonSet".to_owned()),
            Some(ds) if !Condition::DaemonSetReady.is_met(Some(ds)) => {
                let status = &ds["status"];
                problems.push(format!(
                    "node DaemonSet ready on {}/{} nodes",
                    status["numberReady"].as_i64().unwrap_or(0),
                    status["desiredNumberScheduled"].as_i64().unwrap_or(0)
                ));
            }
            Some(_) => {}
        }
        Ok((!problems.is_empty()).then(|| problems.join(", ")))
    }

    /// A timed-out wait for the driver, with what the operator says in the
    /// `ClusterCSIDriver`'s conditions (a degraded one names the cause: credentials the
    /// operator cannot use, an image it cannot pull).
    async fn explain_timeout(&self, kube: &Kube<'_>, error: StepError) -> StepError {
        if error.code() != Some(TIMEOUT_CODE) {
            return error;
        }
        let mut message = error.message().to_owned();
        let live = match self.driver_ref() {
            Ok(r) => kube
                .get(&r)
                .await
                .ok()
                .flatten()
                .and_then(|live| typed::<ClusterCSIDriver>(&r, live).ok()),
            Err(_) => None,
        };
        let conditions = live.and_then(|d| d.status).map(|s| s.conditions);
        for c in conditions.into_iter().flatten() {
            let bad = (c.type_.ends_with("Degraded") && c.status == "True")
                || (c.type_.ends_with("Available") && c.status == "False");
            if bad {
                message.push_str(&format!(
                    "; {} is {}: {}",
                    c.type_,
                    c.status,
                    c.message.or(c.reason).unwrap_or_default()
                ));
            }
        }
        message.push_str(&format!(
            "; see `oc get clustercsidriver {} -o yaml` and `oc get pods -n {}`",
            self.spec.name, self.spec.namespace
        ));
        StepError::permanent(message).with_code(TIMEOUT_CODE)
    }

    async fn wait_until_ready(&self, kube: &Kube<'_>) -> Result<(), StepError> {
        let start = Instant::now();
        let budget = self.handle.options.driver_timeout;
        let controller = self.controller_ref();
        let node = self.node_ref();
        kube.wait_for(
            &controller,
            Condition::DeploymentAvailable,
            remaining(start, budget),
            &format!(
                "the driver's controller: {}",
                awaited(&controller, Condition::DeploymentAvailable)
            ),
        )
        .await?;
        kube.wait_for(
            &node,
            Condition::DaemonSetReady,
            remaining(start, budget),
            &format!(
                "the driver's node DaemonSet: {}",
                awaited(&node, Condition::DaemonSetReady)
            ),
        )
        .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Step for ClusterCsiDriverStep {
    fn describe(&self) -> String {
        format!(
            "ClusterCSIDriver {} (Managed); wait for the controller {} and the node DaemonSet {}",
            self.spec.name, self.spec.controller_deployment, self.spec.node_daemonset
        )
    }

    fn expected_duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(90)
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let kube = Kube::new(&self.handle, ctx);
        let reference = self.driver_ref()?;
        let Some(live) = kube.get(&reference).await? else {
            return Ok(Observation::Absent);
        };
        let live: ClusterCSIDriver = typed(&reference, live)?;
        let mut diff = Vec::new();
        if live.spec.management_state != MANAGED {
            diff.push(FieldDiff::new(
                "managementState",
                live.spec.management_state,
                MANAGED,
            ));
        }
        if let Some(state) = self.workloads_not_ready(&kube).await? {
            diff.push(FieldDiff::new(DRIVER_FIELD, state, "ready"));
        }
        let outputs = self.outputs()?;
        Ok(Observation::found(outputs, diff))
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        let outputs = self.outputs()?;
        if let Observation::Present(_) = observed {
            return Ok(Ensured::unchanged(outputs));
        }
        let kube = Kube::new(&self.handle, ctx);
        // Workloads that are not ready yet need only the wait.
        let write = match observed {
            Observation::Drifted { diff, .. } => diff.iter().any(|d| d.field != DRIVER_FIELD),
            _ => true,
        };
        if write {
            kube.apply(&self.manifest()).await?;
        }
        if let Err(e) = self.wait_until_ready(&kube).await {
            return Err(self.explain_timeout(&kube, e).await);
        }
        Ok(match observed {
            Observation::Absent => Ensured::created(outputs),
            _ if write => Ensured::updated(outputs),
            _ => Ensured::unchanged(outputs),
        })
    }

    async fn remove(&self, ctx: &StepContext, _recorded: &StepOutputs) -> Result<(), StepError> {
        let kube = Kube::new(&self.handle, ctx);
        let reference = self.driver_ref()?;
        kube.delete_and_wait(&reference, Propagation::Background)
            .await
            .map_err(|e| {
                if e.code() != Some(TIMEOUT_CODE) {
                    return e;
                }
                StepError::permanent(format!(
                    "{}; the operator removes the ClusterCSIDriver's finalizer once it has \
                     removed the driver. If the operator is gone, remove the finalizer by hand: \
                     `oc patch clustercsidriver {} --type merge -p '{{\"metadata\":{{\"finalizers\":null}}}}'`",
                    e.message(),
                    self.spec.name
                ))
                .with_code(TIMEOUT_CODE)
            })
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use xefs_core::blueprint::addr;
    use xefs_core::step::Change;

    use super::*;
    use crate::MockCluster;
    use crate::steps::test_support::{
        NS, available_deployment, ctx, ctx_with_events, expect_apply, expect_delete, expect_get,
        expect_wait, expect_wait_timeout, handle, is, no_writes, ready_daemonset, spec_at,
        unavailable_deployment, unready_daemonset, waits,
    };

    const DRIVER: &str = "efs.csi.aws.com";
    const CONTROLLER: &str = "aws-efs-csi-driver-controller";
    const NODE: &str = "aws-efs-csi-driver-node";

    fn spec() -> ClusterCsiDriver {
        spec_at!(addr::CSI_DRIVER, ClusterCsiDriver)
    }

    fn live_driver(state: &str, conditions: Value) -> Value {
        json!({
            "apiVersion": "operator.openshift.io/v1", "kind": "ClusterCSIDriver",
            "metadata": { "name": DRIVER },
            "spec": { "managementState": state },
            "status": { "conditions": conditions }
        })
    }

    fn expect_ready_waits(mock: &mut MockCluster) {
        expect_wait(
            mock,
            "Deployment",
            CONTROLLER,
            Condition::DeploymentAvailable,
            available_deployment(NS, CONTROLLER),
        );
        expect_wait(
            mock,
            "DaemonSet",
            NODE,
            Condition::DaemonSetReady,
            ready_daemonset(NS, NODE),
        );
    }

    #[tokio::test(start_paused = true)]
    async fn creates_it_and_waits_for_controller_and_nodes() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        expect_get(&mut mock, "ClusterCSIDriver", DRIVER, None);
        mock.expect_apply()
            .withf(|o| {
                o["kind"] == "ClusterCSIDriver"
                    && o["metadata"]["name"] == DRIVER
                    && o["metadata"].get("namespace").is_none()
                    && o["spec"] == json!({ "managementState": "Managed" })
            })
            .times(1)
            .returning(|o| Ok(o.clone()));
        mock.expect_wait_for()
            .withf(|r, c, t| {
                is(r, "Deployment", CONTROLLER)
                    && r.namespace.as_deref() == Some(NS)
                    && *c == Condition::DeploymentAvailable
                    && *t == std::time::Duration::from_secs(90)
            })
            .times(1)
            .returning(|_, _, _| Ok(available_deployment(NS, CONTROLLER)));
        expect_wait(
            &mut mock,
            "DaemonSet",
            NODE,
            Condition::DaemonSetReady,
            ready_daemonset(NS, NODE),
        );
        mock.expect_delete().never();
        let step = ClusterCsiDriverStep::new(spec(), handle(mock));
        let (ctx, mut events) = ctx_with_events(addr::CSI_DRIVER);
        let observed = step.observe(&ctx).await?;
        assert_eq!(observed, Observation::Absent);
        let ensured = step.ensure(&ctx, &observed).await?;
        assert_eq!(ensured.change, Change::Created);
        assert_eq!(ensured.outputs.get::<String>(NAME)?, DRIVER);
        assert_eq!(
            waits(&mut events),
            [
                format!("the driver's controller: Deployment {NS}/{CONTROLLER} to be available"),
                format!(
                    "the driver's node DaemonSet: DaemonSet {NS}/{NODE} to be ready on every node"
                ),
            ]
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_ready_driver_is_left_alone() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        no_writes(&mut mock);
        mock.expect_wait_for().never();
        expect_get(
            &mut mock,
            "ClusterCSIDriver",
            DRIVER,
            Some(live_driver("Managed", json!([]))),
        );
        expect_get(
            &mut mock,
            "Deployment",
            CONTROLLER,
            Some(available_deployment(NS, CONTROLLER)),
        );
        expect_get(
            &mut mock,
            "DaemonSet",
            NODE,
            Some(ready_daemonset(NS, NODE)),
        );
        let step = ClusterCsiDriverStep::new(spec(), handle(mock));
        let ctx = ctx(addr::CSI_DRIVER);
        let observed = step.observe(&ctx).await?;
        assert!(matches!(observed, Observation::Present(_)), "{observed:?}");
        assert_eq!(
            step.ensure(&ctx, &observed).await?.change,
            Change::Unchanged
        );
        Ok(())
    }

    #[tokio::test]
    async fn workloads_not_ready_are_drift_that_ensure_only_waits_for() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        no_writes(&mut mock);
        expect_get(
            &mut mock,
            "ClusterCSIDriver",
            DRIVER,
            Some(live_driver("Managed", json!([]))),
        );
        expect_get(
            &mut mock,
            "Deployment",
            CONTROLLER,
            Some(unavailable_deployment(NS, CONTROLLER)),
        );
        expect_get(
            &mut mock,
            "DaemonSet",
            NODE,
            Some(unready_daemonset(NS, NODE)),
        );
        expect_ready_waits(&mut mock);
        let step = ClusterCsiDriverStep::new(spec(), handle(mock));
        let ctx = ctx(addr::CSI_DRIVER);
        let observed = step.observe(&ctx).await?;
        let Observation::Drifted { diff, .. } = &observed else {
            panic!("expected drift, got {observed:?}");
        };
        assert_eq!(
            diff,
            &[FieldDiff::new(
                "driver",
                "controller not available, node DaemonSet ready on 1/3 nodes",
                "ready"
            )]
        );
        assert_eq!(
            step.ensure(&ctx, &observed).await?.change,
            Change::Unchanged
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_removed_driver_is_managed_again() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        expect_get(
            &mut mock,
            "ClusterCSIDriver",
            DRIVER,
            Some(live_driver("Removed", json!([]))),
        );
        expect_get(&mut mock, "Deployment", CONTROLLER, None);
        expect_get(&mut mock, "DaemonSet", NODE, None);
        expect_apply(&mut mock, "ClusterCSIDriver", DRIVER);
        expect_ready_waits(&mut mock);
        mock.expect_delete().never();
        let step = ClusterCsiDriverStep::new(spec(), handle(mock));
        let ctx = ctx(addr::CSI_DRIVER);
        let observed = step.observe(&ctx).await?;
        let Observation::Drifted { diff, .. } = &observed else {
            panic!("expected drift, got {observed:?}");
        };
        assert_eq!(
            diff,
            &[
                FieldDiff::new("managementState", "Removed", "Managed"),
                FieldDiff::new(
                    "driver",
                    "no controller Deployment, no node DaemonSet",
                    "ready"
                ),
            ]
        );
        assert_eq!(step.ensure(&ctx, &observed).await?.change, Change::Updated);
        Ok(())
    }

    #[tokio::test]
    async fn nodes_that_never_get_ready_fail_with_the_operators_conditions() {
        let mut mock = MockCluster::new();
        expect_apply(&mut mock, "ClusterCSIDriver", DRIVER);
        expect_wait(
            &mut mock,
            "Deployment",
            CONTROLLER,
            Condition::DeploymentAvailable,
            available_deployment(NS, CONTROLLER),
        );
        expect_wait_timeout(&mut mock, "DaemonSet", NODE, Condition::DaemonSetReady);
        expect_get(
            &mut mock,
            "ClusterCSIDriver",
            DRIVER,
            Some(live_driver(
                "Managed",
                json!([
                    { "type": "AWSEFSDriverNodeServiceControllerAvailable", "status": "False",
                      "reason": "Deploying", "message": "Waiting for the DaemonSet to deploy the CSI Node Service" },
                    { "type": "AWSEFSDriverControllerServiceControllerAvailable", "status": "True" },
                    { "type": "AWSEFSDriverNodeServiceControllerDegraded", "status": "False" }
                ]),
            )),
        );
        let err = ClusterCsiDriverStep::new(spec(), handle(mock))
            .ensure(&ctx(addr::CSI_DRIVER), &Observation::Absent)
            .await
            .err()
            .map(|e| (e.is_retryable(), e.message().to_owned()));
        let Some((retryable, message)) = err else {
            panic!("the timeout was not reported");
        };
        assert!(!retryable);
        assert!(
            message.starts_with(&format!(
                "timed out after 90s waiting for the driver's node DaemonSet: DaemonSet {NS}/{NODE} to be ready on every node"
            )),
            "{message}"
        );
        assert!(
            message.contains(
                "AWSEFSDriverNodeServiceControllerAvailable is False: Waiting for the DaemonSet"
            ),
            "{message}"
        );
        assert!(
            !message.contains("ControllerServiceControllerAvailable is"),
            "{message}"
        );
        assert!(
            message.contains("oc get clustercsidriver efs.csi.aws.com -o yaml"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn remove_deletes_and_waits_for_the_operator_to_let_go() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        expect_delete(&mut mock, "ClusterCSIDriver", DRIVER, true);
        mock.expect_wait_for()
            .withf(|r, c, t| {
                is(r, "ClusterCSIDriver", DRIVER)
                    && r.namespace.is_none()
                    && *c == Condition::Deleted
                    && *t == std::time::Duration::from_secs(60)
            })
            .times(1)
            .returning(|_, _, _| Ok(Value::Null));
        // Gone already: nothing to wait for.
        expect_delete(&mut mock, "ClusterCSIDriver", DRIVER, false);
        let step = ClusterCsiDriverStep::new(spec(), handle(mock));
        let ctx = ctx(addr::CSI_DRIVER);
        step.remove(&ctx, &StepOutputs::new()).await?;
        step.remove(&ctx, &StepOutputs::new()).await
    }

    #[tokio::test]
    async fn a_finalizer_nobody_removes_is_explained() {
        let mut mock = MockCluster::new();
        expect_delete(&mut mock, "ClusterCSIDriver", DRIVER, true);
        expect_wait_timeout(&mut mock, "ClusterCSIDriver", DRIVER, Condition::Deleted);
        let err = ClusterCsiDriverStep::new(spec(), handle(mock))
            .remove(&ctx(addr::CSI_DRIVER), &StepOutputs::new())
            .await
            .err()
            .map(|e| e.message().to_owned())
            .unwrap_or_default();
        assert!(
            err.starts_with(
                "timed out after 60s waiting for ClusterCSIDriver efs.csi.aws.com to be deleted"
            ),
            "{err}"
        );
        assert!(
            err.contains("oc patch clustercsidriver efs.csi.aws.com"),
            "{err}"
        );
    }

    #[test]
    fn describes_the_driver_and_its_workloads() {
        let step = ClusterCsiDriverStep::new(spec(), handle(MockCluster::new()));
        assert_eq!(
            step.describe(),
            format!(
                "ClusterCSIDriver {DRIVER} (Managed); wait for the controller {CONTROLLER} and the node DaemonSet {NODE}"
            )
        );
        assert_eq!(step.expected_duration().as_secs(), 90);
    }
}
