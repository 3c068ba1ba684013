use xefs_core::blueprint::{Address, OutputRef, Value, addr};
use xefs_core::ids::{AccountId, VpcId};
use xefs_core::step::{Change, Inputs};

use super::*;
use crate::steps::fixtures::{PCX, VPC_A, pcx};
use crate::steps::test_support::{A, B, Mocks, ctx};
use crate::{AwsError, Service};

const RTB1: &str = "rtb-00000001";
const RTB2: &str = "rtb-00000002";
const DEST: &str = "10.1.0.0/16";

fn rtb(id: &str) -> RouteTableId {
    RouteTableId::parse(id).expect("route table id")
}

fn cidr(s: &str) -> Ipv4Cidr {
    Ipv4Cidr::parse(s).expect("cidr")
}

fn table(id: &str, routes: Vec<Route>) -> RouteTable {
    RouteTable {
        id: rtb(id),
        vpc_id: VpcId::parse(VPC_A).expect("vpc"),
        main: false,
        subnets: Vec::new(),
        routes,
    }
}

fn local() -> Route {
    Route {
        destination: cidr("10.0.0.0/16"),
        target: RouteTarget::Other("local".into()),
        blackhole: false,
    }
}

fn to_peering(id: &str, blackhole: bool) -> Route {
    Route {
        destination: cidr(DEST),
        target: RouteTarget::Peering(pcx(id)),
        blackhole,
    }
}

fn discovery() -> Address {
    Address::parse(addr::CLUSTER_DISCOVERY).expect("address")
}

fn step(mocks: Mocks) -> PeerRoutesStep {
    PeerRoutesStep::new(
        PeerRoutes {
            account: AccountId::parse(A).expect("account"),
            route_tables: OutputRef {
                step: discovery(),
                output: out::CLUSTER_ROUTE_TABLES.into(),
            },
            destination: cidr(DEST),
            peering: Value::Known(pcx(PCX)),
        },
        mocks.account(A),
    )
}

fn c() -> StepContext {
    // The same table twice, as two worker subnets sharing it would list it.
    let tables = StepOutputs::new()
        .with(out::CLUSTER_ROUTE_TABLES, [RTB2, RTB1, RTB2])
        .expect("outputs");
    ctx(
        addr::CLUSTER_ROUTES,
        Inputs::new().with(discovery(), tables),
    )
}

fn tables(m: &mut Mocks, answer: Vec<RouteTable>) {
    m.ec2
        .expect_describe_route_tables()
        .withf(|ids| ids == [rtb(RTB1), rtb(RTB2)])
        .times(1)
        .returning(move |_| Ok(answer.clone()));
}

#[tokio::test]
async fn fresh_routes_are_created_once_per_table() -> Result<(), StepError> {
    let mut m = Mocks::default();
    tables(
        &mut m,
        vec![table(RTB1, vec![local()]), table(RTB2, vec![local()])],
    );
    for id in [RTB1, RTB2] {
        m.ec2
            .expect_create_route()
            .withf(move |t, d, p| t.as_str() == id && d == &cidr(DEST) && p.as_str() == PCX)
            .times(1)
            .returning(|_, _, _| Ok(()));
    }
    let step = step(m);
    let observed = step.observe(&c()).await?;
    assert_eq!(observed, Observation::Absent);
    let ensured = step.ensure(&c(), &observed).await?;
    assert_eq!(ensured.change, Change::Created);
    assert_eq!(
        ensured.outputs.get::<Vec<String>>("route_tables")?,
        [RTB1, RTB2]
    );
    assert_eq!(ensured.outputs.get::<String>("destination")?, DEST);
    assert_eq!(ensured.outputs.get::<String>("peering_id")?, PCX);
    Ok(())
}

#[tokio::test]
async fn identical_existing_routes_make_no_call() -> Result<(), StepError> {
    let mut m = Mocks::default();
    tables(
        &mut m,
        vec![
            table(RTB1, vec![local(), to_peering(PCX, false)]),
            table(RTB2, vec![to_peering(PCX, false)]),
        ],
    );
    let step = step(m);
    let observed = step.observe(&c()).await?;
    assert!(matches!(observed, Observation::Present(_)));
    assert_eq!(
        step.ensure(&c(), &observed).await?.change,
        Change::Unchanged
    );
    Ok(())
}

#[tokio::test]
async fn a_missing_route_in_one_table_is_drift_fixed_there_only() -> Result<(), StepError> {
    let mut m = Mocks::default();
    tables(
        &mut m,
        vec![
            table(RTB1, vec![to_peering(PCX, false)]),
            table(RTB2, vec![local()]),
        ],
    );
    m.ec2
        .expect_create_route()
        .withf(|t, _, _| t.as_str() == RTB2)
        .times(1)
        .returning(|_, _, _| Ok(()));
    let step = step(m);
    let observed = step.observe(&c()).await?;
    let Observation::Drifted { diff, .. } = &observed else {
        return Err(StepError::permanent(format!(
            "expected drift, got {observed:?}"
        )));
    };
    assert_eq!(
        diff,
        &[FieldDiff::new(
            "route_tables",
            RTB1,
            format!("{RTB1}, {RTB2}")
        )]
    );
    assert_eq!(step.ensure(&c(), &observed).await?.change, Change::Updated);
    Ok(())
}

#[tokio::test]
async fn a_route_to_another_target_is_a_conflict_naming_it() -> Result<(), StepError> {
    let mut m = Mocks::default();
    let tgw = Route {
        destination: cidr(DEST),
        target: RouteTarget::Other("tgw-0123".into()),
        blackhole: false,
    };
    tables(&mut m, vec![table(RTB1, vec![]), table(RTB2, vec![tgw])]);
    let err = step(m)
        .observe(&c())
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected a conflict"))?;
    assert!(!err.is_retryable());
    assert_eq!(err.code(), Some("RouteConflict"));
    for part in [RTB2, DEST, "tgw-0123", "delete-route"] {
        assert!(err.message().contains(part), "{part} in {err}");
    }
    Ok(())
}

#[tokio::test]
async fn a_blackhole_of_an_old_peering_is_a_conflict() -> Result<(), StepError> {
    let mut m = Mocks::default();
    tables(
        &mut m,
        vec![
            table(RTB1, vec![to_peering("pcx-000000ee", true)]),
            table(RTB2, vec![]),
        ],
    );
    let err = step(m)
        .observe(&c())
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected a conflict"))?;
    assert!(err.message().contains("pcx-000000ee"), "{err}");
    assert!(err.message().contains("blackhole"), "{err}");
    Ok(())
}

#[tokio::test]
async fn route_already_exists_on_create_is_success_when_ours() -> Result<(), StepError> {
    let mut m = Mocks::default();
    m.ec2.expect_create_route().times(2).returning(|t, _, _| {
        if t.as_str() == RTB2 {
            Err(AwsError::new(
                Service::Ec2,
                "CreateRoute",
                Some("RouteAlreadyExists".into()),
                "exists",
                false,
            ))
        } else {
            Ok(())
        }
    });
    m.ec2
        .expect_describe_route_tables()
        .withf(|ids| ids == [rtb(RTB2)])
        .times(1)
        .returning(|_| Ok(vec![table(RTB2, vec![to_peering(PCX, false)])]));
    let ensured = step(m).ensure(&c(), &Observation::Absent).await?;
    assert_eq!(ensured.change, Change::Created);
    Ok(())
}

fn recorded() -> StepOutputs {
    StepOutputs::new()
        .with("route_tables", [RTB1, RTB2])
        .and_then(|o| o.with("destination", DEST))
        .and_then(|o| o.with("peering_id", PCX))
        .expect("outputs")
}

#[tokio::test]
async fn remove_deletes_only_routes_that_still_target_the_peering() -> Result<(), StepError> {
    let mut m = Mocks::default();
    let elsewhere = Route {
        destination: cidr(DEST),
        target: RouteTarget::Peering(pcx("pcx-000000ee")),
        blackhole: false,
    };
    tables(
        &mut m,
        vec![
            table(RTB1, vec![local(), to_peering(PCX, true)]),
            table(RTB2, vec![elsewhere]),
        ],
    );
    m.ec2
        .expect_delete_route()
        .withf(|t, d| t.as_str() == RTB1 && d == &cidr(DEST))
        .times(1)
        .returning(|_, _| Ok(()));
    step(m).remove(&c(), &recorded()).await
}

#[tokio::test]
async fn remove_with_no_routes_left_deletes_nothing() -> Result<(), StepError> {
    let mut m = Mocks::default();
    tables(
        &mut m,
        vec![table(RTB1, vec![local()]), table(RTB2, vec![])],
    );
    step(m).remove(&c(), &recorded()).await
}

#[tokio::test]
async fn remove_skips_tables_deleted_since() -> Result<(), StepError> {
    let mut m = Mocks::default();
    m.ec2.expect_describe_route_tables().returning(|ids| {
        if ids.len() > 1 || ids[0].as_str() == RTB2 {
            Err(AwsError::new(
                Service::Ec2,
                "DescribeRouteTables",
                Some("InvalidRouteTableID.NotFound".into()),
                "gone",
                false,
            ))
        } else {
            Ok(vec![table(RTB1, vec![to_peering(PCX, false)])])
        }
    });
    m.ec2
        .expect_delete_route()
        .withf(|t, _| t.as_str() == RTB1)
        .times(1)
        .returning(|_, _| Ok(()));
    step(m).remove(&c(), &recorded()).await
}

#[tokio::test]
async fn routes_bound_to_the_wrong_account_fail_before_any_call() -> Result<(), StepError> {
    let step = PeerRoutesStep {
        account: Mocks::default().account(B),
        ..step(Mocks::default())
    };
    assert!(step.observe(&c()).await.is_err());
    Ok(())
}
