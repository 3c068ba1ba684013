//! Small pieces the AWS steps share: how an error names its account, how a policy template
//! becomes a document, and what a read-only step's `ensure` returns.

use xefs_core::blueprint::PolicyTemplate;
use xefs_core::iam::PolicyDocument;
use xefs_core::ids::{Arn, IamName};
use xefs_core::step::{Ensured, FieldDiff, Inputs, Observation, Step, StepContext, StepError};

use crate::Account;

/// The scope of an error raised by a step itself, in the form port errors use
/// (`account 111111111111`), so both read the same in a report.
pub(crate) fn scope(account: &Account) -> String {
    format!("account {}", account.id)
}

/// Renders `template` with the dependencies' outputs. A missing output means the blueprint
/// and the step disagree about dependencies: retrying cannot help, so the error is permanent.
pub(crate) fn render(
    template: &PolicyTemplate,
    inputs: &Inputs,
    what: &str,
) -> Result<PolicyDocument, StepError> {
    template.render(inputs).map_err(|e| {
        StepError::permanent(format!(
            "cannot render the {} document of {what}: {e}",
            template.kind()
        ))
    })
}

/// A diff of `field` when two IAM documents do not mean the same (statement order and
/// single-value arrays, which IAM rewrites at will, do not count), showing both as compact JSON.
pub(crate) fn policy_diff(
    field: &str,
    current: &PolicyDocument,
    desired: &PolicyDocument,
) -> Option<FieldDiff> {
    (!current.equivalent(desired))
        .then(|| FieldDiff::new(field, current.to_json_compact(), desired.to_json_compact()))
}

/// The outputs of a read-only step: those `observe` computed, or a fresh read when the engine
/// hands over an observation without outputs.
pub(crate) async fn read_only_ensure(
    step: &dyn Step,
    ctx: &StepContext,
    observed: &Observation,
) -> Result<Ensured, StepError> {
    if let Some(outputs) = observed.outputs() {
        return Ok(Ensured::read(outputs.clone()));
    }
    match step.observe(ctx).await? {
        Observation::Present(outputs) | Observation::Drifted { outputs, .. } => {
            Ok(Ensured::read(outputs))
        }
        Observation::Absent | Observation::NotApplicable { .. } => Err(StepError::permanent(
            format!("{} produced no outputs", step.describe()),
        )),
    }
}

/// The name of the role an ARN `arn:…:iam::<account>:role/<path>/<name>` names: IAM calls take
/// the bare name, while specs and instance profiles give ARNs (with a path on ROSA's roles).
pub(crate) fn role_name(arn: &Arn) -> Result<IamName, StepError> {
    let resource = arn.resource();
    let name = resource
        .strip_prefix("role/")
        .and_then(|rest| rest.rsplit('/').next())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            StepError::permanent(format!(
                "{arn} is not an IAM role ARN (expected arn:<partition>:iam::<account>:role/<name>)"
            ))
        })?;
    IamName::parse(name).map_err(|e| StepError::permanent(format!("role ARN {arn}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_name_is_the_last_segment_of_the_resource() -> Result<(), Box<dyn std::error::Error>> {
        let plain = Arn::parse("arn:aws:iam::111111111111:role/worker")?;
        assert_eq!(role_name(&plain)?.as_str(), "worker");
        let pathed =
            Arn::parse("arn:aws:iam::111111111111:role/rosa/prod/ManagedOpenShift-Worker")?;
        assert_eq!(role_name(&pathed)?.as_str(), "ManagedOpenShift-Worker");
        let policy = Arn::parse("arn:aws:iam::111111111111:policy/worker")?;
        assert!(role_name(&policy).is_err());
        Ok(())
    }
}
