//! Account B's side: one subnet of B's VPC per worker zone id for the mount targets, and the
//! route tables that serve them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use xefs_core::blueprint::out;
use xefs_core::blueprint::steps::DiscoverStorageAccount;
use xefs_core::ids::{AzId, SubnetId};
use xefs_core::step::{Ensured, Observation, Step, StepContext, StepError, StepOutputs};

use super::route_tables_serving;
use crate::Account;
use crate::ports::Subnet;
use crate::steps::common::{read_only_ensure, scope};
use crate::steps::memo;
use crate::steps::output_names::{CROSS_ZONE_AZ_IDS, UNCOVERED_AZ_IDS};

/// Chooses where B's mount targets go: one subnet of B's VPC in each zone id the workers run
/// in (or only the file system's zone with One Zone storage), matched by zone **id** because
/// zone names differ between the two accounts.
///
/// Outputs `mount_target_subnets`, `storage_route_tables`, `uncovered_az_ids` (zones left
/// without a subnet, which preflight fails on) and `cross_zone_az_ids` (One Zone: worker zones
/// that mount across zones, which preflight warns about).
#[derive(Debug, Clone)]
pub struct DiscoverStorageAccountStep {
    spec: DiscoverStorageAccount,
    account: Account,
}

impl DiscoverStorageAccountStep {
    /// The discovery described by `spec`, reading account B through `account`.
    pub fn new(spec: DiscoverStorageAccount, account: Account) -> Self {
        Self { spec, account }
    }

    /// The subnets the spec names, checked: each in B's VPC, at most one per zone id, and with
    /// One Zone storage only in the file system's zone (EFS refuses a mount target elsewhere).
    async fn named_subnets(&self, ctx: &StepContext) -> Result<Vec<Subnet>, StepError> {
        let vpc = &self.spec.vpc_id;
        let described = self
            .account
            .ec2(ctx)
            .await
            .describe_subnets(&self.spec.subnets)
            .await?;
        memo::remember_subnets(&self.account.id, &described);
        let mut problems = Vec::new();
        let mut by_zone: BTreeMap<&AzId, &SubnetId> = BTreeMap::new();
        for id in &self.spec.subnets {
            let Some(subnet) = described.iter().find(|s| &s.id == id) else {
                problems.push(format!("subnet {id} was not found"));
                continue;
            };
            if &subnet.vpc_id != vpc {
                problems.push(format!(
                    "subnet {id} is in VPC {}, not in the storage VPC {vpc}: name only subnets \
                     of {vpc} in storage.subnets",
                    subnet.vpc_id
                ));
                continue;
            }
            if let Some(zone) = &self.spec.one_zone_az_id
                && &subnet.az_id != zone
            {
                problems.push(format!(
                    "subnet {id} is in zone {}, but the One Zone file system lives in {zone}: \
                     name a subnet of {zone} in storage.subnets",
                    subnet.az_id
                ));
                continue;
            }
            match by_zone.get(&subnet.az_id) {
                Some(first) if *first != id => problems.push(format!(
                    "subnets {first} and {id} are both in zone {}; EFS allows one mount target \
                     per zone: keep one of them in storage.subnets",
                    subnet.az_id
                )),
                _ => {
                    by_zone.insert(&subnet.az_id, id);
                }
            }
        }
        if !problems.is_empty() {
            return Err(StepError::permanent(problems.join("; "))
                .with_context(scope(&self.account), "DescribeSubnets"));
        }
        let keep: BTreeSet<SubnetId> = by_zone.into_values().cloned().collect();
        let mut chosen: Vec<Subnet> = described
            .into_iter()
            .filter(|s| keep.contains(&s.id))
            .collect();
        chosen.sort_by(|a, b| a.id.cmp(&b.id));
        chosen.dedup_by(|a, b| a.id == b.id);
        Ok(chosen)
    }

    /// The lowest subnet id of B's VPC in each of `zones`: any subnet of the zone works for a
    /// mount target, and a stable choice keeps plans from flapping between runs.
    async fn chosen_subnets(
        &self,
        ctx: &StepContext,
        zones: &BTreeSet<AzId>,
    ) -> Result<Vec<Subnet>, StepError> {
        let all = self
            .account
            .ec2(ctx)
            .await
            .subnets_in_vpc(&self.spec.vpc_id)
            .await?;
        memo::remember_subnets(&self.account.id, &all);
        let mut lowest: BTreeMap<AzId, Subnet> = BTreeMap::new();
        for subnet in all
            .into_iter()
            .filter(|s| s.vpc_id == self.spec.vpc_id && zones.contains(&s.az_id))
        {
            match lowest.get(&subnet.az_id) {
                Some(current) if current.id <= subnet.id => {}
                _ => {
                    lowest.insert(subnet.az_id.clone(), subnet);
                }
            }
        }
        let mut chosen: Vec<Subnet> = lowest.into_values().collect();
        chosen.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(chosen)
    }

    async fn discover(&self, ctx: &StepContext) -> Result<StepOutputs, StepError> {
        let worker_zones: BTreeSet<AzId> = self
            .spec
            .worker_az_ids
            .get::<Vec<AzId>>(ctx.inputs())?
            .into_iter()
            .collect();
        let (zones, cross_zone): (BTreeSet<AzId>, Vec<AzId>) = match &self.spec.one_zone_az_id {
            Some(zone) => (
                BTreeSet::from([zone.clone()]),
                worker_zones
                    .iter()
                    .filter(|z| *z != zone)
                    .cloned()
                    .collect(),
            ),
            None => (worker_zones, Vec::new()),
        };
        let chosen = if self.spec.subnets.is_empty() {
            self.chosen_subnets(ctx, &zones).await?
        } else {
            self.named_subnets(ctx).await?
        };
        let covered: BTreeSet<&AzId> = chosen.iter().map(|s| &s.az_id).collect();
        let uncovered: Vec<AzId> = zones
            .iter()
            .filter(|z| !covered.contains(z))
            .cloned()
            .collect();
        let subnet_ids: Vec<SubnetId> = chosen.into_iter().map(|s| s.id).collect();
        let route_tables = if subnet_ids.is_empty() {
            Vec::new()
        } else {
            let tables = self
                .account
                .ec2(ctx)
                .await
                .route_tables_in_vpc(&self.spec.vpc_id)
                .await?;
            memo::remember_route_tables(&self.account.id, &tables);
            route_tables_serving(&self.account, &self.spec.vpc_id, &subnet_ids, &tables)?
        };
        StepOutputs::new()
            .with(out::MOUNT_TARGET_SUBNETS, subnet_ids)?
            .with(out::STORAGE_ROUTE_TABLES, route_tables)?
            .with(UNCOVERED_AZ_IDS, uncovered)?
            .with(CROSS_ZONE_AZ_IDS, cross_zone)
    }
}

#[async_trait::async_trait]
impl Step for DiscoverStorageAccountStep {
    fn describe(&self) -> String {
        format!(
            "mount-target subnets and route tables of VPC {} in account {}",
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
