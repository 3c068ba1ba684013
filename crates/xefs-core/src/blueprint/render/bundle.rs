//! Everything `xefs render` writes, as files in memory: rendering completes before anything
//! is written, so a failure never leaves half an output directory.

use crate::blueprint::manifests;
use crate::blueprint::{Blueprint, ShellPlaceholders, StepSpec, caller_policies_with};
use crate::spec::StackSpec;

use super::{PlanJson, shell_script, to_yaml};

/// One rendered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Path relative to the output directory, `/`-separated.
    pub path: String,
    /// Contents.
    pub contents: String,
    /// Whether it should be executable (the shell script).
    pub executable: bool,
}

/// Every IAM document (`iam/<address>.json`; trust policies as `….trust.json`), the
/// permissions the caller of xefs needs in each account (`iam/caller-account-a.json`,
/// `iam/caller-account-b.json`), every manifest (`manifests/<nn>-<address>.yaml`, in apply
/// order), the manual procedure (`procedure.sh`) and `plan.json`. Values only known after apply appear as `${SHELL_VARIABLE}`s, the same
/// names the script fills.
pub fn bundle(spec: &StackSpec, blueprint: &Blueprint) -> Vec<RenderedFile> {
    let mut files = Vec::new();
    let mut file = |path: String, contents: String| {
        files.push(RenderedFile {
            path,
            contents,
            executable: false,
        })
    };
    let stack = spec.name.as_str();
    let mut manifest_no = 0;
    for step in &blueprint.steps {
        let addr = step.address.as_str();
        let mut docs = Vec::new();
        let mut objects = Vec::new();
        match &step.spec {
            StepSpec::IamPolicy(p) => docs.push((format!("iam/{addr}.json"), &p.document)),
            StepSpec::IamRole(r) => docs.push((format!("iam/{addr}.trust.json"), &r.trust)),
            StepSpec::EfsClientAccess(e) => docs.push((format!("iam/{addr}.json"), &e.document)),
            StepSpec::FileSystemPolicy(p) => docs.push((format!("iam/{addr}.json"), &p.document)),
            StepSpec::CloudCredentialsSecret(s) => {
                objects.push(manifests::cloud_credentials_secret(s, stack))
            }
            StepSpec::OperatorGroup(g) => objects.push(manifests::operator_group(g, stack)),
            StepSpec::Subscription(s) => objects.push(manifests::subscription(s, stack)),
            StepSpec::ClusterCsiDriver(d) => objects.push(manifests::cluster_csi_driver(d, stack)),
            StepSpec::CrossAccountSecret(s) => {
                objects.push(manifests::cross_account_secret(s, stack))
            }
            StepSpec::SecretReaderRbac(r) => {
                objects.extend(manifests::secret_reader_rbac(r, stack))
            }
            StepSpec::StorageClass(sc) => {
                objects.extend(manifests::storage_class(sc, stack, &ShellPlaceholders).ok())
            }
            StepSpec::Verify(v) => objects.extend(manifests::verify_objects(v, stack)),
            _ => {}
        }
        for (path, template) in docs {
            if let Ok(doc) = template.render(&ShellPlaceholders) {
                file(path, doc.to_json_pretty() + "\n");
            }
        }
        if !objects.is_empty() {
            manifest_no += 1;
            let yaml: Vec<String> = objects.iter().map(to_yaml).collect();
            file(
                format!("manifests/{manifest_no:02}-{addr}.yaml"),
                yaml.join("---\n"),
            );
        }
    }
    let caller = caller_policies_with(blueprint, spec.storage.assume_role_arn.as_ref());
    file(
        "iam/caller-account-a.json".into(),
        caller.cluster_account.to_json_pretty() + "\n",
    );
    file(
        "iam/caller-account-b.json".into(),
        caller.storage_account.to_json_pretty() + "\n",
    );
    let plan = PlanJson::new(spec, blueprint);
    file(
        "plan.json".into(),
        serde_json::to_string_pretty(&plan).unwrap_or_default() + "\n",
    );
    files.push(RenderedFile {
        path: "procedure.sh".into(),
        contents: shell_script(spec, blueprint),
        executable: true,
    });
    files
}
