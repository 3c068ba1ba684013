//! Facts about the cluster's objects that decide whether the driver can use the chain.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::InstanceId;

/// The cluster's side, as doctor found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterFacts {
    /// Secret `aws-efs-cloud-credentials`: the role the operator and controller assume in A.
    pub cloud_credentials: SecretFacts,
    /// Secret `cross-account-arn`: the role the provisioner assumes in B.
    pub cross_account_secret: SecretFacts,
    /// The EFS StorageClass the spec names.
    pub storage_class: StorageClassFacts,
    /// Whether `ClusterCSIDriver/efs.csi.aws.com` exists (the operator installs the driver
    /// only once it does).
    pub csi_driver: bool,
    /// `Authentication/cluster`'s `spec.serviceAccountIssuer`; `None` or empty when the
    /// cluster signs tokens itself (no STS), which no IAM OIDC provider can match.
    pub service_account_issuer: Option<String>,
    /// The EC2 instances behind the worker nodes (from their `providerID`), whose subnets
    /// are where NFS traffic starts.
    pub worker_instances: Vec<InstanceId>,
}

/// One of the two Secrets of the procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretFacts {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Whether it exists.
    pub found: bool,
    /// The role ARN it holds (`role_arn` in `credentials`, or `awsRoleArn`); `None` when it is
    /// missing or the Secret does not hold one.
    pub role_arn: Option<String>,
}

/// The EFS StorageClass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageClassFacts {
    /// Its name (`storage_class.name`).
    pub name: String,
    /// Whether it exists.
    pub found: bool,
    /// Its provisioner; must be `efs.csi.aws.com`.
    pub provisioner: Option<String>,
    /// Its parameters (`fileSystemId`, `provisioningMode`, `csi.storage.k8s.io/provisioner-secret-*`…).
    pub parameters: BTreeMap<String, String>,
}

impl ClusterFacts {
    /// Whether any object xefs creates on the cluster exists yet.
    pub fn any_found(&self) -> bool {
        self.cloud_credentials.found || self.cross_account_secret.found || self.storage_class.found
    }
}
