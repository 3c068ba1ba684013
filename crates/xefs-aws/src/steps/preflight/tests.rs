//! Tests of [`PreflightStep`] over mocked ports in both accounts.

use xefs_core::blueprint::{Address, OutputRef, Value, addr, out};
use xefs_core::step::{Change, Inputs};

use super::*;
use crate::ports::Vpc;
use crate::steps::discovery::fixtures::{az, subnet_id, vpc_id};
use crate::steps::test_support::{A, B, Mocks, ctx};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const OIDC: &str = "oidc.op1.openshiftapps.com/2abc";

fn id(s: &str) -> AccountId {
    AccountId::parse(s).expect("test account")
}

fn cidr(s: &str) -> Ipv4Cidr {
    Ipv4Cidr::parse(s).expect("test CIDR")
}

fn output(step: &str, name: &str) -> OutputRef {
    OutputRef {
        step: Address::parse(step).expect("test address"),
        output: name.into(),
    }
}

fn spec() -> Preflight {
    Preflight {
        cluster_account: id(A),
        storage_account: id(B),
        cluster_vpc: (vpc_id("a"), cidr("10.0.0.0/16")),
        storage_vpc: (vpc_id("b"), cidr("10.1.0.0/16")),
        oidc_provider: Value::Known(OidcProvider::parse(OIDC).expect("test provider")),
        worker_az_ids: output(addr::CLUSTER_DISCOVERY, out::WORKER_AZ_IDS),
        mount_target_subnets: output(addr::STORAGE_DISCOVERY, out::MOUNT_TARGET_SUBNETS),
    }
}

/// Discovery found workers in zones 1 and 2; B covers `covered` of them and leaves
/// `uncovered`; `cross_zone` mount from another zone (One Zone).
fn inputs(covered: &[&str], uncovered: &[u8], cross_zone: &[u8]) -> Result<Inputs, StepError> {
    let zones = |z: &[u8]| z.iter().map(|z| az(*z)).collect::<Vec<_>>();
    Ok(Inputs::new()
        .with(
            Address::parse(addr::CLUSTER_DISCOVERY).expect("test address"),
            StepOutputs::new().with(out::WORKER_AZ_IDS, zones(&[1, 2]))?,
        )
        .with(
            Address::parse(addr::STORAGE_DISCOVERY).expect("test address"),
            StepOutputs::new()
                .with(
                    out::MOUNT_TARGET_SUBNETS,
                    covered.iter().map(|s| subnet_id(s)).collect::<Vec<_>>(),
                )?
                .with(UNCOVERED_AZ_IDS, zones(uncovered))?
                .with(CROSS_ZONE_AZ_IDS, zones(cross_zone))?,
        ))
}

fn caller(account: &str) -> CallerIdentity {
    CallerIdentity {
        account: id(account),
        arn: Arn::parse(&format!("arn:aws:sts::{account}:assumed-role/admin/me"))
            .expect("test ARN"),
    }
}

/// STS of `m` answers as `account`.
fn sts_says(m: &mut Mocks, account: &'static str) {
    m.sts
        .expect_caller_identity()
        .times(1)
        .returning(move || Ok(caller(account)));
}

fn vpc(v: &str, owner: &str, cidrs: &[&str]) -> Vpc {
    let cidrs: Vec<Ipv4Cidr> = cidrs.iter().map(|c| cidr(c)).collect();
    Vpc {
        id: vpc_id(v),
        owner: id(owner),
        cidr: cidrs[0],
        cidrs,
    }
}

/// EC2 of `m` describes `v` as `found`.
fn vpc_is(m: &mut Mocks, v: &'static str, found: Option<Vpc>) {
    m.ec2
        .expect_describe_vpc()
        .withf(move |asked| asked == &vpc_id(v))
        .times(1)
        .returning(move |_| Ok(found.clone()));
}

/// IAM of `m` lists these OIDC providers.
fn providers(m: &mut Mocks, hosts: &'static [&'static str]) {
    m.iam.expect_oidc_providers().times(1).returning(move || {
        Ok(hosts
            .iter()
            .map(|h| Arn::parse(&format!("arn:aws:iam::{A}:oidc-provider/{h}")).expect("test ARN"))
            .collect())
    });
}

fn step(a: Mocks, b: Mocks) -> PreflightStep {
    PreflightStep::new(
        spec(),
        AwsAccounts {
            cluster: a.account(A),
            storage: b.account(B),
        },
    )
}

#[tokio::test]
async fn all_good_reads_callers_and_writes_nothing() -> TestResult {
    let (mut a, mut b) = (Mocks::default(), Mocks::default());
    sts_says(&mut a, A);
    sts_says(&mut b, B);
    vpc_is(&mut a, "a", Some(vpc("a", A, &["10.0.0.0/16"])));
    // The spec's CIDR may be a secondary block.
    vpc_is(
        &mut b,
        "b",
        Some(vpc("b", B, &["172.16.0.0/16", "10.1.0.0/16"])),
    );
    providers(&mut a, &["other.example.com/x", OIDC]);
    let step = step(a, b);
    assert!(!step.mutates());
    assert_eq!(
        step.describe(),
        format!("preflight checks in accounts {A} and {B}")
    );
    let ctx = ctx(addr::PREFLIGHT, inputs(&["a1", "b2"], &[], &[])?);
    let observed = step.observe(&ctx).await?;
    let ensured = step.ensure(&ctx, &observed).await?;
    assert_eq!(ensured.change, Change::Read);
    let o = ensured.outputs;
    assert_eq!(o.get::<Arn>(CLUSTER_CALLER)?, caller(A).arn);
    assert_eq!(o.get::<Arn>(STORAGE_CALLER)?, caller(B).arn);
    assert!(o.get::<Vec<String>>(WARNINGS)?.is_empty());
    Ok(())
}

#[tokio::test]
async fn every_problem_is_reported_in_one_error() -> TestResult {
    let (mut a, mut b) = (Mocks::default(), Mocks::default());
    sts_says(&mut a, A);
    // B's credentials act in A: B's VPC is not even looked up.
    sts_says(&mut b, A);
    // A's VPC has another CIDR, which overlaps B's.
    vpc_is(&mut a, "a", Some(vpc("a", A, &["10.1.0.0/20"])));
    providers(&mut a, &[]);
    let step = step(a, b);
    let err = step
        .observe(&ctx(addr::PREFLIGHT, inputs(&["a1"], &[2], &[])?))
        .await
        .err()
        .ok_or("expected a preflight failure")?;
    assert!(!err.is_retryable());
    assert_eq!(err.code(), Some("PreflightFailed"));
    let text = err.message();
    assert!(text.starts_with("preflight found 5 problems"), "{text}");
    for expected in [
        // Wrong account: both ids.
        &format!("belong to account {A}") as &str,
        &format!("but the spec says {B}"),
        // A's VPC: its real CIDR and the fix.
        "has the CIDR block(s) 10.1.0.0/20, not 10.0.0.0/16: set cluster.vpc_cidr",
        // A's real CIDR overlaps B's.
        "CIDR 10.1.0.0/20 of VPC vpc-0000000a overlaps CIDR 10.1.0.0/16 of VPC vpc-0000000b",
        // OIDC with both ways to register it.
        &format!("arn:aws:iam::{A}:oidc-provider/{OIDC}"),
        "rosa create oidc-provider",
        "aws iam create-open-id-connect-provider --url https://oidc.op1.openshiftapps.com/2abc",
        // Zone coverage.
        "no subnet in zone id(s) use1-az2",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert_eq!(text.matches("\n  - ").count(), 5, "{text}");
    Ok(())
}

#[tokio::test]
async fn wrong_cluster_credentials_name_both_ids_and_skip_that_account() -> TestResult {
    let (mut a, mut b) = (Mocks::default(), Mocks::default());
    sts_says(&mut a, "333333333333");
    sts_says(&mut b, B);
    vpc_is(&mut b, "b", Some(vpc("b", B, &["10.1.0.0/16"])));
    // No EC2 or IAM expectation in A: checks there would fail the test.
    let err = step(a, b)
        .observe(&ctx(addr::PREFLIGHT, inputs(&["a1", "b2"], &[], &[])?))
        .await
        .err()
        .ok_or("expected a preflight failure")?;
    let text = err.message();
    assert!(text.starts_with("preflight found 1 problem;"), "{text}");
    assert!(
        text.contains("the credentials for cluster account A belong to account 333333333333"),
        "{text}"
    );
    assert!(text.contains(&format!("but the spec says {A}")), "{text}");
    assert!(text.contains("cluster.profile"), "{text}");
    Ok(())
}

#[tokio::test]
async fn a_missing_vpc_is_a_problem_not_an_aws_error() -> TestResult {
    let (mut a, mut b) = (Mocks::default(), Mocks::default());
    sts_says(&mut a, A);
    sts_says(&mut b, B);
    vpc_is(&mut a, "a", Some(vpc("a", A, &["10.0.0.0/16"])));
    vpc_is(&mut b, "b", None);
    providers(&mut a, &[OIDC]);
    let err = step(a, b)
        .observe(&ctx(addr::PREFLIGHT, inputs(&["a1", "b2"], &[], &[])?))
        .await
        .err()
        .ok_or("expected a preflight failure")?;
    assert!(
        err.message().contains(&format!(
            "VPC vpc-0000000b was not found in account {B} (us-east-1): check storage.vpc_id"
        )),
        "{err}"
    );
    Ok(())
}

#[tokio::test]
async fn one_zone_cross_zone_workers_are_a_warning() -> TestResult {
    let (mut a, mut b) = (Mocks::default(), Mocks::default());
    sts_says(&mut a, A);
    sts_says(&mut b, B);
    vpc_is(&mut a, "a", Some(vpc("a", A, &["10.0.0.0/16"])));
    vpc_is(&mut b, "b", Some(vpc("b", B, &["10.1.0.0/16"])));
    providers(&mut a, &[OIDC]);
    let observed = step(a, b)
        .observe(&ctx(addr::PREFLIGHT, inputs(&["b2"], &[], &[1])?))
        .await?;
    let warnings: Vec<String> = observed
        .outputs()
        .ok_or("expected outputs")?
        .get(WARNINGS)?;
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("zone id(s) use1-az1"), "{warnings:?}");
    assert!(warnings[0].contains("One Zone"), "{warnings:?}");
    Ok(())
}

#[tokio::test]
async fn a_failed_call_is_returned_as_is_so_it_can_be_retried() -> TestResult {
    let (mut a, mut b) = (Mocks::default(), Mocks::default());
    sts_says(&mut a, A);
    sts_says(&mut b, B);
    m_throttled(&mut a);
    let err = step(a, b)
        .observe(&ctx(addr::PREFLIGHT, inputs(&["a1", "b2"], &[], &[])?))
        .await
        .err()
        .ok_or("expected an error")?;
    assert!(err.is_retryable(), "{err}");
    Ok(())
}

fn m_throttled(m: &mut Mocks) {
    m.ec2.expect_describe_vpc().times(1).returning(|_| {
        Err(crate::AwsError::new(
            crate::Service::Ec2,
            "DescribeVpcs",
            Some("RequestLimitExceeded".into()),
            "slow down",
            true,
        ))
    });
}
