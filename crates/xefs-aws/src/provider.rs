//! The AWS provider: binds every blueprint step that acts in account A or B to its
//! implementation over that account's ports.

use std::sync::Arc;

use xefs_core::blueprint::{BlueprintStep, StepSpec, Target};
use xefs_core::engine::Provider;
use xefs_core::step::Step;

use crate::steps::{
    AttachmentStep, DiscoverClusterAccountStep, DiscoverStorageAccountStep, EfsClientAccessStep,
    FileSystemPolicyStep, FileSystemStep, IamPolicyStep, IamRoleStep, MountTargetsStep,
    PeerRoutesStep, PeeringAcceptStep, PeeringDnsStep, PeeringRequestStep, PreflightStep,
    SecurityGroupStep,
};
use crate::{Account, AwsAccounts, AwsOptions};

/// Runs the AWS steps of a stack with the clients of both accounts.
///
/// ```no_run
/// # async fn demo(spec: xefs_core::spec::StackSpec) -> Result<(), Box<dyn std::error::Error>> {
/// use xefs_aws::sdk::{connect, ConnectOptions};
/// use xefs_aws::{AwsOptions, AwsProvider};
/// use xefs_core::blueprint::{Blueprint, Phase};
/// use xefs_core::engine::BoundPlan;
///
/// let accounts = connect(&spec, &ConnectOptions::default()).await?;
/// accounts.verify_identities().await?;
/// let aws = AwsProvider::new(accounts, AwsOptions::default());
/// let blueprint = Blueprint::build(&spec).select(&[Phase::Aws]);
/// let plan = BoundPlan::bind(&blueprint, &[&aws])?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AwsProvider {
    accounts: AwsAccounts,
    options: AwsOptions,
}

impl AwsProvider {
    /// A provider acting with these accounts' clients.
    pub fn new(accounts: AwsAccounts, options: AwsOptions) -> Self {
        Self { accounts, options }
    }

    /// The accounts.
    pub fn accounts(&self) -> &AwsAccounts {
        &self.accounts
    }

    /// The options.
    pub fn options(&self) -> &AwsOptions {
        &self.options
    }

    fn account(&self, target: Target) -> Option<&Account> {
        match target {
            Target::ClusterAccount => Some(&self.accounts.cluster),
            Target::StorageAccount => Some(&self.accounts.storage),
            Target::BothAccounts | Target::Cluster => None,
        }
    }
}

impl Provider for AwsProvider {
    fn bind(&self, step: &BlueprintStep) -> Option<Arc<dyn Step>> {
        if let StepSpec::Preflight(spec) = &step.spec {
            return Some(Arc::new(PreflightStep::new(
                spec.clone(),
                self.accounts.clone(),
            )));
        }
        let account = self.account(step.target)?.clone();
        let o = &self.options;
        Some(match &step.spec {
            StepSpec::DiscoverClusterAccount(s) => {
                Arc::new(DiscoverClusterAccountStep::new(s.clone(), account))
            }
            StepSpec::DiscoverStorageAccount(s) => {
                Arc::new(DiscoverStorageAccountStep::new(s.clone(), account))
            }
            StepSpec::IamPolicy(s) => Arc::new(IamPolicyStep::new(s.clone(), account)),
            StepSpec::IamRole(s) => Arc::new(IamRoleStep::new(s.clone(), account)),
            StepSpec::IamRolePolicyAttachment(s) => {
                Arc::new(AttachmentStep::new(s.clone(), account))
            }
            StepSpec::EfsClientAccess(s) => Arc::new(EfsClientAccessStep::new(s.clone(), account)),
            StepSpec::PeeringRequest(s) => Arc::new(PeeringRequestStep::new(s.clone(), account)),
            StepSpec::PeeringAccept(s) => Arc::new(PeeringAcceptStep::new(
                s.clone(),
                account,
                o.peering_timeout,
            )),
            StepSpec::PeeringDnsResolution(s) => Arc::new(PeeringDnsStep::new(s.clone(), account)),
            StepSpec::PeerRoutes(s) => Arc::new(PeerRoutesStep::new(s.clone(), account)),
            StepSpec::MountTargetSecurityGroup(s) => {
                Arc::new(SecurityGroupStep::new(s.clone(), account))
            }
            StepSpec::FileSystem(s) => Arc::new(FileSystemStep::new(s.clone(), account, o.clone())),
            StepSpec::MountTargets(s) => Arc::new(MountTargetsStep::new(
                s.clone(),
                account,
                o.mount_target_timeout,
            )),
            StepSpec::FileSystemPolicy(s) => {
                Arc::new(FileSystemPolicyStep::new(s.clone(), account))
            }
            // Steps on the cluster (or read from it) belong to the OpenShift provider.
            StepSpec::DiscoverCluster(_)
            | StepSpec::Preflight(_)
            | StepSpec::CloudCredentialsSecret(_)
            | StepSpec::OperatorGroup(_)
            | StepSpec::Subscription(_)
            | StepSpec::ClusterCsiDriver(_)
            | StepSpec::CrossAccountSecret(_)
            | StepSpec::SecretReaderRbac(_)
            | StepSpec::StorageClass(_)
            | StepSpec::Verify(_) => return None,
        })
    }
}
