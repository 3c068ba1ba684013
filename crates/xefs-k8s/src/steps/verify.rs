//! The end-to-end check: a ReadWriteMany claim of the stack's StorageClass, a writer pod that
//! appends a line to a file on it, and a reader pod (preferably on another node) that must see
//! that line. It proves the whole chain at once: provisioning through account B's role (the
//! claim binds), the network path and the file-system policy (the pods mount), and sharing
//! across nodes (the reader reads what the writer wrote).
//!
//! Each stage's wait is bounded by `verify.timeout_seconds` and timed; the durations are the
//! step's outputs. On failure the error names the stage and carries the Warning events of the
//! claim and the pods. The namespace is deleted afterwards, pass or fail, unless `verify.keep`.

mod report;

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;
use xefs_core::blueprint::manifests::{self, verify_names};
use xefs_core::blueprint::steps::Verify;
use xefs_core::step::{Ensured, FieldDiff, Observation, Step, StepContext, StepError, StepOutputs};

use self::report::{Cleanup, Evidence, Failure, Report, Stage};
use super::common::{Kube, awaited, object_ref, seconds};
use super::output_names::{
    KEPT, LINE_SEEN_SECONDS, NAMESPACE, NODES, PVC_BOUND_SECONDS, READER_RUNNING_SECONDS,
    SAME_NODE, VOLUME, WRITER_RUNNING_SECONDS,
};
use crate::{ClusterHandle, Condition, ObjectRef, Propagation};

/// How many lines of a pod's log a failure report shows.
const LOG_LINES: usize = 10;

/// The write-on-one-node, read-on-another check (read-only: it runs on every apply of the
/// verify phase and leaves nothing behind unless `keep`).
///
/// Outputs `namespace`, `volume` (the PersistentVolume the claim bound to),
/// `pvc_bound_seconds`, `writer_running_seconds`, `reader_running_seconds`,
/// `line_seen_seconds` (each stage's duration, from the end of the previous one), `nodes` (the
/// writer's and the reader's node), `same_node` and `kept`.
#[derive(Debug, Clone)]
pub struct VerifyStep {
    spec: Verify,
    handle: ClusterHandle,
}

/// The check's objects, by role.
struct Objects {
    all: [Value; 4],
    namespace: ObjectRef,
    claim: ObjectRef,
    writer: ObjectRef,
    reader: ObjectRef,
}

/// What a successful check measured.
struct Measured {
    volume: Option<String>,
    pvc_bound: Duration,
    writer_running: Duration,
    reader_running: Duration,
    line_seen: Duration,
    writer_node: String,
    reader_node: String,
}

impl VerifyStep {
    /// The check `spec` describes, on the cluster of `handle`.
    pub fn new(spec: Verify, handle: ClusterHandle) -> Self {
        Self { spec, handle }
    }

    fn objects(&self) -> Result<Objects, StepError> {
        let all = manifests::verify_objects(&self.spec, self.handle.stack.as_str());
        Ok(Objects {
            namespace: object_ref(&all[0])?,
            claim: object_ref(&all[1])?,
            writer: object_ref(&all[2])?,
            reader: object_ref(&all[3])?,
            all,
        })
    }

    fn namespace(&self) -> &str {
        self.spec.namespace.as_str()
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.spec.timeout_seconds)
    }

    /// Creates the objects and runs the stages, timing each.
    async fn check(
        &self,
        kube: &Kube<'_>,
        ctx: &StepContext,
        objects: &Objects,
    ) -> Result<Measured, Failure> {
        for object in &objects.all {
            kube.apply(object)
                .await
                .map_err(Failure::at(Stage::Create))?;
        }
        let timeout = self.timeout();
        let mut mark = Instant::now();
        let mut lap = || {
            let now = Instant::now();
            let took = now - mark;
            mark = now;
            took
        };

        let claim = kube
            .wait_for(
                &objects.claim,
                Condition::PvcBound,
                timeout,
                &awaited(&objects.claim, Condition::PvcBound),
            )
            .await
            .map_err(Failure::at(Stage::ClaimBound))?;
        let pvc_bound = lap();
        let writer = kube
            .wait_for(
                &objects.writer,
                Condition::PodRunning,
                timeout,
                &format!(
                    "the writer: {}",
                    awaited(&objects.writer, Condition::PodRunning)
                ),
            )
            .await
            .map_err(Failure::at(Stage::WriterRunning))?;
        let writer_running = lap();
        let reader = kube
            .wait_for(
                &objects.reader,
                Condition::PodRunning,
                timeout,
                &format!(
                    "the reader: {}",
                    awaited(&objects.reader, Condition::PodRunning)
                ),
            )
            .await
            .map_err(Failure::at(Stage::ReaderRunning))?;
        let reader_running = lap();

        let (ns, reader_name) = (self.namespace(), objects.reader.name.as_str());
        ctx.wait_until(
            &format!(
                "the reader's log to show \"{}\" (written by the writer)",
                verify_names::LINE
            ),
            timeout,
            move || async move {
                let log = kube.pod_logs(ns, reader_name).await?;
                Ok(log.contains(verify_names::LINE).then_some(()))
            },
        )
        .await
        .map_err(Failure::at(Stage::LineSeen))?;
        let line_seen = lap();

        let node = |pod: &Value| {
            pod["spec"]["nodeName"]
                .as_str()
                .unwrap_or("unknown")
                .to_owned()
        };
        Ok(Measured {
            volume: claim["spec"]["volumeName"].as_str().map(str::to_owned),
            pvc_bound,
            writer_running,
            reader_running,
            line_seen,
            writer_node: node(&writer),
            reader_node: node(&reader),
        })
    }

    /// Deletes the namespace (foreground: pods, then the claim) and waits until it is gone,
    /// unless `keep`.
    async fn clean_up(&self, kube: &Kube<'_>, objects: &Objects) -> Result<Cleanup, StepError> {
        if self.spec.keep {
            return Ok(Cleanup::Kept);
        }
        kube.delete_and_wait(&objects.namespace, Propagation::Foreground)
            .await?;
        Ok(Cleanup::Deleted)
    }

    /// What the cluster says about a failure at `stage`: the Warning events of the claim and
    /// both pods and, once the pods may have run, the tail of their logs.
    async fn evidence(&self, kube: &Kube<'_>, objects: &Objects, stage: Stage) -> Evidence {
        let mut warnings = Vec::new();
        let mut unreadable_events = Vec::new();
        for object in [&objects.claim, &objects.writer, &objects.reader] {
            match kube.events(self.namespace(), &object.name).await {
                Ok(events) => {
                    warnings.extend(events.into_iter().filter(|e| e.event_type == "Warning"))
                }
                Err(e) => unreadable_events.push(format!("{object}: {e}")),
            }
        }
        let mut logs = Vec::new();
        if stage.pods_started() {
            for pod in [&objects.writer, &objects.reader] {
                // A pod that never started has no log; that is what the events are for.
                if let Ok(log) = kube.pod_logs(self.namespace(), &pod.name).await {
                    let lines: Vec<&str> = log.lines().collect();
                    let tail = lines[lines.len().saturating_sub(LOG_LINES)..].join("\n");
                    if !tail.trim().is_empty() {
                        logs.push((pod.name.clone(), tail));
                    }
                }
            }
        }
        Evidence {
            warnings,
            unreadable_events,
            logs,
        }
    }

    fn outputs(&self, m: &Measured) -> Result<StepOutputs, StepError> {
        let mut outputs = StepOutputs::new()
            .with(NAMESPACE, self.namespace())?
            .with(PVC_BOUND_SECONDS, seconds(m.pvc_bound))?
            .with(WRITER_RUNNING_SECONDS, seconds(m.writer_running))?
            .with(READER_RUNNING_SECONDS, seconds(m.reader_running))?
            .with(LINE_SEEN_SECONDS, seconds(m.line_seen))?
            .with(NODES, [&m.writer_node, &m.reader_node])?
            .with(SAME_NODE, m.writer_node == m.reader_node)?
            .with(KEPT, self.spec.keep)?;
        if let Some(volume) = &m.volume {
            outputs.insert(VOLUME, volume)?;
        }
        Ok(outputs)
    }
}

#[async_trait::async_trait]
impl Step for VerifyStep {
    fn describe(&self) -> String {
        format!(
            "write on one node, read on another, through a claim of StorageClass {} (namespace {})",
            self.spec.storage_class, self.spec.namespace
        )
    }

    fn mutates(&self) -> bool {
        false
    }

    fn expected_duration(&self) -> Duration {
        Duration::from_secs(60)
    }

    /// Reads whether a namespace of an earlier check is still there (kept, or a cleanup that
    /// failed): it is deleted before the check runs again.
    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let objects = self.objects()?;
        match Kube::new(&self.handle, ctx).get(&objects.namespace).await? {
            None => Ok(Observation::Absent),
            Some(_) => Ok(Observation::Drifted {
                outputs: StepOutputs::new().with(NAMESPACE, self.namespace())?,
                diff: vec![FieldDiff::new(
                    "namespace",
                    "left by an earlier check",
                    "deleted, then created afresh",
                )],
            }),
        }
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        let kube = Kube::new(&self.handle, ctx);
        let objects = self.objects()?;
        if observed.outputs().is_some() {
            // Its pods and claim would answer for this run.
            kube.delete_and_wait(&objects.namespace, Propagation::Foreground)
                .await?;
        }
        match self.check(&kube, ctx, &objects).await {
            Ok(measured) => {
                self.clean_up(&kube, &objects).await.map_err(|e| {
                    StepError::new(
                        e.kind(),
                        format!(
                            "the check passed, but its namespace {} could not be deleted: {e}",
                            self.namespace()
                        ),
                    )
                })?;
                tracing::info!(
                    writer = %measured.writer_node,
                    reader = %measured.reader_node,
                    "verified: the reader saw the writer's line"
                );
                Ok(Ensured::read(self.outputs(&measured)?))
            }
            Err(failure) => {
                // Before the cleanup: the namespace's events go with it.
                let evidence = self.evidence(&kube, &objects, failure.stage).await;
                let cleanup = self
                    .clean_up(&kube, &objects)
                    .await
                    .unwrap_or_else(Cleanup::Failed);
                let report = Report {
                    namespace: self.namespace().to_owned(),
                    failure,
                    evidence,
                    cleanup,
                };
                Err(report.into_error())
            }
        }
    }

    /// Never called by the engine (the step is read-only); deletes a kept namespace for an
    /// embedder that asks.
    async fn remove(&self, ctx: &StepContext, _recorded: &StepOutputs) -> Result<(), StepError> {
        let objects = self.objects()?;
        Kube::new(&self.handle, ctx)
            .delete_and_wait(&objects.namespace, Propagation::Foreground)
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use xefs_core::blueprint::addr;
    use xefs_core::step::Change;

    use super::*;
    use crate::steps::test_support::{
        ctx, ctx_with_events, expect_delete, expect_get, expect_wait, expect_wait_timeout, handle,
        is, spec_at, waits,
    };
    use crate::{EventSummary, K8sError, MockCluster};

    const NS: &str = "xefs-verify";
    const CLAIM: &str = verify_names::CLAIM;
    const WRITER: &str = verify_names::WRITER;
    const READER: &str = verify_names::READER;

    fn spec() -> Verify {
        spec_at!(addr::VERIFY, Verify)
    }

    fn bound_claim() -> Value {
        json!({ "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": { "name": CLAIM, "namespace": NS },
                "spec": { "volumeName": "pvc-1234" }, "status": { "phase": "Bound" } })
    }

    fn running(pod: &str, node: &str) -> Value {
        json!({ "apiVersion": "v1", "kind": "Pod",
                "metadata": { "name": pod, "namespace": NS },
                "spec": { "nodeName": node }, "status": { "phase": "Running" } })
    }

    fn warning(object: &str, reason: &str, message: &str) -> EventSummary {
        EventSummary {
            event_type: "Warning".into(),
            reason: reason.into(),
            message: message.into(),
            count: 3,
            object: object.into(),
        }
    }

    fn normal(object: &str) -> EventSummary {
        EventSummary {
            event_type: "Normal".into(),
            reason: "Scheduled".into(),
            message: "assigned".into(),
            count: 1,
            object: object.into(),
        }
    }

    /// Expects the four objects to be applied, in order, exactly once.
    fn expect_create(mock: &mut MockCluster, seq: &mut mockall::Sequence) {
        for (kind, name) in [
            ("Namespace", NS),
            ("PersistentVolumeClaim", CLAIM),
            ("Pod", WRITER),
            ("Pod", READER),
        ] {
            mock.expect_apply()
                .withf(move |o| o["kind"] == kind && o["metadata"]["name"] == name)
                .times(1)
                .in_sequence(seq)
                .returning(|o| Ok(o.clone()));
        }
    }

    /// Expects the namespace to be deleted (foreground) and awaited.
    fn expect_cleanup(mock: &mut MockCluster, seq: &mut mockall::Sequence) {
        mock.expect_delete()
            .withf(|r, p| is(r, "Namespace", NS) && *p == Propagation::Foreground)
            .times(1)
            .in_sequence(seq)
            .returning(|_, _| Ok(true));
        mock.expect_wait_for()
            .withf(|r, c, t| {
                is(r, "Namespace", NS) && *c == Condition::Deleted && *t == Duration::from_secs(60)
            })
            .times(1)
            .in_sequence(seq)
            .returning(|_, _, _| Ok(Value::Null));
    }

    fn expect_running(mock: &mut MockCluster) {
        expect_wait(
            mock,
            "PersistentVolumeClaim",
            CLAIM,
            Condition::PvcBound,
            bound_claim(),
        );
        expect_wait(
            mock,
            "Pod",
            WRITER,
            Condition::PodRunning,
            running(WRITER, "worker-a"),
        );
        expect_wait(
            mock,
            "Pod",
            READER,
            Condition::PodRunning,
            running(READER, "worker-b"),
        );
    }

    /// Expects the events of the claim and both pods to be read once each.
    /// (In `seq`: the report is gathered before the namespace, and its events, are deleted.)
    fn expect_events(
        mock: &mut MockCluster,
        seq: &mut mockall::Sequence,
        claim: Vec<EventSummary>,
        writer: Vec<EventSummary>,
    ) {
        for (name, events) in [(CLAIM, claim), (WRITER, writer), (READER, Vec::new())] {
            mock.expect_events()
                .withf(move |ns, n| ns == NS && n == name)
                .times(1)
                .in_sequence(seq)
                .returning(move |_, _| Ok(events.clone()));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_passing_check_reports_its_stages_and_cleans_up() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        expect_get(&mut mock, "Namespace", NS, None);
        let mut seq = mockall::Sequence::new();
        expect_create(&mut mock, &mut seq);
        mock.expect_wait_for()
            .withf(|r, c, t| {
                is(r, "PersistentVolumeClaim", CLAIM)
                    && r.namespace.as_deref() == Some(NS)
                    && *c == Condition::PvcBound
                    && *t == Duration::from_secs(600)
            })
            .times(1)
            .returning(|_, _, _| Ok(bound_claim()));
        expect_wait(
            &mut mock,
            "Pod",
            WRITER,
            Condition::PodRunning,
            running(WRITER, "worker-a"),
        );
        expect_wait(
            &mut mock,
            "Pod",
            READER,
            Condition::PodRunning,
            running(READER, "worker-b"),
        );
        // The reader sees the line at the third look, two seconds later.
        let mut looks = 0;
        mock.expect_pod_logs()
            .withf(|ns, pod| ns == NS && pod == READER)
            .times(3)
            .returning(move |_, _| {
                looks += 1;
                Ok(if looks < 3 {
                    String::new()
                } else {
                    format!("{}\n", verify_names::LINE)
                })
            });
        expect_cleanup(&mut mock, &mut seq);
        mock.expect_events().never();
        let step = VerifyStep::new(spec(), handle(mock));
        assert!(!step.mutates());
        let (ctx, mut events) = ctx_with_events(addr::VERIFY);
        let observed = step.observe(&ctx).await?;
        assert_eq!(observed, Observation::Absent);
        let ensured = step.ensure(&ctx, &observed).await?;
        assert_eq!(ensured.change, Change::Read);
        let out = ensured.outputs;
        assert_eq!(out.get::<String>(NAMESPACE)?, NS);
        assert_eq!(out.get::<String>(VOLUME)?, "pvc-1234");
        assert_eq!(out.get::<f64>(PVC_BOUND_SECONDS)?, 0.0);
        assert_eq!(out.get::<f64>(LINE_SEEN_SECONDS)?, 2.0);
        assert_eq!(out.get::<Vec<String>>(NODES)?, ["worker-a", "worker-b"]);
        assert!(!out.get::<bool>(SAME_NODE)?);
        assert!(!out.get::<bool>(KEPT)?);
        let waits = waits(&mut events);
        assert_eq!(
            waits[..3],
            [
                format!("PersistentVolumeClaim {NS}/{CLAIM} to be bound"),
                format!("the writer: Pod {NS}/{WRITER} to be running"),
                format!("the reader: Pod {NS}/{READER} to be running"),
            ]
        );
        assert!(waits[3].starts_with("the reader's log to show \"hello from xefs\""));
        assert_eq!(
            waits.last().map(String::as_str),
            Some("Namespace xefs-verify to be deleted")
        );
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn keep_leaves_the_objects_and_one_node_is_reported() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        let mut seq = mockall::Sequence::new();
        expect_create(&mut mock, &mut seq);
        expect_wait(
            &mut mock,
            "PersistentVolumeClaim",
            CLAIM,
            Condition::PvcBound,
            bound_claim(),
        );
        expect_wait(
            &mut mock,
            "Pod",
            WRITER,
            Condition::PodRunning,
            running(WRITER, "only"),
        );
        expect_wait(
            &mut mock,
            "Pod",
            READER,
            Condition::PodRunning,
            running(READER, "only"),
        );
        mock.expect_pod_logs()
            .times(1)
            .returning(|_, _| Ok(verify_names::LINE.to_owned()));
        mock.expect_delete().never();
        let spec = Verify {
            keep: true,
            ..spec()
        };
        let out = VerifyStep::new(spec, handle(mock))
            .ensure(&ctx(addr::VERIFY), &Observation::Absent)
            .await?
            .outputs;
        assert!(out.get::<bool>(SAME_NODE)?);
        assert!(out.get::<bool>(KEPT)?);
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn a_namespace_left_by_an_earlier_run_is_deleted_first() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        expect_get(
            &mut mock,
            "Namespace",
            NS,
            Some(json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": NS } })),
        );
        let mut seq = mockall::Sequence::new();
        mock.expect_delete()
            .withf(|r, p| is(r, "Namespace", NS) && *p == Propagation::Foreground)
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(true));
        mock.expect_wait_for()
            .withf(|r, c, _| is(r, "Namespace", NS) && *c == Condition::Deleted)
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(Value::Null));
        expect_create(&mut mock, &mut seq);
        expect_running(&mut mock);
        mock.expect_pod_logs()
            .times(1)
            .returning(|_, _| Ok(verify_names::LINE.to_owned()));
        expect_cleanup(&mut mock, &mut seq);
        let step = VerifyStep::new(spec(), handle(mock));
        let ctx = ctx(addr::VERIFY);
        let observed = step.observe(&ctx).await?;
        let Observation::Drifted { diff, .. } = &observed else {
            panic!("expected the leftover to show, got {observed:?}");
        };
        assert_eq!(diff[0].field, "namespace");
        step.ensure(&ctx, &observed).await?;
        Ok(())
    }

    /// Runs a check whose stage `fails` with the mock's timeout; returns the error.
    async fn failing_check(mock: MockCluster) -> StepError {
        match VerifyStep::new(spec(), handle(mock))
            .ensure(&ctx(addr::VERIFY), &Observation::Absent)
            .await
        {
            Ok(ensured) => panic!("the check passed: {ensured:?}"),
            Err(e) => e,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_unbound_claim_reports_the_provisioners_events_and_cleans_up() {
        let mut mock = MockCluster::new();
        let mut seq = mockall::Sequence::new();
        expect_create(&mut mock, &mut seq);
        expect_wait_timeout(
            &mut mock,
            "PersistentVolumeClaim",
            CLAIM,
            Condition::PvcBound,
        );
        expect_events(
            &mut mock,
            &mut seq,
            vec![
                normal("PersistentVolumeClaim xefs-verify/xefs-verify"),
                warning(
                    "PersistentVolumeClaim xefs-verify/xefs-verify",
                    "ProvisioningFailed",
                    "failed to provision volume with StorageClass \"efs-sc\": rpc error: code = Unauthenticated desc = Access Denied. Please ensure you have the right AWS permissions: AccessDenied",
                ),
            ],
            Vec::new(),
        );
        expect_cleanup(&mut mock, &mut seq);
        mock.expect_pod_logs().never();
        let err = failing_check(mock).await;
        assert!(!err.is_retryable());
        assert_eq!(err.code(), Some("Timeout"));
        let m = err.message();
        assert!(
            m.starts_with(&format!(
                "verification failed: claim did not bind: timed out after 600s waiting for PersistentVolumeClaim {NS}/{CLAIM} to be bound"
            )),
            "{m}"
        );
        assert!(
            m.contains("PersistentVolumeClaim xefs-verify/xefs-verify: ProvisioningFailed (×3): failed to provision volume"),
            "{m}"
        );
        assert!(m.contains("AccessDenied"), "{m}");
        assert!(!m.contains("Scheduled"), "normal events are left out: {m}");
        assert!(m.ends_with("namespace xefs-verify deleted"), "{m}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_writer_that_cannot_mount_reports_the_mount_error() {
        let mut mock = MockCluster::new();
        let mut seq = mockall::Sequence::new();
        expect_create(&mut mock, &mut seq);
        expect_wait(
            &mut mock,
            "PersistentVolumeClaim",
            CLAIM,
            Condition::PvcBound,
            bound_claim(),
        );
        expect_wait_timeout(&mut mock, "Pod", WRITER, Condition::PodRunning);
        expect_events(
            &mut mock,
            &mut seq,
            Vec::new(),
            vec![warning(
                "Pod xefs-verify/xefs-writer",
                "FailedMount",
                "MountVolume.SetUp failed for volume \"pvc-1234\" : rpc error: code = Internal desc = Could not mount \"fs-0123456789abcdef0:/\": mount.nfs4: Connection timed out",
            )],
        );
        // Neither pod has a log yet.
        mock.expect_pod_logs()
            .times(2)
            .in_sequence(&mut seq)
            .returning(|ns, pod| {
                Err(K8sError::new(
                    "logs",
                    format!("container in pod {ns}/{pod} is waiting to start"),
                    false,
                ))
            });
        expect_cleanup(&mut mock, &mut seq);
        let m = failing_check(mock).await.message().to_owned();
        assert!(
            m.starts_with("verification failed: writer did not start: timed out after 600s"),
            "{m}"
        );
        assert!(
            m.contains("Pod xefs-verify/xefs-writer: FailedMount (×3): MountVolume.SetUp failed")
                && m.contains("mount.nfs4: Connection timed out"),
            "{m}"
        );
        assert!(!m.contains("log of pod"), "{m}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_reader_that_never_sees_the_line_reports_the_logs_and_keeps_on_request() {
        let mut mock = MockCluster::new();
        let mut seq = mockall::Sequence::new();
        expect_create(&mut mock, &mut seq);
        expect_running(&mut mock);
        // The poll: the reader's log stays empty for the whole timeout.
        mock.expect_pod_logs()
            .withf(|_, pod| pod == READER)
            .returning(|_, _| Ok(String::new()));
        // The report: the writer's log says why.
        mock.expect_pod_logs()
            .withf(|_, pod| pod == WRITER)
            .times(1)
            .returning(|_, _| Ok("sh: /mnt/efs/verify: Permission denied\n".to_owned()));
        expect_events(&mut mock, &mut seq, Vec::new(), Vec::new());
        mock.expect_delete().never();
        let spec = Verify {
            keep: true,
            ..spec()
        };
        let err = VerifyStep::new(spec, handle(mock))
            .ensure(&ctx(addr::VERIFY), &Observation::Absent)
            .await
            .err()
            .map(|e| e.message().to_owned())
            .unwrap_or_default();
        assert!(
            err.starts_with(
                "verification failed: reader never saw the line: timed out after 600s waiting for the reader's log to show \"hello from xefs\""
            ),
            "{err}"
        );
        assert!(
            err.contains("no Warning events about the claim or the pods"),
            "{err}"
        );
        assert!(
            err.contains("log of pod xefs-writer:\n  sh: /mnt/efs/verify: Permission denied"),
            "{err}"
        );
        assert!(!err.contains("log of pod xefs-reader"), "{err}");
        assert!(
            err.ends_with("namespace xefs-verify kept for inspection (verify.keep)"),
            "{err}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_create_still_cleans_up_and_a_failed_cleanup_is_reported() {
        let mut mock = MockCluster::new();
        let mut seq = mockall::Sequence::new();
        mock.expect_apply()
            .withf(|o| o["kind"] == "Namespace")
            .times(1)
            .returning(|o| Ok(o.clone()));
        mock.expect_apply()
            .withf(|o| o["kind"] == "PersistentVolumeClaim")
            .times(1)
            .returning(|o| {
                Err(K8sError::new(
                    "apply",
                    "persistentvolumeclaims is forbidden: exceeded quota",
                    false,
                )
                .on(ObjectRef::of(o)?.to_string())
                .with_status(403, "Forbidden"))
            });
        expect_events(&mut mock, &mut seq, Vec::new(), Vec::new());
        mock.expect_delete()
            .withf(|r, _| is(r, "Namespace", NS))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| {
                Err(K8sError::new(
                    "delete",
                    "the server is currently unable to handle the request",
                    true,
                )
                .with_status(503, "ServiceUnavailable"))
            });
        mock.expect_pod_logs().never();
        let err = failing_check(mock).await;
        assert!(!err.is_retryable());
        assert_eq!(err.code(), Some("Forbidden"));
        let m = err.message();
        assert!(
            m.starts_with("verification failed: could not create the check's objects: apply on PersistentVolumeClaim xefs-verify/xefs-verify in the cluster: persistentvolumeclaims is forbidden"),
            "{m}"
        );
        assert!(
            m.ends_with("namespace xefs-verify could not be deleted: delete in the cluster: the server is currently unable to handle the request (ServiceUnavailable)"),
            "{m}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_check_that_passed_but_left_its_namespace_fails() {
        let mut mock = MockCluster::new();
        let mut seq = mockall::Sequence::new();
        expect_create(&mut mock, &mut seq);
        expect_running(&mut mock);
        mock.expect_pod_logs()
            .times(1)
            .returning(|_, _| Ok(verify_names::LINE.to_owned()));
        expect_delete(&mut mock, "Namespace", NS, true);
        expect_wait_timeout(&mut mock, "Namespace", NS, Condition::Deleted);
        let err = failing_check(mock).await;
        assert!(
            err.message().starts_with(
                "the check passed, but its namespace xefs-verify could not be deleted: timed out after 60s waiting for Namespace xefs-verify to be deleted"
            ),
            "{}",
            err.message()
        );
    }

    #[tokio::test]
    async fn remove_deletes_a_kept_namespace_and_absent_is_success() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        expect_delete(&mut mock, "Namespace", NS, false);
        mock.expect_wait_for().never();
        VerifyStep::new(spec(), handle(mock))
            .remove(&ctx(addr::VERIFY), &StepOutputs::new())
            .await
    }

    #[test]
    fn describes_the_check() {
        let step = VerifyStep::new(spec(), handle(MockCluster::new()));
        assert_eq!(
            step.describe(),
            "write on one node, read on another, through a claim of StorageClass efs-sc (namespace xefs-verify)"
        );
        assert_eq!(step.expected_duration().as_secs(), 60);
    }
}
