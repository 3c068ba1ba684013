//! The StorageClass through which claims get access points on the cross-account file system.
//!
//! Kubernetes forbids changing a StorageClass's provisioner, parameters, reclaim policy and
//! volume binding mode. When one of those drifted, `ensure` deletes the class and creates it
//! again. That is safe: a StorageClass is only read when a volume is provisioned (or, for the
//! reclaim policy, copied into the volume then), so existing claims and volumes keep working
//! and keep what they were created with. Mount options and the default-class annotation can
//! change in place.

use std::collections::BTreeMap;

use serde_json::Value;
use xefs_core::blueprint::manifests;
use xefs_core::blueprint::steps::StorageClass;
use xefs_core::step::{Ensured, FieldDiff, Observation, Step, StepContext, StepError, StepOutputs};

use super::common::{Kube, normalized, object_ref, show};
use super::output_names::NAME;
use crate::{ClusterHandle, Propagation};

/// The annotation that makes a class the cluster's default.
const DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";
/// Marks a diff field that Kubernetes cannot update: the class is replaced.
const REPLACED: &str = " (replaced)";

/// The StorageClass of the stack's file system (whose id comes from
/// `storage.efs.file-system`'s output).
///
/// Outputs `name`.
#[derive(Debug, Clone)]
pub struct StorageClassStep {
    spec: StorageClass,
    handle: ClusterHandle,
}

impl StorageClassStep {
    /// The StorageClass `spec` describes, on the cluster of `handle`.
    pub fn new(spec: StorageClass, handle: ClusterHandle) -> Self {
        Self { spec, handle }
    }

    fn manifest(&self, ctx: &StepContext) -> Result<Value, StepError> {
        manifests::storage_class(&self.spec, self.handle.stack.as_str(), ctx.inputs())
            .map_err(|e| StepError::permanent(format!("StorageClass {}: {e}", self.spec.name)))
    }

    fn outputs(&self) -> Result<StepOutputs, StepError> {
        StepOutputs::new().with(NAME, self.spec.name.as_str())
    }
}

/// Whether a StorageClass is marked as the default.
fn is_default(class: &Value) -> bool {
    class["metadata"]["annotations"][DEFAULT_CLASS] == "true"
}

/// `field` of `class`, or the API server's default when it is not set.
fn or_default<'a>(class: &'a Value, field: &str, default: &'a str) -> &'a str {
    class[field].as_str().unwrap_or(default)
}

/// The parameters that differ, each as `key=value` (`(none)` when missing on one side).
fn parameters_diff(live: &Value, want: &Value) -> Option<FieldDiff> {
    let read = |v: &Value| -> BTreeMap<String, String> {
        normalized(&v["parameters"])
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), show(v))).collect())
            .unwrap_or_default()
    };
    let (live, want) = (read(live), read(want));
    if live == want {
        return None;
    }
    let keys: std::collections::BTreeSet<&String> = live.keys().chain(want.keys()).collect();
    let (mut current, mut desired) = (Vec::new(), Vec::new());
    for key in keys.into_iter().filter(|k| live.get(*k) != want.get(*k)) {
        let side = |m: &BTreeMap<String, String>| {
            format!("{key}={}", m.get(key).map_or("(none)", String::as_str))
        };
        current.push(side(&live));
        desired.push(side(&want));
    }
    Some(FieldDiff::new(
        format!("parameters{REPLACED}"),
        current.join(", "),
        desired.join(", "),
    ))
}

/// Every difference between the live class and the desired one.
fn diff(live: &Value, want: &Value) -> Vec<FieldDiff> {
    let mut diff = Vec::new();
    let mut immutable = |field: &str, default: &str| {
        let (have, wanted) = (
            or_default(live, field, default),
            or_default(want, field, default),
        );
        if have != wanted {
            diff.push(FieldDiff::new(format!("{field}{REPLACED}"), have, wanted));
        }
    };
    immutable("provisioner", "");
    immutable("reclaimPolicy", "Delete");
    immutable("volumeBindingMode", "Immediate");
    diff.extend(parameters_diff(live, want));
    let (have, wanted) = (
        normalized(&live["mountOptions"]),
        normalized(&want["mountOptions"]),
    );
    if have != wanted {
        diff.push(FieldDiff::new("mountOptions", show(&have), show(&wanted)));
    }
    if is_default(live) != is_default(want) {
        diff.push(FieldDiff::new(
            "default class",
            is_default(live).to_string(),
            is_default(want).to_string(),
        ));
    }
    diff
}

#[async_trait::async_trait]
impl Step for StorageClassStep {
    fn describe(&self) -> String {
        format!(
            "StorageClass {} ({}) for the stack's file system",
            self.spec.name, self.spec.provisioner
        )
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let want = self.manifest(ctx)?;
        let reference = object_ref(&want)?;
        let Some(live) = Kube::new(&self.handle, ctx).get(&reference).await? else {
            return Ok(Observation::Absent);
        };
        let diff = diff(&live, &want);
        let outputs = self.outputs()?;
        Ok(Observation::found(outputs, diff))
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        let outputs = self.outputs()?;
        let diff = match observed {
            Observation::Present(_) => return Ok(Ensured::unchanged(outputs)),
            Observation::Drifted { diff, .. } => diff.as_slice(),
            _ => &[],
        };
        let kube = Kube::new(&self.handle, ctx);
        let want = self.manifest(ctx)?;
        let reference = object_ref(&want)?;
        if diff.iter().any(|d| d.field.ends_with(REPLACED)) {
            // Immutable fields: replace the class. Existing volumes are unaffected (they
            // were provisioned with, and keep, the old parameters).
            tracing::info!(storage_class = %self.spec.name, "replacing the StorageClass: immutable fields changed");
            kube.delete_and_wait(&reference, Propagation::Background)
                .await?;
        }
        let stored = kube.apply(&want).await?;
        if is_default(&stored) != self.spec.default_class {
            // Another field manager owns the annotation, so xefs's apply does not remove it.
            return Err(StepError::permanent(format!(
                "StorageClass {name} is still marked as the default class (another client set \
                 `{DEFAULT_CLASS}`); remove the mark with `oc annotate storageclass {name} \
                 {DEFAULT_CLASS}-`, or set `storage_class.default_class = true`",
                name = self.spec.name
            ))
            .with_resource(reference.to_string()));
        }
        Ok(if observed.is_absent() {
            Ensured::created(outputs)
        } else {
            Ensured::updated(outputs)
        })
    }

    async fn remove(&self, ctx: &StepContext, _recorded: &StepOutputs) -> Result<(), StepError> {
        // Deleting the class leaves the volumes provisioned through it alone.
        let reference = crate::ObjectRef::new(
            "storage.k8s.io/v1",
            "StorageClass",
            None,
            self.spec.name.as_str(),
        );
        Kube::new(&self.handle, ctx)
            .delete(&reference, Propagation::Background)
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use xefs_core::blueprint::{Address, addr, out};
    use xefs_core::step::{Change, Inputs};

    use super::*;
    use crate::steps::test_support::{
        ctx, ctx_with, expect_apply, expect_delete, expect_get, handle, is, no_writes, spec_at,
        stored,
    };
    use crate::{Condition, MockCluster};

    const SC: &str = "efs-sc";
    const FS: &str = "fs-0123456789abcdef0";

    fn spec() -> StorageClass {
        spec_at!(addr::STORAGE_CLASS, StorageClass)
    }

    fn inputs(fs: &str) -> Inputs {
        let file_system = Address::parse(addr::FILE_SYSTEM).expect("address");
        let outputs = StepOutputs::new()
            .with(out::FILE_SYSTEM_ID, fs)
            .expect("outputs");
        Inputs::new().with(file_system, outputs)
    }

    fn sc_ctx() -> StepContext {
        ctx_with(addr::STORAGE_CLASS, inputs(FS))
    }

    /// The class as stored for file system `fs`.
    fn live(fs: &str) -> Value {
        let want = manifests::storage_class(&spec(), "demo", &inputs(fs)).expect("manifest");
        stored(&want)
    }

    #[tokio::test]
    async fn creates_the_class_with_the_file_systems_id() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        expect_get(&mut mock, "StorageClass", SC, None);
        mock.expect_apply()
            .withf(|o| {
                o["kind"] == "StorageClass"
                    && o["provisioner"] == "efs.csi.aws.com"
                    && o["parameters"]["fileSystemId"] == FS
                    && o["parameters"]["provisioningMode"] == "efs-ap"
                    && o["parameters"]["csi.storage.k8s.io/provisioner-secret-name"]
                        == "cross-account-arn"
                    && o["mountOptions"] == json!(["iam"])
                    && o["reclaimPolicy"] == "Delete"
            })
            .times(1)
            .returning(|o| Ok(stored(o)));
        mock.expect_delete().never();
        let step = StorageClassStep::new(spec(), handle(mock));
        let ctx = sc_ctx();
        let observed = step.observe(&ctx).await?;
        assert_eq!(observed, Observation::Absent);
        let ensured = step.ensure(&ctx, &observed).await?;
        assert_eq!(ensured.change, Change::Created);
        assert_eq!(ensured.outputs.get::<String>(NAME)?, SC);
        Ok(())
    }

    #[tokio::test]
    async fn a_matching_class_is_left_alone() -> Result<(), StepError> {
        let mut live = live(FS);
        // Server defaults and extra metadata are no drift.
        live["metadata"]["annotations"] = json!({ "note": "x" });
        let mut mock = MockCluster::new();
        no_writes(&mut mock);
        expect_get(&mut mock, "StorageClass", SC, Some(live));
        let step = StorageClassStep::new(spec(), handle(mock));
        let ctx = sc_ctx();
        let observed = step.observe(&ctx).await?;
        assert!(matches!(observed, Observation::Present(_)), "{observed:?}");
        assert_eq!(
            step.ensure(&ctx, &observed).await?.change,
            Change::Unchanged
        );
        Ok(())
    }

    #[tokio::test]
    async fn changed_parameters_replace_the_class() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        expect_get(
            &mut mock,
            "StorageClass",
            SC,
            Some(live("fs-00000000000000001")),
        );
        let mut seq = mockall::Sequence::new();
        mock.expect_delete()
            .withf(|r, _| is(r, "StorageClass", SC) && r.namespace.is_none())
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(true));
        mock.expect_wait_for()
            .withf(|r, c, _| is(r, "StorageClass", SC) && *c == Condition::Deleted)
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(Value::Null));
        mock.expect_apply()
            .withf(|o| o["parameters"]["fileSystemId"] == FS)
            .times(1)
            .in_sequence(&mut seq)
            .returning(|o| Ok(stored(o)));
        let step = StorageClassStep::new(spec(), handle(mock));
        let ctx = sc_ctx();
        let observed = step.observe(&ctx).await?;
        let Observation::Drifted { diff, .. } = &observed else {
            panic!("expected drift, got {observed:?}");
        };
        assert_eq!(
            diff,
            &[FieldDiff::new(
                "parameters (replaced)",
                "fileSystemId=fs-00000000000000001",
                format!("fileSystemId={FS}")
            )]
        );
        assert_eq!(step.ensure(&ctx, &observed).await?.change, Change::Updated);
        Ok(())
    }

    #[tokio::test]
    async fn mount_options_and_the_default_mark_change_in_place() -> Result<(), StepError> {
        let mut live = live(FS);
        live["mountOptions"] = json!(["tls"]);
        let spec = StorageClass {
            default_class: true,
            ..spec()
        };
        let mut mock = MockCluster::new();
        expect_get(&mut mock, "StorageClass", SC, Some(live));
        expect_apply(&mut mock, "StorageClass", SC);
        mock.expect_delete().never();
        let step = StorageClassStep::new(spec, handle(mock));
        let ctx = sc_ctx();
        let observed = step.observe(&ctx).await?;
        let Observation::Drifted { diff, .. } = &observed else {
            panic!("expected drift, got {observed:?}");
        };
        assert_eq!(
            diff,
            &[
                FieldDiff::new("mountOptions", r#"["tls"]"#, r#"["iam"]"#),
                FieldDiff::new("default class", "false", "true"),
            ]
        );
        assert_eq!(step.ensure(&ctx, &observed).await?.change, Change::Updated);
        Ok(())
    }

    #[tokio::test]
    async fn a_default_mark_set_by_someone_else_is_reported() {
        let mut marked = live(FS);
        marked["metadata"]["annotations"] = json!({ DEFAULT_CLASS: "true" });
        let answer = marked.clone();
        let mut mock = MockCluster::new();
        expect_get(&mut mock, "StorageClass", SC, Some(marked));
        mock.expect_apply()
            .times(1)
            .returning(move |_| Ok(answer.clone()));
        mock.expect_delete().never();
        let step = StorageClassStep::new(spec(), handle(mock));
        let ctx = sc_ctx();
        let result = async {
            let observed = step.observe(&ctx).await?;
            step.ensure(&ctx, &observed).await
        }
        .await;
        let err = result
            .err()
            .map(|e| e.message().to_owned())
            .unwrap_or_default();
        assert!(err.contains("still marked as the default class"), "{err}");
        assert!(
            err.contains(
                "oc annotate storageclass efs-sc storageclass.kubernetes.io/is-default-class-"
            ),
            "{err}"
        );
    }

    #[tokio::test]
    async fn without_the_file_system_id_it_fails_before_any_call() {
        let mut mock = MockCluster::new();
        mock.expect_get().never();
        no_writes(&mut mock);
        let err = StorageClassStep::new(spec(), handle(mock))
            .observe(&ctx(addr::STORAGE_CLASS))
            .await
            .err()
            .map(|e| e.message().to_owned())
            .unwrap_or_default();
        assert!(
            err.contains("storage.efs.file-system.file_system_id` is not available"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn remove_deletes_and_absent_is_success() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        expect_delete(&mut mock, "StorageClass", SC, true);
        expect_delete(&mut mock, "StorageClass", SC, false);
        mock.expect_wait_for().never();
        let step = StorageClassStep::new(spec(), handle(mock));
        let ctx = sc_ctx();
        step.remove(&ctx, &StepOutputs::new()).await?;
        step.remove(&ctx, &StepOutputs::new()).await
    }

    #[test]
    fn immutable_fields_are_marked_replaced() {
        let want = live(FS);
        let mut old = want.clone();
        old["reclaimPolicy"] = json!("Retain");
        old["parameters"]["basePath"] = json!("/old");
        old["parameters"]["az"] = json!("us-east-2a");
        let fields: Vec<(String, String, String)> = diff(&old, &want)
            .into_iter()
            .map(|d| (d.field, d.current, d.desired))
            .collect();
        assert_eq!(
            fields,
            [
                (
                    "reclaimPolicy (replaced)".to_owned(),
                    "Retain".to_owned(),
                    "Delete".to_owned()
                ),
                (
                    "parameters (replaced)".to_owned(),
                    "az=us-east-2a, basePath=/old".to_owned(),
                    "az=(none), basePath=/dynamic_provisioning".to_owned()
                ),
            ]
        );
        // A class stored without the server-defaulted fields matches one that names them.
        let mut bare = want.clone();
        if let Some(m) = bare.as_object_mut() {
            m.remove("reclaimPolicy");
            m.remove("volumeBindingMode");
        }
        assert_eq!(diff(&bare, &want), []);
    }
}
