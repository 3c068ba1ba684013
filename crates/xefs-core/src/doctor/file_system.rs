//! B's file system: it exists and is `available`, and its policy lets A's node roles mount
//! over TLS and only over TLS (IAM question 4).

use super::diagnose::{Account, Context};
use super::finding::{CheckId, Finding};
use super::verdicts::{Outcome, finding};
use crate::iam::questions::file_system_policy_allows_tls_mounts;

/// The file-system findings: `file-system`, then `file-system-policy`.
pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    vec![exists(cx), policy(cx)]
}

fn exists(cx: &Context<'_>) -> Finding {
    let s = cx.snapshot;
    let b = &s.storage_account.expected;
    let check = CheckId::FileSystem;
    let resource = match &s.file_system {
        Some(fs) => format!("EFS file system {} in account {b}", fs.id),
        None => format!("EFS file system of the stack in account {b}"),
    };
    if let Some(why) = cx.not_ready(&[Account::Storage]) {
        return Finding::skipped(check, resource, why);
    }
    let Some(fs) = &s.file_system else {
        return Finding::failed(
            check,
            resource,
            format!("no file system of the stack exists in account {b}"),
            "run `xefs apply`",
        );
    };
    let describe = format!(
        "with account {b}'s credentials, `aws efs describe-file-systems --file-system-id {}` \
         shows its state",
        fs.id
    );
    match fs.life_cycle.as_str() {
        "available" => Finding::passed(check, resource, "it is available"),
        "creating" | "updating" => Finding::failed(
            check,
            resource,
            format!(
                "it is `{}`, not `available`: mount targets and mounts wait for it",
                fs.life_cycle
            ),
            format!("wait a minute and rerun `xefs doctor`; {describe}"),
        ),
        other => Finding::failed(
            check,
            resource,
            format!("it is `{other}`: nothing can mount it"),
            format!("{describe}; once it is gone, `xefs apply` creates a new one"),
        ),
    }
}

/// Question 4, plus the cases it cannot answer: no policy at all, no known node roles.
fn policy(cx: &Context<'_>) -> Finding {
    let s = cx.snapshot;
    let b = &s.storage_account.expected;
    let check = CheckId::FileSystemPolicy;
    let resource = match &s.file_system {
        Some(fs) => format!("file-system policy of {} in account {b}", fs.id),
        None => format!("file-system policy in account {b}"),
    };
    if let Some(why) = cx.not_ready(&[Account::Storage]) {
        return Finding::skipped(check, resource, why);
    }
    let Some(fs) = &s.file_system else {
        return Finding::skipped(
            check,
            resource,
            "not checked: there is no file system (see `file-system`)",
        );
    };
    let Some(document) = &fs.policy else {
        let message = "the file system has no policy: any client that reaches a mount target \
                       may mount it, without TLS and without IAM";
        return if fs.policy_expected {
            Finding::failed(
                check,
                resource,
                format!("{message}, though `efs.file_system_policy` is on"),
                "run `xefs apply`, which puts the policy",
            )
        } else {
            Finding::warned(
                check,
                resource,
                format!("{message} (`efs.file_system_policy` is off)"),
                Some("set `efs.file_system_policy = true` and run `xefs apply`".to_owned()),
            )
        };
    };
    let principals = &s.iam.node_roles;
    if principals.is_empty() {
        return Finding::warned(
            check,
            resource,
            "not checked: A's worker-node roles, the principals of the driver's mounts, are \
             unknown",
            Some(
                "set `cluster.node_role_arns`, or run doctor without `--phase aws` so it reads \
                 them from the nodes"
                    .to_owned(),
            ),
        );
    }
    let verdicts =
        file_system_policy_allows_tls_mounts(&cx.setup(Some(&fs.arn)), document, principals);
    let outcomes = verdicts
        .over_tls
        .into_iter()
        .map(Outcome::allowed)
        .chain(verdicts.without_tls.into_iter().map(Outcome::refused))
        .collect();
    let roles: Vec<&str> = principals.iter().map(|p| p.as_str()).collect();
    finding(
        check,
        resource,
        outcomes,
        format!(
            "A's node roles ({}) may mount and write over TLS, and are refused without TLS",
            roles.join(", ")
        ),
        "run `xefs apply`, which restores xefs's file-system policy",
    )
}

#[cfg(test)]
mod tests;
