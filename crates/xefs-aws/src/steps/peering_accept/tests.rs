use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU32;

use tokio::time::Instant;
use xefs_core::blueprint::{Address, OutputRef, Value, addr};
use xefs_core::step::{Change, Inputs};

use super::*;
use crate::steps::fixtures::{PCX, pcx, peering};
use crate::steps::test_support::{B, Mocks, ctx};

fn after_peering() -> Value<PeeringId> {
    Value::After(OutputRef {
        step: Address::parse(addr::PEERING).expect("address"),
        output: out::PEERING_ID.into(),
    })
}

fn inputs() -> Inputs {
    Inputs::new().with(
        Address::parse(addr::PEERING).expect("address"),
        StepOutputs::new()
            .with(out::PEERING_ID, PCX)
            .expect("outputs"),
    )
}

fn accept_step(mocks: Mocks, timeout: Duration) -> PeeringAcceptStep {
    PeeringAcceptStep::new(
        PeeringAccept {
            peering: after_peering(),
        },
        mocks.account(B),
        timeout,
    )
}

fn c() -> StepContext {
    ctx(addr::PEERING_ACCEPT, inputs())
}

fn with_status(status: PeeringStatus) -> Peering {
    peering(PCX, status, BTreeMap::new())
}

/// Answers `describe_peering` with each status in turn, repeating the last.
fn statuses(mocks: &mut Mocks, list: Vec<PeeringStatus>) -> Arc<AtomicU32> {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    mocks
        .ec2
        .expect_describe_peering()
        .withf(|id| id.as_str() == PCX)
        .returning(move |_| {
            let n = counter.fetch_add(1, Ordering::SeqCst) as usize;
            let status = list[n.min(list.len() - 1)].clone();
            Ok(Some(with_status(status)))
        });
    calls
}

#[tokio::test(start_paused = true)]
async fn accepts_a_pending_peering_and_polls_until_active() -> Result<(), StepError> {
    let mut m = Mocks::default();
    let calls = statuses(
        &mut m,
        vec![
            PeeringStatus::PendingAcceptance,
            PeeringStatus::PendingAcceptance,
            PeeringStatus::Provisioning,
            PeeringStatus::Provisioning,
            PeeringStatus::Active,
        ],
    );
    m.ec2
        .expect_accept_peering()
        .withf(|id| id.as_str() == PCX)
        .times(1)
        .returning(|_| Ok(()));
    let step = accept_step(m, Duration::from_secs(60));
    let observed = step.observe(&c()).await?;
    assert_eq!(observed, Observation::Absent);
    let start = Instant::now();
    let ensured = step.ensure(&c(), &observed).await?;
    assert_eq!(ensured.change, Change::Created);
    assert_eq!(ensured.outputs.get::<String>("peering_id")?, PCX);
    assert_eq!(ensured.outputs.get::<String>("status")?, "active");
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    Ok(())
}

#[tokio::test]
async fn an_active_peering_is_present_with_no_write() -> Result<(), StepError> {
    let mut m = Mocks::default();
    statuses(&mut m, vec![PeeringStatus::Active]);
    let step = accept_step(m, Duration::from_secs(60));
    let observed = step.observe(&c()).await?;
    assert!(matches!(observed, Observation::Present(_)));
    assert_eq!(
        step.ensure(&c(), &observed).await?.change,
        Change::Unchanged
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_peering_accepted_elsewhere_is_only_waited_for() -> Result<(), StepError> {
    let mut m = Mocks::default();
    statuses(
        &mut m,
        vec![
            PeeringStatus::Provisioning,
            PeeringStatus::Provisioning,
            PeeringStatus::Active,
        ],
    );
    let step = accept_step(m, Duration::from_secs(60));
    let observed = step.observe(&c()).await?;
    assert_eq!(observed, Observation::Absent);
    assert_eq!(
        step.ensure(&c(), &observed).await?.change,
        Change::Unchanged
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn times_out_with_a_clear_message() -> Result<(), StepError> {
    let mut m = Mocks::default();
    statuses(
        &mut m,
        vec![
            PeeringStatus::PendingAcceptance,
            PeeringStatus::Provisioning,
        ],
    );
    m.ec2.expect_accept_peering().times(1).returning(|_| Ok(()));
    let step = accept_step(m, Duration::from_secs(30));
    let start = Instant::now();
    let err = step
        .ensure(&c(), &Observation::Absent)
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected a timeout"))?;
    assert_eq!(start.elapsed(), Duration::from_secs(30));
    assert!(!err.is_retryable());
    assert_eq!(
        err.message(),
        format!("timed out after 30s waiting for VPC peering {PCX} to become active")
    );
    Ok(())
}

#[tokio::test]
async fn a_gone_peering_is_absent_and_accepting_it_a_permanent_error_that_says_what_to_do()
-> Result<(), StepError> {
    let mut m = Mocks::default();
    let calls = statuses(&mut m, vec![PeeringStatus::Gone("expired".into())]);
    let step = accept_step(m, Duration::from_secs(60));
    assert_eq!(step.observe(&c()).await?, Observation::Absent);
    let err = step
        .ensure(&c(), &Observation::Absent)
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected an error"))?;
    assert_eq!(calls.load(Ordering::SeqCst), 2, "no accept, no waiting");
    assert!(!err.is_retryable());
    assert!(err.message().contains("`expired`"), "{err}");
    assert!(err.message().contains("xefs destroy"), "{err}");
    Ok(())
}

#[tokio::test]
async fn a_peering_not_yet_visible_in_b_is_retryable() -> Result<(), StepError> {
    let mut m = Mocks::default();
    m.ec2
        .expect_describe_peering()
        .times(1)
        .returning(|_| Ok(None));
    let err = accept_step(m, Duration::from_secs(60))
        .observe(&c())
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected an error"))?;
    assert!(err.is_retryable());
    assert!(err.message().contains(B), "{err}");
    Ok(())
}

#[tokio::test]
async fn accept_remove_makes_no_call() -> Result<(), StepError> {
    // Mocks without expectations fail on any call.
    accept_step(Mocks::default(), Duration::from_secs(60))
        .remove(&c(), &accept_outputs(&pcx(PCX))?)
        .await
}

fn dns_step(mocks: Mocks) -> PeeringDnsStep {
    PeeringDnsStep::new(
        PeeringDnsResolution {
            peering: after_peering(),
        },
        mocks.account(B),
    )
}

fn dns_peering(allow: bool) -> Peering {
    Peering {
        accepter_allows_remote_dns: allow,
        ..with_status(PeeringStatus::Active)
    }
}

#[tokio::test]
async fn dns_fresh_set_turns_the_option_on() -> Result<(), StepError> {
    let mut m = Mocks::default();
    m.ec2
        .expect_describe_peering()
        .times(1)
        .returning(|_| Ok(Some(dns_peering(false))));
    m.ec2
        .expect_set_accepter_remote_dns()
        .withf(|id, allow| id.as_str() == PCX && *allow)
        .times(1)
        .returning(|_, _| Ok(()));
    let step = dns_step(m);
    let c = ctx(addr::PEERING_DNS, inputs());
    let observed = step.observe(&c).await?;
    assert_eq!(observed, Observation::Absent);
    let ensured = step.ensure(&c, &observed).await?;
    assert_eq!(ensured.change, Change::Created);
    assert_eq!(ensured.outputs.get::<String>("peering_id")?, PCX);
    Ok(())
}

#[tokio::test]
async fn dns_already_on_makes_no_write() -> Result<(), StepError> {
    let mut m = Mocks::default();
    m.ec2
        .expect_describe_peering()
        .times(1)
        .returning(|_| Ok(Some(dns_peering(true))));
    let step = dns_step(m);
    let c = ctx(addr::PEERING_DNS, inputs());
    let observed = step.observe(&c).await?;
    assert!(matches!(observed, Observation::Present(_)));
    assert_eq!(step.ensure(&c, &observed).await?.change, Change::Unchanged);
    Ok(())
}

#[tokio::test]
async fn dns_remove_turns_it_off_unless_the_peering_is_gone() -> Result<(), StepError> {
    let recorded = StepOutputs::new().with(out::PEERING_ID, PCX)?;
    let c = ctx(addr::PEERING_DNS, inputs());
    let mut m = Mocks::default();
    m.ec2
        .expect_describe_peering()
        .times(1)
        .returning(|_| Ok(Some(dns_peering(true))));
    m.ec2
        .expect_set_accepter_remote_dns()
        .withf(|_, allow| !*allow)
        .times(1)
        .returning(|_, _| Ok(()));
    dns_step(m).remove(&c, &recorded).await?;

    let mut m = Mocks::default();
    m.ec2
        .expect_describe_peering()
        .times(1)
        .returning(|_| Ok(None));
    dns_step(m).remove(&c, &recorded).await?;

    let mut m = Mocks::default();
    m.ec2
        .expect_describe_peering()
        .times(1)
        .returning(|_| Ok(Some(with_status(PeeringStatus::Gone("deleted".into())))));
    dns_step(m).remove(&c, &recorded).await
}

#[tokio::test(start_paused = true)]
async fn an_initiating_peering_is_accepted_once_it_turns_pending() -> Result<(), StepError> {
    let mut m = Mocks::default();
    statuses(
        &mut m,
        vec![
            PeeringStatus::Initiating,
            PeeringStatus::Initiating,
            PeeringStatus::PendingAcceptance,
            PeeringStatus::Active,
        ],
    );
    m.ec2.expect_accept_peering().times(1).returning(|_| Ok(()));
    let step = accept_step(m, Duration::from_secs(60));
    let observed = step.observe(&c()).await?;
    assert_eq!(observed, Observation::Absent);
    assert_eq!(step.ensure(&c(), &observed).await?.change, Change::Created);
    Ok(())
}

#[test]
fn descriptions_are_one_line_naming_the_account() {
    let accept = accept_step(Mocks::default(), Duration::from_secs(60)).describe();
    assert_eq!(
        accept,
        format!("acceptance of the stack's VPC peering, in account {B}")
    );
    let known = PeeringAcceptStep::new(
        PeeringAccept {
            peering: Value::Known(pcx(PCX)),
        },
        Mocks::default().account(B),
        Duration::from_secs(60),
    );
    assert_eq!(
        known.describe(),
        format!("acceptance of the stack's VPC peering {PCX}, in account {B}")
    );
    assert!(!dns_step(Mocks::default()).describe().contains('\n'));
}

#[tokio::test(start_paused = true)]
async fn an_accept_replayed_after_a_lost_answer_waits_for_the_first_one() -> Result<(), StepError> {
    // The first accept took, its answer was lost, and the SDK's retry met `provisioning`.
    let mut m = Mocks::default();
    statuses(
        &mut m,
        vec![
            PeeringStatus::PendingAcceptance,
            PeeringStatus::Provisioning,
            PeeringStatus::Active,
        ],
    );
    m.ec2.expect_accept_peering().times(1).returning(|_| {
        Err(crate::AwsError::new(
            crate::Service::Ec2,
            "AcceptVpcPeeringConnection",
            Some("InvalidStateTransition".into()),
            "Invalid state transition for pcx, attempted to transition from provisioning to active",
            false,
        ))
    });
    let step = accept_step(m, Duration::from_secs(60));
    let ensured = step.ensure(&c(), &Observation::Absent).await?;
    assert_eq!(ensured.change, Change::Created);
    assert_eq!(ensured.outputs.get::<String>("status")?, "active");
    Ok(())
}
