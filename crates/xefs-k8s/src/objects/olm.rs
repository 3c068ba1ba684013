//! Operator Lifecycle Manager objects: how the EFS CSI driver operator is installed.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `OperatorGroup` (operators.coreos.com/v1): which namespaces an operator in this namespace
/// watches. OLM allows only one per namespace, so an existing one is reused.
#[derive(CustomResource, Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "operators.coreos.com",
    version = "v1",
    kind = "OperatorGroup",
    namespaced,
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct OperatorGroupSpec {
    /// The namespaces the operators watch; absent means all namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_namespaces: Option<Vec<String>>,
}

/// `Subscription` (operators.coreos.com/v1alpha1): install and keep an operator package from a
/// catalog.
#[derive(CustomResource, Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "operators.coreos.com",
    version = "v1alpha1",
    kind = "Subscription",
    namespaced,
    status = "SubscriptionStatus",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionSpec {
    /// The package name (`aws-efs-csi-driver-operator`).
    pub name: String,
    /// The CatalogSource (`redhat-operators`).
    pub source: String,
    /// Its namespace (`openshift-marketplace`).
    pub source_namespace: String,
    /// The channel (`stable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// `Automatic` or `Manual`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install_plan_approval: Option<String>,
    /// A CSV to start from.
    #[serde(
        rename = "startingCSV",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub starting_csv: Option<String>,
}

/// What OLM reports about a Subscription.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionStatus {
    /// `AtLatestKnown`, `UpgradePending`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The CSV OLM wants installed.
    #[serde(
        rename = "currentCSV",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub current_csv: Option<String>,
    /// The CSV installed; `destroy` deletes it (deleting a Subscription leaves its CSV).
    #[serde(
        rename = "installedCSV",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub installed_csv: Option<String>,
    /// The InstallPlan waiting for approval (Manual approval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install_plan_ref: Option<ObjectReferenceLite>,
}

/// The parts of an object reference OLM fills in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReferenceLite {
    /// Name.
    pub name: String,
    /// Namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// `InstallPlan` (operators.coreos.com/v1alpha1): with Manual approval, OLM waits for
/// `spec.approved = true`.
#[derive(CustomResource, Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "operators.coreos.com",
    version = "v1alpha1",
    kind = "InstallPlan",
    namespaced,
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct InstallPlanSpec {
    /// `Automatic` or `Manual`.
    pub approval: String,
    /// Whether it may proceed.
    pub approved: bool,
    /// The CSVs it installs.
    #[serde(default)]
    pub cluster_service_version_names: Vec<String>,
}
