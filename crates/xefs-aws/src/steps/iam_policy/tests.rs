//! Tests of [`IamPolicyStep`] over mocked ports.

use mockall::Sequence;
use xefs_core::blueprint::{PolicyTemplate, addr};
use xefs_core::iam::PolicyDocument;
use xefs_core::ids::{AccountId, IamName};
use xefs_core::step::{Change, FieldDiff, Inputs};

use super::*;
use crate::ports::{ManagedPolicy, PolicyVersion, Tags, VersionDocument};
use crate::steps::output_names::POLICY_DEFAULT_VERSION;
use crate::steps::test_support::{A, B, Mocks, ctx};
use crate::{AwsError, Service};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn arn() -> Arn {
    Arn::parse(&format!("arn:aws:iam::{A}:policy/xefs-csi")).expect("test policy ARN")
}

fn template(role: &str) -> PolicyTemplate {
    PolicyTemplate::CsiDriver {
        cross_account_role: Arn::parse(&format!("arn:aws:iam::{B}:role/{role}"))
            .expect("test role ARN"),
    }
}

fn document(role: &str) -> PolicyDocument {
    template(role)
        .render(&Inputs::new())
        .expect("test template renders")
}

fn tags(stack: Option<&str>) -> Tags {
    stack
        .map(|s| (xefs_core::spec::STACK_TAG.to_owned(), s.to_owned()))
        .into_iter()
        .collect()
}

fn spec() -> IamPolicy {
    IamPolicy {
        account: AccountId::parse(A).expect("test account"),
        name: IamName::parse("xefs-csi").expect("test name"),
        arn: arn(),
        document: template("cross-account-efs-role"),
        tags: tags(Some("prod")),
    }
}

fn live(stack: Option<&str>) -> ManagedPolicy {
    ManagedPolicy {
        arn: arn(),
        default_version_id: "v1".into(),
        tags: tags(stack),
    }
}

fn version(n: u32, default: bool) -> PolicyVersion {
    PolicyVersion {
        id: format!("v{n}"),
        is_default: default,
        created: format!("2024-01-0{n}T00:00:00Z"),
    }
}

/// `get_policy` finds the policy, whose default version holds `document(role)`.
fn existing(m: &mut Mocks, role: &'static str) {
    m.iam
        .expect_get_policy()
        .withf(|a| a == &arn())
        .returning(|_| Ok(Some(live(Some("prod")))));
    m.iam
        .expect_get_policy_document()
        .withf(|a, v| a == &arn() && v == "v1")
        .returning(move |_, _| Ok(document(role)));
}

fn step(m: Mocks) -> IamPolicyStep {
    IamPolicyStep::new(spec(), m.account(A))
}

fn context() -> StepContext {
    ctx(addr::CSI_POLICY, Inputs::new())
}

#[tokio::test]
async fn fresh_create_reads_once_then_creates_with_tags() -> TestResult {
    let mut m = Mocks::default();
    m.iam
        .expect_get_policy()
        .withf(|a| a == &arn())
        .times(1)
        .returning(|_| Ok(None));
    m.iam
        .expect_create_policy()
        .withf(|p| {
            p.name.as_str() == "xefs-csi"
                && p.document == document("cross-account-efs-role")
                && p.tags == tags(Some("prod"))
        })
        .times(1)
        .returning(|_| Ok(arn()));
    let step = step(m);
    assert_eq!(
        step.describe(),
        format!("IAM policy xefs-csi in account {A}")
    );
    let ctx = context();
    let observed = step.observe(&ctx).await?;
    assert_eq!(observed, Observation::Absent);
    let ensured = step.ensure(&ctx, &observed).await?;
    assert_eq!(ensured.change, Change::Created);
    assert_eq!(ensured.outputs.get::<Arn>(POLICY_ARN)?, arn());
    Ok(())
}

#[tokio::test]
async fn a_policy_in_the_desired_shape_gets_no_write() -> TestResult {
    let mut m = Mocks::default();
    existing(&mut m, "cross-account-efs-role");
    let step = step(m);
    let ctx = context();
    let observed = step.observe(&ctx).await?;
    assert_eq!(
        observed,
        Observation::Present(
            StepOutputs::new()
                .with(POLICY_ARN, arn())?
                .with(POLICY_DEFAULT_VERSION, "v1")?
        )
    );
    let ensured = step.ensure(&ctx, &observed).await?;
    assert_eq!(ensured.change, Change::Unchanged);
    Ok(())
}

/// The context of a step whose earlier apply recorded default version `version`.
fn recorded(version: &str) -> Result<StepContext, StepError> {
    Ok(context().with_recorded(Some(
        StepOutputs::new()
            .with(POLICY_ARN, arn())?
            .with(POLICY_DEFAULT_VERSION, version)?,
    )))
}

#[tokio::test]
async fn the_recorded_default_version_is_read_alone() -> TestResult {
    let mut m = Mocks::default();
    m.iam
        .expect_get_policy_version()
        .withf(|a, v| a == &arn() && v == "v3")
        .times(1)
        .returning(|_, _| {
            Ok(Some(VersionDocument {
                document: document("cross-account-efs-role"),
                is_default: true,
            }))
        });
    let step = step(m);
    let observed = step.observe(&recorded("v3")?).await?;
    assert_eq!(
        observed
            .outputs()
            .map(|o| o.get::<String>(POLICY_DEFAULT_VERSION)),
        Some(Ok("v3".to_owned()))
    );
    assert!(matches!(observed, Observation::Present(_)));
    Ok(())
}

#[tokio::test]
async fn a_recorded_version_no_longer_the_default_is_read_again_in_full() -> TestResult {
    let mut m = Mocks::default();
    // Someone made another version the default behind xefs's back: its drift must show.
    m.iam
        .expect_get_policy_version()
        .withf(|_, v| v == "v3")
        .times(1)
        .returning(|_, _| {
            Ok(Some(VersionDocument {
                document: document("cross-account-efs-role"),
                is_default: false,
            }))
        });
    existing(&mut m, "someone-else");
    let step = step(m);
    let observed = step.observe(&recorded("v3")?).await?;
    assert!(
        matches!(observed, Observation::Drifted { .. }),
        "{observed:?}"
    );
    assert_eq!(
        observed
            .outputs()
            .map(|o| o.get::<String>(POLICY_DEFAULT_VERSION)),
        Some(Ok("v1".to_owned()))
    );
    Ok(())
}

#[tokio::test]
async fn drift_creates_a_new_default_version() -> TestResult {
    let mut m = Mocks::default();
    existing(&mut m, "someone-else");
    m.iam
        .expect_list_policy_versions()
        .times(1)
        .returning(|_| Ok(vec![version(1, true), version(2, false)]));
    m.iam
        .expect_create_default_policy_version()
        .withf(|a, d| a == &arn() && d == &document("cross-account-efs-role"))
        .times(1)
        .returning(|_, _| Ok("v3".into()));
    let step = step(m);
    let ctx = context();
    let observed = step.observe(&ctx).await?;
    let Observation::Drifted { diff, .. } = &observed else {
        return Err(format!("expected drift, got {observed:?}").into());
    };
    assert_eq!(
        diff,
        &vec![FieldDiff::new(
            "document",
            document("someone-else").to_json_compact(),
            document("cross-account-efs-role").to_json_compact(),
        )]
    );
    let ensured = step.ensure(&ctx, &observed).await?;
    assert_eq!(ensured.change, Change::Updated);
    assert_eq!(ensured.outputs.get::<Arn>(POLICY_ARN)?, arn());
    Ok(())
}

#[tokio::test]
async fn at_five_versions_the_oldest_non_default_goes_first() -> TestResult {
    let mut m = Mocks::default();
    existing(&mut m, "someone-else");
    let mut seq = Sequence::new();
    // v1 is the oldest but the default: v2 is the one to prune.
    m.iam
        .expect_list_policy_versions()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| {
            Ok(vec![
                version(5, false),
                version(1, true),
                version(3, false),
                version(2, false),
                version(4, false),
            ])
        });
    m.iam
        .expect_delete_policy_version()
        .withf(|a, v| a == &arn() && v == "v2")
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    m.iam
        .expect_create_default_policy_version()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok("v6".into()));
    let step = step(m);
    let ctx = context();
    let observed = step.observe(&ctx).await?;
    assert_eq!(step.ensure(&ctx, &observed).await?.change, Change::Updated);
    Ok(())
}

#[tokio::test]
async fn create_racing_an_existing_policy_converges_on_it() -> TestResult {
    let mut m = Mocks::default();
    m.iam.expect_create_policy().times(1).returning(|_| {
        Err(AwsError::new(
            Service::Iam,
            "CreatePolicy",
            Some("EntityAlreadyExists".into()),
            "A policy called xefs-csi already exists.",
            false,
        ))
    });
    existing(&mut m, "cross-account-efs-role");
    let step = step(m);
    let ensured = step.ensure(&context(), &Observation::Absent).await?;
    // Tagged for this stack: xefs's own write (an answer lost, the SDK's retry meeting it),
    // claimed as created so that destroy removes it.
    assert_eq!(ensured.change, Change::Created);
    assert_eq!(ensured.outputs.get::<Arn>(POLICY_ARN)?, arn());
    Ok(())
}

#[tokio::test]
async fn create_racing_another_stack_s_policy_adopts_it() -> TestResult {
    let mut m = Mocks::default();
    m.iam.expect_create_policy().times(1).returning(|_| {
        Err(AwsError::new(
            Service::Iam,
            "CreatePolicy",
            Some("EntityAlreadyExists".into()),
            "A policy called xefs-csi already exists.",
            false,
        ))
    });
    m.iam
        .expect_get_policy()
        .returning(|_| Ok(Some(live(Some("other")))));
    m.iam
        .expect_get_policy_document()
        .returning(|_, _| Ok(document("cross-account-efs-role")));
    let ensured = step(m).ensure(&context(), &Observation::Absent).await?;
    assert_eq!(ensured.change, Change::Unchanged);
    Ok(())
}

#[tokio::test]
async fn removing_an_absent_policy_deletes_nothing() -> TestResult {
    let mut m = Mocks::default();
    m.iam.expect_get_policy().times(1).returning(|_| Ok(None));
    step(m).remove(&context(), &StepOutputs::new()).await?;
    Ok(())
}

#[tokio::test]
async fn remove_refuses_an_untagged_policy() -> TestResult {
    let mut m = Mocks::default();
    m.iam
        .expect_get_policy()
        .times(1)
        .returning(|_| Ok(Some(live(None))));
    let err = step(m)
        .remove(&context(), &StepOutputs::new())
        .await
        .err()
        .ok_or("expected a refusal")?;
    assert_eq!(err.code(), Some("NotOwned"));
    assert!(err.message().contains("xefs-csi"), "{err}");
    Ok(())
}

#[tokio::test]
async fn remove_deletes_old_versions_then_the_policy() -> TestResult {
    let mut m = Mocks::default();
    let mut seq = Sequence::new();
    m.iam
        .expect_get_policy()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(Some(live(Some("prod")))));
    m.iam
        .expect_list_policy_versions()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(vec![version(1, false), version(2, true), version(3, false)]));
    m.iam
        .expect_delete_policy_version()
        .withf(|_, v| v == "v1")
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    m.iam
        .expect_delete_policy_version()
        .withf(|_, v| v == "v3")
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    m.iam
        .expect_delete_policy()
        .withf(|a| a == &arn())
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    step(m).remove(&context(), &StepOutputs::new()).await?;
    Ok(())
}

#[tokio::test]
async fn a_policy_still_attached_elsewhere_says_how_to_find_it() -> TestResult {
    let mut m = Mocks::default();
    m.iam
        .expect_get_policy()
        .returning(|_| Ok(Some(live(Some("prod")))));
    m.iam
        .expect_list_policy_versions()
        .returning(|_| Ok(vec![version(1, true)]));
    m.iam.expect_delete_policy().times(1).returning(|_| {
        Err(AwsError::new(
            Service::Iam,
            "DeletePolicy",
            Some("DeleteConflict".into()),
            "Cannot delete a policy attached to entities.",
            false,
        ))
    });
    let err = step(m)
        .remove(&context(), &StepOutputs::new())
        .await
        .err()
        .ok_or("expected a conflict")?;
    assert!(!err.is_retryable());
    assert!(err.message().contains("list-entities-for-policy"), "{err}");
    Ok(())
}
