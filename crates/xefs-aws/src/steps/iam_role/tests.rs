//! Tests of [`IamRoleStep`] over mocked ports.

use xefs_core::blueprint::{PolicyTemplate, addr};
use xefs_core::ids::{AccountId, IamName};
use xefs_core::step::{FieldDiff, Inputs};

use super::*;
use crate::ports::{Role, Tags};
use crate::steps::test_support::{A, B, Mocks, ctx};
use crate::{AwsError, Service};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn role_arn() -> Arn {
    Arn::parse(&format!("arn:aws:iam::{B}:role/cross-account-efs-role")).expect("test ARN")
}

fn trusting(role: &str) -> PolicyTemplate {
    PolicyTemplate::CrossAccountTrust {
        principal: Arn::parse(&format!("arn:aws:iam::{A}:role/{role}")).expect("test ARN"),
    }
}

fn trust(role: &str) -> PolicyDocument {
    trusting(role)
        .render(&Inputs::new())
        .expect("test template renders")
}

fn tags(stack: Option<&str>) -> Tags {
    stack
        .map(|s| (xefs_core::spec::STACK_TAG.to_owned(), s.to_owned()))
        .into_iter()
        .collect()
}

fn name() -> IamName {
    IamName::parse("cross-account-efs-role").expect("test name")
}

fn spec() -> IamRole {
    IamRole {
        account: AccountId::parse(B).expect("test account"),
        name: name(),
        arn: role_arn(),
        trust: trusting("xefs-csi"),
        description: "EFS access for cluster prod".into(),
        tags: tags(Some("prod")),
    }
}

fn live(trusted: &str, stack: Option<&str>) -> Role {
    Role {
        name: name(),
        arn: role_arn(),
        trust: trust(trusted),
        description: Some("EFS access for cluster prod".into()),
        tags: tags(stack),
    }
}

fn step(m: Mocks) -> IamRoleStep {
    IamRoleStep::new(spec(), m.account(B))
}

fn context() -> StepContext {
    ctx(addr::CROSS_ACCOUNT_ROLE, Inputs::new())
}

fn iam_error(call: &'static str, code: &str, retryable: bool) -> AwsError {
    AwsError::new(Service::Iam, call, Some(code.into()), "from IAM", retryable)
        .in_account(&AccountId::parse(B).expect("test account"))
}

#[tokio::test]
async fn fresh_create_reads_once_then_creates() -> TestResult {
    let mut m = Mocks::default();
    m.iam
        .expect_get_role()
        .withf(|n| n == &name())
        .times(1)
        .returning(|_| Ok(None));
    m.iam
        .expect_create_role()
        .withf(|r| {
            r.name == name()
                && r.trust == trust("xefs-csi")
                && r.description == "EFS access for cluster prod"
                && r.tags == tags(Some("prod"))
        })
        .times(1)
        .returning(|_| Ok(role_arn()));
    let step = step(m);
    assert_eq!(
        step.describe(),
        format!("IAM role cross-account-efs-role in account {B}")
    );
    let ctx = context();
    let observed = step.observe(&ctx).await?;
    assert_eq!(observed, Observation::Absent);
    let ensured = step.ensure(&ctx, &observed).await?;
    assert_eq!(ensured.change, Change::Created);
    assert_eq!(ensured.outputs.get::<Arn>(ROLE_ARN)?, role_arn());
    Ok(())
}

#[tokio::test]
async fn a_role_with_the_desired_trust_gets_no_write() -> TestResult {
    let mut m = Mocks::default();
    m.iam
        .expect_get_role()
        .times(1)
        .returning(|_| Ok(Some(live("xefs-csi", Some("prod")))));
    let step = step(m);
    let ctx = context();
    let observed = step.observe(&ctx).await?;
    assert_eq!(
        observed,
        Observation::Present(StepOutputs::new().with(ROLE_ARN, role_arn())?)
    );
    assert_eq!(
        step.ensure(&ctx, &observed).await?.change,
        Change::Unchanged
    );
    Ok(())
}

#[tokio::test]
async fn drifted_trust_is_updated_in_place() -> TestResult {
    let mut m = Mocks::default();
    m.iam
        .expect_get_role()
        .times(1)
        .returning(|_| Ok(Some(live("root-of-all-evil", Some("prod")))));
    m.iam
        .expect_update_trust()
        .withf(|n, t| n == &name() && t == &trust("xefs-csi"))
        .times(1)
        .returning(|_, _| Ok(()));
    let step = step(m);
    let ctx = context();
    let observed = step.observe(&ctx).await?;
    let Observation::Drifted { diff, .. } = &observed else {
        return Err(format!("expected drift, got {observed:?}").into());
    };
    assert_eq!(
        diff,
        &vec![FieldDiff::new(
            "trust",
            trust("root-of-all-evil").to_json_compact(),
            trust("xefs-csi").to_json_compact()
        )]
    );
    let ensured = step.ensure(&ctx, &observed).await?;
    assert_eq!(ensured.change, Change::Updated);
    assert_eq!(ensured.outputs.get::<Arn>(ROLE_ARN)?, role_arn());
    Ok(())
}

#[tokio::test]
async fn an_unknown_principal_stays_retryable() -> TestResult {
    let mut m = Mocks::default();
    m.iam
        .expect_create_role()
        .times(1)
        .returning(|_| Err(iam_error("CreateRole", "MalformedPolicyDocument", true)));
    let err = step(m)
        .ensure(&context(), &Observation::Absent)
        .await
        .err()
        .ok_or("expected an error")?;
    assert!(err.is_retryable(), "{err}");
    assert_eq!(err.code(), Some("MalformedPolicyDocument"));
    Ok(())
}

#[tokio::test]
async fn create_racing_an_existing_role_converges_on_it() -> TestResult {
    let mut m = Mocks::default();
    m.iam
        .expect_create_role()
        .times(1)
        .returning(|_| Err(iam_error("CreateRole", "EntityAlreadyExists", false)));
    m.iam
        .expect_get_role()
        .times(1)
        .returning(|_| Ok(Some(live("other", Some("prod")))));
    m.iam
        .expect_update_trust()
        .withf(|_, t| t == &trust("xefs-csi"))
        .times(1)
        .returning(|_, _| Ok(()));
    let ensured = step(m).ensure(&context(), &Observation::Absent).await?;
    // Tagged for this stack: xefs's own write (an answer lost, the SDK's retry meeting it),
    // claimed as created so that destroy removes it.
    assert_eq!(ensured.change, Change::Created);
    assert_eq!(ensured.outputs.get::<Arn>(ROLE_ARN)?, role_arn());
    Ok(())
}

#[tokio::test]
async fn create_racing_an_untagged_role_adopts_it() -> TestResult {
    let mut m = Mocks::default();
    m.iam
        .expect_create_role()
        .times(1)
        .returning(|_| Err(iam_error("CreateRole", "EntityAlreadyExists", false)));
    m.iam
        .expect_get_role()
        .times(1)
        .returning(|_| Ok(Some(live("xefs-csi", None))));
    let ensured = step(m).ensure(&context(), &Observation::Absent).await?;
    assert_eq!(ensured.change, Change::Unchanged);
    Ok(())
}

#[tokio::test]
async fn removing_an_absent_role_deletes_nothing() -> TestResult {
    let mut m = Mocks::default();
    m.iam.expect_get_role().times(1).returning(|_| Ok(None));
    step(m).remove(&context(), &StepOutputs::new()).await?;
    Ok(())
}

#[tokio::test]
async fn remove_refuses_a_role_of_another_stack() -> TestResult {
    let mut m = Mocks::default();
    m.iam
        .expect_get_role()
        .times(1)
        .returning(|_| Ok(Some(live("xefs-csi", Some("staging")))));
    let err = step(m)
        .remove(&context(), &StepOutputs::new())
        .await
        .err()
        .ok_or("expected a refusal")?;
    assert_eq!(err.code(), Some("NotOwned"));
    Ok(())
}

#[tokio::test]
async fn remove_refuses_an_untagged_role() -> TestResult {
    let mut m = Mocks::default();
    m.iam
        .expect_get_role()
        .times(1)
        .returning(|_| Ok(Some(live("xefs-csi", None))));
    let err = step(m)
        .remove(&context(), &StepOutputs::new())
        .await
        .err()
        .ok_or("expected a refusal")?;
    assert_eq!(err.code(), Some("NotOwned"));
    Ok(())
}

#[tokio::test]
async fn remove_deletes_a_tagged_role() -> TestResult {
    let mut m = Mocks::default();
    m.iam
        .expect_get_role()
        .times(1)
        .returning(|_| Ok(Some(live("xefs-csi", Some("prod")))));
    m.iam
        .expect_delete_role()
        .withf(|n| n == &name())
        .times(1)
        .returning(|_| Ok(()));
    step(m).remove(&context(), &StepOutputs::new()).await?;
    Ok(())
}

#[tokio::test]
async fn a_delete_conflict_names_what_is_still_attached() -> TestResult {
    let mut m = Mocks::default();
    m.iam
        .expect_get_role()
        .times(1)
        .returning(|_| Ok(Some(live("xefs-csi", Some("prod")))));
    m.iam
        .expect_delete_role()
        .times(1)
        .returning(|_| Err(iam_error("DeleteRole", "DeleteConflict", false)));
    m.iam
        .expect_attached_policies()
        .withf(|n| n == &name())
        .times(1)
        .returning(|_| {
            Ok(vec![
                Arn::parse("arn:aws:iam::aws:policy/ReadOnlyAccess").expect("test ARN"),
            ])
        });
    let err = step(m)
        .remove(&context(), &StepOutputs::new())
        .await
        .err()
        .ok_or("expected a conflict")?;
    let text = err.to_string();
    assert!(
        text.contains("still attached: arn:aws:iam::aws:policy/ReadOnlyAccess"),
        "{text}"
    );
    assert!(text.contains(B), "{text}");
    Ok(())
}
