//! The Role and RoleBinding that let the driver's controller read the one Secret naming
//! account B's role. The guide grants get/list/watch on every Secret of the namespace, which
//! holds the operator's cloud credentials too; this Role names the Secret (`resourceNames`) and
//! grants only `get`, all the provisioner does.

use serde_json::Value;
use xefs_core::blueprint::manifests;
use xefs_core::blueprint::steps::SecretReaderRbac;
use xefs_core::step::{Ensured, FieldDiff, Observation, Step, StepContext, StepError, StepOutputs};

use super::common::{Kube, normalized, object_ref, show};
use super::output_names::{BINDING, NAMESPACE, ROLE};
use crate::{ClusterHandle, ObjectRef, Propagation};

/// The diff field of a binding whose `roleRef` differs: it is immutable, so the binding is
/// deleted and created again.
const ROLE_REF_REPLACED: &str = "binding roleRef (replaced)";

/// The Role granting `get` on the cross-account Secret, bound to the controller's service
/// account; present only when both match.
///
/// Outputs `role`, `binding` and `namespace`.
#[derive(Debug, Clone)]
pub struct SecretReaderRbacStep {
    spec: SecretReaderRbac,
    handle: ClusterHandle,
}

/// The two desired objects and their references.
struct Desired {
    role: Value,
    role_ref: ObjectRef,
    binding: Value,
    binding_ref: ObjectRef,
}

impl SecretReaderRbacStep {
    /// The Role and RoleBinding `spec` describes, on the cluster of `handle`.
    pub fn new(spec: SecretReaderRbac, handle: ClusterHandle) -> Self {
        Self { spec, handle }
    }

    fn desired(&self) -> Result<Desired, StepError> {
        let [role, binding] = manifests::secret_reader_rbac(&self.spec, self.handle.stack.as_str());
        Ok(Desired {
            role_ref: object_ref(&role)?,
            binding_ref: object_ref(&binding)?,
            role,
            binding,
        })
    }

    fn outputs(&self) -> Result<StepOutputs, StepError> {
        StepOutputs::new()
            .with(ROLE, self.spec.role.as_str())?
            .with(BINDING, self.spec.binding.as_str())?
            .with(NAMESPACE, self.spec.namespace.as_str())
    }
}

/// The diff of one field compared in normalized form (the API server drops empty fields).
fn field_diff(name: &str, live: &Value, want: &Value, field: &str) -> Option<FieldDiff> {
    let (live, want) = (normalized(&live[field]), normalized(&want[field]));
    (live != want).then(|| FieldDiff::new(name, show(&live), show(&want)))
}

#[async_trait::async_trait]
impl Step for SecretReaderRbacStep {
    fn describe(&self) -> String {
        format!(
            "Role {ns}/{} and RoleBinding {ns}/{}: {} may get Secret {}",
            self.spec.role,
            self.spec.binding,
            self.spec.service_account,
            self.spec.secret,
            ns = self.spec.namespace
        )
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let kube = Kube::new(&self.handle, ctx);
        let d = self.desired()?;
        let role = kube.get(&d.role_ref).await?;
        let binding = kube.get(&d.binding_ref).await?;
        if role.is_none() && binding.is_none() {
            return Ok(Observation::Absent);
        }
        let mut diff = Vec::new();
        match &role {
            None => diff.push(FieldDiff::new("role", "(missing)", self.spec.role.as_str())),
            Some(live) => diff.extend(field_diff("role rules", live, &d.role, "rules")),
        }
        match &binding {
            None => diff.push(FieldDiff::new(
                "binding",
                "(missing)",
                self.spec.binding.as_str(),
            )),
            Some(live) => {
                diff.extend(field_diff(ROLE_REF_REPLACED, live, &d.binding, "roleRef"));
                diff.extend(field_diff("binding subjects", live, &d.binding, "subjects"));
            }
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
        let diff = match observed {
            Observation::Present(_) => return Ok(Ensured::unchanged(outputs)),
            Observation::Drifted { diff, .. } => Some(diff),
            _ => None,
        };
        let kube = Kube::new(&self.handle, ctx);
        let d = self.desired()?;
        // Absent: both. Drifted: only the object(s) that differ.
        let differs =
            |prefix: &str| diff.is_none_or(|diff| diff.iter().any(|f| f.field.starts_with(prefix)));
        if differs("role") {
            kube.apply(&d.role).await?;
        }
        if differs("binding") {
            if diff.is_some_and(|diff| diff.iter().any(|f| f.field == ROLE_REF_REPLACED)) {
                // roleRef is immutable: a binding to another role is replaced.
                kube.delete(&d.binding_ref, Propagation::Background).await?;
            }
            kube.apply(&d.binding).await?;
        }
        Ok(if diff.is_none() {
            Ensured::created(outputs)
        } else {
            Ensured::updated(outputs)
        })
    }

    async fn remove(&self, ctx: &StepContext, _recorded: &StepOutputs) -> Result<(), StepError> {
        let kube = Kube::new(&self.handle, ctx);
        let d = self.desired()?;
        kube.delete(&d.binding_ref, Propagation::Background).await?;
        kube.delete(&d.role_ref, Propagation::Background).await?;
        Ok(())
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
        NS, ctx, expect_apply, expect_delete, expect_get, handle, is, no_writes, not_found,
        spec_at, stored,
    };

    const NAME: &str = "xefs-cross-account-secret-reader";

    fn spec() -> SecretReaderRbac {
        spec_at!(addr::SECRET_READER, SecretReaderRbac)
    }

    fn manifests() -> [Value; 2] {
        manifests::secret_reader_rbac(&spec(), "demo")
    }

    /// The objects as the API server returns them, with server metadata and an empty list
    /// the server would have dropped.
    fn live() -> (Value, Value) {
        let [mut role, binding] = manifests();
        role["rules"][0]["nonResourceURLs"] = json!([]);
        (stored(&role), stored(&binding))
    }

    #[tokio::test]
    async fn creates_a_role_for_the_one_secret_and_binds_the_controller() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        expect_get(&mut mock, "Role", NAME, None);
        expect_get(&mut mock, "RoleBinding", NAME, None);
        mock.expect_apply()
            .withf(|o| {
                o["kind"] == "Role"
                    && o["metadata"]["namespace"] == NS
                    && o["rules"]
                        == json!([{ "apiGroups": [""], "resources": ["secrets"],
                                    "resourceNames": ["cross-account-arn"], "verbs": ["get"] }])
            })
            .times(1)
            .returning(|o| Ok(o.clone()));
        mock.expect_apply()
            .withf(|o| {
                o["kind"] == "RoleBinding"
                    && o["roleRef"]["name"] == NAME
                    && o["subjects"][0]["name"] == "aws-efs-csi-driver-controller-sa"
                    && o["subjects"][0]["namespace"] == NS
            })
            .times(1)
            .returning(|o| Ok(o.clone()));
        mock.expect_delete().never();
        let step = SecretReaderRbacStep::new(spec(), handle(mock));
        let ctx = ctx(addr::SECRET_READER);
        let observed = step.observe(&ctx).await?;
        assert_eq!(observed, Observation::Absent);
        let ensured = step.ensure(&ctx, &observed).await?;
        assert_eq!(ensured.change, Change::Created);
        assert_eq!(ensured.outputs.get::<String>(ROLE)?, NAME);
        assert_eq!(ensured.outputs.get::<String>(BINDING)?, NAME);
        Ok(())
    }

    #[tokio::test]
    async fn matching_objects_are_left_alone() -> Result<(), StepError> {
        let (role, binding) = live();
        let mut mock = MockCluster::new();
        no_writes(&mut mock);
        expect_get(&mut mock, "Role", NAME, Some(role));
        expect_get(&mut mock, "RoleBinding", NAME, Some(binding));
        let step = SecretReaderRbacStep::new(spec(), handle(mock));
        let ctx = ctx(addr::SECRET_READER);
        let observed = step.observe(&ctx).await?;
        assert!(matches!(observed, Observation::Present(_)), "{observed:?}");
        assert_eq!(
            step.ensure(&ctx, &observed).await?.change,
            Change::Unchanged
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_broadened_role_is_narrowed_without_touching_the_binding() -> Result<(), StepError> {
        let (mut role, binding) = live();
        role["rules"] = json!([{ "apiGroups": [""], "resources": ["secrets"],
                                 "verbs": ["get", "list", "watch"] }]);
        let mut mock = MockCluster::new();
        expect_get(&mut mock, "Role", NAME, Some(role));
        expect_get(&mut mock, "RoleBinding", NAME, Some(binding));
        expect_apply(&mut mock, "Role", NAME);
        mock.expect_delete().never();
        let step = SecretReaderRbacStep::new(spec(), handle(mock));
        let ctx = ctx(addr::SECRET_READER);
        let observed = step.observe(&ctx).await?;
        let Observation::Drifted { diff, .. } = &observed else {
            panic!("expected drift, got {observed:?}");
        };
        assert_eq!(diff.len(), 1);
        assert_eq!(diff[0].field, "role rules");
        assert!(
            diff[0]
                .current
                .contains(r#""verbs":["get","list","watch"]"#)
        );
        assert!(
            diff[0]
                .desired
                .contains(r#""resourceNames":["cross-account-arn"]"#)
        );
        assert_eq!(step.ensure(&ctx, &observed).await?.change, Change::Updated);
        Ok(())
    }

    #[tokio::test]
    async fn a_binding_to_another_role_is_replaced() -> Result<(), StepError> {
        let (role, mut binding) = live();
        binding["roleRef"] = json!({ "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view" });
        let mut mock = MockCluster::new();
        expect_get(&mut mock, "Role", NAME, Some(role));
        expect_get(&mut mock, "RoleBinding", NAME, Some(binding));
        let mut seq = mockall::Sequence::new();
        mock.expect_delete()
            .withf(|r, _| is(r, "RoleBinding", NAME))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(true));
        mock.expect_apply()
            .withf(|o| o["kind"] == "RoleBinding")
            .times(1)
            .in_sequence(&mut seq)
            .returning(|o| Ok(o.clone()));
        let step = SecretReaderRbacStep::new(spec(), handle(mock));
        let ctx = ctx(addr::SECRET_READER);
        let observed = step.observe(&ctx).await?;
        let Observation::Drifted { diff, .. } = &observed else {
            panic!("expected drift, got {observed:?}");
        };
        assert_eq!(
            diff.iter().map(|d| d.field.as_str()).collect::<Vec<_>>(),
            [ROLE_REF_REPLACED]
        );
        assert_eq!(step.ensure(&ctx, &observed).await?.change, Change::Updated);
        Ok(())
    }

    #[tokio::test]
    async fn a_missing_binding_is_drift_and_only_it_is_applied() -> Result<(), StepError> {
        let (role, _) = live();
        let mut mock = MockCluster::new();
        expect_get(&mut mock, "Role", NAME, Some(role));
        expect_get(&mut mock, "RoleBinding", NAME, None);
        expect_apply(&mut mock, "RoleBinding", NAME);
        mock.expect_delete().never();
        let step = SecretReaderRbacStep::new(spec(), handle(mock));
        let ctx = ctx(addr::SECRET_READER);
        let observed = step.observe(&ctx).await?;
        let Observation::Drifted { diff, .. } = &observed else {
            panic!("expected drift, got {observed:?}");
        };
        assert_eq!(diff, &[FieldDiff::new("binding", "(missing)", NAME)]);
        step.ensure(&ctx, &observed).await?;
        Ok(())
    }

    #[tokio::test]
    async fn remove_deletes_both_and_absent_is_success() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        let mut seq = mockall::Sequence::new();
        mock.expect_delete()
            .withf(|r, _| {
                is(r, "RoleBinding", NAME) && r.api_version == "rbac.authorization.k8s.io/v1"
            })
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(true));
        mock.expect_delete()
            .withf(|r, _| is(r, "Role", NAME))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|r, _| Err(not_found("delete", r)));
        expect_delete(&mut mock, "RoleBinding", NAME, false);
        expect_delete(&mut mock, "Role", NAME, false);
        let step = SecretReaderRbacStep::new(spec(), handle(mock));
        let ctx = ctx(addr::SECRET_READER);
        step.remove(&ctx, &StepOutputs::new()).await?;
        step.remove(&ctx, &StepOutputs::new()).await
    }

    #[test]
    fn describes_who_may_read_what() {
        let step = SecretReaderRbacStep::new(spec(), handle(MockCluster::new()));
        assert_eq!(
            step.describe(),
            format!(
                "Role {NS}/{NAME} and RoleBinding {NS}/{NAME}: aws-efs-csi-driver-controller-sa may get Secret cross-account-arn"
            )
        );
    }
}
