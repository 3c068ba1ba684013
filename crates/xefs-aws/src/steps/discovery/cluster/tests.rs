//! Tests of [`DiscoverClusterAccountStep`] over mocked ports.

use xefs_core::blueprint::{Address, OutputRef, addr};
use xefs_core::step::{Change, Inputs};

use super::*;
use crate::steps::discovery::fixtures::*;
use crate::steps::test_support::{A, Mocks, ctx};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn spec(workers: WorkerSource, roles: Vec<Arn>) -> DiscoverClusterAccount {
    DiscoverClusterAccount {
        vpc_id: vpc_id("1"),
        workers,
        node_role_arns: roles,
    }
}

fn role(name: &str) -> Arn {
    Arn::parse(&format!("arn:aws:iam::{A}:role/{name}")).expect("test role ARN")
}

fn instances_ref() -> OutputRef {
    OutputRef {
        step: Address::parse(addr::OPENSHIFT_DISCOVERY).expect("test address"),
        output: out::WORKER_INSTANCE_IDS.into(),
    }
}

fn instance_inputs(ids: &[&str]) -> Result<Inputs, StepError> {
    let ids: Vec<InstanceId> = ids.iter().map(|i| instance_id(i)).collect();
    Ok(Inputs::new().with(
        Address::parse(addr::OPENSHIFT_DISCOVERY).expect("test address"),
        StepOutputs::new().with(out::WORKER_INSTANCE_IDS, ids)?,
    ))
}

#[tokio::test]
async fn spec_subnets_use_the_main_table_when_unassociated_and_dedupe() -> TestResult {
    let vpc = vpc_id("1");
    let mut m = Mocks::default();
    let wanted = vec![subnet_id("a"), subnet_id("b"), subnet_id("c")];
    let described = vec![
        subnet("a", &vpc, 1),
        subnet("b", &vpc, 2),
        subnet("c", &vpc, 2),
    ];
    m.ec2
        .expect_describe_subnets()
        .withf(move |ids| ids == wanted.as_slice())
        .times(1)
        .returning(move |_| Ok(described.clone()));
    let tables = vec![
        table("9", &vpc, true, &[]),
        table("2", &vpc, false, &["a"]),
        table("3", &vpc, false, &["f"]),
    ];
    m.ec2
        .expect_route_tables_in_vpc()
        .withf(|v| v == &vpc_id("1"))
        .times(1)
        .returning(move |_| Ok(tables.clone()));
    // Spec roles: no IAM call (the mock has no expectation).
    let step = DiscoverClusterAccountStep::new(
        spec(
            // Duplicates and order in the spec do not matter.
            WorkerSource::Subnets(vec![
                subnet_id("c"),
                subnet_id("a"),
                subnet_id("b"),
                subnet_id("a"),
            ]),
            vec![role("worker")],
        ),
        m.account(A),
    );
    assert!(!step.mutates());
    let ctx = ctx(addr::CLUSTER_DISCOVERY, Inputs::new());
    let observed = step.observe(&ctx).await?;
    let ensured = step.ensure(&ctx, &observed).await?;
    assert_eq!(ensured.change, Change::Read);
    let outputs = ensured.outputs;
    assert_eq!(
        outputs.get::<Vec<SubnetId>>(out::WORKER_SUBNETS)?,
        vec![subnet_id("a"), subnet_id("b"), subnet_id("c")]
    );
    assert_eq!(
        outputs.get::<Vec<AzId>>(out::WORKER_AZ_IDS)?,
        vec![az(1), az(2)]
    );
    // b and c are on the main table (9); a has its own (2); 3 serves no worker.
    assert_eq!(
        outputs.get::<Vec<String>>(out::CLUSTER_ROUTE_TABLES)?,
        vec!["rtb-00000002", "rtb-00000009"]
    );
    assert_eq!(
        outputs.get::<Vec<Arn>>(out::NODE_ROLE_ARNS)?,
        vec![role("worker")]
    );
    Ok(())
}

#[tokio::test]
async fn a_worker_subnet_outside_the_vpc_is_an_error_with_the_fix() -> TestResult {
    let mut m = Mocks::default();
    let other = vpc_id("7");
    let described = vec![subnet("a", &vpc_id("1"), 1), subnet("b", &other, 2)];
    m.ec2
        .expect_describe_subnets()
        .times(1)
        .returning(move |_| Ok(described.clone()));
    let step = DiscoverClusterAccountStep::new(
        spec(
            WorkerSource::Subnets(vec![subnet_id("a"), subnet_id("b")]),
            vec![],
        ),
        m.account(A),
    );
    let err = step
        .observe(&ctx(addr::CLUSTER_DISCOVERY, Inputs::new()))
        .await
        .err()
        .ok_or("expected an error")?;
    assert!(!err.is_retryable());
    let text = err.to_string();
    assert!(
        text.contains("subnet-0000000b is in VPC vpc-00000007"),
        "{text}"
    );
    assert!(
        text.contains("not in the cluster's VPC vpc-00000001"),
        "{text}"
    );
    assert!(text.contains("set cluster.vpc_id"), "{text}");
    assert!(text.contains(A), "{text}");
    Ok(())
}

#[tokio::test]
async fn instances_give_subnets_and_node_roles_from_their_profiles() -> TestResult {
    let vpc = vpc_id("1");
    let mut m = Mocks::default();
    let instances = vec![
        instance(
            "1",
            &vpc,
            Some("a"),
            Some(&format!("arn:aws:iam::{A}:instance-profile/worker-profile")),
        ),
        instance(
            "2",
            &vpc,
            Some("a"),
            Some(&format!("arn:aws:iam::{A}:instance-profile/worker-profile")),
        ),
        instance(
            "3",
            &vpc,
            Some("b"),
            Some(&format!(
                "arn:aws:iam::{A}:instance-profile/rosa/infra-profile"
            )),
        ),
        // Terminated: no subnet, no profile.
        instance("4", &vpc, None, None),
    ];
    let asked = vec![
        instance_id("1"),
        instance_id("2"),
        instance_id("3"),
        instance_id("4"),
    ];
    m.ec2
        .expect_describe_instances()
        .withf(move |ids| ids == asked.as_slice())
        .times(1)
        .returning(move |_| Ok(instances.clone()));
    let subnets = vec![subnet("a", &vpc, 1), subnet("b", &vpc, 3)];
    m.ec2
        .expect_describe_subnets()
        .withf(|ids| ids == [subnet_id("a"), subnet_id("b")])
        .times(1)
        .returning(move |_| Ok(subnets.clone()));
    let tables = vec![table("1", &vpc, true, &["a", "b"])];
    m.ec2
        .expect_route_tables_in_vpc()
        .times(1)
        .returning(move |_| Ok(tables.clone()));
    // One call per distinct profile, by name (the last path segment).
    m.iam
        .expect_instance_profile_roles()
        .withf(|p| p == "worker-profile")
        .times(1)
        .returning(|_| Ok(vec![role("worker")]));
    m.iam
        .expect_instance_profile_roles()
        .withf(|p| p == "infra-profile")
        .times(1)
        .returning(|_| Ok(vec![role("worker"), role("infra")]));
    let step = DiscoverClusterAccountStep::new(
        spec(WorkerSource::Instances(instances_ref()), vec![]),
        m.account(A),
    );
    let ctx = ctx(
        addr::CLUSTER_DISCOVERY,
        instance_inputs(&["1", "2", "3", "4"])?,
    );
    let observed = step.observe(&ctx).await?;
    let outputs = observed.outputs().ok_or("expected outputs")?;
    assert_eq!(
        outputs.get::<Vec<SubnetId>>(out::WORKER_SUBNETS)?,
        vec![subnet_id("a"), subnet_id("b")]
    );
    assert_eq!(
        outputs.get::<Vec<AzId>>(out::WORKER_AZ_IDS)?,
        vec![az(1), az(3)]
    );
    assert_eq!(
        outputs.get::<Vec<String>>(out::CLUSTER_ROUTE_TABLES)?,
        vec!["rtb-00000001"]
    );
    assert_eq!(
        outputs.get::<Vec<Arn>>(out::NODE_ROLE_ARNS)?,
        vec![role("infra"), role("worker")]
    );
    Ok(())
}

#[tokio::test]
async fn no_worker_instances_is_an_error_that_says_what_to_set() -> TestResult {
    let step = DiscoverClusterAccountStep::new(
        spec(WorkerSource::Instances(instances_ref()), vec![]),
        Mocks::default().account(A),
    );
    let err = step
        .observe(&ctx(addr::CLUSTER_DISCOVERY, instance_inputs(&[])?))
        .await
        .err()
        .ok_or("expected an error")?;
    assert!(err.message().contains("cluster.worker_subnets"), "{err}");
    Ok(())
}

#[tokio::test]
async fn without_spec_roles_or_instances_node_roles_are_empty() -> TestResult {
    let vpc = vpc_id("1");
    let mut m = Mocks::default();
    let described = vec![subnet("a", &vpc, 1)];
    m.ec2
        .expect_describe_subnets()
        .times(1)
        .returning(move |_| Ok(described.clone()));
    let tables = vec![table("1", &vpc, true, &[])];
    m.ec2
        .expect_route_tables_in_vpc()
        .times(1)
        .returning(move |_| Ok(tables.clone()));
    let step = DiscoverClusterAccountStep::new(
        spec(WorkerSource::Subnets(vec![subnet_id("a")]), vec![]),
        m.account(A),
    );
    let observed = step
        .observe(&ctx(addr::CLUSTER_DISCOVERY, Inputs::new()))
        .await?;
    let outputs = observed.outputs().ok_or("expected outputs")?;
    assert!(outputs.get::<Vec<Arn>>(out::NODE_ROLE_ARNS)?.is_empty());
    Ok(())
}
