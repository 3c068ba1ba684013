use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::blueprint::Value;
use crate::ids::{Arn, K8sName};
use crate::spec::{InstallPlanApproval, ReclaimPolicy};

/// Secret `aws-efs-cloud-credentials`: the operator assumes A's CSI role with its
/// service-account token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CloudCredentialsSecret {
    /// Namespace.
    pub namespace: K8sName,
    /// Secret name.
    pub name: K8sName,
    /// A's CSI role.
    pub role_arn: Arn,
    /// The projected token the operator reads.
    pub web_identity_token_file: String,
}

/// The namespace's OperatorGroup. Only one may exist per namespace, so an existing one is
/// reused (and never deleted); otherwise one with this fixed name is created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OperatorGroup {
    /// Namespace.
    pub namespace: K8sName,
    /// Name, when xefs creates it.
    pub name: K8sName,
}

/// The Subscription; done when the operator Deployment is available.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Subscription {
    /// Namespace.
    pub namespace: K8sName,
    /// Subscription and package name.
    pub name: K8sName,
    /// Channel.
    pub channel: String,
    /// CatalogSource.
    pub source: K8sName,
    /// CatalogSource namespace.
    pub source_namespace: K8sName,
    /// InstallPlan approval.
    pub approval: InstallPlanApproval,
    /// With Manual approval, approve the matching InstallPlan.
    pub approve_install_plan: bool,
    /// The operator Deployment to wait for.
    pub operator_deployment: K8sName,
}

/// `ClusterCSIDriver/efs.csi.aws.com` set to Managed; done when the controller Deployment
/// and node DaemonSet are ready.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClusterCsiDriver {
    /// The driver name.
    pub name: K8sName,
    /// Namespace of the driver's workloads.
    pub namespace: K8sName,
    /// Controller Deployment.
    pub controller_deployment: K8sName,
    /// Node DaemonSet.
    pub node_daemonset: K8sName,
}

/// Secret `cross-account-arn` with `awsRoleArn`: the provisioner assumes B's role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CrossAccountSecret {
    /// Namespace.
    pub namespace: K8sName,
    /// Secret name.
    pub name: K8sName,
    /// B's role.
    pub role_arn: Arn,
}

/// A Role granting `get` on that one Secret (`resourceNames`), bound to the controller's
/// service account. (The guide grants get/list/watch on every Secret of the namespace.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SecretReaderRbac {
    /// Namespace.
    pub namespace: K8sName,
    /// Role name.
    pub role: K8sName,
    /// RoleBinding name.
    pub binding: K8sName,
    /// The one Secret readable.
    pub secret: K8sName,
    /// The controller's service account.
    pub service_account: K8sName,
}

/// The StorageClass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StorageClass {
    /// Name.
    pub name: K8sName,
    /// Provisioner.
    pub provisioner: String,
    /// Parameters, each accepted by the OpenShift EFS driver.
    pub parameters: BTreeMap<String, Value<String>>,
    /// Mount options of every volume. `iam` when the file system has a policy: without it
    /// the driver mounts anonymously, and a file-system policy that names principals refuses
    /// anonymous clients.
    pub mount_options: Vec<String>,
    /// Reclaim policy.
    pub reclaim_policy: ReclaimPolicy,
    /// Marked as the default class.
    pub default_class: bool,
}

/// The check: a RWX claim, a writer and a reader pod on different nodes, the reader's logs
/// showing the writer's line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Verify {
    /// Namespace created for the check.
    pub namespace: K8sName,
    /// The StorageClass under test.
    pub storage_class: K8sName,
    /// Image of both pods.
    pub image: String,
    /// Keep the objects afterwards.
    pub keep: bool,
    /// Bound of each wait, seconds.
    pub timeout_seconds: u64,
}
