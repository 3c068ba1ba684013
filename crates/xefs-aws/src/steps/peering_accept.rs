//! Account B's side of the peering: accepting it (with B's credentials, which the guide gets
//! wrong easily) and waiting until it is `active`, and the optional
//! `AllowDnsResolutionFromRemoteVpc` option.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use xefs_core::blueprint::steps::{PeeringAccept, PeeringDnsResolution};
use xefs_core::blueprint::{Value, out};
use xefs_core::ids::PeeringId;
use xefs_core::step::{Ensured, Observation, Step, StepContext, StepError, StepOutputs};

use crate::Account;
use crate::ports::{Peering, PeeringStatus};
use crate::steps::memo;

/// The output naming the peering's state once accepted (always `active`).
const STATUS: &str = "status";

/// Reads the peering in `account`. A peering requested moments ago may not be visible to the
/// accepter yet: that is a retryable error, not "absent", since nothing here can create it.
async fn visible_peering(
    account: &Account,
    ctx: &StepContext,
    id: &PeeringId,
) -> Result<Peering, StepError> {
    account
        .ec2(ctx)
        .await
        .describe_peering(id)
        .await?
        .ok_or_else(|| {
            StepError::retryable(format!(
                "VPC peering {id} is not visible in account {} yet (a request reaches the \
                 accepter's account a few seconds after it is made)",
                account.id
            ))
            .with_code("PeeringNotVisible")
            .with_resource(id.to_string())
        })
}

/// The peering's id after a space when the spec knows it, else nothing: descriptions read
/// well before and after apply.
fn known(peering: &Value<PeeringId>) -> String {
    match peering {
        Value::Known(id) => format!(" {id}"),
        Value::After(_) => String::new(),
    }
}

/// A peering that was rejected, deleted, failed or expired can never become active: say so,
/// and how to get a new one.
fn gone_error(id: &PeeringId, state: &str) -> StepError {
    StepError::permanent(format!(
        "VPC peering {id} is `{state}` and can never become active. Run `xefs destroy` (it also \
         removes the routes through this peering, which would otherwise conflict) and then \
         `xefs apply`, which requests a new peering; or delete the peering and its routes by \
         hand first"
    ))
    .with_code("PeeringGone")
    .with_resource(id.to_string())
}

/// Accepts the peering in account B and waits until it is `active`.
///
/// Outputs `peering_id` and `status`. Nothing to undo: deleting the peering (the request
/// step's job) ends the acceptance with it.
#[derive(Debug, Clone)]
pub struct PeeringAcceptStep {
    spec: PeeringAccept,
    account: Account,
    timeout: Duration,
}

impl PeeringAcceptStep {
    /// Accepts `spec`'s peering in `account` (account B, the accepter, with its own
    /// credentials), waiting at most `timeout` for it to become active.
    pub fn new(spec: PeeringAccept, account: Account, timeout: Duration) -> Self {
        Self {
            spec,
            account,
            timeout,
        }
    }
}

fn accept_outputs(id: &PeeringId) -> Result<StepOutputs, StepError> {
    StepOutputs::new()
        .with(out::PEERING_ID, id)?
        .with(STATUS, "active")
}

#[async_trait::async_trait]
impl Step for PeeringAcceptStep {
    fn describe(&self) -> String {
        format!(
            "acceptance of the stack's VPC peering{}, in account {}",
            known(&self.spec.peering),
            self.account.id
        )
    }

    fn expected_duration(&self) -> Duration {
        Duration::from_secs(10)
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let id = self.spec.peering.get(ctx.inputs())?;
        // The requester's listing in this run shows the same connection's status.
        let peering = match memo::recall_peering(&id) {
            Some(peering) => peering,
            None => visible_peering(&self.account, ctx, &id).await?,
        };
        match peering.status {
            PeeringStatus::Active => Ok(Observation::Present(accept_outputs(&id)?)),
            // Pending: ensure accepts. Initiating, provisioning or unknown: ensure only waits.
            // Gone (deleted, rejected, expired): no acceptance stands, and ensure says it can
            // never be made and what to do. Reading it is no error: a run that only reads this
            // phase (`xefs verify`) goes on, and its check meets the broken path as the
            // cluster does.
            PeeringStatus::PendingAcceptance
            | PeeringStatus::Initiating
            | PeeringStatus::Provisioning
            | PeeringStatus::Gone(_)
            | PeeringStatus::Other(_) => Ok(Observation::Absent),
        }
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        if let Observation::Present(existing) = observed {
            return Ok(Ensured::unchanged(existing.clone()));
        }
        let id = self.spec.peering.get(ctx.inputs())?;
        // The first poll runs at once: it accepts a pending peering, later ones watch it settle.
        // A peering still `initiating` is accepted once it turns pending; an accept that failed
        // retryably (not yet visible) is tried again on the next poll.
        let accepted = AtomicBool::new(false);
        let (id_ref, accepted_ref, account) = (&id, &accepted, &self.account);
        ctx.wait_until(
            &format!("VPC peering {id} to become active"),
            self.timeout,
            move || async move {
                let peering = visible_peering(account, ctx, id_ref).await?;
                match peering.status {
                    PeeringStatus::Active => Ok(Some(())),
                    PeeringStatus::Gone(state) => Err(gone_error(id_ref, &state)),
                    PeeringStatus::PendingAcceptance if !accepted_ref.load(Ordering::SeqCst) => {
                        match account.ec2(ctx).await.accept_peering(id_ref).await {
                            Ok(()) => {}
                            // The SDK sent the accept again after its answer was lost, and the
                            // first one took: the next poll sees the peering provisioning or
                            // active (or gone, which it reports).
                            Err(e) if e.is_code("InvalidStateTransition") => {}
                            Err(e) => return Err(e.into()),
                        }
                        accepted_ref.store(true, Ordering::SeqCst);
                        Ok(None)
                    }
                    _ => Ok(None),
                }
            },
        )
        .await?;
        let outputs = accept_outputs(&id)?;
        // Accepted by someone else while xefs only waited: not xefs's doing.
        Ok(if accepted.load(Ordering::SeqCst) {
            Ensured::created(outputs)
        } else {
            Ensured::unchanged(outputs)
        })
    }

    async fn remove(&self, _ctx: &StepContext, _recorded: &StepOutputs) -> Result<(), StepError> {
        // An acceptance cannot be withdrawn; the request step deletes the peering itself.
        Ok(())
    }
}

/// `AllowDnsResolutionFromRemoteVpc` on the accepter side, in account B.
///
/// Off unless the spec asks: it does not make EFS names resolvable across accounts, and the
/// OpenShift driver mounts by IP. A peering already allowing it is found present (and adopted,
/// so `destroy` leaves the option as it found it). Outputs `peering_id`.
#[derive(Debug, Clone)]
pub struct PeeringDnsStep {
    spec: PeeringDnsResolution,
    account: Account,
}

impl PeeringDnsStep {
    /// The option on `spec`'s peering, set in `account` (account B, the accepter).
    pub fn new(spec: PeeringDnsResolution, account: Account) -> Self {
        Self { spec, account }
    }
}

#[async_trait::async_trait]
impl Step for PeeringDnsStep {
    fn describe(&self) -> String {
        format!(
            "DNS resolution from the remote VPC on the stack's VPC peering{} (accepter side), \
             in account {}",
            known(&self.spec.peering),
            self.account.id
        )
    }

    fn expected_duration(&self) -> Duration {
        Duration::from_secs(2)
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let id = self.spec.peering.get(ctx.inputs())?;
        let peering = visible_peering(&self.account, ctx, &id).await?;
        if let PeeringStatus::Gone(state) = &peering.status {
            return Err(gone_error(&id, state));
        }
        Ok(if peering.accepter_allows_remote_dns {
            Observation::Present(StepOutputs::new().with(out::PEERING_ID, &id)?)
        } else {
            Observation::Absent
        })
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        if let Observation::Present(existing) = observed {
            return Ok(Ensured::unchanged(existing.clone()));
        }
        let id = self.spec.peering.get(ctx.inputs())?;
        self.account
            .ec2(ctx)
            .await
            .set_accepter_remote_dns(&id, true)
            .await?;
        Ok(Ensured::created(
            StepOutputs::new().with(out::PEERING_ID, &id)?,
        ))
    }

    async fn remove(&self, ctx: &StepContext, recorded: &StepOutputs) -> Result<(), StepError> {
        let id: PeeringId = recorded.get(out::PEERING_ID)?;
        let live = self.account.ec2(ctx).await.describe_peering(&id).await?;
        match live {
            None => Ok(()),
            Some(p) if matches!(p.status, PeeringStatus::Gone(_)) => Ok(()),
            Some(_) => {
                self.account
                    .ec2(ctx)
                    .await
                    .set_accepter_remote_dns(&id, false)
                    .await?;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests;
