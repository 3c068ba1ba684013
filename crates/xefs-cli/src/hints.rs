//! The likely fix for a failed AWS or Kubernetes call: a small table keyed by the call and the
//! error code, for the help line of a diagnostic.
//!
//! AWS names IAM actions after API operations, so the action a denied caller lacks is the
//! call's name with its service's prefix, plus the few actions some calls also need (tagging on
//! create, the network interfaces of a mount target).

use xefs_core::step::StepError;

/// Error codes meaning "the caller may not do this".
const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "Forbidden",
];

/// Error codes meaning "these credentials are not (or no longer) valid".
const BAD_CREDENTIALS: &[&str] = &[
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "AuthFailure",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "InvalidToken",
];

/// `(call, IAM action prefix, other actions the call needs)` of every call xefs makes.
const CALLS: &[(&str, &str, &[&str])] = &[
    // IAM
    ("CreatePolicy", "iam", &["iam:TagPolicy"]),
    ("CreatePolicyVersion", "iam", &[]),
    ("DeletePolicyVersion", "iam", &[]),
    ("DeletePolicy", "iam", &[]),
    ("CreateRole", "iam", &["iam:TagRole"]),
    ("DeleteRole", "iam", &[]),
    ("UpdateAssumeRolePolicy", "iam", &[]),
    ("AttachRolePolicy", "iam", &[]),
    ("DetachRolePolicy", "iam", &[]),
    ("GetRole", "iam", &[]),
    ("GetPolicy", "iam", &[]),
    ("GetPolicyVersion", "iam", &[]),
    ("ListPolicyVersions", "iam", &[]),
    ("ListAttachedRolePolicies", "iam", &[]),
    ("ListOpenIDConnectProviders", "iam", &[]),
    ("GetOpenIDConnectProvider", "iam", &[]),
    ("GetInstanceProfile", "iam", &[]),
    // EC2
    ("CreateVpcPeeringConnection", "ec2", &["ec2:CreateTags"]),
    ("AcceptVpcPeeringConnection", "ec2", &[]),
    ("ModifyVpcPeeringConnectionOptions", "ec2", &[]),
    ("DeleteVpcPeeringConnection", "ec2", &[]),
    ("CreateRoute", "ec2", &[]),
    ("DeleteRoute", "ec2", &[]),
    ("CreateSecurityGroup", "ec2", &["ec2:CreateTags"]),
    ("AuthorizeSecurityGroupIngress", "ec2", &[]),
    ("DeleteSecurityGroup", "ec2", &[]),
    ("DescribeInstances", "ec2", &[]),
    ("DescribeVpcs", "ec2", &[]),
    ("DescribeSubnets", "ec2", &[]),
    ("DescribeRouteTables", "ec2", &[]),
    ("DescribeSecurityGroups", "ec2", &[]),
    ("DescribeNetworkAcls", "ec2", &[]),
    ("DescribeVpcPeeringConnections", "ec2", &[]),
    // EFS
    (
        "CreateFileSystem",
        "elasticfilesystem",
        &["elasticfilesystem:TagResource"],
    ),
    ("UpdateFileSystem", "elasticfilesystem", &[]),
    ("DeleteFileSystem", "elasticfilesystem", &[]),
    (
        "CreateMountTarget",
        "elasticfilesystem",
        &[
            "ec2:DescribeSubnets",
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
        ],
    ),
    (
        "DeleteMountTarget",
        "elasticfilesystem",
        &["ec2:DeleteNetworkInterface"],
    ),
    ("ModifyMountTargetSecurityGroups", "elasticfilesystem", &[]),
    ("PutFileSystemPolicy", "elasticfilesystem", &[]),
    ("DeleteFileSystemPolicy", "elasticfilesystem", &[]),
    ("DescribeFileSystems", "elasticfilesystem", &[]),
    ("DescribeFileSystemPolicy", "elasticfilesystem", &[]),
    ("DescribeMountTargets", "elasticfilesystem", &[]),
    (
        "DescribeMountTargetSecurityGroups",
        "elasticfilesystem",
        &[],
    ),
    // STS
    ("GetCallerIdentity", "sts", &[]),
    ("AssumeRole", "sts", &[]),
];

/// The IAM actions `call` needs: `ec2:CreateVpcPeeringConnection` first, then the others.
pub fn iam_actions(call: &str) -> Option<Vec<String>> {
    let (_, prefix, others) = CALLS.iter().find(|(c, _, _)| *c == call)?;
    let mut actions = vec![format!("{prefix}:{call}")];
    actions.extend(others.iter().map(|a| (*a).to_owned()));
    Some(actions)
}

/// `a`, `a` and `b`, `a`, `b` and `c`, each in backticks.
fn listed(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// The help for a failed AWS call, when its code says what to do. `account` names the
/// account as the error does (`account 111111111111`).
pub fn aws(call: &str, code: &str, account: Option<&str>) -> Option<String> {
    let whose = account.map_or_else(
        || "these credentials".to_owned(),
        |a| format!("the credentials for {a}"),
    );
    if BAD_CREDENTIALS.contains(&code) {
        return Some(format!(
            "{whose} are invalid or expired: refresh them (`aws sso login --profile …`, new keys \
             or a new session token for the profile the config names) and run the command \
             again; nothing after the failed call was attempted"
        ));
    }
    if !DENIED.contains(&code) {
        return None;
    }
    if call == "AssumeRole" {
        return Some(format!(
            "{whose} may not assume the role: allow `sts:AssumeRole` on it to the caller, and \
             check that the role's trust policy names the caller (storage.assume_role_arn)"
        ));
    }
    let actions = iam_actions(call)?;
    let decode = if code == "UnauthorizedOperation" {
        "; `aws sts decode-authorization-message --encoded-message …` on the message AWS \
         returned names the policy that denied it"
    } else {
        ""
    };
    Some(format!(
        "{whose} lack {}: allow {} to that principal (or use a profile that has {}; an SCP \
         or permissions boundary can deny it too){decode}",
        listed(&actions[..1]),
        if actions.len() == 1 {
            "it".to_owned()
        } else {
            listed(&actions)
        },
        if actions.len() == 1 { "it" } else { "them" }
    ))
}

/// `oc auth can-i` arguments for a failed cluster call on an object shown as
/// `Kind namespace/name` or `Kind name`.
fn can_i(call: &str, object: Option<&str>) -> String {
    let verb = match call {
        "apply" => "patch",
        "delete" => "delete",
        "list" | "nodes" => "list",
        "wait" => "watch",
        "logs" => "get",
        _ => "get",
    };
    let (kind, rest) = object
        .and_then(|o| o.split_once(' '))
        .map_or(("", ""), |(k, r)| (k, r));
    let resource = match call {
        "logs" => "pods/log".to_owned(),
        "nodes" => "nodes".to_owned(),
        _ if kind.is_empty() => "<resource>".to_owned(),
        _ => kind.to_ascii_lowercase(),
    };
    match rest.split_once('/') {
        Some((ns, _)) => format!("oc auth can-i {verb} {resource} -n {ns}"),
        None => format!("oc auth can-i {verb} {resource}"),
    }
}

/// The help for a failed cluster call, when its reason says what to do.
pub fn k8s(call: &str, object: Option<&str>, reason: &str) -> Option<String> {
    match reason {
        "Forbidden" => Some(format!(
            "the logged-in user may not do this: `{}` says so; log in as a cluster admin \
             (`oc login …`), or have one grant it",
            can_i(call, object)
        )),
        "Unauthorized" => Some(
            "the cluster rejected the login (an expired token?): `oc login …` again, then rerun"
                .to_owned(),
        ),
        _ => None,
    }
}

/// Where a failed step's call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// An AWS account.
    Aws,
    /// The cluster.
    Kubernetes,
    /// Neither (xefs's own checks).
    Xefs,
}

/// The scope the Kubernetes provider gives its errors.
const CLUSTER_SCOPE: &str = "the cluster";

/// Where a step error's call went.
pub fn origin(error: &StepError) -> Origin {
    let ctx = error.context();
    match (ctx.account.as_deref(), ctx.call.as_deref()) {
        (Some(CLUSTER_SCOPE), _) => Origin::Kubernetes,
        (Some(_), Some(_)) => Origin::Aws,
        _ => Origin::Xefs,
    }
}

/// A diagnostic code for a failed step: `aws::AccessDenied`, `k8s::Forbidden`, or
/// `xefs::<Code>` for xefs's own refusals (`xefs::FileSystemNotEmpty`).
pub fn step_code(error: &StepError) -> String {
    let prefix = match origin(error) {
        Origin::Aws => "aws",
        Origin::Kubernetes => "k8s",
        Origin::Xefs => "xefs",
    };
    match error.code() {
        Some(code) => format!("{prefix}::{code}"),
        None if prefix == "xefs" => "xefs::step".to_owned(),
        None => format!("{prefix}::error"),
    }
}

/// The help line for a failed step, from the tables above and xefs's own error codes.
pub fn step(error: &StepError) -> Option<String> {
    let ctx = error.context();
    let code = error.code()?;
    match origin(error) {
        Origin::Aws => aws(ctx.call.as_deref()?, code, ctx.account.as_deref()),
        Origin::Kubernetes => k8s(ctx.call.as_deref()?, ctx.resource.as_deref(), code),
        Origin::Xefs => match code {
            "FileSystemNotEmpty" => Some(
                "copy out what you need, then `xefs destroy --delete-data` deletes the file system with its data"
                    .to_owned(),
            ),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denied_write_names_the_action_the_caller_lacks() {
        for (call, action) in [
            (
                "CreateVpcPeeringConnection",
                "`ec2:CreateVpcPeeringConnection`",
            ),
            (
                "AcceptVpcPeeringConnection",
                "`ec2:AcceptVpcPeeringConnection`",
            ),
            ("CreateRoute", "`ec2:CreateRoute`"),
            ("CreateRole", "`iam:CreateRole`"),
            ("AttachRolePolicy", "`iam:AttachRolePolicy`"),
            ("CreateFileSystem", "`elasticfilesystem:CreateFileSystem`"),
            ("CreateMountTarget", "`elasticfilesystem:CreateMountTarget`"),
            (
                "PutFileSystemPolicy",
                "`elasticfilesystem:PutFileSystemPolicy`",
            ),
        ] {
            for code in [
                "AccessDenied",
                "AccessDeniedException",
                "UnauthorizedOperation",
            ] {
                let help = aws(call, code, Some("account 111111111111")).unwrap_or_default();
                assert!(
                    help.starts_with(&format!(
                        "the credentials for account 111111111111 lack {action}"
                    )),
                    "{call} {code}: {help}"
                );
            }
        }
        let help = aws("CreateFileSystem", "AccessDeniedException", None).unwrap_or_default();
        assert!(
            help.contains(
                "`elasticfilesystem:CreateFileSystem` and `elasticfilesystem:TagResource`"
            ),
            "{help}"
        );
        assert!(
            aws("CreateRoute", "UnauthorizedOperation", None)
                .unwrap_or_default()
                .contains("decode-authorization-message")
        );
    }

    #[test]
    fn every_write_call_xefs_makes_has_an_action() {
        for call in [
            "CreatePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "DeletePolicy",
            "CreateRole",
            "DeleteRole",
            "UpdateAssumeRolePolicy",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "CreateVpcPeeringConnection",
            "AcceptVpcPeeringConnection",
            "ModifyVpcPeeringConnectionOptions",
            "DeleteVpcPeeringConnection",
            "CreateRoute",
            "DeleteRoute",
            "CreateSecurityGroup",
            "AuthorizeSecurityGroupIngress",
            "DeleteSecurityGroup",
            "CreateFileSystem",
            "UpdateFileSystem",
            "DeleteFileSystem",
            "CreateMountTarget",
            "DeleteMountTarget",
            "ModifyMountTargetSecurityGroups",
            "PutFileSystemPolicy",
            "DeleteFileSystemPolicy",
        ] {
            assert!(iam_actions(call).is_some(), "{call}");
            assert!(aws(call, "AccessDenied", None).is_some(), "{call}");
        }
    }

    #[test]
    fn bad_credentials_say_refresh_them() {
        for code in [
            "InvalidClientTokenId",
            "ExpiredToken",
            "ExpiredTokenException",
        ] {
            let help =
                aws("GetCallerIdentity", code, Some("account 222222222222")).unwrap_or_default();
            assert!(
                help.starts_with("the credentials for account 222222222222 are invalid or expired"),
                "{help}"
            );
        }
        assert_eq!(aws("CreateRoute", "RouteAlreadyExists", None), None);
    }

    #[test]
    fn forbidden_on_the_cluster_says_which_can_i_to_run() {
        assert_eq!(
            can_i(
                "apply",
                Some("Subscription openshift-cluster-csi-drivers/aws-efs-csi-driver-operator")
            ),
            "oc auth can-i patch subscription -n openshift-cluster-csi-drivers"
        );
        assert_eq!(
            can_i("delete", Some("StorageClass efs-sc")),
            "oc auth can-i delete storageclass"
        );
        assert_eq!(
            can_i("logs", Some("Pod xefs-verify/xefs-reader")),
            "oc auth can-i get pods/log -n xefs-verify"
        );
        let help = k8s("apply", Some("StorageClass efs-sc"), "Forbidden").unwrap_or_default();
        assert!(
            help.contains("`oc auth can-i patch storageclass`"),
            "{help}"
        );
        assert!(k8s("apply", None, "Unauthorized").is_some());
        assert_eq!(k8s("apply", None, "Invalid"), None);
    }

    #[test]
    fn step_errors_get_a_code_by_where_they_failed() {
        let aws = StepError::permanent("not authorized")
            .with_code("UnauthorizedOperation")
            .with_context("account 111111111111", "CreateVpcPeeringConnection");
        assert_eq!(step_code(&aws), "aws::UnauthorizedOperation");
        assert!(step(&aws).is_some());
        let kube = StepError::permanent("forbidden")
            .with_code("Forbidden")
            .with_context("the cluster", "apply")
            .with_resource("Secret openshift-cluster-csi-drivers/cross-account-arn");
        assert_eq!(step_code(&kube), "k8s::Forbidden");
        assert!(
            step(&kube)
                .unwrap_or_default()
                .contains("oc auth can-i patch secret -n openshift-cluster-csi-drivers")
        );
        let own = StepError::permanent("holds data").with_code("FileSystemNotEmpty");
        assert_eq!(step_code(&own), "xefs::FileSystemNotEmpty");
        assert!(step(&own).unwrap_or_default().contains("--delete-data"));
        assert_eq!(step_code(&StepError::permanent("boom")), "xefs::step");
    }
}
