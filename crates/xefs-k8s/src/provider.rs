//! The OpenShift provider: binds every blueprint step on the cluster to its implementation.

use std::sync::Arc;

use xefs_core::blueprint::{BlueprintStep, StepSpec, Target};
use xefs_core::engine::Provider;
use xefs_core::step::Step;

use crate::ClusterHandle;
use crate::steps::{
    CloudCredentialsSecretStep, ClusterCsiDriverStep, CrossAccountSecretStep, DiscoverClusterStep,
    OperatorGroupStep, SecretReaderRbacStep, StorageClassStep, SubscriptionStep, VerifyStep,
};

/// Runs the cluster-side steps of a stack.
///
/// ```no_run
/// # async fn demo(spec: xefs_core::spec::StackSpec) -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use xefs_core::blueprint::{Blueprint, Phase};
/// use xefs_core::engine::BoundPlan;
/// use xefs_k8s::{ClusterHandle, K8sOptions, K8sProvider, KubeCluster};
///
/// let cluster = KubeCluster::connect(spec.cluster.kube_context.as_deref()).await?;
/// let openshift = K8sProvider::new(ClusterHandle {
///     cluster: Arc::new(cluster),
///     stack: spec.name.clone(),
///     options: K8sOptions::default(),
/// });
/// let blueprint = Blueprint::build(&spec).select(&[Phase::Cluster]);
/// // Bind together with the AWS provider: the cluster phase reads AWS steps' outputs.
/// # let _ = (openshift, blueprint);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct K8sProvider {
    handle: ClusterHandle,
}

impl K8sProvider {
    /// A provider acting on this cluster.
    pub fn new(handle: ClusterHandle) -> Self {
        Self { handle }
    }

    /// The cluster handle.
    pub fn handle(&self) -> &ClusterHandle {
        &self.handle
    }
}

impl Provider for K8sProvider {
    fn bind(&self, step: &BlueprintStep) -> Option<Arc<dyn Step>> {
        if step.target != Target::Cluster {
            return None;
        }
        let h = self.handle.clone();
        Some(match &step.spec {
            StepSpec::DiscoverCluster(s) => Arc::new(DiscoverClusterStep::new(s.clone(), h)),
            StepSpec::CloudCredentialsSecret(s) => {
                Arc::new(CloudCredentialsSecretStep::new(s.clone(), h))
            }
            StepSpec::OperatorGroup(s) => Arc::new(OperatorGroupStep::new(s.clone(), h)),
            StepSpec::Subscription(s) => Arc::new(SubscriptionStep::new(s.clone(), h)),
            StepSpec::ClusterCsiDriver(s) => Arc::new(ClusterCsiDriverStep::new(s.clone(), h)),
            StepSpec::CrossAccountSecret(s) => Arc::new(CrossAccountSecretStep::new(s.clone(), h)),
            StepSpec::SecretReaderRbac(s) => Arc::new(SecretReaderRbacStep::new(s.clone(), h)),
            StepSpec::StorageClass(s) => Arc::new(StorageClassStep::new(s.clone(), h)),
            StepSpec::Verify(s) => Arc::new(VerifyStep::new(s.clone(), h)),
            // Steps in the AWS accounts belong to the AWS provider.
            _ => return None,
        })
    }
}
