use std::sync::atomic::Ordering;

use tokio::time::Instant;
use xefs_core::blueprint::{Address, OutputRef, Value, addr};
use xefs_core::ids::{FileSystemId, Ipv4Cidr, SecurityGroupId, VpcId};
use xefs_core::step::{Change, FieldDiff, Inputs};

use super::*;
use crate::steps::fixtures::{VPC_B, in_turn};
use crate::steps::test_support::{B, Mocks, ctx};

const FS: &str = "fs-0000000f";
const SG: &str = "sg-0000000b";
const DEFAULT_SG: &str = "sg-000000dd";
const SUBNET1: &str = "subnet-00000001";
const SUBNET2: &str = "subnet-00000002";
const AZ1: &str = "use1-az1";
const AZ2: &str = "use1-az2";

fn subnet(id: &str, az: &str) -> Subnet {
    Subnet {
        id: SubnetId::parse(id).expect("subnet"),
        vpc_id: VpcId::parse(VPC_B).expect("vpc"),
        az_name: "us-east-1x".into(),
        az_id: AzId::parse(az).expect("zone"),
        cidr: Ipv4Cidr::parse("10.1.0.0/24").expect("cidr"),
    }
}

fn mt(id: &str, subnet: &str, az: &str, life_cycle: LifeCycle) -> MountTarget {
    MountTarget {
        id: MountTargetId::parse(id).expect("mount target"),
        file_system_id: FileSystemId::parse(FS).expect("fs"),
        subnet_id: SubnetId::parse(subnet).expect("subnet"),
        vpc_id: Some(VpcId::parse(VPC_B).expect("vpc")),
        az_id: Some(AzId::parse(az).expect("zone")),
        ip_address: Some(format!("10.1.0.{}", &id[id.len() - 1..])),
        life_cycle,
    }
}

fn mt1(life_cycle: LifeCycle) -> MountTarget {
    mt("fsmt-00000001", SUBNET1, AZ1, life_cycle)
}

fn mt2(life_cycle: LifeCycle) -> MountTarget {
    mt("fsmt-00000002", SUBNET2, AZ2, life_cycle)
}

fn address(s: &str) -> Address {
    Address::parse(s).expect("address")
}

fn after(step: &str, output: &str) -> OutputRef {
    OutputRef {
        step: address(step),
        output: output.into(),
    }
}

fn step(mocks: Mocks) -> MountTargetsStep {
    MountTargetsStep::new(
        MountTargets {
            file_system: Value::After(after(addr::FILE_SYSTEM, out::FILE_SYSTEM_ID)),
            subnets: after(addr::STORAGE_DISCOVERY, out::MOUNT_TARGET_SUBNETS),
            security_group: Value::After(after(addr::SECURITY_GROUP, out::SECURITY_GROUP_ID)),
        },
        mocks.account(B),
        Duration::from_secs(600),
    )
}

fn c() -> StepContext {
    let one = |name: &str, value: serde_json::Value| {
        StepOutputs::new().with(name, value).expect("outputs")
    };
    let inputs = Inputs::new()
        .with(
            address(addr::FILE_SYSTEM),
            one(out::FILE_SYSTEM_ID, FS.into()),
        )
        .with(
            address(addr::SECURITY_GROUP),
            one(out::SECURITY_GROUP_ID, SG.into()),
        )
        .with(
            address(addr::STORAGE_DISCOVERY),
            one(
                out::MOUNT_TARGET_SUBNETS,
                serde_json::json!([SUBNET1, SUBNET2]),
            ),
        );
    ctx(addr::MOUNT_TARGETS, inputs)
}

fn subnets(m: &mut Mocks, times: usize) {
    m.ec2
        .expect_describe_subnets()
        .withf(|ids| ids.iter().map(SubnetId::as_str).eq([SUBNET1, SUBNET2]))
        .times(times)
        .returning(|_| Ok(vec![subnet(SUBNET2, AZ2), subnet(SUBNET1, AZ1)]));
}

/// `mount_targets` answers with each list in turn.
fn listed(
    m: &mut Mocks,
    lists: Vec<Vec<MountTarget>>,
) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    let (mut next, calls) = in_turn(lists);
    m.efs
        .expect_mount_targets()
        .withf(|fs| fs.as_str() == FS)
        .returning(move |_| Ok(next()));
    calls
}

fn groups_of(m: &mut Mocks, id: &'static str, groups: &'static [&'static str], times: usize) {
    m.efs
        .expect_mount_target_security_groups()
        .withf(move |mt| mt.as_str() == id)
        .times(times)
        .returning(move |_| {
            Ok(groups
                .iter()
                .map(|g| SecurityGroupId::parse(g).expect("sg"))
                .collect())
        });
}

#[tokio::test(start_paused = true)]
async fn fresh_mount_targets_are_created_and_polled_until_available() -> Result<(), StepError> {
    let mut m = Mocks::default();
    subnets(&mut m, 2);
    let polls = listed(
        &mut m,
        vec![
            vec![],
            vec![mt1(LifeCycle::Creating), mt2(LifeCycle::Creating)],
            vec![mt1(LifeCycle::Available), mt2(LifeCycle::Creating)],
            vec![mt1(LifeCycle::Available), mt2(LifeCycle::Available)],
        ],
    );
    for (subnet, made) in [(SUBNET1, mt1 as fn(_) -> _), (SUBNET2, mt2)] {
        m.efs
            .expect_create_mount_target()
            .withf(move |fs, s, groups| {
                fs.as_str() == FS
                    && s.as_str() == subnet
                    && groups.iter().map(SecurityGroupId::as_str).eq([SG])
            })
            .times(1)
            .returning(move |_, _, _| Ok(made(LifeCycle::Creating)));
    }
    let step = step(m);
    let observed = step.observe(&c()).await?;
    assert_eq!(observed, Observation::Absent);
    let start = Instant::now();
    let ensured = step.ensure(&c(), &observed).await?;
    // Observed absent a moment ago, so no second survey. New mount targets typically take
    // 90 s: one early poll after 1 s, the next at 60 s, then one a second (this context's
    // `WaitPolicy`).
    assert_eq!(start.elapsed(), Duration::from_secs(61));
    assert_eq!(polls.load(Ordering::SeqCst), 4);
    assert_eq!(ensured.change, Change::Created);
    assert_eq!(
        ensured.outputs.value("mount_targets"),
        Some(&serde_json::json!([
            {"id": "fsmt-00000001", "subnet_id": SUBNET1, "az_id": AZ1, "ip_address": "10.1.0.1"},
            {"id": "fsmt-00000002", "subnet_id": SUBNET2, "az_id": AZ2, "ip_address": "10.1.0.2"},
        ]))
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn available_mount_targets_in_the_group_make_no_write() -> Result<(), StepError> {
    let mut m = Mocks::default();
    subnets(&mut m, 1);
    listed(
        &mut m,
        vec![vec![mt2(LifeCycle::Available), mt1(LifeCycle::Available)]],
    );
    groups_of(&mut m, "fsmt-00000001", &[SG], 1);
    groups_of(&mut m, "fsmt-00000002", &[SG], 1);
    let step = step(m);
    let observed = step.observe(&c()).await?;
    assert!(matches!(observed, Observation::Present(_)), "{observed:?}");
    assert_eq!(
        step.ensure(&c(), &observed).await?.change,
        Change::Unchanged
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn wrong_security_groups_drift_and_are_replaced() -> Result<(), StepError> {
    let mut m = Mocks::default();
    subnets(&mut m, 2);
    listed(
        &mut m,
        vec![vec![mt1(LifeCycle::Available), mt2(LifeCycle::Available)]],
    );
    groups_of(&mut m, "fsmt-00000001", &[DEFAULT_SG], 2);
    groups_of(&mut m, "fsmt-00000002", &[SG], 2);
    m.efs
        .expect_set_mount_target_security_groups()
        .withf(|id, groups| {
            id.as_str() == "fsmt-00000001" && groups.iter().map(SecurityGroupId::as_str).eq([SG])
        })
        .times(1)
        .returning(|_, _| Ok(()));
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
            "security_groups",
            format!("fsmt-00000001: {DEFAULT_SG}"),
            SG
        )]
    );
    assert_eq!(step.ensure(&c(), &observed).await?.change, Change::Updated);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_mount_target_in_another_vpc_is_a_conflict() -> Result<(), StepError> {
    let mut m = Mocks::default();
    subnets(&mut m, 1);
    let stray = MountTarget {
        vpc_id: Some(VpcId::parse("vpc-000000de").expect("vpc")),
        ..mt(
            "fsmt-000000de",
            "subnet-000000de",
            AZ1,
            LifeCycle::Available,
        )
    };
    listed(&mut m, vec![vec![stray]]);
    let err = step(m)
        .observe(&c())
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected a conflict"))?;
    assert!(!err.is_retryable());
    assert_eq!(err.code(), Some("MountTargetConflict"));
    for part in [
        "fsmt-000000de",
        "vpc-000000de",
        VPC_B,
        "delete-mount-target",
        "one VPC",
    ] {
        assert!(err.message().contains(part), "{part} in {err}");
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_existing_mount_target_in_the_zone_is_used_whatever_its_subnet() -> Result<(), StepError>
{
    let mut m = Mocks::default();
    subnets(&mut m, 2);
    let same_zone = mt(
        "fsmt-00000009",
        "subnet-00000009",
        AZ1,
        LifeCycle::Available,
    );
    let (first, second) = (same_zone.clone(), same_zone.clone());
    listed(
        &mut m,
        vec![
            vec![first.clone()],
            vec![first],
            vec![second, mt2(LifeCycle::Available)],
        ],
    );
    groups_of(&mut m, "fsmt-00000009", &[SG], 2);
    m.efs
        .expect_create_mount_target()
        .withf(|_, s, _| s.as_str() == SUBNET2)
        .times(1)
        .returning(|_, _, _| Ok(mt2(LifeCycle::Creating)));
    let step = step(m);
    let observed = step.observe(&c()).await?;
    let Observation::Drifted { diff, outputs } = &observed else {
        return Err(StepError::permanent(format!(
            "expected drift, got {observed:?}"
        )));
    };
    assert_eq!(
        diff,
        &[FieldDiff::new(
            "mount_targets",
            AZ1,
            format!("{AZ1}, {AZ2}")
        )]
    );
    let listed_now: Vec<MountTargetRecord> = outputs.get("mount_targets")?;
    assert_eq!(listed_now.len(), 1);
    assert_eq!(listed_now[0].subnet_id.as_str(), "subnet-00000009");
    let ensured = step.ensure(&c(), &observed).await?;
    assert_eq!(ensured.change, Change::Updated);
    let records: Vec<MountTargetRecord> = ensured.outputs.get("mount_targets")?;
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["fsmt-00000009", "fsmt-00000002"]);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn mount_targets_still_creating_are_waited_for_then_checked() -> Result<(), StepError> {
    let mut m = Mocks::default();
    subnets(&mut m, 2);
    let creating = vec![mt1(LifeCycle::Creating), mt2(LifeCycle::Creating)];
    listed(
        &mut m,
        vec![
            creating.clone(),
            creating.clone(),
            creating,
            vec![mt1(LifeCycle::Available), mt2(LifeCycle::Available)],
        ],
    );
    // Checked only once available, after the wait.
    groups_of(&mut m, "fsmt-00000001", &[SG], 1);
    groups_of(&mut m, "fsmt-00000002", &[SG], 1);
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
            "life_cycle",
            "fsmt-00000001 creating; fsmt-00000002 creating",
            "available"
        )]
    );
    assert_eq!(
        step.ensure(&c(), &observed).await?.change,
        Change::Unchanged
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_wait_for_mount_targets_is_bounded() -> Result<(), StepError> {
    let mut m = Mocks::default();
    subnets(&mut m, 2);
    listed(
        &mut m,
        vec![vec![mt1(LifeCycle::Creating), mt2(LifeCycle::Creating)]],
    );
    let step = MountTargetsStep {
        timeout: Duration::from_secs(20),
        ..step(m)
    };
    let observed = step.observe(&c()).await?;
    let err = step
        .ensure(&c(), &observed)
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected a timeout"))?;
    assert_eq!(
        err.message(),
        format!(
            "timed out after 20s waiting for 2 mount targets of EFS file system {FS} to become available"
        )
    );
    Ok(())
}

fn recorded() -> StepOutputs {
    let records = [mt1(LifeCycle::Available), mt2(LifeCycle::Available)]
        .iter()
        .zip([subnet(SUBNET1, AZ1), subnet(SUBNET2, AZ2)])
        .map(|(t, s)| record(&s, t))
        .collect::<Vec<_>>();
    outputs(&records).expect("outputs")
}

#[tokio::test(start_paused = true)]
async fn remove_deletes_each_recorded_mount_target_and_waits() -> Result<(), StepError> {
    let mut m = Mocks::default();
    let other = mt(
        "fsmt-00000009",
        "subnet-00000009",
        "use1-az3",
        LifeCycle::Available,
    );
    let polls = listed(
        &mut m,
        vec![
            vec![
                mt1(LifeCycle::Available),
                mt2(LifeCycle::Deleting),
                other.clone(),
            ],
            vec![mt1(LifeCycle::Deleting), other.clone()],
            vec![mt1(LifeCycle::Deleted), other],
        ],
    );
    // Already deleting: not deleted again; not recorded: left alone.
    m.efs
        .expect_delete_mount_target()
        .withf(|id| id.as_str() == "fsmt-00000001")
        .times(1)
        .returning(|_| Ok(()));
    step(m).remove(&c(), &recorded()).await?;
    assert_eq!(polls.load(Ordering::SeqCst), 3);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn remove_of_absent_mount_targets_deletes_nothing() -> Result<(), StepError> {
    let mut m = Mocks::default();
    listed(&mut m, vec![vec![]]);
    step(m).remove(&c(), &recorded()).await
}

#[tokio::test(start_paused = true)]
async fn two_subnets_in_one_zone_are_refused() -> Result<(), StepError> {
    let mut m = Mocks::default();
    m.ec2
        .expect_describe_subnets()
        .times(1)
        .returning(|_| Ok(vec![subnet(SUBNET1, AZ1), subnet(SUBNET2, AZ1)]));
    let err = step(m)
        .observe(&c())
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected an error"))?;
    assert!(err.message().contains("one mount target per zone"), "{err}");
    Ok(())
}
