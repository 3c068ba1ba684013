use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `Authentication/cluster` (config.openshift.io/v1): where xefs reads the cluster's service
/// account issuer, which is the OIDC provider IAM must know.
#[derive(CustomResource, Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "config.openshift.io",
    version = "v1",
    kind = "Authentication",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationSpec {
    /// The issuer of bound service account tokens, e.g.
    /// `https://oidc.op1.openshiftapps.com/abc123`; empty means the cluster's default
    /// (`https://kubernetes.default.svc`), which no IAM OIDC provider can match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_issuer: Option<String>,
}
