//! Account A's side: where the workers run, which route tables serve them, which roles they
//! use.

use std::collections::BTreeSet;
use std::time::Duration;

use xefs_core::blueprint::out;
use xefs_core::blueprint::steps::{DiscoverClusterAccount, WorkerSource};
use xefs_core::ids::{Arn, AzId, InstanceId, SubnetId};
use xefs_core::step::{Ensured, Observation, Step, StepContext, StepError, StepOutputs};

use super::route_tables_serving;
use crate::Account;
use crate::ports::Instance;
use crate::steps::common::{read_only_ensure, scope};
use crate::steps::memo;

/// Reads account A's network as the cluster uses it: the worker subnets (from the spec or from
/// the worker instances), their zone **ids**, the route tables that serve them, and the
/// worker-node roles.
///
/// Zone ids, not names, because names are shuffled per account and B's mount targets must
/// land in the same physical zones. Outputs `worker_subnets`, `worker_az_ids`,
/// `cluster_route_tables` and `node_role_arns`.
#[derive(Debug, Clone)]
pub struct DiscoverClusterAccountStep {
    spec: DiscoverClusterAccount,
    account: Account,
}

impl DiscoverClusterAccountStep {
    /// The discovery described by `spec`, reading account A through `account`.
    pub fn new(spec: DiscoverClusterAccount, account: Account) -> Self {
        Self { spec, account }
    }

    /// The worker subnets, sorted and unique, and the instances they came from (none when the
    /// spec names the subnets).
    async fn worker_subnets(
        &self,
        ctx: &StepContext,
    ) -> Result<(Vec<SubnetId>, Vec<Instance>), StepError> {
        let (subnets, instances) = match &self.spec.workers {
            WorkerSource::Subnets(subnets) => (subnets.clone(), Vec::new()),
            WorkerSource::Instances(ids) => {
                let ids: Vec<InstanceId> = ids.get(ctx.inputs())?;
                if ids.is_empty() {
                    return Err(StepError::permanent(
                        "the cluster reported no worker nodes, so xefs cannot tell where they \
                         run; name the worker subnets in cluster.worker_subnets",
                    ));
                }
                let instances = self.account.ec2(ctx).await.describe_instances(&ids).await?;
                // A terminated instance has no subnet; the others say where workers run.
                let subnets = instances
                    .iter()
                    .filter_map(|i| i.subnet_id.clone())
                    .collect();
                (subnets, instances)
            }
        };
        let subnets: Vec<SubnetId> = subnets
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if subnets.is_empty() {
            return Err(StepError::permanent(
                "no worker subnet is known (the worker instances have none); name them in \
                 cluster.worker_subnets",
            )
            .with_context(scope(&self.account), "DescribeInstances"));
        }
        Ok((subnets, instances))
    }

    /// The roles of the worker nodes: the spec's, else those of the instances' profiles.
    async fn node_roles(
        &self,
        ctx: &StepContext,
        instances: &[Instance],
    ) -> Result<Vec<Arn>, StepError> {
        if !self.spec.node_role_arns.is_empty() {
            return Ok(self.spec.node_role_arns.clone());
        }
        let profiles: BTreeSet<&str> = instances
            .iter()
            .filter_map(|i| i.instance_profile_arn.as_deref())
            .filter_map(|arn| arn.rsplit('/').next())
            .filter(|name| !name.is_empty())
            .collect();
        let mut roles = BTreeSet::new();
        for profile in profiles {
            roles.extend(
                self.account
                    .iam(ctx)
                    .await
                    .instance_profile_roles(profile)
                    .await?,
            );
        }
        Ok(roles.into_iter().collect())
    }

    async fn discover(&self, ctx: &StepContext) -> Result<StepOutputs, StepError> {
        let vpc = &self.spec.vpc_id;
        let (subnets, instances) = self.worker_subnets(ctx).await?;
        let described = self
            .account
            .ec2(ctx)
            .await
            .describe_subnets(&subnets)
            .await?;
        let mut problems = Vec::new();
        let mut zones = BTreeSet::new();
        for id in &subnets {
            match described.iter().find(|s| &s.id == id) {
                None => problems.push(format!("subnet {id} was not found")),
                Some(s) if &s.vpc_id != vpc => problems.push(format!(
                    "worker subnet {id} is in VPC {}, not in the cluster's VPC {vpc}: set \
                     cluster.vpc_id to the VPC the workers run in, or name only subnets of {vpc} \
                     in cluster.worker_subnets",
                    s.vpc_id
                )),
                Some(s) => {
                    zones.insert(s.az_id.clone());
                }
            }
        }
        if !problems.is_empty() {
            return Err(StepError::permanent(problems.join("; "))
                .with_context(scope(&self.account), "DescribeSubnets"));
        }
        let tables = self.account.ec2(ctx).await.route_tables_in_vpc(vpc).await?;
        memo::remember_route_tables(&self.account.id, &tables);
        let route_tables = route_tables_serving(&self.account, vpc, &subnets, &tables)?;
        let roles = self.node_roles(ctx, &instances).await?;
        let zones: Vec<AzId> = zones.into_iter().collect();
        StepOutputs::new()
            .with(out::WORKER_SUBNETS, subnets)?
            .with(out::WORKER_AZ_IDS, zones)?
            .with(out::CLUSTER_ROUTE_TABLES, route_tables)?
            .with(out::NODE_ROLE_ARNS, roles)
    }
}

#[async_trait::async_trait]
impl Step for DiscoverClusterAccountStep {
    fn describe(&self) -> String {
        format!(
            "worker subnets, zone ids, route tables and node roles of VPC {} in account {}",
            self.spec.vpc_id, self.account.id
        )
    }

    fn mutates(&self) -> bool {
        false
    }

    fn expected_duration(&self) -> Duration {
        Duration::from_secs(1)
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        Ok(Observation::Present(self.discover(ctx).await?))
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        read_only_ensure(self, ctx, observed).await
    }

    async fn remove(&self, _ctx: &StepContext, _recorded: &StepOutputs) -> Result<(), StepError> {
        // A read writes nothing, so there is nothing to undo.
        Ok(())
    }
}

#[cfg(test)]
mod tests;
