//! The namespace's OLM `OperatorGroup`.
//!
//! OLM refuses to install an operator in a namespace with more than one OperatorGroup, and
//! `openshift-cluster-csi-drivers` often has one already (another CSI driver operator, or the
//! console's). So an existing group, whatever its name, is reported present: the engine records
//! it as adopted and `destroy` never deletes it. The guide's `generateName` would add a second
//! group on every run instead. Only a group xefs created is removed, by its recorded name.

use serde_json::Value;
use xefs_core::blueprint::manifests;
use xefs_core::blueprint::steps::OperatorGroup;
use xefs_core::step::{Ensured, Observation, Step, StepContext, StepError, StepOutputs};

use super::common::{Kube, object_ref};
use super::output_names::{NAME, NAMESPACE};
use crate::{ClusterHandle, ObjectRef, Propagation};

const API_VERSION: &str = "operators.coreos.com/v1";
const KIND: &str = "OperatorGroup";

/// The OperatorGroup of the operator's namespace: an existing one is reused (and adopted),
/// otherwise xefs creates one targeting that namespace.
///
/// Outputs `name` (the group in use, xefs's or the existing one) and `namespace`.
#[derive(Debug, Clone)]
pub struct OperatorGroupStep {
    spec: OperatorGroup,
    handle: ClusterHandle,
}

impl OperatorGroupStep {
    /// The OperatorGroup `spec` describes, on the cluster of `handle`.
    pub fn new(spec: OperatorGroup, handle: ClusterHandle) -> Self {
        Self { spec, handle }
    }

    fn outputs(&self, name: &str) -> Result<StepOutputs, StepError> {
        StepOutputs::new()
            .with(NAME, name)?
            .with(NAMESPACE, self.spec.namespace.as_str())
    }
}

fn name_of(group: &Value) -> &str {
    group["metadata"]["name"].as_str().unwrap_or("<unnamed>")
}

#[async_trait::async_trait]
impl Step for OperatorGroupStep {
    fn describe(&self) -> String {
        format!(
            "OperatorGroup {} in {} (an existing one is reused, and never deleted)",
            self.spec.name, self.spec.namespace
        )
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let ns = self.spec.namespace.as_str();
        let groups = Kube::new(&self.handle, ctx)
            .list(API_VERSION, KIND, ns)
            .await?;
        match groups.as_slice() {
            [] => Ok(Observation::Absent),
            [group] => Ok(Observation::Present(self.outputs(name_of(group))?)),
            several => {
                let names: Vec<&str> = several.iter().map(name_of).collect();
                Err(StepError::permanent(format!(
                    "namespace {ns} has {} OperatorGroups ({}); OLM installs no operator in a \
                     namespace with more than one (TooManyOperatorGroups). Delete all but one \
                     (`oc delete operatorgroup <name> -n {ns}`), then apply again",
                    several.len(),
                    names.join(", ")
                ))
                .with_code("TooManyOperatorGroups")
                .with_resource(format!("namespace {ns}")))
            }
        }
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        if let Observation::Present(existing) = observed {
            return Ok(Ensured::unchanged(existing.clone()));
        }
        let group = manifests::operator_group(&self.spec, self.handle.stack.as_str());
        Kube::new(&self.handle, ctx).apply(&group).await?;
        Ok(Ensured::created(
            self.outputs(object_ref(&group)?.name.as_str())?,
        ))
    }

    async fn remove(&self, ctx: &StepContext, recorded: &StepOutputs) -> Result<(), StepError> {
        // Only ever called for a group xefs created: adopted ones are never removed.
        let name: String = recorded.get(NAME)?;
        let group = ObjectRef::new(API_VERSION, KIND, Some(self.spec.namespace.as_str()), &name);
        Kube::new(&self.handle, ctx)
            .delete(&group, Propagation::Background)
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use serde_json::json;
    use xefs_core::blueprint::{Address, Blueprint, BlueprintStep, StepSpec, addr};
    use xefs_core::engine::{BoundPlan, DestroyOptions, Engine, EngineOptions, Provider};
    use xefs_core::state::StackState;
    use xefs_core::step::{Change, Step};

    use super::*;
    use crate::MockCluster;
    use crate::steps::test_support::{
        NS, STACK, ctx, expect_delete, handle, is, no_writes, spec_at, step_spec,
    };

    fn spec() -> OperatorGroup {
        spec_at!(addr::OPERATOR_GROUP, OperatorGroup)
    }

    fn group(name: &str) -> Value {
        json!({
            "apiVersion": API_VERSION, "kind": KIND,
            "metadata": { "name": name, "namespace": NS },
            "spec": {}
        })
    }

    fn expect_list(mock: &mut MockCluster, groups: Vec<Value>) {
        mock.expect_list()
            .withf(|v, k, ns, sel| {
                v == API_VERSION && k == KIND && ns.as_deref() == Some(NS) && sel.is_none()
            })
            .times(1)
            .returning(move |_, _, _, _| Ok(groups.clone()));
    }

    #[tokio::test]
    async fn creates_one_targeting_its_namespace_when_there_is_none() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        expect_list(&mut mock, Vec::new());
        mock.expect_apply()
            .withf(|o| {
                o["kind"] == KIND
                    && o["metadata"]["name"] == NS
                    && o["metadata"]["namespace"] == NS
                    && o["spec"]["targetNamespaces"] == json!([NS])
            })
            .times(1)
            .returning(|o| Ok(o.clone()));
        mock.expect_delete().never();
        let step = OperatorGroupStep::new(spec(), handle(mock));
        let ctx = ctx(addr::OPERATOR_GROUP);
        let observed = step.observe(&ctx).await?;
        assert_eq!(observed, Observation::Absent);
        let ensured = step.ensure(&ctx, &observed).await?;
        assert_eq!(ensured.change, Change::Created);
        assert_eq!(ensured.outputs.get::<String>(NAME)?, NS);
        Ok(())
    }

    #[tokio::test]
    async fn an_existing_group_of_any_name_is_reused_without_a_write() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        no_writes(&mut mock);
        expect_list(
            &mut mock,
            vec![group("openshift-cluster-csi-drivers-x7k2p")],
        );
        let step = OperatorGroupStep::new(spec(), handle(mock));
        let ctx = ctx(addr::OPERATOR_GROUP);
        let observed = step.observe(&ctx).await?;
        let Observation::Present(outputs) = &observed else {
            panic!("expected present, got {observed:?}");
        };
        assert_eq!(
            outputs.get::<String>(NAME)?,
            "openshift-cluster-csi-drivers-x7k2p"
        );
        assert_eq!(
            step.ensure(&ctx, &observed).await?.change,
            Change::Unchanged
        );
        Ok(())
    }

    #[tokio::test]
    async fn several_groups_are_an_error_naming_them() {
        let mut mock = MockCluster::new();
        no_writes(&mut mock);
        expect_list(&mut mock, vec![group("og-a"), group("og-b")]);
        let err = OperatorGroupStep::new(spec(), handle(mock))
            .observe(&ctx(addr::OPERATOR_GROUP))
            .await
            .err()
            .ok_or("several groups were accepted");
        let err = err.map(|e| (e.is_retryable(), e.code().map(str::to_owned), e.to_string()));
        let Ok((retryable, code, message)) = err else {
            panic!("{err:?}");
        };
        assert!(!retryable);
        assert_eq!(code.as_deref(), Some("TooManyOperatorGroups"));
        assert!(
            message.contains("has 2 OperatorGroups (og-a, og-b)"),
            "{message}"
        );
        assert!(message.contains("oc delete operatorgroup"), "{message}");
    }

    #[tokio::test]
    async fn remove_deletes_the_recorded_group_and_absent_is_success() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        expect_delete(&mut mock, KIND, NS, true);
        expect_delete(&mut mock, KIND, NS, false);
        let step = OperatorGroupStep::new(spec(), handle(mock));
        let recorded = StepOutputs::new().with(NAME, NS)?.with(NAMESPACE, NS)?;
        let ctx = ctx(addr::OPERATOR_GROUP);
        step.remove(&ctx, &recorded).await?;
        step.remove(&ctx, &recorded).await?;
        Ok(())
    }

    // Through the engine: a group found in place is adopted by apply and left by destroy; one
    // xefs created is deleted by destroy.

    struct OnlyOperatorGroup(ClusterHandle);

    impl Provider for OnlyOperatorGroup {
        fn bind(&self, step: &BlueprintStep) -> Option<Arc<dyn Step>> {
            match &step.spec {
                StepSpec::OperatorGroup(s) => {
                    Some(Arc::new(OperatorGroupStep::new(s.clone(), self.0.clone())))
                }
                _ => None,
            }
        }
    }

    /// A state directory of its own, removed when dropped.
    struct TempState(PathBuf);

    impl TempState {
        fn new(test: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "xefs-k8s-{test}-{}-{:?}",
                std::process::id(),
                std::time::SystemTime::now()
            ));
            std::fs::create_dir_all(&dir).expect("temp dir");
            Self(dir)
        }
    }

    impl Drop for TempState {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    async fn apply_then_destroy(
        test: &str,
        mock: MockCluster,
    ) -> Result<(Change, bool, Vec<Address>), Box<dyn std::error::Error>> {
        let address = Address::parse(addr::OPERATOR_GROUP)?;
        let blueprint = Blueprint {
            stack: xefs_core::ids::StackName::parse(STACK)?,
            steps: vec![BlueprintStep {
                address: address.clone(),
                target: xefs_core::blueprint::Target::Cluster,
                phase: xefs_core::blueprint::Phase::Cluster,
                depends_on: Vec::new(),
                description: "OperatorGroup".into(),
                spec: step_spec(addr::OPERATOR_GROUP),
            }],
        };
        let provider = OnlyOperatorGroup(handle(mock));
        let plan = BoundPlan::bind(&blueprint, &[&provider])?;
        let dir = TempState::new(test);
        let mut state = StackState::open(&dir.0, &blueprint.stack)?;
        let engine = Engine::new(EngineOptions::default());
        let applied = engine.apply(&plan, &mut state).await?;
        assert!(applied.failures.is_empty(), "{:?}", applied.failures);
        let destroyed = engine
            .destroy(&plan, &mut state, DestroyOptions::default())
            .await?;
        assert!(destroyed.failures.is_empty(), "{:?}", destroyed.failures);
        let report = &applied.steps[0];
        Ok((report.change, report.adopted, destroyed.kept))
    }

    #[tokio::test]
    async fn an_existing_group_is_adopted_and_never_deleted()
    -> Result<(), Box<dyn std::error::Error>> {
        let mut mock = MockCluster::new();
        no_writes(&mut mock);
        mock.expect_list()
            .returning(|_, _, _, _| Ok(vec![group("theirs")]));
        let (change, adopted, kept) = apply_then_destroy("adopted", mock).await?;
        assert_eq!(change, Change::Unchanged);
        assert!(adopted);
        assert_eq!(kept, [Address::parse(addr::OPERATOR_GROUP)?]);
        Ok(())
    }

    #[tokio::test]
    async fn a_group_xefs_created_is_deleted_by_destroy() -> Result<(), Box<dyn std::error::Error>>
    {
        let mut mock = MockCluster::new();
        expect_list(&mut mock, Vec::new());
        mock.expect_apply().times(1).returning(|o| Ok(o.clone()));
        mock.expect_delete()
            .withf(|r, _| is(r, KIND, NS) && r.namespace.as_deref() == Some(NS))
            .times(1)
            .returning(|_, _| Ok(true));
        let (change, adopted, kept) = apply_then_destroy("created", mock).await?;
        assert_eq!(change, Change::Created);
        assert!(!adopted);
        assert!(kept.is_empty());
        Ok(())
    }
}
