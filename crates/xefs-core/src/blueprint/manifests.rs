//! The Kubernetes objects of the cluster steps, as plain JSON data. They are the one source of
//! the objects' shapes: the shell script embeds them as YAML, `xefs render` writes them, and the
//! OpenShift provider deserializes them into typed objects (which also proves them well-formed).

use serde_json::{Value as Json, json};

use super::steps::*;
use super::{ResolveError, Resolver};
use crate::spec::{InstallPlanApproval, ReclaimPolicy};

/// The label xefs puts on every object it creates, with the stack name as value.
pub const STACK_LABEL: &str = "xefs.io/stack";

fn meta(name: &str, namespace: Option<&str>, stack: &str) -> Json {
    let mut m = json!({ "name": name, "labels": { STACK_LABEL: stack } });
    if let Some(ns) = namespace {
        m["namespace"] = json!(ns);
    }
    m
}

/// `Secret/aws-efs-cloud-credentials`.
pub fn cloud_credentials_secret(s: &CloudCredentialsSecret, stack: &str) -> Json {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta(s.name.as_str(), Some(s.namespace.as_str()), stack),
        "type": "Opaque",
        "stringData": {
            "credentials": format!("[default]\nrole_arn = {}\nweb_identity_token_file = {}", s.role_arn, s.web_identity_token_file)
        }
    })
}

/// The `OperatorGroup` xefs creates when the namespace has none.
pub fn operator_group(s: &OperatorGroup, stack: &str) -> Json {
    json!({
        "apiVersion": "operators.coreos.com/v1",
        "kind": "OperatorGroup",
        "metadata": meta(s.name.as_str(), Some(s.namespace.as_str()), stack),
        "spec": { "targetNamespaces": [s.namespace.as_str()] }
    })
}

/// The `Subscription` to the EFS CSI driver operator.
pub fn subscription(s: &Subscription, stack: &str) -> Json {
    let mut m = meta(s.name.as_str(), Some(s.namespace.as_str()), stack);
    m["labels"][format!("operators.coreos.com/{}.{}", s.name, s.namespace)] = json!("");
    json!({
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "Subscription",
        "metadata": m,
        "spec": {
            "channel": s.channel,
            "installPlanApproval": match s.approval {
                InstallPlanApproval::Automatic => "Automatic",
                InstallPlanApproval::Manual => "Manual",
            },
            "name": s.name.as_str(),
            "source": s.source.as_str(),
            "sourceNamespace": s.source_namespace.as_str()
        }
    })
}

/// `ClusterCSIDriver/efs.csi.aws.com`, Managed.
pub fn cluster_csi_driver(s: &ClusterCsiDriver, stack: &str) -> Json {
    json!({
        "apiVersion": "operator.openshift.io/v1",
        "kind": "ClusterCSIDriver",
        "metadata": meta(s.name.as_str(), None, stack),
        "spec": { "managementState": "Managed" }
    })
}

/// `Secret/cross-account-arn` with `awsRoleArn`.
pub fn cross_account_secret(s: &CrossAccountSecret, stack: &str) -> Json {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta(s.name.as_str(), Some(s.namespace.as_str()), stack),
        "type": "Opaque",
        "stringData": { "awsRoleArn": s.role_arn.as_str() }
    })
}

/// The Role (get on one Secret) and its RoleBinding.
pub fn secret_reader_rbac(s: &SecretReaderRbac, stack: &str) -> [Json; 2] {
    [
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": meta(s.role.as_str(), Some(s.namespace.as_str()), stack),
            "rules": [{
                "apiGroups": [""],
                "resources": ["secrets"],
                "resourceNames": [s.secret.as_str()],
                "verbs": ["get"]
            }]
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": meta(s.binding.as_str(), Some(s.namespace.as_str()), stack),
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": s.role.as_str() },
            "subjects": [{ "kind": "ServiceAccount", "name": s.service_account.as_str(), "namespace": s.namespace.as_str() }]
        }),
    ]
}

/// The StorageClass, with values produced by other steps resolved through `resolver`.
pub fn storage_class(
    s: &StorageClass,
    stack: &str,
    resolver: &dyn Resolver,
) -> Result<Json, ResolveError> {
    let mut params = serde_json::Map::new();
    for (k, v) in &s.parameters {
        params.insert(k.clone(), json!(v.resolve(resolver)?));
    }
    let mut m = meta(s.name.as_str(), None, stack);
    if s.default_class {
        m["annotations"] = json!({ "storageclass.kubernetes.io/is-default-class": "true" });
    }
    let mut sc = json!({
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": m,
        "provisioner": s.provisioner,
        "parameters": params,
        "reclaimPolicy": match s.reclaim_policy { ReclaimPolicy::Delete => "Delete", ReclaimPolicy::Retain => "Retain" },
        "volumeBindingMode": "Immediate"
    });
    if !s.mount_options.is_empty() {
        sc["mountOptions"] = json!(s.mount_options);
    }
    Ok(sc)
}

/// Names of the verify objects.
pub mod verify_names {
    /// The claim.
    pub const CLAIM: &str = "xefs-verify";
    /// The writer pod.
    pub const WRITER: &str = "xefs-writer";
    /// The reader pod.
    pub const READER: &str = "xefs-reader";
    /// The line the writer writes and the reader must see.
    pub const LINE: &str = "hello from xefs";
    /// The pods' shared label, for anti-affinity.
    pub const APP_LABEL: &str = "xefs-verify";
}

/// The verify check's objects: namespace, claim, writer pod, reader pod.
pub fn verify_objects(v: &Verify, stack: &str) -> [Json; 4] {
    use verify_names::*;
    let ns = v.namespace.as_str();
    let pod = |name: &str, script: String| {
        let mut m = meta(name, Some(ns), stack);
        m["labels"]["app"] = json!(APP_LABEL);
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": m,
            "spec": {
                "restartPolicy": "Never",
                // The shell runs as PID 1 and ignores SIGTERM: without this, every cleanup
                // waits the default 30 s grace period for nothing.
                "terminationGracePeriodSeconds": 1,
                // Different nodes where the cluster has several: proves the volume is shared,
                // not just node-local.
                "affinity": { "podAntiAffinity": { "preferredDuringSchedulingIgnoredDuringExecution": [{
                    "weight": 100,
                    "podAffinityTerm": {
                        "topologyKey": "kubernetes.io/hostname",
                        "labelSelector": { "matchLabels": { "app": APP_LABEL } }
                    }
                }]}},
                "containers": [{
                    "name": name,
                    "image": v.image,
                    "command": ["/bin/sh", "-c", script],
                    "volumeMounts": [{ "name": "efs", "mountPath": "/mnt/efs" }],
                    "securityContext": {
                        "allowPrivilegeEscalation": false,
                        "capabilities": { "drop": ["ALL"] },
                        "runAsNonRoot": true,
                        "seccompProfile": { "type": "RuntimeDefault" }
                    }
                }],
                "volumes": [{ "name": "efs", "persistentVolumeClaim": { "claimName": CLAIM } }]
            }
        })
    };
    [
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": meta(ns, None, stack) }),
        json!({
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": meta(CLAIM, Some(ns), stack),
            "spec": {
                "storageClassName": v.storage_class.as_str(),
                "accessModes": ["ReadWriteMany"],
                "resources": { "requests": { "storage": "1Gi" } }
            }
        }),
        pod(
            WRITER,
            format!("echo '{LINE}' >> /mnt/efs/verify && sleep 3600"),
        ),
        pod(
            READER,
            format!(
                "until grep -q '{LINE}' /mnt/efs/verify 2>/dev/null; do sleep 2; done; cat /mnt/efs/verify; sleep 3600"
            ),
        ),
    ]
}
