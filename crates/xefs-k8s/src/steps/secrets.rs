//! The two Secrets of the procedure: `aws-efs-cloud-credentials` (which role the operator and
//! the controller assume with their service-account token, in account A) and
//! `cross-account-arn` (which role the provisioner assumes in account B).
//!
//! Neither holds a credential: one is an ARN and a token-file path, the other an ARN. Still, a
//! live Secret may hold anything, so a drift diff shows of its current value only the lines
//! xefs itself would write.

use std::collections::BTreeMap;

use serde_json::Value;
use xefs_core::blueprint::manifests;
use xefs_core::blueprint::steps::{CloudCredentialsSecret, CrossAccountSecret};
use xefs_core::ids::Arn;
use xefs_core::step::{Ensured, FieldDiff, Observation, Step, StepContext, StepError, StepOutputs};

use super::common::{Kube, object_ref, typed};
use super::output_names::{NAME, NAMESPACE};
use crate::{ClusterHandle, ObjectRef, Propagation};

/// Secret `aws-efs-cloud-credentials`: the operator (and the driver's controller) assume
/// account A's CSI role with their projected service-account token.
///
/// Outputs `name` and `namespace`.
#[derive(Debug, Clone)]
pub struct CloudCredentialsSecretStep {
    spec: CloudCredentialsSecret,
    handle: ClusterHandle,
}

impl CloudCredentialsSecretStep {
    /// The Secret `spec` describes, on the cluster of `handle`.
    pub fn new(spec: CloudCredentialsSecret, handle: ClusterHandle) -> Self {
        Self { spec, handle }
    }

    fn secret(&self) -> Result<SecretObject, StepError> {
        SecretObject::new(manifests::cloud_credentials_secret(
            &self.spec,
            self.handle.stack.as_str(),
        ))
    }
}

/// Secret `cross-account-arn` with `awsRoleArn`: the provisioner assumes account B's role
/// to create access points in B's file system (the StorageClass names this Secret).
///
/// Outputs `name` and `namespace`.
#[derive(Debug, Clone)]
pub struct CrossAccountSecretStep {
    spec: CrossAccountSecret,
    handle: ClusterHandle,
}

impl CrossAccountSecretStep {
    /// The Secret `spec` describes, on the cluster of `handle`.
    pub fn new(spec: CrossAccountSecret, handle: ClusterHandle) -> Self {
        Self { spec, handle }
    }

    fn secret(&self) -> Result<SecretObject, StepError> {
        SecretObject::new(manifests::cross_account_secret(
            &self.spec,
            self.handle.stack.as_str(),
        ))
    }
}

/// A desired Secret: the manifest, its reference, and its `stringData`.
struct SecretObject {
    manifest: Value,
    reference: ObjectRef,
    string_data: BTreeMap<String, String>,
}

impl SecretObject {
    fn new(manifest: Value) -> Result<Self, StepError> {
        let reference = object_ref(&manifest)?;
        let string_data = serde_json::from_value(manifest["stringData"].clone()).map_err(|e| {
            StepError::permanent(format!("{reference}: the manifest's stringData: {e}"))
        })?;
        Ok(Self {
            manifest,
            reference,
            string_data,
        })
    }

    fn outputs(&self) -> Result<StepOutputs, StepError> {
        StepOutputs::new()
            .with(NAME, &self.reference.name)?
            .with(NAMESPACE, &self.reference.namespace)
    }

    /// Absent, present when every desired key holds the desired value, drifted otherwise.
    /// Keys xefs does not write are left alone (an apply would not remove them either).
    async fn observe(&self, kube: &Kube<'_>) -> Result<Observation, StepError> {
        let Some(live) = kube.get(&self.reference).await? else {
            return Ok(Observation::Absent);
        };
        let live: k8s_openapi::api::core::v1::Secret = typed(&self.reference, live)?;
        let data = live.data.unwrap_or_default();
        let diff: Vec<FieldDiff> = self
            .string_data
            .iter()
            .filter_map(|(key, want)| {
                let have = data.get(key).map(|b| b.0.as_slice());
                (have != Some(want.as_bytes())).then(|| {
                    FieldDiff::new(format!("data.{key}"), shown_live(have), one_line(want))
                })
            })
            .collect();
        let outputs = self.outputs()?;
        Ok(Observation::found(outputs, diff))
    }

    async fn ensure(&self, kube: &Kube<'_>, observed: &Observation) -> Result<Ensured, StepError> {
        let outputs = self.outputs()?;
        match observed {
            Observation::Present(_) => Ok(Ensured::unchanged(outputs)),
            Observation::Absent => {
                kube.apply(&self.manifest).await?;
                Ok(Ensured::created(outputs))
            }
            _ => {
                kube.apply(&self.manifest).await?;
                Ok(Ensured::updated(outputs))
            }
        }
    }

    async fn remove(&self, kube: &Kube<'_>) -> Result<(), StepError> {
        kube.delete(&self.reference, Propagation::Background)
            .await
            .map(drop)
    }
}

/// A multi-line value on one line of a plan.
fn one_line(s: &str) -> String {
    s.replace('\n', "\\n")
}

/// A live value as a plan may show it: only lines xefs itself would write (a section header,
/// `role_arn = <ARN>`, `web_identity_token_file = <path>`, a bare ARN); any other line could be
/// a credential someone put there, and is replaced by `<not shown>`.
fn shown_live(value: Option<&[u8]>) -> String {
    let Some(bytes) = value else {
        return "(missing)".to_owned();
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return "<binary, not shown>".to_owned();
    };
    let lines: Vec<&str> = text
        .split('\n')
        .map(|line| if safe_line(line) { line } else { "<not shown>" })
        .collect();
    lines.join("\\n")
}

fn safe_line(line: &str) -> bool {
    let line = line.trim();
    if line.is_empty() || Arn::parse(line).is_ok() {
        return true;
    }
    if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
        return section
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b' ');
    }
    match line.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
        Some(("role_arn", v)) => Arn::parse(v).is_ok(),
        Some(("web_identity_token_file", v)) => {
            v.starts_with('/') && !v.contains(char::is_whitespace)
        }
        _ => false,
    }
}

#[async_trait::async_trait]
impl Step for CloudCredentialsSecretStep {
    fn describe(&self) -> String {
        format!(
            "Secret {}/{} (assume {} with the service-account token)",
            self.spec.namespace, self.spec.name, self.spec.role_arn
        )
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        self.secret()?.observe(&Kube::new(&self.handle, ctx)).await
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        self.secret()?
            .ensure(&Kube::new(&self.handle, ctx), observed)
            .await
    }

    async fn remove(&self, ctx: &StepContext, _recorded: &StepOutputs) -> Result<(), StepError> {
        self.secret()?.remove(&Kube::new(&self.handle, ctx)).await
    }
}

#[async_trait::async_trait]
impl Step for CrossAccountSecretStep {
    fn describe(&self) -> String {
        format!(
            "Secret {}/{} (awsRoleArn {})",
            self.spec.namespace, self.spec.name, self.spec.role_arn
        )
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        self.secret()?.observe(&Kube::new(&self.handle, ctx)).await
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        self.secret()?
            .ensure(&Kube::new(&self.handle, ctx), observed)
            .await
    }

    async fn remove(&self, ctx: &StepContext, _recorded: &StepOutputs) -> Result<(), StepError> {
        self.secret()?.remove(&Kube::new(&self.handle, ctx)).await
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
        NS, ctx, expect_apply, expect_delete, expect_get, forbidden, handle, is, no_writes,
        not_found, spec_at,
    };

    const CREDENTIALS: &str = "aws-efs-cloud-credentials";
    const CROSS: &str = "cross-account-arn";

    fn cloud_spec() -> CloudCredentialsSecret {
        spec_at!(addr::CLOUD_CREDENTIALS, CloudCredentialsSecret)
    }

    fn cross_spec() -> CrossAccountSecret {
        spec_at!(addr::CROSS_ACCOUNT_SECRET, CrossAccountSecret)
    }

    fn b64(s: &str) -> String {
        // The API server's encoding of `data`, through the same type the step reads it with.
        serde_json::to_value(k8s_openapi::ByteString(s.as_bytes().to_vec()))
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The Secret as the API server stores it: `data`, base64, no `stringData`.
    fn live_secret(name: &str, data: &[(&str, &str)]) -> Value {
        let data: serde_json::Map<String, Value> = data
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(b64(v))))
            .collect();
        json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": { "name": name, "namespace": NS, "uid": "u1" },
            "type": "Opaque",
            "data": data
        })
    }

    fn credentials(role: &str) -> String {
        format!(
            "[default]\nrole_arn = {role}\nweb_identity_token_file = /var/run/secrets/openshift/serviceaccount/token"
        )
    }

    const A_ROLE: &str = "arn:aws:iam::111111111111:role/sts-cluster-aws-efs-csi-operator";
    const B_ROLE: &str = "arn:aws:iam::222222222222:role/cross-account-efs-role";

    #[test]
    fn the_example_roles_are_the_ones_tested() {
        assert_eq!(cloud_spec().role_arn.as_str(), A_ROLE);
        assert_eq!(cross_spec().role_arn.as_str(), B_ROLE);
    }

    #[tokio::test]
    async fn creates_the_cloud_credentials_when_absent() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        expect_get(&mut mock, "Secret", CREDENTIALS, None);
        mock.expect_apply()
            .withf(|o| {
                o["metadata"]["name"] == CREDENTIALS
                    && o["metadata"]["namespace"] == NS
                    && o["metadata"]["labels"]["xefs.io/stack"] == "demo"
                    && o["stringData"]["credentials"] == credentials(A_ROLE)
            })
            .times(1)
            .returning(|o| Ok(o.clone()));
        mock.expect_delete().never();
        let step = CloudCredentialsSecretStep::new(cloud_spec(), handle(mock));
        let ctx = ctx(addr::CLOUD_CREDENTIALS);
        let observed = step.observe(&ctx).await?;
        assert_eq!(observed, Observation::Absent);
        let ensured = step.ensure(&ctx, &observed).await?;
        assert_eq!(ensured.change, Change::Created);
        assert_eq!(ensured.outputs.get::<String>(NAME)?, CREDENTIALS);
        assert_eq!(ensured.outputs.get::<String>(NAMESPACE)?, NS);
        Ok(())
    }

    #[tokio::test]
    async fn a_matching_secret_is_left_alone() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        no_writes(&mut mock);
        // An extra key someone else added is not drift: applying would not remove it.
        let live = live_secret(
            CREDENTIALS,
            &[
                ("credentials", &credentials(A_ROLE)),
                ("note", "added by hand"),
            ],
        );
        expect_get(&mut mock, "Secret", CREDENTIALS, Some(live));
        let step = CloudCredentialsSecretStep::new(cloud_spec(), handle(mock));
        let ctx = ctx(addr::CLOUD_CREDENTIALS);
        let observed = step.observe(&ctx).await?;
        assert!(matches!(observed, Observation::Present(_)), "{observed:?}");
        assert_eq!(
            step.ensure(&ctx, &observed).await?.change,
            Change::Unchanged
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_drifted_value_is_shown_without_foreign_lines_and_reapplied() -> Result<(), StepError>
    {
        let mut mock = MockCluster::new();
        let live = live_secret(
            CREDENTIALS,
            &[(
                "credentials",
                "[default]\nrole_arn = arn:aws:iam::111111111111:role/old\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG",
            )],
        );
        expect_get(&mut mock, "Secret", CREDENTIALS, Some(live));
        expect_apply(&mut mock, "Secret", CREDENTIALS);
        mock.expect_delete().never();
        let step = CloudCredentialsSecretStep::new(cloud_spec(), handle(mock));
        let ctx = ctx(addr::CLOUD_CREDENTIALS);
        let observed = step.observe(&ctx).await?;
        let Observation::Drifted { diff, .. } = &observed else {
            panic!("expected drift, got {observed:?}");
        };
        assert_eq!(
            diff,
            &[FieldDiff::new(
                "data.credentials",
                "[default]\\nrole_arn = arn:aws:iam::111111111111:role/old\\n<not shown>",
                credentials(A_ROLE).replace('\n', "\\n"),
            )]
        );
        assert_eq!(step.ensure(&ctx, &observed).await?.change, Change::Updated);
        Ok(())
    }

    #[tokio::test]
    async fn a_missing_key_is_drift() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        no_writes(&mut mock);
        expect_get(
            &mut mock,
            "Secret",
            CROSS,
            Some(live_secret(CROSS, &[("other", "x")])),
        );
        let step = CrossAccountSecretStep::new(cross_spec(), handle(mock));
        let observed = step.observe(&ctx(addr::CROSS_ACCOUNT_SECRET)).await?;
        let Observation::Drifted { diff, .. } = observed else {
            panic!("expected drift");
        };
        assert_eq!(
            diff,
            [FieldDiff::new("data.awsRoleArn", "(missing)", B_ROLE)]
        );
        Ok(())
    }

    #[tokio::test]
    async fn the_cross_account_secret_round_trips() -> Result<(), StepError> {
        // Absent → created with awsRoleArn; then, as stored, present with no write.
        let mut mock = MockCluster::new();
        expect_get(&mut mock, "Secret", CROSS, None);
        mock.expect_apply()
            .withf(|o| o["stringData"] == json!({ "awsRoleArn": B_ROLE }) && o["type"] == "Opaque")
            .times(1)
            .returning(|o| Ok(o.clone()));
        expect_get(
            &mut mock,
            "Secret",
            CROSS,
            Some(live_secret(CROSS, &[("awsRoleArn", B_ROLE)])),
        );
        mock.expect_delete().never();
        let step = CrossAccountSecretStep::new(cross_spec(), handle(mock));
        let ctx = ctx(addr::CROSS_ACCOUNT_SECRET);
        let first = step.observe(&ctx).await?;
        assert_eq!(step.ensure(&ctx, &first).await?.change, Change::Created);
        let second = step.observe(&ctx).await?;
        assert_eq!(step.ensure(&ctx, &second).await?.change, Change::Unchanged);
        Ok(())
    }

    #[tokio::test]
    async fn remove_deletes_and_absent_is_success() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        expect_delete(&mut mock, "Secret", CROSS, true);
        mock.expect_delete()
            .withf(|r, _| is(r, "Secret", CROSS))
            .times(1)
            .returning(|r, _| Err(not_found("delete", r)));
        expect_delete(&mut mock, "Secret", CREDENTIALS, false);
        let handle = handle(mock);
        let cross = CrossAccountSecretStep::new(cross_spec(), handle.clone());
        let ctx = ctx(addr::CROSS_ACCOUNT_SECRET);
        cross.remove(&ctx, &StepOutputs::new()).await?;
        cross.remove(&ctx, &StepOutputs::new()).await?;
        CloudCredentialsSecretStep::new(cloud_spec(), handle)
            .remove(&ctx, &StepOutputs::new())
            .await?;
        Ok(())
    }

    #[tokio::test]
    async fn a_refused_apply_is_a_permanent_error_naming_the_secret() {
        let mut mock = MockCluster::new();
        mock.expect_apply()
            .times(1)
            .returning(|o| Err(forbidden("apply", &ObjectRef::of(o)?)));
        let step = CrossAccountSecretStep::new(cross_spec(), handle(mock));
        let err = step
            .ensure(&ctx(addr::CROSS_ACCOUNT_SECRET), &Observation::Absent)
            .await
            .err()
            .map(|e| (e.is_retryable(), e.to_string()));
        assert_eq!(
            err,
            Some((
                false,
                format!(
                    "apply on Secret {NS}/{CROSS} in the cluster: forbidden: the user may not do this (Forbidden)"
                )
            ))
        );
    }

    #[test]
    fn only_lines_xefs_writes_are_shown() {
        assert_eq!(shown_live(None), "(missing)");
        assert_eq!(shown_live(Some(&[0xff, 0xfe])), "<binary, not shown>");
        assert_eq!(shown_live(Some(B_ROLE.as_bytes())), B_ROLE);
        assert_eq!(shown_live(Some(b"hunter2")), "<not shown>");
        assert_eq!(
            shown_live(Some(
                b"[default]\nweb_identity_token_file = /t\nweb_identity_token_file = a b"
            )),
            "[default]\\nweb_identity_token_file = /t\\n<not shown>"
        );
    }

    #[test]
    fn describes_the_secret_and_the_role() {
        let step = CrossAccountSecretStep::new(cross_spec(), handle(MockCluster::new()));
        assert_eq!(
            step.describe(),
            format!("Secret {NS}/{CROSS} (awsRoleArn {B_ROLE})")
        );
    }
}
