//! Tests of [`DiscoverStorageAccountStep`] over mocked ports.

use xefs_core::blueprint::{Address, OutputRef, addr};
use xefs_core::step::{Change, Inputs};

use super::*;
use crate::steps::discovery::fixtures::*;
use crate::steps::test_support::{B, Mocks, ctx};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn spec(subnets: Vec<SubnetId>, one_zone: Option<AzId>) -> DiscoverStorageAccount {
    DiscoverStorageAccount {
        vpc_id: vpc_id("b"),
        subnets,
        worker_az_ids: OutputRef {
            step: Address::parse(addr::CLUSTER_DISCOVERY).expect("test address"),
            output: out::WORKER_AZ_IDS.into(),
        },
        one_zone_az_id: one_zone,
    }
}

fn worker_zones(zones: &[u8]) -> Result<Inputs, Box<dyn std::error::Error>> {
    let zones: Vec<AzId> = zones.iter().map(|z| az(*z)).collect();
    Ok(Inputs::new().with(
        Address::parse(addr::CLUSTER_DISCOVERY)?,
        StepOutputs::new().with(out::WORKER_AZ_IDS, zones)?,
    ))
}

fn ids(outputs: &StepOutputs, name: &str) -> Result<Vec<String>, StepError> {
    outputs.get(name)
}

#[tokio::test]
async fn one_subnet_per_worker_zone_and_uncovered_zones_reported() -> TestResult {
    let vpc = vpc_id("b");
    let mut m = Mocks::default();
    let subnets = vec![
        subnet("b2", &vpc, 1),
        subnet("a1", &vpc, 1),
        subnet("c3", &vpc, 2),
        // A zone without workers: not chosen.
        subnet("d4", &vpc, 4),
    ];
    m.ec2
        .expect_subnets_in_vpc()
        .withf(|v| v == &vpc_id("b"))
        .times(1)
        .returning(move |_| Ok(subnets.clone()));
    let tables = vec![
        table("1", &vpc, true, &[]),
        table("2", &vpc, false, &["a1"]),
    ];
    m.ec2
        .expect_route_tables_in_vpc()
        .withf(|v| v == &vpc_id("b"))
        .times(1)
        .returning(move |_| Ok(tables.clone()));
    let step = DiscoverStorageAccountStep::new(spec(vec![], None), m.account(B));
    assert!(!step.mutates());
    let ctx = ctx(addr::STORAGE_DISCOVERY, worker_zones(&[1, 2, 3])?);
    let observed = step.observe(&ctx).await?;
    let ensured = step.ensure(&ctx, &observed).await?;
    assert_eq!(ensured.change, Change::Read);
    let o = &ensured.outputs;
    // Zone 1 has two subnets: the lowest id wins.
    assert_eq!(
        ids(o, out::MOUNT_TARGET_SUBNETS)?,
        vec!["subnet-000000a1", "subnet-000000c3"]
    );
    assert_eq!(
        ids(o, out::STORAGE_ROUTE_TABLES)?,
        vec!["rtb-00000001", "rtb-00000002"]
    );
    assert_eq!(ids(o, UNCOVERED_AZ_IDS)?, vec!["use1-az3"]);
    assert!(ids(o, CROSS_ZONE_AZ_IDS)?.is_empty());
    Ok(())
}

#[tokio::test]
async fn one_zone_storage_uses_only_its_zone_and_names_cross_zone_workers() -> TestResult {
    let vpc = vpc_id("b");
    let mut m = Mocks::default();
    let subnets = vec![subnet("a1", &vpc, 1), subnet("b2", &vpc, 2)];
    m.ec2
        .expect_subnets_in_vpc()
        .times(1)
        .returning(move |_| Ok(subnets.clone()));
    let tables = vec![table("1", &vpc, true, &[])];
    m.ec2
        .expect_route_tables_in_vpc()
        .times(1)
        .returning(move |_| Ok(tables.clone()));
    let step = DiscoverStorageAccountStep::new(spec(vec![], Some(az(2))), m.account(B));
    let observed = step
        .observe(&ctx(addr::STORAGE_DISCOVERY, worker_zones(&[1, 2, 3])?))
        .await?;
    let o = observed.outputs().ok_or("expected outputs")?;
    assert_eq!(ids(o, out::MOUNT_TARGET_SUBNETS)?, vec!["subnet-000000b2"]);
    assert_eq!(ids(o, out::STORAGE_ROUTE_TABLES)?, vec!["rtb-00000001"]);
    assert!(ids(o, UNCOVERED_AZ_IDS)?.is_empty());
    assert_eq!(ids(o, CROSS_ZONE_AZ_IDS)?, vec!["use1-az1", "use1-az3"]);
    Ok(())
}

#[tokio::test]
async fn no_subnet_at_all_reads_no_route_tables() -> TestResult {
    let mut m = Mocks::default();
    m.ec2
        .expect_subnets_in_vpc()
        .times(1)
        .returning(|_| Ok(vec![]));
    let step = DiscoverStorageAccountStep::new(spec(vec![], None), m.account(B));
    let observed = step
        .observe(&ctx(addr::STORAGE_DISCOVERY, worker_zones(&[1])?))
        .await?;
    let o = observed.outputs().ok_or("expected outputs")?;
    assert!(ids(o, out::MOUNT_TARGET_SUBNETS)?.is_empty());
    assert_eq!(ids(o, UNCOVERED_AZ_IDS)?, vec!["use1-az1"]);
    Ok(())
}

#[tokio::test]
async fn named_subnets_are_used_as_given() -> TestResult {
    let vpc = vpc_id("b");
    let mut m = Mocks::default();
    let described = vec![subnet("a1", &vpc, 1), subnet("b2", &vpc, 2)];
    m.ec2
        .expect_describe_subnets()
        .withf(|s| s == [subnet_id("b2"), subnet_id("a1")])
        .times(1)
        .returning(move |_| Ok(described.clone()));
    let tables = vec![table("5", &vpc, false, &["a1", "b2"])];
    m.ec2
        .expect_route_tables_in_vpc()
        .times(1)
        .returning(move |_| Ok(tables.clone()));
    let step = DiscoverStorageAccountStep::new(
        spec(vec![subnet_id("b2"), subnet_id("a1")], None),
        m.account(B),
    );
    let observed = step
        .observe(&ctx(addr::STORAGE_DISCOVERY, worker_zones(&[1, 2, 3])?))
        .await?;
    let o = observed.outputs().ok_or("expected outputs")?;
    assert_eq!(
        ids(o, out::MOUNT_TARGET_SUBNETS)?,
        vec!["subnet-000000a1", "subnet-000000b2"]
    );
    assert_eq!(ids(o, out::STORAGE_ROUTE_TABLES)?, vec!["rtb-00000005"]);
    assert_eq!(ids(o, UNCOVERED_AZ_IDS)?, vec!["use1-az3"]);
    Ok(())
}

#[tokio::test]
async fn named_subnets_outside_the_vpc_or_sharing_a_zone_are_errors() -> TestResult {
    let vpc = vpc_id("b");
    let mut m = Mocks::default();
    let described = vec![
        subnet("a1", &vpc, 1),
        subnet("a2", &vpc, 1),
        subnet("e5", &vpc_id("e"), 2),
    ];
    m.ec2
        .expect_describe_subnets()
        .times(1)
        .returning(move |_| Ok(described.clone()));
    let step = DiscoverStorageAccountStep::new(
        spec(
            vec![subnet_id("a1"), subnet_id("a2"), subnet_id("e5")],
            None,
        ),
        m.account(B),
    );
    let err = step
        .observe(&ctx(addr::STORAGE_DISCOVERY, worker_zones(&[1, 2])?))
        .await
        .err()
        .ok_or("expected an error")?;
    let text = err.to_string();
    assert!(
        text.contains("subnets subnet-000000a1 and subnet-000000a2 are both in zone use1-az1"),
        "{text}"
    );
    assert!(
        text.contains(
            "subnet-000000e5 is in VPC vpc-0000000e, not in the storage VPC vpc-0000000b"
        ),
        "{text}"
    );
    assert!(text.contains(B), "{text}");
    Ok(())
}

#[tokio::test]
async fn a_named_subnet_outside_the_one_zone_is_an_error() -> TestResult {
    let vpc = vpc_id("b");
    let mut m = Mocks::default();
    let described = vec![subnet("a1", &vpc, 1)];
    m.ec2
        .expect_describe_subnets()
        .times(1)
        .returning(move |_| Ok(described.clone()));
    let step =
        DiscoverStorageAccountStep::new(spec(vec![subnet_id("a1")], Some(az(2))), m.account(B));
    let err = step
        .observe(&ctx(addr::STORAGE_DISCOVERY, worker_zones(&[1, 2])?))
        .await
        .err()
        .ok_or("expected an error")?;
    assert!(
        err.message()
            .contains("the One Zone file system lives in use1-az2"),
        "{err}"
    );
    Ok(())
}
