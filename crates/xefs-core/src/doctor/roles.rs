//! IAM: the two roles exist, and the first three IAM questions
//! ([`questions`](crate::iam::questions)) answered over their live documents: the service
//! accounts may assume A's role, A's role may assume B's, B's role may make the driver's calls.

use super::diagnose::{Account, Context, role_resource};
use super::finding::{CheckId, Finding};
use super::snapshot::{RoleDocuments, RoleFacts};
use super::verdicts::{Outcome, finding};
use crate::iam::questions::{
    CSI_SERVICE_ACCOUNTS, cross_account_role_may_call_efs, csi_role_may_assume_cross_account_role,
    csi_service_accounts_may_assume, driver_calls,
};

/// The IAM findings: `csi-role`, `cross-account-role`, `csi-trust`,
/// `assume-cross-account-role`, `driver-permissions`.
pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let iam = &cx.snapshot.iam;
    vec![
        exists(cx, CheckId::CsiRole, &iam.csi_role, Account::Cluster),
        exists(
            cx,
            CheckId::CrossAccountRole,
            &iam.cross_account_role,
            Account::Storage,
        ),
        csi_trust(cx),
        assume_cross_account_role(cx),
        driver_permissions(cx),
    ]
}

fn exists(cx: &Context<'_>, check: CheckId, role: &RoleFacts, account: Account) -> Finding {
    let resource = role_resource(&role.arn);
    if let Some(why) = cx.not_ready(&[account]) {
        return Finding::skipped(check, resource, why);
    }
    match &role.found {
        Some(docs) => Finding::passed(
            check,
            resource,
            format!(
                "it exists, with {} attached polic{}",
                docs.policies.len(),
                if docs.policies.len() == 1 { "y" } else { "ies" }
            ),
        ),
        None => Finding::failed(
            check,
            resource,
            format!(
                "the role does not exist in account {}",
                account.facts(cx.snapshot).expected
            ),
            "run `xefs apply`",
        ),
    }
}

/// The skip message of a question whose role is missing; that role's own check fails.
fn missing_role(check: CheckId) -> String {
    format!("not checked: the role does not exist (see `{check}`)")
}

/// The role's documents, or why a question on them is skipped.
fn documents(role: &RoleFacts, exists_check: CheckId) -> Result<&RoleDocuments, String> {
    role.found
        .as_ref()
        .ok_or_else(|| missing_role(exists_check))
}

/// Question 1: the driver's service accounts, and only they, may assume A's role.
fn csi_trust(cx: &Context<'_>) -> Finding {
    let s = cx.snapshot;
    let role = &s.iam.csi_role;
    let resource = format!("trust policy of {}", role_resource(&role.arn));
    if let Some(why) = cx.not_ready(&[Account::Cluster]) {
        return Finding::skipped(CheckId::CsiTrust, resource, why);
    }
    let docs = match documents(role, CheckId::CsiRole) {
        Ok(docs) => docs,
        Err(why) => return Finding::skipped(CheckId::CsiTrust, resource, why),
    };
    if s.oidc.is_none() {
        return Finding::skipped(
            CheckId::CsiTrust,
            resource,
            "not checked: the cluster's OIDC issuer is unknown (see `oidc-provider`)",
        );
    }
    let setup = cx.setup(None);
    let outcomes = csi_service_accounts_may_assume(&setup, &docs.trust)
        .into_iter()
        .map(Outcome::allowed)
        .collect();
    finding(
        CheckId::CsiTrust,
        resource,
        outcomes,
        format!(
            "the driver's service accounts ({}) in `{}` may assume it with their `openshift` \
             tokens from {}, and no other service account or audience may",
            CSI_SERVICE_ACCOUNTS.join(", "),
            setup.namespace,
            setup.provider_arn
        ),
        "run `xefs apply`, which restores the role's trust",
    )
}

/// Question 2: A's CSI role may assume B's role (A's policies and B's trust).
fn assume_cross_account_role(cx: &Context<'_>) -> Finding {
    let iam = &cx.snapshot.iam;
    let resource = format!(
        "{}, assumed by {}",
        role_resource(&iam.cross_account_role.arn),
        role_resource(&iam.csi_role.arn)
    );
    let check = CheckId::AssumeCrossAccountRole;
    if let Some(why) = cx.not_ready(&Account::BOTH) {
        return Finding::skipped(check, resource, why);
    }
    let (a, b) = match (
        documents(&iam.csi_role, CheckId::CsiRole),
        documents(&iam.cross_account_role, CheckId::CrossAccountRole),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(why), _) | (_, Err(why)) => return Finding::skipped(check, resource, why),
    };
    let verdict =
        csi_role_may_assume_cross_account_role(&cx.setup(None), &a.combined_policy(), &b.trust);
    let passed = verdict.reason.clone();
    finding(
        check,
        resource,
        vec![Outcome::allowed(verdict)],
        passed,
        "run `xefs apply`, which restores A's CSI policy and B's trust",
    )
}

/// Question 3: B's role may make every call the driver makes on the file system.
fn driver_permissions(cx: &Context<'_>) -> Finding {
    let s = cx.snapshot;
    let role = &s.iam.cross_account_role;
    let resource = format!("policies of {}", role_resource(&role.arn));
    let check = CheckId::DriverPermissions;
    if let Some(why) = cx.not_ready(&[Account::Storage]) {
        return Finding::skipped(check, resource, why);
    }
    let docs = match documents(role, CheckId::CrossAccountRole) {
        Ok(docs) => docs,
        Err(why) => return Finding::skipped(check, resource, why),
    };
    let Some(fs) = &s.file_system else {
        return Finding::skipped(
            check,
            resource,
            "not checked: there is no file system to scope the calls to (see `file-system`)",
        );
    };
    let setup = cx.setup(Some(&fs.arn));
    let names: Vec<&str> = driver_calls(&setup).iter().map(|c| c.name).collect();
    let outcomes = cross_account_role_may_call_efs(&setup, &docs.combined_policy())
        .into_iter()
        .map(Outcome::allowed)
        .collect();
    finding(
        check,
        resource,
        outcomes,
        format!(
            "it may make every call the driver makes on {} ({})",
            fs.id,
            names.join(", ")
        ),
        "run `xefs apply`, which attaches xefs's cross-account policy",
    )
}

#[cfg(test)]
mod tests;
