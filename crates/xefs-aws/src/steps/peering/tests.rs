use std::collections::BTreeMap;

use xefs_core::blueprint::addr;
use xefs_core::ids::{AccountId, Region, VpcId};
use xefs_core::step::Inputs;

use super::*;
use crate::steps::fixtures::{PCX, VPC_A, VPC_B, pcx, peering, stack_tags};
use crate::steps::test_support::{A, B, Mocks, ctx};

fn spec() -> PeeringRequest {
    PeeringRequest {
        requester_vpc: VpcId::parse(VPC_A).expect("vpc"),
        accepter_vpc: VpcId::parse(VPC_B).expect("vpc"),
        accepter_account: AccountId::parse(B).expect("account"),
        accepter_region: Region::parse("us-east-1").expect("region"),
        tags: stack_tags("demo"),
    }
}

fn step(mocks: Mocks) -> PeeringRequestStep {
    PeeringRequestStep::new(spec(), mocks.account(A))
}

fn c() -> StepContext {
    ctx(addr::PEERING, Inputs::new())
}

#[tokio::test]
async fn fresh_request_creates_one_tagged_peering() -> Result<(), StepError> {
    let mut m = Mocks::default();
    m.ec2
        .expect_peerings_between()
        .withf(|r, a| r.as_str() == VPC_A && a.as_str() == VPC_B)
        .times(1)
        .returning(|_, _| {
            Ok(vec![peering(
                "pcx-000000ff",
                PeeringStatus::Gone("deleted".into()),
                stack_tags("demo"),
            )])
        });
    m.ec2
        .expect_create_peering()
        .withf(|p| {
            p.requester_vpc.as_str() == VPC_A
                && p.accepter_vpc.as_str() == VPC_B
                && p.accepter_owner.as_str() == B
                && p.accepter_region.as_str() == "us-east-1"
                && p.tags == stack_tags("demo")
        })
        .times(1)
        .returning(|p| {
            Ok(peering(
                PCX,
                PeeringStatus::PendingAcceptance,
                p.tags.clone(),
            ))
        });
    m.ec2.expect_describe_peering().times(1).returning(|_| {
        Ok(Some(peering(
            PCX,
            PeeringStatus::PendingAcceptance,
            stack_tags("demo"),
        )))
    });
    let step = step(m);
    let observed = step.observe(&c()).await?;
    assert_eq!(observed, Observation::Absent, "gone peerings are ignored");
    let ensured = step.ensure(&c(), &observed).await?;
    assert_eq!(ensured.change, xefs_core::step::Change::Created);
    assert_eq!(ensured.outputs.get::<String>("peering_id")?, PCX);
    Ok(())
}

/// The SDK repeated a request whose answer was lost: EC2 fails the repeat (the VPCs are peered
/// already), and the first attempt's peering, tagged for this stack, is what the step made.
#[tokio::test(start_paused = true)]
async fn a_repeated_request_that_failed_yields_the_stacks_live_peering() -> Result<(), StepError> {
    let mut m = Mocks::default();
    let mut listed = 0;
    m.ec2
        .expect_peerings_between()
        .times(2)
        .returning(move |_, _| {
            listed += 1;
            Ok(if listed == 1 {
                Vec::new()
            } else {
                vec![
                    peering(
                        "pcx-000000aa",
                        PeeringStatus::Gone("failed".into()),
                        stack_tags("demo"),
                    ),
                    peering(PCX, PeeringStatus::PendingAcceptance, stack_tags("demo")),
                ]
            })
        });
    m.ec2.expect_create_peering().times(1).returning(|p| {
        Ok(peering(
            "pcx-000000aa",
            PeeringStatus::Initiating,
            p.tags.clone(),
        ))
    });
    let mut judged = 0;
    m.ec2
        .expect_describe_peering()
        .times(2)
        .returning(move |_| {
            judged += 1;
            let status = if judged == 1 {
                PeeringStatus::Initiating
            } else {
                PeeringStatus::Gone("failed".into())
            };
            Ok(Some(peering("pcx-000000aa", status, stack_tags("demo"))))
        });
    let step = step(m);
    let observed = step.observe(&c()).await?;
    let ensured = step.ensure(&c(), &observed).await?;
    assert_eq!(ensured.change, xefs_core::step::Change::Created);
    assert_eq!(ensured.outputs.get::<String>("peering_id")?, PCX);
    Ok(())
}

#[tokio::test]
async fn a_failed_request_without_a_live_peering_of_the_stack_is_an_error() {
    let mut m = Mocks::default();
    m.ec2
        .expect_peerings_between()
        .times(1)
        .returning(|_, _| Ok(Vec::new()));
    m.ec2
        .expect_create_peering()
        .times(1)
        .returning(|p| Ok(peering(PCX, PeeringStatus::Initiating, p.tags.clone())));
    m.ec2.expect_describe_peering().times(1).returning(|_| {
        Ok(Some(peering(
            PCX,
            PeeringStatus::Gone("failed".into()),
            stack_tags("demo"),
        )))
    });
    let step = step(m);
    let err = step
        .ensure(&c(), &Observation::Absent)
        .await
        .expect_err("the request failed");
    assert_eq!(err.code(), Some("PeeringRequestFailed"));
    assert!(err.to_string().contains("ended `failed`"), "{err}");
    assert!(
        err.to_string().contains("describe-vpc-peering-connections"),
        "{err}"
    );
}

#[tokio::test]
async fn prefers_the_stack_tagged_peering_and_makes_no_write() -> Result<(), StepError> {
    let mut m = Mocks::default();
    m.ec2.expect_peerings_between().times(1).returning(|_, _| {
        Ok(vec![
            peering("pcx-00000001", PeeringStatus::Active, BTreeMap::new()),
            peering(PCX, PeeringStatus::PendingAcceptance, stack_tags("demo")),
            peering("pcx-00000002", PeeringStatus::Active, stack_tags("other")),
        ])
    });
    let step = step(m);
    let observed = step.observe(&c()).await?;
    let outputs = observed
        .outputs()
        .cloned()
        .ok_or_else(|| StepError::permanent("absent"))?;
    assert_eq!(outputs.get::<String>("peering_id")?, PCX);
    // No create_peering expectation: a write would fail the test.
    let ensured = step.ensure(&c(), &observed).await?;
    assert_eq!(ensured.change, xefs_core::step::Change::Unchanged);
    Ok(())
}

#[tokio::test]
async fn an_untagged_live_peering_is_found_for_adoption() -> Result<(), StepError> {
    let mut m = Mocks::default();
    m.ec2.expect_peerings_between().times(1).returning(|_, _| {
        Ok(vec![
            peering(
                "pcx-00000002",
                PeeringStatus::PendingAcceptance,
                BTreeMap::new(),
            ),
            peering("pcx-00000003", PeeringStatus::Active, BTreeMap::new()),
        ])
    });
    let observed = step(m).observe(&c()).await?;
    let outputs = observed
        .outputs()
        .cloned()
        .ok_or_else(|| StepError::permanent("absent"))?;
    assert_eq!(outputs.get::<String>("peering_id")?, "pcx-00000003");
    Ok(())
}

fn recorded() -> StepOutputs {
    outputs(&pcx(PCX)).expect("outputs")
}

#[tokio::test]
async fn remove_deletes_the_tagged_peering_exactly_once() -> Result<(), StepError> {
    let mut m = Mocks::default();
    m.ec2.expect_describe_peering().times(1).returning(|_| {
        Ok(Some(peering(
            PCX,
            PeeringStatus::Active,
            stack_tags("demo"),
        )))
    });
    m.ec2
        .expect_delete_peering()
        .withf(|id| id.as_str() == PCX)
        .times(1)
        .returning(|_| Ok(()));
    step(m).remove(&c(), &recorded()).await
}

#[tokio::test]
async fn remove_of_an_absent_or_gone_peering_deletes_nothing() -> Result<(), StepError> {
    let mut m = Mocks::default();
    m.ec2
        .expect_describe_peering()
        .times(1)
        .returning(|_| Ok(None));
    step(m).remove(&c(), &recorded()).await?;
    let mut m = Mocks::default();
    m.ec2.expect_describe_peering().times(1).returning(|_| {
        Ok(Some(peering(
            PCX,
            PeeringStatus::Gone("deleted".into()),
            stack_tags("demo"),
        )))
    });
    step(m).remove(&c(), &recorded()).await
}

#[tokio::test]
async fn remove_refuses_an_untagged_peering() -> Result<(), StepError> {
    let mut m = Mocks::default();
    m.ec2
        .expect_describe_peering()
        .times(1)
        .returning(|_| Ok(Some(peering(PCX, PeeringStatus::Active, BTreeMap::new()))));
    let err = step(m)
        .remove(&c(), &recorded())
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected a refusal"))?;
    assert_eq!(err.code(), Some("NotOwned"));
    assert!(err.message().contains(PCX), "{err}");
    Ok(())
}
