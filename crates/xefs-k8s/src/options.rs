//! What the OpenShift steps share: the cluster, the stack they label objects with, and how
//! long they wait.

use std::sync::Arc;
use std::time::Duration;

use xefs_core::ids::StackName;

use crate::Cluster;

/// Bounds of the OpenShift steps' waits.
#[derive(Debug, Clone, PartialEq)]
pub struct K8sOptions {
    /// The operator Deployment becoming available after the Subscription (OLM resolves,
    /// pulls and installs: minutes).
    pub operator_timeout: Duration,
    /// The driver's controller Deployment and node DaemonSet becoming ready.
    pub driver_timeout: Duration,
    /// Objects being deleted (a namespace with pods takes a while).
    pub delete_timeout: Duration,
}

impl Default for K8sOptions {
    fn default() -> Self {
        Self {
            operator_timeout: Duration::from_secs(10 * 60),
            driver_timeout: Duration::from_secs(10 * 60),
            delete_timeout: Duration::from_secs(5 * 60),
        }
    }
}

/// The cluster as every OpenShift step sees it. Cheap to clone.
#[derive(Clone)]
pub struct ClusterHandle {
    /// The port.
    pub cluster: Arc<dyn Cluster>,
    /// The stack: every object xefs writes is labelled `xefs.io/stack=<name>`.
    pub stack: StackName,
    /// Wait bounds.
    pub options: K8sOptions,
}

impl std::fmt::Debug for ClusterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterHandle")
            .field("stack", &self.stack)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}
