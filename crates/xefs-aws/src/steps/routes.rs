//! Routes to the peer VPC's CIDR through the peering, in every route table of a set (A's worker
//! subnets' tables, or B's mount-target subnets' tables).
//!
//! The guide adds one route per worker node (failing on the second node of a table) and, in
//! account B, one hand-picked table. Here every discovered table gets exactly one route; an
//! identical route is success; a route for the same CIDR to anything else is a conflict that
//! xefs never overwrites. Routes cannot be tagged: the peering they target marks them as this
//! stack's, so `destroy` deletes a route only while it still targets the recorded peering.

use xefs_core::blueprint::out;
use xefs_core::blueprint::steps::PeerRoutes;
use xefs_core::ids::{Ipv4Cidr, PeeringId, RouteTableId};
use xefs_core::step::{Ensured, FieldDiff, Observation, Step, StepContext, StepError, StepOutputs};

use crate::Account;
use crate::ports::{Route, RouteTable, RouteTarget};
use crate::steps::memo;

/// Output: the tables holding the route.
const ROUTE_TABLES: &str = "route_tables";
/// Output: the routes' destination (the peer VPC's CIDR).
const DESTINATION: &str = "destination";

/// A route to the peer VPC through the peering in each of a set of route tables, in one account.
///
/// Outputs `route_tables`, `destination` and `peering_id`: what `destroy` needs to find the
/// routes again.
#[derive(Debug, Clone)]
pub struct PeerRoutesStep {
    spec: PeerRoutes,
    account: Account,
}

impl PeerRoutesStep {
    /// The routes `spec` describes, in `account` (A's for the worker tables, B's for the
    /// mount-target tables: the one that owns the tables).
    pub fn new(spec: PeerRoutes, account: Account) -> Self {
        Self { spec, account }
    }

    /// The tables (sorted, without duplicates) and the peering, from the dependencies.
    fn wanted(&self, ctx: &StepContext) -> Result<(Vec<RouteTableId>, PeeringId), StepError> {
        if self.spec.account != self.account.id {
            return Err(StepError::permanent(format!(
                "the routes of account {} are bound to the clients of account {}",
                self.spec.account, self.account.id
            )));
        }
        let mut tables: Vec<RouteTableId> = self.spec.route_tables.get(ctx.inputs())?;
        tables.sort();
        tables.dedup();
        if tables.is_empty() {
            return Err(StepError::permanent(format!(
                "no route tables to route {} through: `{}` found none",
                self.spec.destination, self.spec.route_tables
            )));
        }
        Ok((tables, self.spec.peering.get(ctx.inputs())?))
    }

    fn outputs(
        &self,
        tables: &[RouteTableId],
        peering: &PeeringId,
    ) -> Result<StepOutputs, StepError> {
        StepOutputs::new()
            .with(ROUTE_TABLES, tables)?
            .with(DESTINATION, self.spec.destination)?
            .with(out::PEERING_ID, peering)
    }

    /// Whether `table` already routes the destination through `peering`: `Ok(false)` when it
    /// has no route for it, an error when it routes it elsewhere.
    fn has_route(&self, table: &RouteTable, peering: &PeeringId) -> Result<bool, StepError> {
        match route_for(table, &self.spec.destination) {
            None => Ok(false),
            // A blackhole to this very peering recovers as the peering becomes active.
            Some(route) if is_to(route, peering) => Ok(true),
            Some(route) => Err(self.conflict(&table.id, route, peering)),
        }
    }

    fn conflict(&self, table: &RouteTableId, route: &Route, peering: &PeeringId) -> StepError {
        let cidr = self.spec.destination;
        let blackhole = if route.blackhole {
            " (a blackhole: that target no longer exists)"
        } else {
            ""
        };
        StepError::permanent(format!(
            "route table {table} in account {} already routes {cidr} to {}{blackhole}, not \
             through peering {peering}, and xefs does not replace routes it did not make. If \
             that route is stale, delete it (`aws ec2 delete-route --route-table-id {table} \
             --destination-cidr-block {cidr}`) and apply again; if the peer VPC is meant to be \
             reached through {} instead, this stack's peering is not needed",
            self.account.id, route.target, route.target
        ))
        .with_code("RouteConflict")
        .with_resource(table.to_string())
    }

    /// Reads the tables and splits them into those with the route and those without. When
    /// `observing`, the tables discovery read in this run serve (see [`memo`]).
    async fn survey(
        &self,
        ctx: &StepContext,
        tables: &[RouteTableId],
        peering: &PeeringId,
        observing: bool,
    ) -> Result<(Vec<RouteTableId>, Vec<RouteTableId>), StepError> {
        let remembered = observing
            .then(|| memo::recall_route_tables(&self.account.id, tables))
            .flatten();
        let live = match remembered {
            Some(live) => live,
            None => {
                self.account
                    .ec2(ctx)
                    .await
                    .describe_route_tables(tables)
                    .await?
            }
        };
        let (mut present, mut missing) = (Vec::new(), Vec::new());
        for id in tables {
            let table = live.iter().find(|t| &t.id == id).ok_or_else(|| {
                StepError::permanent(format!(
                    "route table {id} does not exist in account {}",
                    self.account.id
                ))
                .with_resource(id.to_string())
            })?;
            if self.has_route(table, peering)? {
                present.push(id.clone());
            } else {
                missing.push(id.clone());
            }
        }
        Ok((present, missing))
    }

    /// The recorded tables that still exist; a table deleted since (its VPC torn down) has no
    /// route left to remove.
    async fn existing_tables(
        &self,
        ctx: &StepContext,
        tables: &[RouteTableId],
    ) -> Result<Vec<RouteTable>, StepError> {
        match self
            .account
            .ec2(ctx)
            .await
            .describe_route_tables(tables)
            .await
        {
            Ok(live) => Ok(live),
            Err(e) if is_table_not_found(&e) => {
                let mut live = Vec::new();
                for table in tables {
                    match self
                        .account
                        .ec2(ctx)
                        .await
                        .describe_route_tables(std::slice::from_ref(table))
                        .await
                    {
                        Ok(found) => live.extend(found),
                        Err(e) if is_table_not_found(&e) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Ok(live)
            }
            Err(e) => Err(e.into()),
        }
    }
}

fn route_for<'a>(table: &'a RouteTable, destination: &Ipv4Cidr) -> Option<&'a Route> {
    table.routes.iter().find(|r| &r.destination == destination)
}

fn is_to(route: &Route, peering: &PeeringId) -> bool {
    matches!(&route.target, RouteTarget::Peering(p) if p == peering)
}

fn is_table_not_found(e: &crate::AwsError) -> bool {
    e.code
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("InvalidRouteTableID.NotFound"))
}

fn joined(tables: &[RouteTableId]) -> String {
    if tables.is_empty() {
        return "none".to_owned();
    }
    tables
        .iter()
        .map(RouteTableId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait::async_trait]
impl Step for PeerRoutesStep {
    fn describe(&self) -> String {
        format!(
            "routes to {} through the stack's VPC peering in every route table of `{}`, in \
             account {}",
            self.spec.destination, self.spec.route_tables, self.account.id
        )
    }

    fn expected_duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(2)
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let (tables, peering) = self.wanted(ctx)?;
        let (present, missing) = self.survey(ctx, &tables, &peering, true).await?;
        Ok(if missing.is_empty() {
            Observation::Present(self.outputs(&tables, &peering)?)
        } else if present.is_empty() {
            Observation::Absent
        } else {
            Observation::Drifted {
                outputs: self.outputs(&present, &peering)?,
                diff: vec![FieldDiff::new(
                    ROUTE_TABLES,
                    joined(&present),
                    joined(&tables),
                )],
            }
        })
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        let present: Vec<RouteTableId> = match observed {
            Observation::Present(existing) => return Ok(Ensured::unchanged(existing.clone())),
            Observation::Drifted { outputs, .. } => outputs.get(ROUTE_TABLES)?,
            Observation::Absent | Observation::NotApplicable { .. } => Vec::new(),
        };
        let (tables, peering) = self.wanted(ctx)?;
        for table in tables.iter().filter(|t| !present.contains(t)) {
            let created = self
                .account
                .ec2(ctx)
                .await
                .create_route(table, &self.spec.destination, &peering)
                .await;
            match created {
                Ok(()) => {}
                // Added since observe (a concurrent or retried call): fine if it is ours.
                Err(e) if e.is_code("RouteAlreadyExists") => {
                    let (_, missing) = self
                        .survey(ctx, std::slice::from_ref(table), &peering, false)
                        .await?;
                    if !missing.is_empty() {
                        return Err(e.into());
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        let outputs = self.outputs(&tables, &peering)?;
        Ok(if present.is_empty() {
            Ensured::created(outputs)
        } else {
            Ensured::updated(outputs)
        })
    }

    async fn remove(&self, ctx: &StepContext, recorded: &StepOutputs) -> Result<(), StepError> {
        let tables: Vec<RouteTableId> = recorded.get(ROUTE_TABLES)?;
        let destination: Ipv4Cidr = recorded.get(DESTINATION)?;
        let peering: PeeringId = recorded.get(out::PEERING_ID)?;
        if tables.is_empty() {
            return Ok(());
        }
        for table in self.existing_tables(ctx, &tables).await? {
            match route_for(&table, &destination) {
                Some(route) if is_to(route, &peering) => {
                    self.account
                        .ec2(ctx)
                        .await
                        .delete_route(&table.id, &destination)
                        .await?;
                }
                Some(route) => tracing::info!(
                    table = %table.id,
                    %destination,
                    target = %route.target,
                    "route now targets something else: not xefs's, left alone"
                ),
                None => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
