use std::collections::BTreeMap;

use xefs_core::blueprint::addr;
use xefs_core::ids::VpcId;
use xefs_core::step::{Change, Inputs};

use super::*;
use crate::ports::SecurityGroup;
use crate::steps::fixtures::{VPC_B, stack_tags};
use crate::steps::test_support::{B, Mocks, ctx};
use crate::{AwsError, Service};

const SG: &str = "sg-0000000b";
const NAME: &str = "demo-efs-mount-targets";
const SOURCE: &str = "10.0.0.0/16";

fn cidr(s: &str) -> Ipv4Cidr {
    Ipv4Cidr::parse(s).expect("cidr")
}

fn rule(protocol: &str, from: i32, to: i32, source: &str) -> SecurityGroupRule {
    SecurityGroupRule {
        protocol: protocol.into(),
        from_port: Some(from),
        to_port: Some(to),
        cidrs: vec![cidr(source)],
    }
}

fn group(ingress: Vec<SecurityGroupRule>, tags: BTreeMap<String, String>) -> SecurityGroup {
    SecurityGroup {
        id: SecurityGroupId::parse(SG).expect("sg"),
        name: NAME.into(),
        vpc_id: VpcId::parse(VPC_B).expect("vpc"),
        ingress,
        egress: Vec::new(),
        tags,
    }
}

fn step(mocks: Mocks) -> SecurityGroupStep {
    SecurityGroupStep::new(
        MountTargetSecurityGroup {
            vpc_id: VpcId::parse(VPC_B).expect("vpc"),
            name: NAME.into(),
            description: "NFS from cluster demo to EFS".into(),
            nfs_source: cidr(SOURCE),
            tags: stack_tags("demo"),
        },
        mocks.account(B),
    )
}

fn c() -> StepContext {
    ctx(addr::SECURITY_GROUP, Inputs::new())
}

fn find(m: &mut Mocks, answer: Option<SecurityGroup>) {
    m.ec2
        .expect_find_security_group()
        .withf(|vpc, name| vpc.as_str() == VPC_B && name == NAME)
        .times(1)
        .returning(move |_, _| Ok(answer.clone()));
}

fn expect_allow(m: &mut Mocks) {
    m.ec2
        .expect_allow_tcp_ingress()
        .withf(|id, port, source, _| id.as_str() == SG && *port == 2049 && source == &cidr(SOURCE))
        .times(1)
        .returning(|_, _, _, _| Ok(()));
}

#[tokio::test]
async fn fresh_group_is_created_tagged_with_the_nfs_rule() -> Result<(), StepError> {
    let mut m = Mocks::default();
    find(&mut m, None);
    m.ec2
        .expect_create_security_group()
        .withf(|g| g.vpc_id.as_str() == VPC_B && g.name == NAME && g.tags == stack_tags("demo"))
        .times(1)
        .returning(|_| Ok(SecurityGroupId::parse(SG).expect("sg")));
    expect_allow(&mut m);
    let step = step(m);
    let observed = step.observe(&c()).await?;
    assert_eq!(observed, Observation::Absent);
    let ensured = step.ensure(&c(), &observed).await?;
    assert_eq!(ensured.change, Change::Created);
    assert_eq!(ensured.outputs.get::<String>("security_group_id")?, SG);
    Ok(())
}

#[tokio::test]
async fn a_group_with_the_rule_makes_no_write() -> Result<(), StepError> {
    for ingress in [
        rule("tcp", 2049, 2049, SOURCE),
        rule("tcp", 0, 65535, "10.0.0.0/8"),
        rule("-1", -1, -1, SOURCE),
    ] {
        let mut m = Mocks::default();
        find(&mut m, Some(group(vec![ingress], stack_tags("demo"))));
        let step = step(m);
        let observed = step.observe(&c()).await?;
        assert!(matches!(observed, Observation::Present(_)), "{observed:?}");
        assert_eq!(
            step.ensure(&c(), &observed).await?.change,
            Change::Unchanged
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_group_without_the_rule_drifts_and_gets_it() -> Result<(), StepError> {
    let mut m = Mocks::default();
    let wrong = vec![
        rule("tcp", 2049, 2049, "10.9.0.0/16"),
        rule("tcp", 22, 22, SOURCE),
    ];
    find(&mut m, Some(group(wrong, stack_tags("demo"))));
    expect_allow(&mut m);
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
            "ingress",
            "tcp 2049 from 10.9.0.0/16; tcp 22 from 10.0.0.0/16",
            "tcp 2049 from 10.0.0.0/16"
        )]
    );
    assert_eq!(step.ensure(&c(), &observed).await?.change, Change::Updated);
    Ok(())
}

#[tokio::test]
async fn a_duplicate_on_create_uses_the_group_found_again() -> Result<(), StepError> {
    let mut m = Mocks::default();
    m.ec2
        .expect_create_security_group()
        .times(1)
        .returning(|_| {
            Err(AwsError::new(
                Service::Ec2,
                "CreateSecurityGroup",
                Some("InvalidGroup.Duplicate".into()),
                "exists",
                false,
            ))
        });
    find(&mut m, Some(group(vec![], stack_tags("demo"))));
    expect_allow(&mut m);
    let ensured = step(m).ensure(&c(), &Observation::Absent).await?;
    assert_eq!(ensured.outputs.get::<String>("security_group_id")?, SG);
    Ok(())
}

fn recorded() -> StepOutputs {
    outputs(&SecurityGroupId::parse(SG).expect("sg")).expect("outputs")
}

fn describe(m: &mut Mocks, answer: Option<SecurityGroup>) {
    m.ec2
        .expect_describe_security_group()
        .withf(|id| id.as_str() == SG)
        .times(1)
        .returning(move |_| Ok(answer.clone()));
}

#[tokio::test]
async fn remove_deletes_the_tagged_group() -> Result<(), StepError> {
    let mut m = Mocks::default();
    describe(&mut m, Some(group(vec![], stack_tags("demo"))));
    m.ec2
        .expect_delete_security_group()
        .withf(|id| id.as_str() == SG)
        .times(1)
        .returning(|_| Ok(()));
    step(m).remove(&c(), &recorded()).await
}

#[tokio::test]
async fn remove_of_an_absent_group_deletes_nothing() -> Result<(), StepError> {
    let mut m = Mocks::default();
    describe(&mut m, None);
    step(m).remove(&c(), &recorded()).await
}

#[tokio::test]
async fn remove_refuses_an_untagged_group() -> Result<(), StepError> {
    let mut m = Mocks::default();
    describe(&mut m, Some(group(vec![], BTreeMap::new())));
    let err = step(m)
        .remove(&c(), &recorded())
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected a refusal"))?;
    assert_eq!(err.code(), Some("NotOwned"));
    Ok(())
}

#[tokio::test]
async fn a_group_still_in_use_is_a_retryable_wait() -> Result<(), StepError> {
    let mut m = Mocks::default();
    describe(&mut m, Some(group(vec![], stack_tags("demo"))));
    m.ec2
        .expect_delete_security_group()
        .times(1)
        .returning(|_| {
            Err(AwsError::new(
                Service::Ec2,
                "DeleteSecurityGroup",
                Some("DependencyViolation".into()),
                "resource sg-0000000b has a dependent object",
                false,
            ))
        });
    let err = step(m)
        .remove(&c(), &recorded())
        .await
        .err()
        .ok_or_else(|| StepError::permanent("expected an error"))?;
    assert!(err.is_retryable());
    assert!(err.message().contains("mount targets"), "{err}");
    Ok(())
}
