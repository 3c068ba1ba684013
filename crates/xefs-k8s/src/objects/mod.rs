//! Typed forms of the OpenShift and OLM objects xefs writes or reads, for the kinds
//! `k8s-openapi` does not have. They hold the fields xefs uses; unknown fields are kept in
//! `extra` maps only where round-tripping matters (they never are applied back).
//!
//! Each is a `kube::CustomResource`, so the kube adapter can use them with `Api<T>`, and the
//! tests validate what xefs emits against the upstream CRD schemas.

mod authentication;
mod cluster_csi_driver;
mod olm;

pub use authentication::{Authentication, AuthenticationSpec};
pub use cluster_csi_driver::{ClusterCSIDriver, ClusterCSIDriverSpec, ClusterCSIDriverStatus};
pub use olm::{
    InstallPlan, InstallPlanSpec, ObjectReferenceLite, OperatorGroup, OperatorGroupSpec,
    Subscription, SubscriptionSpec, SubscriptionStatus,
};

/// A status condition as OpenShift operators write them.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub struct OperatorCondition {
    /// e.g. `AWSEFSDriverNodeServiceControllerAvailable`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// Machine-readable reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
