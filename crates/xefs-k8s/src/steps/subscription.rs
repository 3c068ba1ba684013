//! The OLM `Subscription` to the AWS EFS CSI driver operator, and the operator becoming
//! available.
//!
//! A Subscription is only a request: OLM resolves it into an InstallPlan, the plan into a
//! ClusterServiceVersion, the CSV into the operator Deployment. The step is done when that
//! Deployment is available, so a Subscription whose operator is not (yet) available is
//! reported drifted, and `ensure` waits for it. With Manual approval OLM stops at the
//! InstallPlan: xefs approves it only when asked to, and only a plan that installs nothing but
//! this operator.
//!
//! `remove` deletes the CSV too: deleting a Subscription alone leaves the operator running.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use tokio::time::Instant;
use xefs_core::blueprint::manifests;
use xefs_core::blueprint::steps::Subscription;
use xefs_core::spec::InstallPlanApproval;
use xefs_core::step::{Ensured, FieldDiff, Observation, Step, StepContext, StepError, StepOutputs};

use super::common::{Kube, TIMEOUT_CODE, awaited, object_ref, remaining, typed};
use super::output_names::{INSTALLED_CSV, NAME, NAMESPACE};
use crate::objects::{self, InstallPlan, SubscriptionSpec, SubscriptionStatus};
use crate::{ClusterHandle, Condition, ObjectRef, Propagation};

const OLM_API: &str = "operators.coreos.com/v1alpha1";
const CSV_KIND: &str = "ClusterServiceVersion";
const INSTALL_PLAN_KIND: &str = "InstallPlan";

/// The diff field of an operator that is not available yet.
const OPERATOR_FIELD: &str = "operator";

/// The Subscription to the EFS CSI driver operator; done when the operator Deployment is
/// available (bounded by `K8sOptions::operator_timeout`).
///
/// Outputs `name`, `namespace`, and `installed_csv` once OLM reports it.
#[derive(Debug, Clone)]
pub struct SubscriptionStep {
    spec: Subscription,
    handle: ClusterHandle,
}

/// The live Subscription's status, as OLM writes it (absent right after creation).
fn olm_status(reference: &ObjectRef, live: &Value) -> Result<SubscriptionStatus, StepError> {
    match &live["status"] {
        Value::Null => Ok(SubscriptionStatus::default()),
        status => typed(reference, status.clone()),
    }
}

/// What OLM made of a Manual Subscription so far.
enum Resolution {
    /// The CSV is installed: nothing awaits approval.
    Installed,
    /// This InstallPlan was created for it.
    Plan(String),
}

impl SubscriptionStep {
    /// The Subscription `spec` describes, on the cluster of `handle`.
    pub fn new(spec: Subscription, handle: ClusterHandle) -> Self {
        Self { spec, handle }
    }

    fn manifest(&self) -> Value {
        manifests::subscription(&self.spec, self.handle.stack.as_str())
    }

    fn namespace(&self) -> &str {
        self.spec.namespace.as_str()
    }

    fn subscription_ref(&self) -> Result<ObjectRef, StepError> {
        object_ref(&self.manifest())
    }

    fn deployment_ref(&self) -> ObjectRef {
        ObjectRef::new(
            "apps/v1",
            "Deployment",
            Some(self.namespace()),
            self.spec.operator_deployment.as_str(),
        )
    }

    fn olm_ref(&self, kind: &str, name: &str) -> ObjectRef {
        ObjectRef::new(OLM_API, kind, Some(self.namespace()), name)
    }

    fn outputs(&self, status: &SubscriptionStatus) -> Result<StepOutputs, StepError> {
        let mut outputs = StepOutputs::new()
            .with(NAME, self.spec.name.as_str())?
            .with(NAMESPACE, self.namespace())?;
        if let Some(csv) = &status.installed_csv {
            outputs.insert(INSTALLED_CSV, csv)?;
        }
        Ok(outputs)
    }

    /// The fields of the live spec that differ from the manifest's.
    fn spec_diff(&self, live: &SubscriptionSpec) -> Result<Vec<FieldDiff>, StepError> {
        let reference = self.subscription_ref()?;
        let want: objects::Subscription = typed(&reference, self.manifest())?;
        let want = want.spec;
        let none = || "(none)".to_owned();
        let fields = [
            ("package", Some(&live.name), Some(&want.name)),
            ("channel", live.channel.as_ref(), want.channel.as_ref()),
            ("source", Some(&live.source), Some(&want.source)),
            (
                "sourceNamespace",
                Some(&live.source_namespace),
                Some(&want.source_namespace),
            ),
            (
                "installPlanApproval",
                live.install_plan_approval.as_ref(),
                want.install_plan_approval.as_ref(),
            ),
        ];
        Ok(fields
            .into_iter()
            .filter(|(_, have, want)| have != want)
            .map(|(field, have, want)| {
                FieldDiff::new(
                    field,
                    have.cloned().unwrap_or_else(none),
                    want.cloned().unwrap_or_else(none),
                )
            })
            .collect())
    }

    /// With Manual approval: waits for OLM to make an InstallPlan (or to have installed the
    /// operator already), then approves the plan if `approve_install_plan` says so and it
    /// installs only this operator; otherwise says how to approve it.
    async fn approve_install_plan(
        &self,
        kube: &Kube<'_>,
        ctx: &StepContext,
        start: Instant,
    ) -> Result<(), StepError> {
        let subscription = self.subscription_ref()?;
        let what = format!("OLM to make an InstallPlan for {subscription}");
        let budget = remaining(start, self.handle.options.operator_timeout);
        let (kube_ref, sub_ref) = (kube, &subscription);
        let resolution = ctx
            .wait_until(&what, budget, move || async move {
                let Some(live) = kube_ref.get(sub_ref).await? else {
                    return Ok(None);
                };
                let status = olm_status(sub_ref, &live)?;
                Ok(if status.installed_csv.is_some() {
                    Some(Resolution::Installed)
                } else {
                    status.install_plan_ref.map(|r| Resolution::Plan(r.name))
                })
            })
            .await?;
        let Resolution::Plan(name) = resolution else {
            return Ok(());
        };
        let plan_ref = self.olm_ref(INSTALL_PLAN_KIND, &name);
        let Some(plan) = kube.get(&plan_ref).await? else {
            // OLM names the plan in the Subscription as it creates it.
            return Err(StepError::retryable(format!(
                "{subscription} names {plan_ref}, which does not exist yet"
            )));
        };
        let plan: InstallPlan = typed(&plan_ref, plan)?;
        if plan.spec.approved {
            return Ok(());
        }
        let ns = self.namespace();
        let csvs = &plan.spec.cluster_service_version_names;
        if !self.spec.approve_install_plan {
            return Err(StepError::permanent(format!(
                "InstallPlan {name} in {ns} awaits manual approval (installPlanApproval is \
                 Manual); it installs {}. Approve it with `oc patch installplan {name} -n {ns} \
                 --type merge -p '{{\"spec\":{{\"approved\":true}}}}'`, or set \
                 `operator.approve_install_plan = true` in xefs.toml, then apply again",
                csvs.join(", ")
            ))
            .with_code("InstallPlanNotApproved")
            .with_resource(plan_ref.to_string()));
        }
        let package = format!("{}.", self.spec.name);
        let foreign: Vec<&str> = csvs
            .iter()
            .filter(|csv| !csv.starts_with(&package))
            .map(String::as_str)
            .collect();
        if csvs.is_empty() || !foreign.is_empty() {
            return Err(StepError::permanent(format!(
                "InstallPlan {name} in {ns} installs {} — not only {}: xefs approves only a plan \
                 for its own operator. Review it (`oc get installplan {name} -n {ns} -o yaml`) \
                 and approve it yourself if it is right, then apply again",
                if csvs.is_empty() {
                    "no ClusterServiceVersion".to_owned()
                } else {
                    csvs.join(", ")
                },
                self.spec.name
            ))
            .with_code("InstallPlanNotApproved")
            .with_resource(plan_ref.to_string()));
        }
        tracing::info!(install_plan = %name, csvs = ?csvs, "approving the operator's InstallPlan");
        kube.apply(&json!({
            "apiVersion": OLM_API,
            "kind": INSTALL_PLAN_KIND,
            "metadata": { "name": name, "namespace": ns },
            "spec": { "approved": true }
        }))
        .await?;
        Ok(())
    }

    /// A timed-out wait for the operator, with what OLM says about the Subscription: its
    /// state and its true conditions (`ResolutionFailed`, `CatalogSourcesUnhealthy`, …) name
    /// the cause far better than "not available".
    async fn explain_timeout(&self, kube: &Kube<'_>, error: StepError) -> StepError {
        if error.code() != Some(TIMEOUT_CODE) {
            return error;
        }
        let mut message = error.message().to_owned();
        let live = match self.subscription_ref() {
            Ok(r) => kube.get(&r).await.ok().flatten(),
            Err(_) => None,
        };
        if let Some(live) = live {
            let status = &live["status"];
            message.push_str(&format!(
                "; Subscription state: {}",
                status["state"].as_str().unwrap_or("unknown")
            ));
            if let Some(csv) = status["currentCSV"].as_str() {
                message.push_str(&format!(", current CSV {csv}"));
            }
            for c in status["conditions"].as_array().into_iter().flatten() {
                if c["status"] == "True" {
                    message.push_str(&format!(
                        "; {}: {}",
                        c["type"].as_str().unwrap_or("?"),
                        c["message"].as_str().or(c["reason"].as_str()).unwrap_or("")
                    ));
                }
            }
        }
        message.push_str(&format!(
            "; see `oc get subscription,installplan,csv -n {}`",
            self.namespace()
        ));
        StepError::permanent(message).with_code(TIMEOUT_CODE)
    }
}

/// The operator's state in words, for a plan.
fn operator_state(deployment: Option<&Value>, status: &SubscriptionStatus) -> String {
    if deployment.is_some() {
        return "not available".to_owned();
    }
    match (&status.installed_csv, &status.install_plan_ref) {
        (None, Some(plan)) => format!("not installed (InstallPlan {} pending)", plan.name),
        _ => format!(
            "not installed (Subscription state {})",
            status.state.as_deref().unwrap_or("unknown")
        ),
    }
}

#[async_trait::async_trait]
impl Step for SubscriptionStep {
    fn describe(&self) -> String {
        format!(
            "Subscription {}/{} ({} from {}, {:?} approval); wait for the operator",
            self.spec.namespace,
            self.spec.name,
            self.spec.channel,
            self.spec.source,
            self.spec.approval
        )
    }

    fn expected_duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(120)
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let kube = Kube::new(&self.handle, ctx);
        let reference = self.subscription_ref()?;
        let Some(live) = kube.get(&reference).await? else {
            return Ok(Observation::Absent);
        };
        let status = olm_status(&reference, &live)?;
        let live: objects::Subscription = typed(&reference, live)?;
        let mut diff = self.spec_diff(&live.spec)?;
        let deployment = kube.get(&self.deployment_ref()).await?;
        if !Condition::DeploymentAvailable.is_met(deployment.as_ref()) {
            diff.push(FieldDiff::new(
                OPERATOR_FIELD,
                operator_state(deployment.as_ref(), &status),
                "available",
            ));
        }
        let outputs = self.outputs(&status)?;
        Ok(Observation::found(outputs, diff))
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        if let Observation::Present(outputs) = observed {
            return Ok(Ensured::unchanged(outputs.clone()));
        }
        let start = Instant::now();
        let kube = Kube::new(&self.handle, ctx);
        // Only a different spec needs a write; an operator that is not available yet needs
        // only the wait.
        let write = match observed {
            Observation::Drifted { diff, .. } => diff.iter().any(|d| d.field != OPERATOR_FIELD),
            _ => true,
        };
        if write {
            kube.apply(&self.manifest()).await?;
        }
        if self.spec.approval == InstallPlanApproval::Manual {
            self.approve_install_plan(&kube, ctx, start).await?;
        }
        let deployment = self.deployment_ref();
        let timeout = remaining(start, self.handle.options.operator_timeout);
        let waited = kube
            .wait_for(
                &deployment,
                Condition::DeploymentAvailable,
                timeout,
                &format!(
                    "the operator: {}",
                    awaited(&deployment, Condition::DeploymentAvailable)
                ),
            )
            .await;
        if let Err(e) = waited {
            return Err(self.explain_timeout(&kube, e).await);
        }
        // The installed CSV, which `remove` deletes, is known once the operator runs.
        let reference = self.subscription_ref()?;
        let status = match kube.get(&reference).await? {
            Some(live) => olm_status(&reference, &live)?,
            None => SubscriptionStatus::default(),
        };
        let outputs = self.outputs(&status)?;
        Ok(match observed {
            Observation::Absent => Ensured::created(outputs),
            _ if write => Ensured::updated(outputs),
            _ => Ensured::unchanged(outputs),
        })
    }

    async fn remove(&self, ctx: &StepContext, recorded: &StepOutputs) -> Result<(), StepError> {
        let kube = Kube::new(&self.handle, ctx);
        let reference = self.subscription_ref()?;
        // The CSVs to delete: the recorded one, and what the live Subscription says now (an
        // upgrade may have replaced it, or the install was still under way).
        let mut csvs = BTreeSet::new();
        if let Some(csv) = recorded.value(INSTALLED_CSV).and_then(Value::as_str) {
            csvs.insert(csv.to_owned());
        }
        if let Some(live) = kube.get(&reference).await? {
            let status = olm_status(&reference, &live)?;
            csvs.extend(status.installed_csv);
            csvs.extend(status.current_csv);
        }
        // The Subscription first, or OLM would reinstall the CSV.
        kube.delete(&reference, Propagation::Background).await?;
        for csv in csvs {
            kube.delete(&self.olm_ref(CSV_KIND, &csv), Propagation::Background)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use xefs_core::blueprint::addr;
    use xefs_core::step::Change;

    use super::*;
    use crate::MockCluster;
    use crate::steps::test_support::{
        NS, available_deployment, ctx, ctx_with_events, expect_apply, expect_delete, expect_get,
        expect_wait, expect_wait_timeout, handle, is, no_writes, spec_at, unavailable_deployment,
        waits,
    };

    const OPERATOR: &str = "aws-efs-csi-driver-operator";
    const CSV: &str = "aws-efs-csi-driver-operator.v4.18.0-202501010000";
    const PLAN: &str = "install-abcde";

    fn spec() -> Subscription {
        spec_at!(addr::SUBSCRIPTION, Subscription)
    }

    fn manual(approve: bool) -> Subscription {
        Subscription {
            approval: InstallPlanApproval::Manual,
            approve_install_plan: approve,
            ..spec()
        }
    }

    /// The Subscription as stored, with this status.
    fn live(spec: &Subscription, status: Value) -> Value {
        let mut live = manifests::subscription(spec, "demo");
        live["status"] = status;
        live
    }

    fn installed() -> Value {
        json!({ "state": "AtLatestKnown", "currentCSV": CSV, "installedCSV": CSV,
                "installPlanRef": { "name": PLAN, "namespace": NS } })
    }

    fn install_plan(approved: bool, csvs: &[&str]) -> Value {
        json!({
            "apiVersion": OLM_API, "kind": INSTALL_PLAN_KIND,
            "metadata": { "name": PLAN, "namespace": NS },
            "spec": { "approval": "Manual", "approved": approved, "clusterServiceVersionNames": csvs }
        })
    }

    #[tokio::test(start_paused = true)]
    async fn creates_waits_for_the_operator_and_records_the_csv() -> Result<(), StepError> {
        let spec = spec();
        let mut mock = MockCluster::new();
        expect_get(&mut mock, "Subscription", OPERATOR, None);
        mock.expect_apply()
            .withf(|o| {
                o["kind"] == "Subscription"
                    && o["metadata"]["namespace"] == NS
                    && o["spec"]["name"] == OPERATOR
                    && o["spec"]["channel"] == "stable"
                    && o["spec"]["source"] == "redhat-operators"
                    && o["spec"]["installPlanApproval"] == "Automatic"
            })
            .times(1)
            .returning(|o| Ok(o.clone()));
        mock.expect_wait_for()
            .withf(|r, c, t| {
                is(r, "Deployment", OPERATOR)
                    && r.namespace.as_deref() == Some(NS)
                    && *c == Condition::DeploymentAvailable
                    && *t == std::time::Duration::from_secs(120)
            })
            .times(1)
            .returning(|_, _, _| Ok(available_deployment(NS, OPERATOR)));
        expect_get(
            &mut mock,
            "Subscription",
            OPERATOR,
            Some(live(&spec, installed())),
        );
        mock.expect_delete().never();
        let step = SubscriptionStep::new(spec, handle(mock));
        let (ctx, mut events) = ctx_with_events(addr::SUBSCRIPTION);
        let observed = step.observe(&ctx).await?;
        assert_eq!(observed, Observation::Absent);
        let ensured = step.ensure(&ctx, &observed).await?;
        assert_eq!(ensured.change, Change::Created);
        assert_eq!(ensured.outputs.get::<String>(NAME)?, OPERATOR);
        assert_eq!(ensured.outputs.get::<String>(INSTALLED_CSV)?, CSV);
        assert_eq!(
            waits(&mut events),
            [format!(
                "the operator: Deployment {NS}/{OPERATOR} to be available"
            )]
        );
        Ok(())
    }

    #[tokio::test]
    async fn an_installed_operator_costs_two_reads_and_no_write() -> Result<(), StepError> {
        let spec = spec();
        let mut mock = MockCluster::new();
        no_writes(&mut mock);
        mock.expect_wait_for().never();
        expect_get(
            &mut mock,
            "Subscription",
            OPERATOR,
            Some(live(&spec, installed())),
        );
        expect_get(
            &mut mock,
            "Deployment",
            OPERATOR,
            Some(available_deployment(NS, OPERATOR)),
        );
        let step = SubscriptionStep::new(spec, handle(mock));
        let ctx = ctx(addr::SUBSCRIPTION);
        let observed = step.observe(&ctx).await?;
        let Observation::Present(outputs) = &observed else {
            panic!("expected present, got {observed:?}");
        };
        assert_eq!(outputs.get::<String>(INSTALLED_CSV)?, CSV);
        assert_eq!(
            step.ensure(&ctx, &observed).await?.change,
            Change::Unchanged
        );
        Ok(())
    }

    #[tokio::test]
    async fn an_operator_not_yet_available_is_drift_that_ensure_only_waits_for()
    -> Result<(), StepError> {
        let spec = spec();
        let mut mock = MockCluster::new();
        no_writes(&mut mock);
        expect_get(
            &mut mock,
            "Subscription",
            OPERATOR,
            Some(live(
                &spec,
                json!({ "state": "UpgradePending", "currentCSV": CSV }),
            )),
        );
        expect_get(
            &mut mock,
            "Deployment",
            OPERATOR,
            Some(unavailable_deployment(NS, OPERATOR)),
        );
        expect_wait(
            &mut mock,
            "Deployment",
            OPERATOR,
            Condition::DeploymentAvailable,
            available_deployment(NS, OPERATOR),
        );
        expect_get(
            &mut mock,
            "Subscription",
            OPERATOR,
            Some(live(&spec, installed())),
        );
        let step = SubscriptionStep::new(spec, handle(mock));
        let ctx = ctx(addr::SUBSCRIPTION);
        let observed = step.observe(&ctx).await?;
        let Observation::Drifted { diff, outputs } = &observed else {
            panic!("expected drift, got {observed:?}");
        };
        assert_eq!(
            diff,
            &[FieldDiff::new("operator", "not available", "available")]
        );
        assert_eq!(outputs.value(INSTALLED_CSV), None);
        let ensured = step.ensure(&ctx, &observed).await?;
        assert_eq!(ensured.change, Change::Unchanged);
        assert_eq!(ensured.outputs.get::<String>(INSTALLED_CSV)?, CSV);
        Ok(())
    }

    #[tokio::test]
    async fn a_different_channel_is_reapplied() -> Result<(), StepError> {
        let spec = spec();
        let mut old = live(&spec, installed());
        old["spec"]["channel"] = json!("preview");
        let mut mock = MockCluster::new();
        expect_get(&mut mock, "Subscription", OPERATOR, Some(old));
        expect_get(
            &mut mock,
            "Deployment",
            OPERATOR,
            Some(available_deployment(NS, OPERATOR)),
        );
        expect_apply(&mut mock, "Subscription", OPERATOR);
        expect_wait(
            &mut mock,
            "Deployment",
            OPERATOR,
            Condition::DeploymentAvailable,
            available_deployment(NS, OPERATOR),
        );
        expect_get(
            &mut mock,
            "Subscription",
            OPERATOR,
            Some(live(&spec, installed())),
        );
        mock.expect_delete().never();
        let step = SubscriptionStep::new(spec, handle(mock));
        let ctx = ctx(addr::SUBSCRIPTION);
        let observed = step.observe(&ctx).await?;
        let Observation::Drifted { diff, .. } = &observed else {
            panic!("expected drift, got {observed:?}");
        };
        assert_eq!(diff, &[FieldDiff::new("channel", "preview", "stable")]);
        assert_eq!(step.ensure(&ctx, &observed).await?.change, Change::Updated);
        Ok(())
    }

    #[tokio::test]
    async fn an_operator_that_never_comes_up_fails_with_what_olm_says() {
        let spec = spec();
        let mut mock = MockCluster::new();
        expect_apply(&mut mock, "Subscription", OPERATOR);
        expect_wait_timeout(
            &mut mock,
            "Deployment",
            OPERATOR,
            Condition::DeploymentAvailable,
        );
        expect_get(
            &mut mock,
            "Subscription",
            OPERATOR,
            Some(live(
                &spec,
                json!({ "state": "UpgradePending", "conditions": [
                    { "type": "CatalogSourcesUnhealthy", "status": "False", "message": "all healthy" },
                    { "type": "ResolutionFailed", "status": "True",
                      "message": "no operators found in channel stable of package aws-efs-csi-driver-operator" }
                ]}),
            )),
        );
        let err = SubscriptionStep::new(spec, handle(mock))
            .ensure(&ctx(addr::SUBSCRIPTION), &Observation::Absent)
            .await
            .err()
            .map(|e| {
                (
                    e.is_retryable(),
                    e.code().map(str::to_owned),
                    e.message().to_owned(),
                )
            });
        let Some((retryable, code, message)) = err else {
            panic!("the timeout was not reported");
        };
        assert!(!retryable);
        assert_eq!(code.as_deref(), Some("Timeout"));
        assert!(
            message.starts_with(&format!(
                "timed out after 120s waiting for the operator: Deployment {NS}/{OPERATOR} to be available"
            )),
            "{message}"
        );
        assert!(
            message.contains("Subscription state: UpgradePending"),
            "{message}"
        );
        assert!(
            message.contains("ResolutionFailed: no operators found in channel stable"),
            "{message}"
        );
        assert!(!message.contains("all healthy"), "{message}");
        assert!(
            message.contains("oc get subscription,installplan,csv"),
            "{message}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn manual_approval_approves_the_operators_plan_when_asked() -> Result<(), StepError> {
        let spec = manual(true);
        let mut mock = MockCluster::new();
        expect_apply(&mut mock, "Subscription", OPERATOR);
        // OLM has not resolved it at the first poll, then names the plan.
        expect_get(
            &mut mock,
            "Subscription",
            OPERATOR,
            Some(live(&spec, json!({}))),
        );
        expect_get(
            &mut mock,
            "Subscription",
            OPERATOR,
            Some(live(
                &spec,
                json!({ "state": "UpgradePending", "installPlanRef": { "name": PLAN } }),
            )),
        );
        expect_get(
            &mut mock,
            INSTALL_PLAN_KIND,
            PLAN,
            Some(install_plan(false, &[CSV])),
        );
        mock.expect_apply()
            .withf(|o| {
                o == &json!({
                    "apiVersion": OLM_API, "kind": INSTALL_PLAN_KIND,
                    "metadata": { "name": PLAN, "namespace": NS },
                    "spec": { "approved": true }
                })
            })
            .times(1)
            .returning(|o| Ok(o.clone()));
        expect_wait(
            &mut mock,
            "Deployment",
            OPERATOR,
            Condition::DeploymentAvailable,
            available_deployment(NS, OPERATOR),
        );
        expect_get(
            &mut mock,
            "Subscription",
            OPERATOR,
            Some(live(&spec, installed())),
        );
        let step = SubscriptionStep::new(spec, handle(mock));
        let ensured = step
            .ensure(&ctx(addr::SUBSCRIPTION), &Observation::Absent)
            .await?;
        assert_eq!(ensured.change, Change::Created);
        Ok(())
    }

    #[tokio::test]
    async fn manual_approval_without_consent_says_how_to_approve() {
        let spec = manual(false);
        let mut mock = MockCluster::new();
        expect_apply(&mut mock, "Subscription", OPERATOR);
        expect_get(
            &mut mock,
            "Subscription",
            OPERATOR,
            Some(live(&spec, json!({ "installPlanRef": { "name": PLAN } }))),
        );
        expect_get(
            &mut mock,
            INSTALL_PLAN_KIND,
            PLAN,
            Some(install_plan(false, &[CSV])),
        );
        mock.expect_wait_for().never();
        let err = SubscriptionStep::new(spec, handle(mock))
            .ensure(&ctx(addr::SUBSCRIPTION), &Observation::Absent)
            .await
            .err()
            .map(|e| {
                (
                    e.is_retryable(),
                    e.code().map(str::to_owned),
                    e.message().to_owned(),
                )
            });
        let Some((retryable, code, message)) = err else {
            panic!("an unapproved plan was accepted");
        };
        assert!(!retryable);
        assert_eq!(code.as_deref(), Some("InstallPlanNotApproved"));
        assert!(
            message.starts_with(&format!(
                "InstallPlan {PLAN} in {NS} awaits manual approval"
            )),
            "{message}"
        );
        assert!(message.contains(&format!("it installs {CSV}")), "{message}");
        assert!(
            message.contains(&format!(
                r#"`oc patch installplan {PLAN} -n {NS} --type merge -p '{{"spec":{{"approved":true}}}}'`"#
            )),
            "{message}"
        );
        assert!(
            message.contains("operator.approve_install_plan = true"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn a_plan_that_installs_other_operators_is_not_approved() {
        let spec = manual(true);
        let mut mock = MockCluster::new();
        expect_apply(&mut mock, "Subscription", OPERATOR);
        expect_get(
            &mut mock,
            "Subscription",
            OPERATOR,
            Some(live(&spec, json!({ "installPlanRef": { "name": PLAN } }))),
        );
        expect_get(
            &mut mock,
            INSTALL_PLAN_KIND,
            PLAN,
            Some(install_plan(false, &[CSV, "other-operator.v1.0.0"])),
        );
        mock.expect_wait_for().never();
        let err = SubscriptionStep::new(spec, handle(mock))
            .ensure(&ctx(addr::SUBSCRIPTION), &Observation::Absent)
            .await
            .err()
            .map(|e| e.message().to_owned())
            .unwrap_or_default();
        assert!(err.contains("other-operator.v1.0.0"), "{err}");
        assert!(
            err.contains("xefs approves only a plan for its own operator"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_operator_installed_before_needs_no_approval() -> Result<(), StepError> {
        // Manual approval, already installed: a pending upgrade plan is not xefs's to approve.
        let spec = manual(true);
        let mut mock = MockCluster::new();
        mock.expect_apply().never();
        expect_get(
            &mut mock,
            "Subscription",
            OPERATOR,
            Some(live(
                &spec,
                json!({ "installedCSV": CSV, "installPlanRef": { "name": "install-upgrade" } }),
            )),
        );
        expect_wait(
            &mut mock,
            "Deployment",
            OPERATOR,
            Condition::DeploymentAvailable,
            available_deployment(NS, OPERATOR),
        );
        expect_get(
            &mut mock,
            "Subscription",
            OPERATOR,
            Some(live(&spec, installed())),
        );
        let observed = Observation::Drifted {
            outputs: StepOutputs::new(),
            diff: vec![FieldDiff::new(OPERATOR_FIELD, "not available", "available")],
        };
        let ensured = SubscriptionStep::new(spec, handle(mock))
            .ensure(&ctx(addr::SUBSCRIPTION), &observed)
            .await?;
        assert_eq!(ensured.change, Change::Unchanged);
        Ok(())
    }

    #[tokio::test]
    async fn remove_deletes_the_subscription_then_its_csvs() -> Result<(), StepError> {
        let spec = spec();
        let upgraded = "aws-efs-csi-driver-operator.v4.18.1";
        let mut mock = MockCluster::new();
        let mut seq = mockall::Sequence::new();
        mock.expect_get()
            .withf(|r| is(r, "Subscription", OPERATOR))
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |_| {
                Ok(Some(live(
                    &spec,
                    json!({ "installedCSV": upgraded, "currentCSV": upgraded }),
                )))
            });
        mock.expect_delete()
            .withf(|r, _| is(r, "Subscription", OPERATOR))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(true));
        // The recorded CSV (replaced by an upgrade since) and the live one, in name order.
        mock.expect_delete()
            .withf(|r, _| {
                is(r, CSV_KIND, CSV)
                    && r.api_version == OLM_API
                    && r.namespace.as_deref() == Some(NS)
            })
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(false));
        mock.expect_delete()
            .withf(move |r, _| is(r, CSV_KIND, upgraded))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(true));
        let recorded = StepOutputs::new()
            .with(NAME, OPERATOR)?
            .with(INSTALLED_CSV, CSV)?;
        SubscriptionStep::new(self::spec(), handle(mock))
            .remove(&ctx(addr::SUBSCRIPTION), &recorded)
            .await
    }

    #[tokio::test]
    async fn remove_of_a_gone_subscription_still_deletes_the_recorded_csv() -> Result<(), StepError>
    {
        let mut mock = MockCluster::new();
        expect_get(&mut mock, "Subscription", OPERATOR, None);
        expect_delete(&mut mock, "Subscription", OPERATOR, false);
        expect_delete(&mut mock, CSV_KIND, CSV, true);
        let recorded = StepOutputs::new().with(INSTALLED_CSV, CSV)?;
        SubscriptionStep::new(spec(), handle(mock))
            .remove(&ctx(addr::SUBSCRIPTION), &recorded)
            .await
    }

    #[tokio::test]
    async fn remove_of_nothing_is_success() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        expect_get(&mut mock, "Subscription", OPERATOR, None);
        expect_delete(&mut mock, "Subscription", OPERATOR, false);
        SubscriptionStep::new(spec(), handle(mock))
            .remove(&ctx(addr::SUBSCRIPTION), &StepOutputs::new())
            .await
    }

    #[test]
    fn describes_the_subscription() {
        let step = SubscriptionStep::new(spec(), handle(MockCluster::new()));
        assert_eq!(
            step.describe(),
            format!(
                "Subscription {NS}/{OPERATOR} (stable from redhat-operators, Automatic approval); wait for the operator"
            )
        );
        assert_eq!(step.expected_duration().as_secs(), 120);
    }
}
