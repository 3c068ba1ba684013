//! The VPC peering request from A's VPC to B's, made with A's credentials.
//!
//! The guide requests a peering by hand and, on cleanup, deletes it twice (once per account).
//! This step finds its peering again by the stack tag (so a crash after the request never makes
//! a second one), adopts a live peering that already joins the two VPCs instead of failing, and
//! deletes only a peering tagged for this stack, exactly once.

use xefs_core::blueprint::out;
use xefs_core::blueprint::steps::PeeringRequest;
use xefs_core::ids::PeeringId;
use xefs_core::spec::STACK_TAG;
use xefs_core::step::{Ensured, Observation, Step, StepContext, StepError, StepOutputs};

use super::require_stack_tag;
use crate::Account;
use crate::ports::{NewPeering, Peering, PeeringStatus};
use crate::steps::memo;

/// The peering request, in account A.
///
/// Outputs `peering_id`, which the accept, DNS and route steps read.
#[derive(Debug, Clone)]
pub struct PeeringRequestStep {
    spec: PeeringRequest,
    account: Account,
}

impl PeeringRequestStep {
    /// The request described by `spec`, made in `account` (account A, the requester).
    pub fn new(spec: PeeringRequest, account: Account) -> Self {
        Self { spec, account }
    }

    /// The live peering this stack owns, else any live one between the same VPCs (AWS allows
    /// only one, and adopting it keeps `destroy` from ever deleting it). Active ones are
    /// preferred over pending ones, then the lowest id, so the choice is stable.
    fn choose(&self, peerings: Vec<Peering>) -> Option<Peering> {
        let ours = self.spec.tags.get(STACK_TAG);
        let mut live: Vec<Peering> = peerings
            .into_iter()
            .filter(|p| !matches!(p.status, PeeringStatus::Gone(_)))
            .collect();
        live.sort_by_key(|p| {
            let tagged = ours.is_some() && p.tags.get(STACK_TAG) == ours;
            (!tagged, p.status != PeeringStatus::Active, p.id.clone())
        });
        live.into_iter().next()
    }
}

impl PeeringRequestStep {
    /// The peering a request made. EC2 answers `initiating-request` and judges the request a
    /// moment later; when the SDK repeated a request whose answer was lost, the repeat fails
    /// (the VPCs are peered already, by the first attempt) and the live peering tagged for
    /// this stack is the one the request made. Any other failure is the step's error.
    async fn settled(&self, ctx: &StepContext, created: Peering) -> Result<PeeringId, StepError> {
        let id = created.id.clone();
        let account = &self.account;
        let status = ctx
            .wait_until(
                &format!("EC2 to judge the VPC peering request {id}"),
                SETTLE_TIMEOUT,
                || async {
                    let live = account.ec2(ctx).await.describe_peering(&id).await?;
                    Ok(match live.map(|p| p.status) {
                        Some(PeeringStatus::Initiating) => None,
                        Some(status) => Some(status),
                        None => Some(PeeringStatus::Gone("deleted".into())),
                    })
                },
            )
            .await?;
        let PeeringStatus::Gone(state) = status else {
            return Ok(id);
        };
        let peerings = account
            .ec2(ctx)
            .await
            .peerings_between(&self.spec.requester_vpc, &self.spec.accepter_vpc)
            .await?;
        let ours = self.spec.tags.get(STACK_TAG);
        match self.choose(peerings) {
            Some(p) if ours.is_some() && p.tags.get(STACK_TAG) == ours => Ok(p.id),
            _ => Err(StepError::permanent(format!(
                "the VPC peering request {id} from {} to {} ended `{state}`: check that the \
                 accepter VPC exists in account {} and that the CIDRs do not overlap \
                 (`aws ec2 describe-vpc-peering-connections --vpc-peering-connection-ids {id}` \
                 shows EC2's reason)",
                self.spec.requester_vpc, self.spec.accepter_vpc, self.spec.accepter_account
            ))
            .with_code("PeeringRequestFailed")),
        }
    }
}

/// How long EC2 may take to judge a peering request (seconds, in practice).
const SETTLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

fn outputs(id: &PeeringId) -> Result<StepOutputs, StepError> {
    StepOutputs::new().with(out::PEERING_ID, id)
}

#[async_trait::async_trait]
impl Step for PeeringRequestStep {
    fn describe(&self) -> String {
        format!(
            "VPC peering request {} → {} (account {}), from account {}",
            self.spec.requester_vpc,
            self.spec.accepter_vpc,
            self.spec.accepter_account,
            self.account.id
        )
    }

    fn expected_duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(2)
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let peerings = self
            .account
            .ec2(ctx)
            .await
            .peerings_between(&self.spec.requester_vpc, &self.spec.accepter_vpc)
            .await?;
        memo::remember_peerings(&peerings);
        match self.choose(peerings) {
            Some(p) => Ok(Observation::Present(outputs(&p.id)?)),
            None => Ok(Observation::Absent),
        }
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        if let Some(existing) = observed.outputs() {
            return Ok(Ensured::unchanged(existing.clone()));
        }
        let request = NewPeering {
            requester_vpc: self.spec.requester_vpc.clone(),
            accepter_vpc: self.spec.accepter_vpc.clone(),
            accepter_owner: self.spec.accepter_account.clone(),
            accepter_region: self.spec.accepter_region.clone(),
            tags: self.spec.tags.clone(),
        };
        let created = self.account.ec2(ctx).await.create_peering(&request).await?;
        let id = self.settled(ctx, created).await?;
        Ok(Ensured::created(outputs(&id)?))
    }

    async fn remove(&self, ctx: &StepContext, recorded: &StepOutputs) -> Result<(), StepError> {
        let id: PeeringId = recorded.get(out::PEERING_ID)?;
        let live = self.account.ec2(ctx).await.describe_peering(&id).await?;
        let Some(peering) = live else {
            return Ok(());
        };
        if matches!(peering.status, PeeringStatus::Gone(_)) {
            return Ok(());
        }
        require_stack_tag(&format!("VPC peering {id}"), &peering.tags, &self.spec.tags)?;
        // Once: the accepter's side goes with it (the guide's second delete, from account B,
        // only fails or races).
        self.account.ec2(ctx).await.delete_peering(&id).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
