use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use tokio::time::Instant;
use xefs_core::blueprint::addr;
use xefs_core::ids::{AzId, SubnetId, VpcId};
use xefs_core::spec::{PerformanceMode, ThroughputMode};
use xefs_core::step::{Change, FieldDiff, Inputs};

use super::fields::same_kms_key;
use super::*;
use crate::ports::Subnet;
use crate::steps::fixtures::{VPC_B, in_turn, stack_tags};
use crate::steps::test_support::{B, Mocks, ctx};
use crate::{AwsError, Service};

const FS: &str = "fs-0000000f";
const TOKEN: &str = "demo";

fn spec() -> FileSystemSpec {
    FileSystemSpec {
        vpc_id: VpcId::parse(VPC_B).expect("vpc"),
        creation_token: TOKEN.into(),
        performance_mode: PerformanceMode::GeneralPurpose,
        throughput_mode: ThroughputMode::Elastic,
        provisioned_throughput_mibps: None,
        encrypted: true,
        kms_key_id: None,
        one_zone_az_id: None,
        tags: stack_tags("demo"),
    }
}

fn fs(life_cycle: LifeCycle) -> FileSystem {
    FileSystem {
        id: FileSystemId::parse(FS).expect("fs id"),
        creation_token: TOKEN.into(),
        life_cycle,
        performance_mode: PerformanceMode::GeneralPurpose,
        throughput_mode: ThroughputMode::Elastic,
        provisioned_throughput_mibps: None,
        encrypted: true,
        kms_key_id: Some("arn:aws:kms:us-east-1:222222222222:key/1234abcd".into()),
        one_zone_az_id: None,
        size_bytes: 6144,
        mount_targets: 0,
        tags: stack_tags("demo"),
    }
}

fn step_with(mocks: Mocks, spec: FileSystemSpec, options: AwsOptions) -> FileSystemStep {
    FileSystemStep::new(spec, mocks.account(B), options)
}

fn step(mocks: Mocks) -> FileSystemStep {
    step_with(mocks, spec(), AwsOptions::default())
}

fn c() -> StepContext {
    ctx(addr::FILE_SYSTEM, Inputs::new())
}

fn by_token(m: &mut Mocks, answers: Vec<Option<FileSystem>>) {
    let times = answers.len();
    let (mut next, _) = in_turn(answers);
    m.efs
        .expect_file_system_by_token()
        .withf(|t| t == TOKEN)
        .times(times)
        .returning(move |_| Ok(next()));
}

/// `describe_file_system` answers with these states in turn.
fn described(
    m: &mut Mocks,
    states: Vec<Option<FileSystem>>,
) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    let (mut next, calls) = in_turn(states);
    m.efs
        .expect_describe_file_system()
        .withf(|id| id.as_str() == FS)
        .returning(move |_| Ok(next()));
    calls
}

#[tokio::test(start_paused = true)]
async fn fresh_create_is_tagged_and_waited_for() -> Result<(), StepError> {
    let mut m = Mocks::default();
    by_token(&mut m, vec![None]);
    m.efs
        .expect_create_file_system()
        .withf(|n| {
            n.creation_token == TOKEN
                && n.encrypted
                && n.performance_mode == PerformanceMode::GeneralPurpose
                && n.throughput_mode == ThroughputMode::Elastic
                && n.one_zone_az_name.is_none()
                && n.tags == stack_tags("demo")
        })
        .times(1)
        .returning(|_| Ok(fs(LifeCycle::Creating)));
    let polls = described(
        &mut m,
        vec![
            Some(fs(LifeCycle::Creating)),
            Some(fs(LifeCycle::Creating)),
            Some(fs(LifeCycle::Available)),
        ],
    );
    let step = step(m);
    let observed = step.observe(&c()).await?;
    assert_eq!(observed, Observation::Absent);
    let ensured = step.ensure(&c(), &observed).await?;
    assert_eq!(ensured.change, Change::Created);
    assert_eq!(ensured.outputs.get::<String>("file_system_id")?, FS);
    assert_eq!(polls.load(Ordering::SeqCst), 3);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_available_file_system_as_specified_makes_no_write() -> Result<(), StepError> {
    let mut m = Mocks::default();
    by_token(&mut m, vec![Some(fs(LifeCycle::Available))]);
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
async fn throughput_drift_is_updated_and_waited_for() -> Result<(), StepError> {
    let mut m = Mocks::default();
    let bursting = FileSystem {
        throughput_mode: ThroughputMode::Bursting,
        ..fs(LifeCycle::Available)
    };
    by_token(&mut m, vec![Some(bursting.clone()), Some(bursting)]);
    m.efs
        .expect_update_throughput()
        .withf(|id, mode, mibps| {
            id.as_str() == FS && *mode == ThroughputMode::Elastic && mibps.is_none()
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    described(
        &mut m,
        vec![
            Some(fs(LifeCycle::Updating)),
            Some(fs(LifeCycle::Available)),
        ],
    );
    let step = step(m);
    let observed = step.observe(&c()).await?;
    let Observation::Drifted { diff, .. } = &observed else {
        return Err(StepError::permanent(format!(
            "expected drift, got {observed:?}"
        )));
    };
    assert_eq!(
        diff,
        &[FieldDiff::new("throughput_mode", "bursting", "elastic")]
    );
    assert_eq!(step.ensure(&c(), &observed).await?.change, Change::Updated);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn provisioned_throughput_drift_names_both_values() -> Result<(), StepError> {
    let mut m = Mocks::default();
    by_token(
        &mut m,
        vec![Some(FileSystem {
            throughput_mode: ThroughputMode::Provisioned,
            provisioned_throughput_mibps: Some(64.0),
            ..fs(LifeCycle::Available)
        })],
    );
    let spec = FileSystemSpec {
        throughput_mode: ThroughputMode::Provisioned,
        provisioned_throughput_mibps: Some(128.0),
        ..spec()
    };
    let observed = step_with(m, spec, AwsOptions::default())
        .observe(&c())
        .await?;
    let Observation::Drifted { diff, .. } = observed else {
        return Err(StepError::permanent("expected drift"));
    };
    assert_eq!(
        diff,
        [FieldDiff::new("provisioned_throughput_mibps", "64", "128")]
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_file_system_still_creating_is_waited_for_without_a_write() -> Result<(), StepError> {
    let mut m = Mocks::default();
    by_token(
        &mut m,
        vec![Some(fs(LifeCycle::Creating)), Some(fs(LifeCycle::Creating))],
    );
    described(
        &mut m,
        vec![
            Some(fs(LifeCycle::Creating)),
            Some(fs(LifeCycle::Available)),
        ],
    );
    let step = step(m);
    let observed = step.observe(&c()).await?;
    let Observation::Drifted { diff, outputs } = &observed else {
        return Err(StepError::permanent(format!(
            "expected drift, got {observed:?}"
        )));
    };
    assert_eq!(outputs.get::<String>("file_system_id")?, FS);
    assert_eq!(
        diff,
        &[FieldDiff::new("life_cycle", "creating", "available")]
    );
    let start = Instant::now();
    assert_eq!(
        step.ensure(&c(), &observed).await?.change,
        Change::Unchanged
    );
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_field_fixed_at_creation_that_differs_is_a_permanent_error() -> Result<(), StepError> {
    let mut m = Mocks::default();
    by_token(
        &mut m,
        vec![Some(FileSystem {
            performance_mode: PerformanceMode::MaxIo,
            ..fs(LifeCycle::Available)
        })],
    );
    let err = step(m)
        .observe(&c())
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected an error"))?;
    assert!(!err.is_retryable());
    assert_eq!(err.code(), Some("ImmutableFieldChanged"));
    for part in [
        "performance_mode is maxIO",
        "generalPurpose",
        FS,
        "stack name",
    ] {
        assert!(err.message().contains(part), "{part} in {err}");
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn kms_key_and_one_zone_are_checked_too() -> Result<(), StepError> {
    let spec = FileSystemSpec {
        kms_key_id: Some("feedbeef".into()),
        one_zone_az_id: Some(AzId::parse("use1-az4").expect("zone")),
        ..spec()
    };
    let mut m = Mocks::default();
    by_token(&mut m, vec![Some(fs(LifeCycle::Available))]);
    let err = step_with(m, spec, AwsOptions::default())
        .observe(&c())
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected an error"))?;
    assert!(err.message().contains("kms_key_id is arn:aws:kms"), "{err}");
    assert!(
        err.message()
            .contains("one_zone_az_id is none (Regional) (the spec asks for use1-az4)"),
        "{err}"
    );
    Ok(())
}

#[test]
fn kms_keys_compare_by_arn_or_key_id() {
    let live = "arn:aws:kms:us-east-1:222222222222:key/1234abcd";
    assert!(same_kms_key(live, live));
    assert!(same_kms_key(live, "1234abcd"));
    assert!(same_kms_key(live, "alias/efs"));
    assert!(!same_kms_key(live, "feedbeef"));
    assert!(!same_kms_key(
        live,
        "arn:aws:kms:us-east-1:222222222222:key/feedbeef"
    ));
}

#[tokio::test(start_paused = true)]
async fn a_concurrent_create_with_the_same_token_is_read_back() -> Result<(), StepError> {
    let mut m = Mocks::default();
    m.efs.expect_create_file_system().times(1).returning(|_| {
        Err(AwsError::new(
            Service::Efs,
            "CreateFileSystem",
            Some("FileSystemAlreadyExists".into()),
            "File system 'fs-0000000f' already exists with creation token 'demo'",
            false,
        ))
    });
    by_token(&mut m, vec![Some(fs(LifeCycle::Available))]);
    let ensured = step(m).ensure(&c(), &Observation::Absent).await?;
    assert_eq!(ensured.change, Change::Created);
    assert_eq!(ensured.outputs.get::<String>("file_system_id")?, FS);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn one_zone_storage_is_created_in_bs_zone_name_for_the_zone_id() -> Result<(), StepError> {
    let zone = AzId::parse("use1-az4").expect("zone");
    let spec = FileSystemSpec {
        one_zone_az_id: Some(zone.clone()),
        ..spec()
    };
    let mut m = Mocks::default();
    m.ec2
        .expect_subnets_in_vpc()
        .withf(|vpc| vpc.as_str() == VPC_B)
        .times(1)
        .returning(|vpc| {
            let subnet = |id: &str, name: &str, az: &str| Subnet {
                id: SubnetId::parse(id).expect("subnet"),
                vpc_id: vpc.clone(),
                az_name: name.into(),
                az_id: AzId::parse(az).expect("zone"),
                cidr: xefs_core::ids::Ipv4Cidr::parse("10.1.0.0/24").expect("cidr"),
            };
            Ok(vec![
                subnet("subnet-00000001", "us-east-1a", "use1-az6"),
                subnet("subnet-00000002", "us-east-1c", "use1-az4"),
            ])
        });
    m.efs
        .expect_create_file_system()
        .withf(|n| n.one_zone_az_name.as_deref() == Some("us-east-1c"))
        .times(1)
        .returning(move |_| {
            Ok(FileSystem {
                one_zone_az_id: Some(AzId::parse("use1-az4").expect("zone")),
                ..fs(LifeCycle::Available)
            })
        });
    let step = step_with(m, spec, AwsOptions::default());
    assert_eq!(
        step.ensure(&c(), &Observation::Absent).await?.change,
        Change::Created
    );
    Ok(())
}

fn recorded() -> StepOutputs {
    outputs(&FileSystemId::parse(FS).expect("fs id")).expect("outputs")
}

#[tokio::test(start_paused = true)]
async fn remove_of_an_absent_file_system_deletes_nothing() -> Result<(), StepError> {
    let mut m = Mocks::default();
    described(&mut m, vec![None]);
    step(m).remove(&c(), &recorded()).await
}

#[tokio::test(start_paused = true)]
async fn remove_refuses_an_untagged_file_system() -> Result<(), StepError> {
    let mut m = Mocks::default();
    described(
        &mut m,
        vec![Some(FileSystem {
            tags: BTreeMap::new(),
            ..fs(LifeCycle::Available)
        })],
    );
    let err = step(m)
        .remove(&c(), &recorded())
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected a refusal"))?;
    assert_eq!(err.code(), Some("NotOwned"));
    Ok(())
}

fn with_data() -> FileSystem {
    FileSystem {
        size_bytes: 5 * 1024 * 1024,
        ..fs(LifeCycle::Available)
    }
}

#[tokio::test(start_paused = true)]
async fn the_data_guard_refuses_a_file_system_holding_data() -> Result<(), StepError> {
    let mut m = Mocks::default();
    described(&mut m, vec![Some(with_data())]);
    let err = step(m)
        .remove(&c(), &recorded())
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected a refusal"))?;
    assert!(!err.is_retryable());
    assert_eq!(err.code(), Some("FileSystemNotEmpty"));
    for part in ["5242880 bytes", "--delete-data", "lag"] {
        assert!(err.message().contains(part), "{part} in {err}");
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_data_guard_is_checked_before_the_destroy_removes_anything() -> Result<(), StepError> {
    let mut m = Mocks::default();
    described(
        &mut m,
        vec![Some(with_data()), Some(fs(LifeCycle::Available))],
    );
    let step = step(m);
    let err = step
        .check_remove(&c(), &recorded())
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected a refusal"))?;
    assert_eq!(err.code(), Some("FileSystemNotEmpty"));
    // An empty one passes, read-only (the mocks allow no delete).
    step.check_remove(&c(), &recorded()).await?;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn delete_data_lets_it_go_and_waits_until_gone() -> Result<(), StepError> {
    let mut m = Mocks::default();
    let polls = described(
        &mut m,
        vec![
            Some(with_data()),
            Some(fs(LifeCycle::Deleting)),
            Some(fs(LifeCycle::Deleting)),
            None,
        ],
    );
    m.efs
        .expect_delete_file_system()
        .withf(|id| id.as_str() == FS)
        .times(1)
        .returning(|_| Ok(()));
    let options = AwsOptions {
        delete_data: true,
        ..AwsOptions::default()
    };
    step_with(m, spec(), options)
        .remove(&c(), &recorded())
        .await?;
    assert_eq!(polls.load(Ordering::SeqCst), 4);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn remove_waits_for_the_mount_targets_to_be_gone() -> Result<(), StepError> {
    let mut m = Mocks::default();
    described(
        &mut m,
        vec![Some(FileSystem {
            mount_targets: 2,
            ..fs(LifeCycle::Available)
        })],
    );
    let err = step(m)
        .remove(&c(), &recorded())
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected a wait"))?;
    assert!(err.is_retryable());
    assert!(
        err.message().contains("waiting for 2 mount targets"),
        "{err}"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn file_system_in_use_on_delete_is_a_retryable_wait() -> Result<(), StepError> {
    let mut m = Mocks::default();
    described(&mut m, vec![Some(fs(LifeCycle::Available))]);
    m.efs.expect_delete_file_system().times(1).returning(|_| {
        Err(AwsError::new(
            Service::Efs,
            "DeleteFileSystem",
            Some("FileSystemInUse".into()),
            "has mount targets",
            false,
        ))
    });
    let err = step(m)
        .remove(&c(), &recorded())
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected a wait"))?;
    assert!(err.is_retryable());
    Ok(())
}
