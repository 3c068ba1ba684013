//! Tests of [`EfsClientAccessStep`] over mocked IAM.

use mockall::Sequence;
use xefs_core::blueprint::{Address, OutputRef, PolicyTemplate, addr, out};
use xefs_core::iam::PolicyDocument;
use xefs_core::ids::{AccountId, FileSystemId, Region};

use super::*;
use crate::ports::{ManagedPolicy, PolicyVersion, Tags};
use crate::steps::test_support::{A, B, Mocks, ctx};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn policy_arn() -> Arn {
    Arn::parse(&format!("arn:aws:iam::{A}:policy/prod-efs-client-access")).expect("test ARN")
}

fn role_arn(path_and_name: &str) -> Arn {
    Arn::parse(&format!("arn:aws:iam::{A}:role/{path_and_name}")).expect("test ARN")
}

fn name(n: &str) -> IamName {
    IamName::parse(n).expect("test name")
}

fn template(fs: &str) -> PolicyTemplate {
    PolicyTemplate::EfsClientAccess {
        region: Region::parse("us-east-1").expect("test region"),
        account: AccountId::parse(B).expect("test account"),
        file_system: Value::Known(FileSystemId::parse(fs).expect("test file system")),
    }
}

fn document(fs: &str) -> PolicyDocument {
    template(fs)
        .render(&Inputs::new())
        .expect("test template renders")
}

const FS: &str = "fs-0000000a";

fn tags(stack: Option<&str>) -> Tags {
    stack
        .map(|s| (xefs_core::spec::STACK_TAG.to_owned(), s.to_owned()))
        .into_iter()
        .collect()
}

fn discovered_roles() -> OutputRef {
    OutputRef {
        step: Address::parse(addr::CLUSTER_DISCOVERY).expect("test address"),
        output: out::NODE_ROLE_ARNS.into(),
    }
}

fn spec(roles: Value<Vec<Arn>>) -> EfsClientAccess {
    EfsClientAccess {
        account: AccountId::parse(A).expect("test account"),
        policy_name: name("prod-efs-client-access"),
        policy_arn: policy_arn(),
        document: template(FS),
        node_role_arns: roles,
        tags: tags(Some("prod")),
    }
}

/// Two node roles, one with a path as ROSA names them.
fn two_roles() -> Value<Vec<Arn>> {
    Value::Known(vec![
        role_arn("rosa/prod-Worker-Role"),
        role_arn("prod-Infra-Role"),
    ])
}

fn step(roles: Value<Vec<Arn>>, m: Mocks) -> EfsClientAccessStep {
    EfsClientAccessStep::new(spec(roles), m.account(A))
}

fn context(inputs: Inputs) -> StepContext {
    ctx(addr::EFS_CLIENT_ACCESS, inputs)
}

fn discovery_inputs(roles: &[Arn]) -> Result<Inputs, StepError> {
    Ok(Inputs::new().with(
        discovered_roles().step,
        StepOutputs::new().with(out::NODE_ROLE_ARNS, roles)?,
    ))
}

fn live(stack: Option<&str>) -> ManagedPolicy {
    ManagedPolicy {
        arn: policy_arn(),
        default_version_id: "v1".into(),
        tags: tags(stack),
    }
}

/// The policy exists with `fs`'s document.
fn existing(m: &mut Mocks, fs: &'static str) {
    m.iam
        .expect_get_policy()
        .withf(|a| a == &policy_arn())
        .times(1)
        .returning(|_| Ok(Some(live(Some("prod")))));
    m.iam
        .expect_get_policy_document()
        .withf(|a, v| a == &policy_arn() && v == "v1")
        .times(1)
        .returning(move |_, _| Ok(document(fs)));
}

/// `role`'s attached policies, `times` times: ours when `attached`.
fn attachments(m: &mut Mocks, role: &'static str, attached: bool, times: usize) {
    m.iam
        .expect_attached_policies()
        .withf(move |r| r.as_str() == role)
        .times(times)
        .returning(move |_| Ok(if attached { vec![policy_arn()] } else { vec![] }));
}

#[test]
fn not_applicable_in_the_plan_when_no_role_can_be_known() -> TestResult {
    let none = step(Value::Known(vec![]), Mocks::default());
    let reason = none
        .not_applicable(&Inputs::new())
        .ok_or("expected a reason")?;
    assert!(reason.contains("cluster.node_role_arns"), "{reason}");
    assert!(reason.contains("delete-time mount is denied"), "{reason}");

    let later = step(Value::After(discovered_roles()), Mocks::default());
    // Discovery has not run: nothing can be said yet.
    assert_eq!(later.not_applicable(&Inputs::new()), None);
    // Discovery ran and found no role.
    assert!(later.not_applicable(&discovery_inputs(&[])?).is_some());
    // Discovery found one.
    let found = discovery_inputs(&[role_arn("w")])?;
    assert_eq!(later.not_applicable(&found), None);
    assert_eq!(
        step(two_roles(), Mocks::default()).not_applicable(&Inputs::new()),
        None
    );
    Ok(())
}

#[tokio::test]
async fn observe_is_not_applicable_without_roles_and_calls_nothing() -> TestResult {
    let step = step(Value::After(discovered_roles()), Mocks::default());
    let ctx = context(discovery_inputs(&[])?);
    let observed = step.observe(&ctx).await?;
    let Observation::NotApplicable { reason } = &observed else {
        return Err(format!("expected not applicable, got {observed:?}").into());
    };
    assert!(
        reason.starts_with("no worker-node role is known"),
        "{reason}"
    );
    let ensured = step.ensure(&ctx, &observed).await?;
    assert_eq!(ensured.change, Change::NotApplicable);
    Ok(())
}

#[tokio::test]
async fn fresh_create_makes_the_policy_and_attaches_it_to_every_role() -> TestResult {
    let mut m = Mocks::default();
    let mut seq = Sequence::new();
    m.iam
        .expect_get_policy()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(None));
    m.iam
        .expect_create_policy()
        .withf(|p| {
            p.name.as_str() == "prod-efs-client-access"
                && p.document == document(FS)
                && p.tags == tags(Some("prod"))
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(policy_arn()));
    for role in ["prod-Infra-Role", "prod-Worker-Role"] {
        m.iam
            .expect_attach_policy()
            .withf(move |r, p| r.as_str() == role && p == &policy_arn())
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(()));
    }
    // Roles from discovery, with a duplicate.
    let inputs = discovery_inputs(&[
        role_arn("rosa/prod-Worker-Role"),
        role_arn("prod-Infra-Role"),
        role_arn("rosa/prod-Worker-Role"),
    ])?;
    let step = step(Value::After(discovered_roles()), m);
    assert_eq!(
        step.describe(),
        format!(
            "IAM policy prod-efs-client-access (EFS client access) on the worker-node roles in account {A}"
        )
    );
    let ctx = context(inputs);
    let observed = step.observe(&ctx).await?;
    assert_eq!(observed, Observation::Absent);
    let ensured = step.ensure(&ctx, &observed).await?;
    assert_eq!(ensured.change, Change::Created);
    assert_eq!(ensured.outputs.get::<Arn>(POLICY_ARN)?, policy_arn());
    assert_eq!(
        ensured.outputs.get::<Vec<IamName>>(ATTACHED_ROLES)?,
        vec![name("prod-Infra-Role"), name("prod-Worker-Role")]
    );
    Ok(())
}

#[tokio::test]
async fn a_policy_in_shape_and_attached_everywhere_gets_no_write() -> TestResult {
    let mut m = Mocks::default();
    existing(&mut m, FS);
    attachments(&mut m, "prod-Worker-Role", true, 1);
    attachments(&mut m, "prod-Infra-Role", true, 1);
    let step = step(two_roles(), m);
    let ctx = context(Inputs::new());
    let observed = step.observe(&ctx).await?;
    let Observation::Present(outputs) = &observed else {
        return Err(format!("expected present, got {observed:?}").into());
    };
    assert_eq!(
        outputs.get::<Vec<IamName>>(ATTACHED_ROLES)?,
        vec![name("prod-Infra-Role"), name("prod-Worker-Role")]
    );
    assert_eq!(
        step.ensure(&ctx, &observed).await?.change,
        Change::Unchanged
    );
    Ok(())
}

#[tokio::test]
async fn a_role_missing_the_attachment_is_drift_and_only_it_is_attached() -> TestResult {
    let mut m = Mocks::default();
    existing(&mut m, FS);
    // Once in observe, once more in ensure.
    attachments(&mut m, "prod-Worker-Role", false, 2);
    attachments(&mut m, "prod-Infra-Role", true, 2);
    m.iam
        .expect_attach_policy()
        .withf(|r, p| r.as_str() == "prod-Worker-Role" && p == &policy_arn())
        .times(1)
        .returning(|_, _| Ok(()));
    let step = step(two_roles(), m);
    let ctx = context(Inputs::new());
    let observed = step.observe(&ctx).await?;
    let Observation::Drifted { diff, outputs } = &observed else {
        return Err(format!("expected drift, got {observed:?}").into());
    };
    assert_eq!(
        diff,
        &vec![FieldDiff::new(
            "attached_to",
            "prod-Infra-Role",
            "prod-Infra-Role, prod-Worker-Role"
        )]
    );
    // Destroy after a crash detaches from what is really attached.
    assert_eq!(
        outputs.get::<Vec<IamName>>(ATTACHED_ROLES)?,
        vec![name("prod-Infra-Role")]
    );
    let ensured = step.ensure(&ctx, &observed).await?;
    assert_eq!(ensured.change, Change::Updated);
    assert_eq!(
        ensured.outputs.get::<Vec<IamName>>(ATTACHED_ROLES)?,
        vec![name("prod-Infra-Role"), name("prod-Worker-Role")]
    );
    Ok(())
}

#[tokio::test]
async fn a_drifted_document_gets_a_new_default_version() -> TestResult {
    let mut m = Mocks::default();
    existing(&mut m, "fs-0000000b");
    attachments(&mut m, "prod-Worker-Role", true, 2);
    attachments(&mut m, "prod-Infra-Role", true, 2);
    m.iam.expect_list_policy_versions().times(1).returning(|_| {
        Ok(vec![PolicyVersion {
            id: "v1".into(),
            is_default: true,
            created: "2024-01-01T00:00:00Z".into(),
        }])
    });
    m.iam
        .expect_create_default_policy_version()
        .withf(|a, d| a == &policy_arn() && d == &document(FS))
        .times(1)
        .returning(|_, _| Ok("v2".into()));
    let step = step(two_roles(), m);
    let ctx = context(Inputs::new());
    let observed = step.observe(&ctx).await?;
    let Observation::Drifted { diff, .. } = &observed else {
        return Err(format!("expected drift, got {observed:?}").into());
    };
    let fields: Vec<&str> = diff.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(fields, ["document"]);
    assert_eq!(step.ensure(&ctx, &observed).await?.change, Change::Updated);
    Ok(())
}

#[tokio::test]
async fn removing_an_absent_policy_detaches_and_deletes_nothing() -> TestResult {
    let mut m = Mocks::default();
    m.iam.expect_get_policy().times(1).returning(|_| Ok(None));
    let recorded = StepOutputs::new().with(ATTACHED_ROLES, vec![name("prod-Worker-Role")])?;
    step(two_roles(), m)
        .remove(&context(Inputs::new()), &recorded)
        .await?;
    Ok(())
}

#[tokio::test]
async fn remove_refuses_an_untagged_policy_before_detaching() -> TestResult {
    let mut m = Mocks::default();
    m.iam
        .expect_get_policy()
        .times(1)
        .returning(|_| Ok(Some(live(None))));
    let err = step(two_roles(), m)
        .remove(&context(Inputs::new()), &StepOutputs::new())
        .await
        .err()
        .ok_or("expected a refusal")?;
    assert_eq!(err.code(), Some("NotOwned"));
    Ok(())
}

#[tokio::test]
async fn remove_detaches_recorded_and_spec_roles_then_deletes() -> TestResult {
    let mut m = Mocks::default();
    let mut seq = Sequence::new();
    m.iam
        .expect_get_policy()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(Some(live(Some("prod")))));
    // Sorted: a role only the record knows, then the spec's two.
    for role in ["old-Worker-Role", "prod-Infra-Role", "prod-Worker-Role"] {
        m.iam
            .expect_detach_policy()
            .withf(move |r, p| r.as_str() == role && p == &policy_arn())
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(()));
    }
    m.iam
        .expect_list_policy_versions()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| {
            Ok(vec![
                PolicyVersion {
                    id: "v1".into(),
                    is_default: false,
                    created: "2024-01-01T00:00:00Z".into(),
                },
                PolicyVersion {
                    id: "v2".into(),
                    is_default: true,
                    created: "2024-01-02T00:00:00Z".into(),
                },
            ])
        });
    m.iam
        .expect_delete_policy_version()
        .withf(|_, v| v == "v1")
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    m.iam
        .expect_delete_policy()
        .withf(|a| a == &policy_arn())
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    let recorded = StepOutputs::new().with(POLICY_ARN, policy_arn())?.with(
        ATTACHED_ROLES,
        vec![name("old-Worker-Role"), name("prod-Worker-Role")],
    )?;
    step(two_roles(), m)
        .remove(&context(Inputs::new()), &recorded)
        .await?;
    Ok(())
}
