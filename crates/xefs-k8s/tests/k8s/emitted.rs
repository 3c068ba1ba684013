//! The objects xefs emits, built from a real spec the way the OpenShift provider builds them:
//! `StackSpec` → `Blueprint` → `manifests::*`.

use std::collections::BTreeMap;

use serde_json::Value;
use xefs_core::blueprint::steps::StepSpec;
use xefs_core::blueprint::{Blueprint, OutputRef, ResolveError, Resolver, manifests};
use xefs_core::spec::StackSpec;

/// The example configuration shipped with xefs (every key, defaults shown).
const EXAMPLE: &str = include_str!("../../../../examples/xefs.toml");

/// Stands in for the outputs of AWS steps (the file system id) during apply.
struct AppliedOutputs;

impl Resolver for AppliedOutputs {
    fn resolve(&self, output: &OutputRef) -> Result<String, ResolveError> {
        match output.output.as_str() {
            "file_system_id" => Ok("fs-0123456789abcdef0".to_owned()),
            _ => Err(ResolveError(output.clone())),
        }
    }
}

/// Every object of one stack, by what it is.
#[derive(Debug, Default)]
pub struct Emitted {
    /// `Secret/aws-efs-cloud-credentials`.
    pub cloud_credentials_secret: Vec<Value>,
    /// The OperatorGroup.
    pub operator_group: Vec<Value>,
    /// The Subscription.
    pub subscription: Vec<Value>,
    /// `ClusterCSIDriver/efs.csi.aws.com`.
    pub cluster_csi_driver: Vec<Value>,
    /// `Secret/cross-account-arn`.
    pub cross_account_secret: Vec<Value>,
    /// The Role and RoleBinding.
    pub rbac: Vec<Value>,
    /// The StorageClass.
    pub storage_class: Vec<Value>,
    /// Namespace, PVC, writer and reader pods of the check.
    pub verify: Vec<Value>,
}

impl Emitted {
    /// All of them.
    pub fn all(&self) -> impl Iterator<Item = &Value> {
        [
            &self.cloud_credentials_secret,
            &self.operator_group,
            &self.subscription,
            &self.cluster_csi_driver,
            &self.cross_account_secret,
            &self.rbac,
            &self.storage_class,
            &self.verify,
        ]
        .into_iter()
        .flatten()
    }
}

/// Replaces one line of the example, failing if the line is not there (so a changed example
/// cannot silently leave a variant untested).
fn with(text: String, line: &str, replacement: &str) -> String {
    assert!(text.contains(line), "the example has no line `{line}`");
    text.replacen(line, replacement, 1)
}

/// The example configuration as shipped.
pub fn example() -> String {
    EXAMPLE.to_owned()
}

/// The example with Manual approval and every optional StorageClass key set, the default
/// class, Retain, and no file-system policy (so no `iam` mount option).
pub fn example_everything_set() -> String {
    let mut t = example();
    for (line, replacement) in [
        (r#"approval = "Automatic""#, r#"approval = "Manual""#),
        (
            "approve_install_plan = false",
            "approve_install_plan = true",
        ),
        (
            r#"# sub_path_pattern = "${.PVC.namespace}/${.PVC.name}""#,
            r#"sub_path_pattern = "${.PVC.namespace}/${.PVC.name}""#,
        ),
        (
            "# ensure_unique_directory = true",
            "ensure_unique_directory = true",
        ),
        ("# reuse_access_point = false", "reuse_access_point = true"),
        (r#"# az = "us-east-2a""#, r#"az = "us-east-2a""#),
        ("default_class = false", "default_class = true"),
        (
            r#"reclaim_policy = "Delete""#,
            r#"reclaim_policy = "Retain""#,
        ),
        ("file_system_policy = true", "file_system_policy = false"),
    ] {
        t = with(t, line, replacement);
    }
    t
}

/// The objects of the stack `toml` describes.
pub fn emitted(toml: &str) -> Emitted {
    let spec = StackSpec::from_toml_str(toml, &BTreeMap::<String, String>::new())
        .unwrap_or_else(|e| panic!("the configuration is invalid: {e:?}"));
    let blueprint = Blueprint::build(&spec);
    let stack = blueprint.stack.as_str();
    let mut out = Emitted::default();
    for step in &blueprint.steps {
        match &step.spec {
            StepSpec::CloudCredentialsSecret(s) => out
                .cloud_credentials_secret
                .push(manifests::cloud_credentials_secret(s, stack)),
            StepSpec::OperatorGroup(s) => {
                out.operator_group.push(manifests::operator_group(s, stack));
            }
            StepSpec::Subscription(s) => out.subscription.push(manifests::subscription(s, stack)),
            StepSpec::ClusterCsiDriver(s) => out
                .cluster_csi_driver
                .push(manifests::cluster_csi_driver(s, stack)),
            StepSpec::CrossAccountSecret(s) => out
                .cross_account_secret
                .push(manifests::cross_account_secret(s, stack)),
            StepSpec::SecretReaderRbac(s) => {
                out.rbac.extend(manifests::secret_reader_rbac(s, stack));
            }
            StepSpec::StorageClass(s) => out.storage_class.push(
                manifests::storage_class(s, stack, &AppliedOutputs)
                    .unwrap_or_else(|e| panic!("an unexpected output reference: {e}")),
            ),
            StepSpec::Verify(v) => out.verify.extend(manifests::verify_objects(v, stack)),
            _ => {}
        }
    }
    for (what, objects, n) in [
        ("cloud credentials secret", &out.cloud_credentials_secret, 1),
        ("OperatorGroup", &out.operator_group, 1),
        ("Subscription", &out.subscription, 1),
        ("ClusterCSIDriver", &out.cluster_csi_driver, 1),
        ("cross-account secret", &out.cross_account_secret, 1),
        ("Role and RoleBinding", &out.rbac, 2),
        ("StorageClass", &out.storage_class, 1),
        ("verify objects", &out.verify, 4),
    ] {
        assert_eq!(objects.len(), n, "the blueprint emits {n} {what}");
    }
    out
}

#[test]
fn both_configurations_emit_every_object_and_differ_where_they_should() {
    let plain = emitted(&example());
    let all = emitted(&example_everything_set());
    assert_eq!(
        plain.subscription[0]["spec"]["installPlanApproval"],
        "Automatic"
    );
    assert_eq!(all.subscription[0]["spec"]["installPlanApproval"], "Manual");
    assert_eq!(
        plain.storage_class[0]["mountOptions"],
        serde_json::json!(["iam"])
    );
    assert!(all.storage_class[0].get("mountOptions").is_none());
    assert_eq!(
        all.storage_class[0]["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"],
        "true"
    );
    assert_eq!(all.storage_class[0]["parameters"]["az"], "us-east-2a");
    assert_eq!(
        plain.storage_class[0]["parameters"]["fileSystemId"],
        "fs-0123456789abcdef0"
    );
}

#[test]
fn every_object_carries_the_stack_label_and_valid_metadata() {
    for toml in [example(), example_everything_set()] {
        let e = emitted(&toml);
        assert_eq!(e.all().count(), 12);
        for object in e.all() {
            assert_eq!(
                object["metadata"]["labels"][manifests::STACK_LABEL],
                "demo",
                "{object:#}"
            );
            assert_eq!(
                crate::meta::problems(object),
                Vec::<String>::new(),
                "{object:#}"
            );
        }
    }
}
