use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::OperatorCondition;

/// `ClusterCSIDriver` (operator.openshift.io/v1, cluster-scoped): tells the EFS CSI driver
/// operator to install the driver. Its name is the driver's (`efs.csi.aws.com`).
#[derive(CustomResource, Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "operator.openshift.io",
    version = "v1",
    kind = "ClusterCSIDriver",
    plural = "clustercsidrivers",
    status = "ClusterCSIDriverStatus",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct ClusterCSIDriverSpec {
    /// `Managed`: the operator installs and keeps the driver.
    pub management_state: String,
}

/// What the operator reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterCSIDriverStatus {
    /// Its conditions (`…Available`, `…Degraded`, `…Progressing`).
    #[serde(default)]
    pub conditions: Vec<OperatorCondition>,
}
