//! EFS client access for account A's worker-node roles.
//!
//! OpenShift runs the EFS CSI controller with `delete-access-point-root-dir=true`: deleting a
//! volume mounts the file system to remove the access point's directory, as the node's role.
//! Without `elasticfilesystem:Client*` on B's file system that mount is denied and volumes
//! never finish deleting; Red Hat's own procedure grants it the same way.

use std::collections::BTreeSet;
use std::time::Duration;

use xefs_core::blueprint::Value;
use xefs_core::blueprint::steps::EfsClientAccess;
use xefs_core::ids::{Arn, IamName};
use xefs_core::step::{
    Change, Ensured, FieldDiff, Inputs, Observation, Step, StepContext, StepError, StepOutputs,
};

use super::common::{render, role_name};
use super::managed_policy::{self, Created};
use super::output_names::{ATTACHED_ROLES, POLICY_ARN};
use super::require_stack_tag;
use crate::Account;

/// Why the step does not apply when no node role is known, for plans and reports.
const NO_NODE_ROLES: &str = "no worker-node role is known: name them in \
    cluster.node_role_arns or let xefs read them from the cluster's nodes; without it the EFS \
    CSI controller's delete-time mount is denied";

/// A policy granting EFS client access on B's file system, attached to each of A's
/// worker-node roles.
///
/// When no node role can be known (the spec names none and the nodes' instance profiles gave
/// none) the step does not apply: plans show why, and apply skips it rather than failing the
/// whole stack over a permission only volume deletion needs. Outputs `policy_arn` and
/// `attached_roles` (role names, which `destroy` detaches the policy from).
#[derive(Debug, Clone)]
pub struct EfsClientAccessStep {
    spec: EfsClientAccess,
    account: Account,
}

impl EfsClientAccessStep {
    /// The client-access policy described by `spec`, in account A.
    pub fn new(spec: EfsClientAccess, account: Account) -> Self {
        Self { spec, account }
    }

    fn what(&self) -> String {
        format!("IAM policy {}", self.spec.policy_name)
    }

    /// The node roles' names, sorted and unique.
    fn roles(&self, inputs: &Inputs) -> Result<Vec<IamName>, StepError> {
        let arns = self.spec.node_role_arns.get(inputs)?;
        let names = arns
            .iter()
            .map(role_name)
            .collect::<Result<BTreeSet<_>, _>>()?;
        Ok(names.into_iter().collect())
    }

    fn outputs(
        arn: &Arn,
        attached: &[IamName],
        version: Option<&str>,
    ) -> Result<StepOutputs, StepError> {
        let outputs = StepOutputs::new()
            .with(POLICY_ARN, arn)?
            .with(ATTACHED_ROLES, attached)?;
        managed_policy::with_version(outputs, version)
    }

    /// Whether `role` has the policy attached.
    async fn is_attached(&self, ctx: &StepContext, role: &IamName) -> Result<bool, StepError> {
        let attached = self.account.iam(ctx).await.attached_policies(role).await?;
        Ok(attached.contains(&self.spec.policy_arn))
    }

    async fn attach(&self, ctx: &StepContext, role: &IamName) -> Result<(), StepError> {
        self.account
            .iam(ctx)
            .await
            .attach_policy(role, &self.spec.policy_arn)
            .await?;
        Ok(())
    }

    /// Attaches the policy to each of `roles` that lacks it; true when any did.
    async fn attach_missing(
        &self,
        ctx: &StepContext,
        roles: &[IamName],
    ) -> Result<bool, StepError> {
        let mut attached_any = false;
        for role in roles {
            if !self.is_attached(ctx, role).await? {
                self.attach(ctx, role).await?;
                attached_any = true;
            }
        }
        Ok(attached_any)
    }
}

#[async_trait::async_trait]
impl Step for EfsClientAccessStep {
    fn describe(&self) -> String {
        format!(
            "{} (EFS client access) on the worker-node roles in account {}",
            self.what(),
            self.account.id
        )
    }

    fn expected_duration(&self) -> Duration {
        Duration::from_secs(2)
    }

    fn not_applicable(&self, available: &Inputs) -> Option<String> {
        let known_empty = match &self.spec.node_role_arns {
            Value::Known(roles) => roles.is_empty(),
            Value::After(output) => available.outputs(&output.step).is_some_and(|o| {
                o.get::<Vec<Arn>>(&output.output)
                    .is_ok_and(|roles| roles.is_empty())
            }),
        };
        known_empty.then(|| NO_NODE_ROLES.to_owned())
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let roles = self.roles(ctx.inputs())?;
        if roles.is_empty() {
            return Ok(Observation::NotApplicable {
                reason: NO_NODE_ROLES.to_owned(),
            });
        }
        let desired = render(&self.spec.document, ctx.inputs(), &self.what())?;
        let Some(live) =
            managed_policy::read_default(&self.account, ctx, &self.spec.policy_arn).await?
        else {
            return Ok(Observation::Absent);
        };
        let mut attached = Vec::new();
        for role in &roles {
            if self.is_attached(ctx, role).await? {
                attached.push(role.clone());
            }
        }
        let mut diff: Vec<FieldDiff> = managed_policy::document_diff(&live.document, &desired)
            .into_iter()
            .collect();
        if attached != roles {
            let list = |roles: &[IamName]| {
                roles
                    .iter()
                    .map(IamName::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            diff.push(FieldDiff::new("attached_to", list(&attached), list(&roles)));
        }
        let outputs = Self::outputs(&self.spec.policy_arn, &attached, Some(&live.id))?;
        Ok(Observation::found(outputs, diff))
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        let roles = self.roles(ctx.inputs())?;
        if roles.is_empty() {
            return Ok(Ensured {
                change: Change::NotApplicable,
                outputs: StepOutputs::new(),
            });
        }
        let desired = render(&self.spec.document, ctx.inputs(), &self.what())?;
        let arn = &self.spec.policy_arn;
        match observed {
            Observation::Absent => {
                let created = managed_policy::create(
                    &self.account,
                    ctx,
                    &self.spec.policy_name,
                    arn,
                    &desired,
                    &self.spec.tags,
                )
                .await?;
                match created {
                    Created::New(created) => {
                        // A policy created just now is attached nowhere: no need to look.
                        for role in &roles {
                            self.attach(ctx, role).await?;
                        }
                        Ok(Ensured::created(Self::outputs(
                            &created,
                            &roles,
                            Some(managed_policy::FIRST_VERSION),
                        )?))
                    }
                    Created::Existing(change) => {
                        let attached_any = self.attach_missing(ctx, &roles).await?;
                        let change = if attached_any {
                            Change::Updated
                        } else {
                            change
                        };
                        Ok(Ensured {
                            change,
                            outputs: Self::outputs(arn, &roles, None)?,
                        })
                    }
                }
            }
            Observation::Drifted { diff, outputs } => {
                let version = if diff.iter().any(|d| d.field == "document") {
                    Some(managed_policy::replace_document(&self.account, ctx, arn, &desired).await?)
                } else {
                    managed_policy::version_in(outputs)
                };
                self.attach_missing(ctx, &roles).await?;
                Ok(Ensured::updated(Self::outputs(
                    arn,
                    &roles,
                    version.as_deref(),
                )?))
            }
            Observation::Present(outputs) => Ok(Ensured::unchanged(outputs.clone())),
            Observation::NotApplicable { .. } => Ok(Ensured {
                change: Change::NotApplicable,
                outputs: StepOutputs::new(),
            }),
        }
    }

    async fn remove(&self, ctx: &StepContext, recorded: &StepOutputs) -> Result<(), StepError> {
        let arn = &self.spec.policy_arn;
        let Some(policy) = self.account.iam(ctx).await.get_policy(arn).await? else {
            // IAM deletes a policy only once it is detached everywhere: nothing is left.
            return Ok(());
        };
        // Detaching changes the roles too: check the policy is ours before touching anything.
        require_stack_tag(&self.what(), &policy.tags, &self.spec.tags)?;
        let mut roles: BTreeSet<IamName> = BTreeSet::new();
        if recorded.value(ATTACHED_ROLES).is_some() {
            roles.extend(recorded.get::<Vec<IamName>>(ATTACHED_ROLES)?);
        }
        // The spec's roles too, in case a crash came between an attach and its journal
        // record; at destroy the discovery output may be gone, and then the record suffices.
        if let Ok(spec_roles) = self.roles(ctx.inputs()) {
            roles.extend(spec_roles);
        }
        for role in &roles {
            match self.account.iam(ctx).await.detach_policy(role, arn).await {
                Err(e) if e.is_code("NoSuchEntity") => {}
                result => result?,
            }
        }
        managed_policy::delete(&self.account, ctx, &policy, &self.spec.tags).await
    }
}

#[cfg(test)]
mod tests;
