//! The cluster's objects the driver reads: the two Secrets naming the roles, the
//! `ClusterCSIDriver`, and the StorageClass pointing at the file system and the cross-account
//! Secret.

use super::diagnose::{Context, NOT_CREATED};
use super::finding::{CheckId, Finding};
use super::snapshot::{ClusterFacts, SecretFacts};
use crate::ids::Arn;

/// The provisioner the StorageClass must name.
const PROVISIONER: &str = "efs.csi.aws.com";
/// The StorageClass parameters naming the provisioner Secret.
const SECRET_NAME: &str = "csi.storage.k8s.io/provisioner-secret-name";
const SECRET_NAMESPACE: &str = "csi.storage.k8s.io/provisioner-secret-namespace";

/// The cluster findings: `cloud-credentials-secret`, `csi-driver`, `cross-account-secret`,
/// `storage-class`; skipped when the cluster was not read or before apply.
pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(cluster) = &cx.snapshot.cluster else {
        let why = "not checked: the cluster was not read (`--phase aws`)";
        return vec![
            Finding::skipped(
                CheckId::CloudCredentialsSecret,
                "Secret aws-efs-cloud-credentials",
                why,
            ),
            Finding::skipped(CheckId::CsiDriver, "ClusterCSIDriver efs.csi.aws.com", why),
            Finding::skipped(CheckId::CrossAccountSecret, "the cross-account Secret", why),
            Finding::skipped(CheckId::StorageClass, "the EFS StorageClass", why),
        ];
    };
    let iam = &cx.snapshot.iam;
    let storage_class = format!("StorageClass {}", cluster.storage_class.name);
    if !cx.applied {
        return vec![
            Finding::skipped(
                CheckId::CloudCredentialsSecret,
                secret_resource(&cluster.cloud_credentials),
                NOT_CREATED,
            ),
            Finding::skipped(
                CheckId::CsiDriver,
                "ClusterCSIDriver efs.csi.aws.com",
                NOT_CREATED,
            ),
            Finding::skipped(
                CheckId::CrossAccountSecret,
                secret_resource(&cluster.cross_account_secret),
                NOT_CREATED,
            ),
            Finding::skipped(CheckId::StorageClass, storage_class, NOT_CREATED),
        ];
    }
    vec![
        secret(
            CheckId::CloudCredentialsSecret,
            &cluster.cloud_credentials,
            &iam.csi_role.arn,
            "A's CSI role",
            "`role_arn` in its `credentials`",
        ),
        csi_driver(cluster),
        secret(
            CheckId::CrossAccountSecret,
            &cluster.cross_account_secret,
            &iam.cross_account_role.arn,
            "B's cross-account role",
            "`awsRoleArn`",
        ),
        self::storage_class(cx, cluster, storage_class),
    ]
}

fn secret_resource(secret: &SecretFacts) -> String {
    format!("Secret {}/{}", secret.namespace, secret.name)
}

/// A Secret must exist and hold `expected`, the role it is for (`whose`).
fn secret(check: CheckId, secret: &SecretFacts, expected: &Arn, whose: &str, key: &str) -> Finding {
    let resource = secret_resource(secret);
    if !secret.found {
        return Finding::failed(
            check,
            resource,
            format!("it does not exist, so the driver has no {whose} to assume"),
            "run `xefs apply`",
        );
    }
    let rewrite = if check == CheckId::CrossAccountSecret {
        format!(
            "`oc -n {} set data secret/{} awsRoleArn={expected}`, or run `xefs apply`",
            secret.namespace, secret.name
        )
    } else {
        format!("run `xefs apply`, which rewrites its `credentials` with `role_arn = {expected}`")
    };
    match secret.role_arn.as_deref() {
        Some(arn) if arn == expected.as_str() => {
            Finding::passed(check, resource, format!("it names {whose} {expected}"))
        }
        Some(arn) => {
            // A role in the wrong account is the classic copy-paste slip: say so.
            let accounts = match (
                Arn::parse(arn).ok().and_then(|a| a.account()),
                expected.account(),
            ) {
                (Some(got), Some(want)) if got != want => {
                    format!(" (a role in account {got}, not {want})")
                }
                _ => String::new(),
            };
            Finding::failed(
                check,
                resource,
                format!("it names {arn}{accounts}, not {whose} {expected}"),
                rewrite,
            )
        }
        None => Finding::failed(
            check,
            resource,
            format!("it holds no role ARN ({key}), so the driver cannot assume {whose}"),
            rewrite,
        ),
    }
}

fn csi_driver(cluster: &ClusterFacts) -> Finding {
    let resource = "ClusterCSIDriver efs.csi.aws.com";
    if cluster.csi_driver {
        Finding::passed(CheckId::CsiDriver, resource, "it exists")
    } else {
        Finding::failed(
            CheckId::CsiDriver,
            resource,
            "it does not exist: the operator installs no driver until it does",
            "run `xefs apply`, or `oc apply` a `ClusterCSIDriver` named `efs.csi.aws.com` with \
             `spec.managementState: Managed`",
        )
    }
}

/// The StorageClass must provision with the EFS driver, on the stack's file system, through
/// the cross-account Secret; every mismatch is listed, as fixing one would not fix the others.
fn storage_class(cx: &Context<'_>, cluster: &ClusterFacts, resource: String) -> Finding {
    let sc = &cluster.storage_class;
    let check = CheckId::StorageClass;
    if !sc.found {
        return Finding::failed(
            check,
            resource,
            "it does not exist: claims of this class are never provisioned",
            "run `xefs apply`",
        );
    }
    let param = |key: &str| sc.parameters.get(key).map(String::as_str);
    let mut problems = Vec::new();
    if sc.provisioner.as_deref() != Some(PROVISIONER) {
        problems.push(format!(
            "its provisioner is {}, not `{PROVISIONER}`",
            sc.provisioner
                .as_deref()
                .map_or_else(|| "unset".to_owned(), |p| format!("`{p}`"))
        ));
    }
    let secret = &cluster.cross_account_secret;
    if param(SECRET_NAME) != Some(secret.name.as_str())
        || param(SECRET_NAMESPACE) != Some(secret.namespace.as_str())
    {
        problems.push(format!(
            "its provisioner Secret is `{}/{}`, not `{}/{}`: the controller would call B's EFS \
             API without B's role",
            param(SECRET_NAMESPACE).unwrap_or("<unset>"),
            param(SECRET_NAME).unwrap_or("<unset>"),
            secret.namespace,
            secret.name
        ));
    }
    let unchecked_fs = match &cx.snapshot.file_system {
        Some(fs) => {
            if param("fileSystemId") != Some(fs.id.as_str()) {
                problems.push(format!(
                    "its `fileSystemId` is {}, not the stack's file system {} in account {}",
                    param("fileSystemId")
                        .map_or_else(|| "unset".to_owned(), |id| format!("`{id}`")),
                    fs.id,
                    cx.snapshot.storage_account.expected
                ));
            }
            false
        }
        None => true,
    };
    if !problems.is_empty() {
        return Finding::failed(
            check,
            resource,
            problems.join("; "),
            format!(
                "a StorageClass cannot be changed in place: `oc delete storageclass {}`, then \
                 run `xefs apply`",
                sc.name
            ),
        );
    }
    if unchecked_fs {
        return Finding::skipped(
            check,
            resource,
            "its `fileSystemId` is not checked: there is no file system (see `file-system`)",
        );
    }
    Finding::passed(
        check,
        resource,
        format!(
            "it provisions with `{PROVISIONER}` on {} through the Secret {}/{}",
            param("fileSystemId").unwrap_or_default(),
            secret.namespace,
            secret.name
        ),
    )
}

#[cfg(test)]
mod tests;
