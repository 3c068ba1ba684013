//! The four IAM questions `xefs doctor` answers about a cross-account EFS setup, each as a
//! [`Verdict`] that names the document and statement responsible, or what is missing, and
//! the fix.
//!
//! 1. May the CSI service accounts assume A's role through the OIDC provider?
//!    ([`csi_service_accounts_may_assume`])
//! 2. May A's CSI role assume B's role — A's identity policy *and* B's trust?
//!    ([`csi_role_may_assume_cross_account_role`])
//! 3. May B's role make each EFS call the driver makes on this file system?
//!    ([`cross_account_role_may_call_efs`])
//! 4. Does the file-system policy let A's principals mount over TLS, and only over TLS?
//!    ([`file_system_policy_allows_tls_mounts`])
//!
//! A verdict that is allowed but carries a `fix` is a warning: it works, but wider than it
//! should (root trust, a trust without audience, a policy not scoped to the file system).
//!
//! ```
//! use xefs_core::iam::builders::cross_account_trust;
//! use xefs_core::iam::questions::{csi_role_may_assume_cross_account_role, Setup};
//! use xefs_core::ids::{Arn, AccountId, FileSystemId, IamName, OidcProvider, Partition, Region};
//!
//! let a = AccountId::parse("111111111111")?;
//! let b = AccountId::parse("222222222222")?;
//! let provider = OidcProvider::parse("oidc.op1.openshiftapps.com/2abc")?;
//! let setup = Setup {
//!     provider_arn: Arn::oidc_provider(Partition::Aws, &a, &provider),
//!     provider,
//!     namespace: "openshift-cluster-csi-drivers".to_owned(),
//!     csi_role: Arn::iam_role(Partition::Aws, &a, &IamName::parse("csi")?),
//!     cross_account_role: Arn::iam_role(Partition::Aws, &b, &IamName::parse("xefs")?),
//!     file_system: Arn::efs_file_system(
//!         &Region::parse("us-east-2")?, &b, &FileSystemId::parse("fs-0123456789abcdef0")?),
//! };
//! // B trusts A's whole account: it works, but the verdict says it is broader than needed.
//! let root_trust = cross_account_trust(&Arn::account_root(Partition::Aws, &a));
//! let policy = xefs_core::iam::builders::csi_driver_policy(&setup.cross_account_role);
//! let verdict = csi_role_may_assume_cross_account_role(&setup, &policy, &root_trust);
//! assert!(verdict.allowed);
//! assert!(verdict.reason.contains("any principal of account 111111111111"));
//! assert!(verdict.fix.is_some());
//! # Ok::<(), xefs_core::ids::ParseIdError>(())
//! ```

use std::fmt::Write as _;

use super::document::{PolicyDocument, PrincipalClause, PrincipalKind};
use super::eval::{
    Decision, DecisionKind, PrincipalRef, Request, aws_principal_matches, evaluate,
    evaluate_cross_account,
};
use crate::ids::{Arn, OidcProvider};

/// Label of A's web-identity trust in reasons.
pub const A_TRUST: &str = "A's CSI role trust";
/// Label of A's CSI identity policy in reasons.
pub const A_POLICY: &str = "A's CSI role policy";
/// Label of B's role trust in reasons.
pub const B_TRUST: &str = "B's role trust";
/// Label of B's cross-account identity policy in reasons.
pub const B_POLICY: &str = "B's cross-account policy";
/// Label of the EFS file-system policy in reasons.
pub const FS_POLICY: &str = "the file-system policy";

/// The service accounts of the OpenShift EFS CSI driver that call AWS.
pub const CSI_SERVICE_ACCOUNTS: [&str; 2] = [
    "aws-efs-csi-driver-operator",
    "aws-efs-csi-driver-controller-sa",
];

/// The audience of ROSA's service-account tokens.
const ROSA_AUDIENCE: &str = "openshift";
const DRIVER_TAG: &str = "efs.csi.aws.com/cluster";

/// The identifiers the questions are about; doctor fills it from the spec and discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    /// A's IAM OIDC provider ARN, the `Federated` principal of A's trust.
    pub provider_arn: Arn,
    /// The issuer without scheme; the prefix of the `:sub` and `:aud` condition keys.
    pub provider: OidcProvider,
    /// The namespace the CSI service accounts run in.
    pub namespace: String,
    /// A's CSI role (the web-identity role).
    pub csi_role: Arn,
    /// B's cross-account role.
    pub cross_account_role: Arn,
    /// B's file system.
    pub file_system: Arn,
}

/// The answer to one question: whether the request is allowed, why (naming the document and
/// statement, or what is missing), and what to change. Allowed with a fix means "works, but
/// broader than it should be".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the request is allowed.
    pub allowed: bool,
    /// One sentence naming the deciding statement or what is missing.
    pub reason: String,
    /// What to change; `None` when nothing needs to.
    pub fix: Option<String>,
}

/// Question 1: may each CSI service account assume A's role with its OIDC token? One verdict
/// per service account. Also probes a foreign service account and a foreign audience, so a
/// trust that would accept them is reported as a warning.
pub fn csi_service_accounts_may_assume(setup: &Setup, trust: &PolicyDocument) -> Vec<Verdict> {
    let request = |sub: &str, aud: &str| {
        Request::new("sts:AssumeRoleWithWebIdentity", setup.csi_role.as_str())
            .by(PrincipalRef::Federated(setup.provider_arn.clone()))
            .with(format!("{}:sub", setup.provider), sub)
            .with(format!("{}:aud", setup.provider), aud)
    };
    let docs = [(A_TRUST, trust)];
    let mut broader = Vec::new();
    if evaluate(
        &docs,
        &request(
            &setup.subject("aws-efs-csi-driver-operator"),
            "sts.amazonaws.com.invalid",
        ),
    )
    .allowed
    {
        broader.push((
            format!("it accepts tokens of any audience, not only `{ROSA_AUDIENCE}`"),
            format!(
                "add `StringEquals` `{}:aud` = `{ROSA_AUDIENCE}` to {A_TRUST}",
                setup.provider
            ),
        ));
    }
    if evaluate(
        &docs,
        &request("system:serviceaccount:default:default", ROSA_AUDIENCE),
    )
    .allowed
    {
        broader.push((
            "it accepts tokens of service accounts other than the driver's".to_owned(),
            format!(
                "add `StringEquals` `{}:sub` listing only the driver's service accounts to {A_TRUST}",
                setup.provider
            ),
        ));
    }
    CSI_SERVICE_ACCOUNTS
        .iter()
        .map(|sa| {
            let subject = setup.subject(sa);
            let request = request(&subject, ROSA_AUDIENCE);
            let decision = evaluate(&docs, &request);
            let mut verdict = verdict(
                &format!("`{subject}` assuming {} with its token", setup.csi_role),
                &decision,
                &request,
                A_TRUST,
            );
            if !decision.allowed && decision.kind == DecisionKind::ImplicitDeny {
                verdict.fix = Some(format!(
                    "let {A_TRUST} allow `sts:AssumeRoleWithWebIdentity` for Federated `{}` with \
                     `StringEquals` `{p}:sub` = `{subject}` and `{p}:aud` = `{ROSA_AUDIENCE}`",
                    setup.provider_arn,
                    p = setup.provider
                ));
            }
            if decision.allowed {
                warn_broader(&mut verdict, &broader);
            }
            verdict
        })
        .collect()
}

/// Question 2: may A's CSI role assume B's role? Cross-account this needs A's identity policy
/// to allow `sts:AssumeRole` on B's role *and* B's trust to name A's role. A trust in A's root
/// (or a bare account id) still allows, with a warning that any principal of A may assume.
pub fn csi_role_may_assume_cross_account_role(
    setup: &Setup,
    csi_policy: &PolicyDocument,
    b_trust: &PolicyDocument,
) -> Verdict {
    let request = Request::new("sts:AssumeRole", setup.cross_account_role.as_str())
        .by(PrincipalRef::Aws(setup.csi_role.clone()));
    let both = evaluate_cross_account(&[(A_POLICY, csi_policy)], (B_TRUST, b_trust), &request);
    let what = format!("{} assuming {}", setup.csi_role, setup.cross_account_role);
    if !both.allowed() {
        let deciding = both.deciding();
        let label = if std::ptr::eq(deciding, &both.identity) {
            A_POLICY
        } else {
            B_TRUST
        };
        let mut v = verdict(&what, deciding, &request, label);
        if deciding.kind == DecisionKind::ImplicitDeny {
            v.fix = Some(if label == A_POLICY {
                format!(
                    "add `sts:AssumeRole` on `{}` to {A_POLICY}",
                    setup.cross_account_role
                )
            } else {
                format!(
                    "let {B_TRUST} allow `sts:AssumeRole` for AWS principal `{}`",
                    setup.csi_role
                )
            });
        }
        return v;
    }
    let mut v = Verdict {
        allowed: true,
        reason: format!(
            "{what} is allowed by {} and {}",
            describe(both.identity.statement.as_ref()),
            describe(both.resource.statement.as_ref())
        ),
        fix: None,
    };
    // Which principal value let A's role in: the exact role, or something wider?
    let wider = both
        .resource
        .statement
        .as_ref()
        .and_then(|at| b_trust.statements.get(at.index))
        .and_then(|st| match &st.principal {
            Some(PrincipalClause::Principal(p)) => p.get(PrincipalKind::Aws),
            _ => None,
        })
        .filter(|values| !values.contains(setup.csi_role.as_str()))
        .and_then(|values| {
            values
                .iter()
                .find(|v| aws_principal_matches(v, &setup.csi_role))
                .map(str::to_owned)
        });
    if let Some(value) = wider {
        let account = setup
            .csi_role
            .account()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default();
        let whom = if value == "*" {
            "any AWS principal at all".to_owned()
        } else {
            format!("any principal of account {account}")
        };
        warn_broader(
            &mut v,
            &[(
                format!("{B_TRUST} trusts `{value}`, so {whom} may assume B's role"),
                format!("trust A's CSI role `{}` instead", setup.csi_role),
            )],
        );
    }
    v
}

/// One EFS (or supporting EC2) call the driver makes with B's role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverCall {
    /// What the call is, for the checklist (e.g. `CreateAccessPoint`).
    pub name: &'static str,
    /// The request as IAM sees it.
    pub request: Request,
}

/// The calls the driver's controller makes with B's role on `setup.file_system`, with the
/// tags it sends. `TagResource` is modelled as EFS authorizes it: as part of
/// `CreateAccessPoint` (`elasticfilesystem:CreateAction`), with the request's tags. The two
/// EC2 describe calls are the ones the upstream cross-account example asks B's role for.
pub fn driver_calls(setup: &Setup) -> Vec<DriverCall> {
    let by = PrincipalRef::Aws(setup.cross_account_role.clone());
    let fs = setup.file_system.as_str();
    let access_point = sibling_arn(&setup.file_system, "access-point/fsap-0123456789abcdef0");
    let call = |name, action: &str, resource: &str| DriverCall {
        name,
        request: Request::new(action, resource).by(by.clone()),
    };
    let request_tag = format!("aws:RequestTag/{DRIVER_TAG}");
    let mut create = call(
        "CreateAccessPoint",
        "elasticfilesystem:CreateAccessPoint",
        fs,
    );
    create.request = create
        .request
        .with(&request_tag, "true")
        .with("aws:TagKeys", DRIVER_TAG);
    let mut tag = call(
        "TagResource",
        "elasticfilesystem:TagResource",
        &access_point,
    );
    tag.request = tag
        .request
        .with(&request_tag, "true")
        .with("aws:TagKeys", DRIVER_TAG)
        .with("elasticfilesystem:CreateAction", "CreateAccessPoint");
    let mut delete = call(
        "DeleteAccessPoint",
        "elasticfilesystem:DeleteAccessPoint",
        &access_point,
    );
    delete.request = delete
        .request
        .with(format!("aws:ResourceTag/{DRIVER_TAG}"), "true");
    vec![
        call(
            "DescribeFileSystems",
            "elasticfilesystem:DescribeFileSystems",
            fs,
        ),
        call(
            "DescribeMountTargets",
            "elasticfilesystem:DescribeMountTargets",
            fs,
        ),
        call(
            "DescribeAccessPoints",
            "elasticfilesystem:DescribeAccessPoints",
            fs,
        ),
        create,
        tag,
        delete,
        call("DescribeSubnets", "ec2:DescribeSubnets", "*"),
        call(
            "DescribeNetworkInterfaces",
            "ec2:DescribeNetworkInterfaces",
            "*",
        ),
    ]
}

/// Question 3: may B's role make each call in [`driver_calls`]? One verdict per call, in that
/// order. A call on the file system that is also allowed on another file system is a warning:
/// B's policy is not scoped to this file system.
pub fn cross_account_role_may_call_efs(setup: &Setup, b_policy: &PolicyDocument) -> Vec<Verdict> {
    let docs = [(B_POLICY, b_policy)];
    let other_fs = sibling_arn(&setup.file_system, "file-system/fs-00000000000000000");
    driver_calls(setup)
        .into_iter()
        .map(|call| {
            let decision = evaluate(&docs, &call.request);
            let mut v = verdict(
                &format!("{} calling `{}`", setup.cross_account_role, call.name),
                &decision,
                &call.request,
                B_POLICY,
            );
            if decision.kind == DecisionKind::ImplicitDeny {
                v.fix = Some(format!(
                    "build {B_POLICY} from the cross-account document (not A's policy), which \
                     grants `{}` on `{}`",
                    call.request.action, call.request.resource
                ));
            }
            if decision.allowed && call.request.resource == setup.file_system.as_str() {
                let mut probe = call.request.clone();
                probe.resource.clone_from(&other_fs);
                if evaluate(&docs, &probe).allowed {
                    warn_broader(
                        &mut v,
                        &[(
                            format!("{B_POLICY} allows it on every file system of the account"),
                            format!(
                                "scope the statement's `Resource` to `{}`",
                                setup.file_system
                            ),
                        )],
                    );
                }
            }
            v
        })
        .collect()
}

/// The answers to question 4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountVerdicts {
    /// `ClientMount` and `ClientWrite` over TLS through a mount target, per principal and
    /// action: each should be allowed.
    pub over_tls: Vec<Verdict>,
    /// `ClientMount` without TLS, per principal: each should be *denied*.
    pub without_tls: Vec<Verdict>,
}

impl MountVerdicts {
    /// Whether the file-system policy is right: every TLS mount allowed, every plain one denied.
    pub fn passes(&self) -> bool {
        self.over_tls.iter().all(|v| v.allowed) && self.without_tls.iter().all(|v| !v.allowed)
    }
}

/// Question 4: does the file-system policy let each of A's `principals` mount and write over
/// TLS through a mount target, and refuse them without TLS? This checks the resource side
/// only; cross-account, the principals' own identity policies must allow the same actions.
pub fn file_system_policy_allows_tls_mounts(
    setup: &Setup,
    fs_policy: &PolicyDocument,
    principals: &[Arn],
) -> MountVerdicts {
    let docs = [(FS_POLICY, fs_policy)];
    let request = |who: &Arn, action: &str, tls: bool| {
        Request::new(action, setup.file_system.as_str())
            .by(PrincipalRef::Aws(who.clone()))
            .with("aws:SecureTransport", tls.to_string())
            .with("elasticfilesystem:AccessedViaMountTarget", "true")
    };
    let mut out = MountVerdicts {
        over_tls: Vec::new(),
        without_tls: Vec::new(),
    };
    for who in principals {
        for action in [
            "elasticfilesystem:ClientMount",
            "elasticfilesystem:ClientWrite",
        ] {
            let req = request(who, action, true);
            let decision = evaluate(&docs, &req);
            let mut v = verdict(
                &format!("{who} calling `{action}` over TLS"),
                &decision,
                &req,
                FS_POLICY,
            );
            if decision.kind == DecisionKind::ImplicitDeny {
                v.fix = Some(format!(
                    "add `{who}` to the AWS principals allowed `{action}` in {FS_POLICY}"
                ));
            }
            out.over_tls.push(v);
        }
        let req = request(who, "elasticfilesystem:ClientMount", false);
        let decision = evaluate(&docs, &req);
        let mut v = verdict(
            &format!("{who} mounting without TLS"),
            &decision,
            &req,
            FS_POLICY,
        );
        // Here the good answer is a refusal: only an allow needs fixing.
        v.fix = decision.allowed.then(|| {
            format!(
                "add to {FS_POLICY} a `Deny` of `*` for every principal when \
                 `Bool` `aws:SecureTransport` = `false`"
            )
        });
        out.without_tls.push(v);
    }
    out
}

impl Setup {
    /// The token subject of a service account in the driver's namespace.
    pub fn subject(&self, service_account: &str) -> String {
        format!("system:serviceaccount:{}:{service_account}", self.namespace)
    }
}

/// An ARN in the same partition, region and account as `arn`, with another resource part.
fn sibling_arn(arn: &Arn, resource: &str) -> String {
    let account = arn
        .account()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_default();
    format!(
        "arn:{}:{}:{}:{account}:{resource}",
        arn.partition(),
        arn.service(),
        arn.region()
    )
}

fn describe(at: Option<&super::eval::StatementRef>) -> String {
    at.map_or_else(|| "no statement".to_owned(), ToString::to_string)
}

/// A verdict from one decision of the documents labelled `label`.
fn verdict(what: &str, decision: &Decision, request: &Request, label: &str) -> Verdict {
    let mut reason = match decision.kind {
        DecisionKind::Allowed => {
            format!(
                "{what} is allowed by {}",
                describe(decision.statement.as_ref())
            )
        }
        DecisionKind::ExplicitDeny => format!(
            "{what} is denied explicitly by {}",
            describe(decision.statement.as_ref())
        ),
        DecisionKind::ImplicitDeny => match decision.near_misses.first() {
            Some((at, why)) => format!("{what} is not allowed: {at} would allow it, but {why}"),
            None => format!(
                "{what} is not allowed: no statement of {label} allows `{}` on `{}`{}",
                request.action,
                request.resource,
                request
                    .principal
                    .as_ref()
                    .map(|p| format!(" for {}", principal_text(p)))
                    .unwrap_or_default()
            ),
        },
    };
    for u in &decision.unevaluated {
        let _ = write!(reason, "; could not evaluate {u}");
    }
    let fix = (decision.kind == DecisionKind::ExplicitDeny)
        .then(|| format!("remove or narrow {}", describe(decision.statement.as_ref())));
    Verdict {
        allowed: decision.allowed,
        reason,
        fix,
    }
}

fn principal_text(p: &PrincipalRef) -> String {
    match p {
        PrincipalRef::Aws(a) => format!("AWS `{a}`"),
        PrincipalRef::Federated(a) => format!("Federated `{a}`"),
        PrincipalRef::Service(s) => format!("Service `{s}`"),
    }
}

/// Appends "but broader than needed" notes and their fixes to an allowed verdict.
fn warn_broader(v: &mut Verdict, notes: &[(String, String)]) {
    if notes.is_empty() {
        return;
    }
    let why: Vec<&str> = notes.iter().map(|(w, _)| w.as_str()).collect();
    let fixes: Vec<&str> = notes.iter().map(|(_, f)| f.as_str()).collect();
    let _ = write!(v.reason, ", but broader than needed: {}", why.join("; "));
    v.fix = Some(fixes.join("; "));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::builders::{
        cross_account_policy, cross_account_trust, csi_driver_policy, csi_web_identity_trust,
        file_system_policy,
    };
    use crate::iam::document::Statement;
    use crate::iam::{Principal, PrincipalKind};
    use crate::ids::{AccountId, FileSystemId, IamName, Partition, Region};

    const GUIDE_A_POLICY: &str = include_str!("fixtures/guide_a_csi_policy.json");
    const GUIDE_A_TRUST: &str = include_str!("fixtures/guide_a_web_identity_trust.json");
    const GUIDE_B_POLICY: &str = include_str!("fixtures/guide_b_cross_account_policy.json");
    const GUIDE_B_TRUST: &str = include_str!("fixtures/guide_b_trust.json");
    const NS: &str = "openshift-cluster-csi-drivers";

    fn a() -> AccountId {
        AccountId::parse("111111111111").unwrap()
    }

    fn setup() -> Setup {
        let b = AccountId::parse("222222222222").unwrap();
        let provider = OidcProvider::parse("oidc.op1.openshiftapps.com/2abc").unwrap();
        let role = |account: &AccountId, name: &str| {
            Arn::iam_role(Partition::Aws, account, &IamName::parse(name).unwrap())
        };
        Setup {
            provider_arn: Arn::oidc_provider(Partition::Aws, &a(), &provider),
            provider,
            namespace: NS.to_owned(),
            csi_role: role(&a(), "sts-cluster-aws-efs-csi-operator"),
            cross_account_role: role(&b, "cross-account-efs-role"),
            file_system: Arn::efs_file_system(
                &Region::parse("us-east-2").unwrap(),
                &b,
                &FileSystemId::parse("fs-0123456789abcdef0").unwrap(),
            ),
        }
    }

    fn node_role() -> Arn {
        Arn::iam_role(
            Partition::Aws,
            &a(),
            &IamName::parse("sts-cluster-worker-role").unwrap(),
        )
    }

    /// The documents xefs writes for `s`.
    struct Docs {
        a_trust: PolicyDocument,
        a_policy: PolicyDocument,
        b_trust: PolicyDocument,
        b_policy: PolicyDocument,
        fs_policy: PolicyDocument,
    }

    fn xefs_docs(s: &Setup) -> Docs {
        let subjects: Vec<String> = CSI_SERVICE_ACCOUNTS
            .iter()
            .map(|sa| s.subject(sa))
            .collect();
        let access_points = Arn::efs_access_points(
            &Region::parse("us-east-2").unwrap(),
            &AccountId::parse("222222222222").unwrap(),
        );
        Docs {
            a_trust: csi_web_identity_trust(&s.provider_arn, s.provider.as_str(), &subjects),
            a_policy: csi_driver_policy(&s.cross_account_role),
            b_trust: cross_account_trust(&s.csi_role),
            b_policy: cross_account_policy(&s.file_system, &access_points),
            fs_policy: file_system_policy(&s.file_system, &[node_role(), s.csi_role.clone()]),
        }
    }

    /// Every verdict of the four questions, named for assertion messages.
    fn all_verdicts(s: &Setup, d: &Docs) -> Vec<(String, Verdict)> {
        let mut out = Vec::new();
        for v in csi_service_accounts_may_assume(s, &d.a_trust) {
            out.push(("q1".to_owned(), v));
        }
        out.push((
            "q2".to_owned(),
            csi_role_may_assume_cross_account_role(s, &d.a_policy, &d.b_trust),
        ));
        for (call, v) in driver_calls(s)
            .iter()
            .zip(cross_account_role_may_call_efs(s, &d.b_policy))
        {
            out.push((format!("q3 {}", call.name), v));
        }
        let mounts = file_system_policy_allows_tls_mounts(
            s,
            &d.fs_policy,
            &[node_role(), s.csi_role.clone()],
        );
        for v in mounts.over_tls {
            out.push(("q4 tls".to_owned(), v));
        }
        for v in mounts.without_tls {
            // The question here is "is the plain mount refused": flip it for the table.
            out.push((
                "q4 no tls refused".to_owned(),
                Verdict {
                    allowed: !v.allowed,
                    ..v
                },
            ));
        }
        out
    }

    #[test]
    fn xefs_documents_answer_yes_to_every_question_without_warnings() {
        let s = setup();
        let verdicts = all_verdicts(&s, &xefs_docs(&s));
        assert_eq!(verdicts.len(), 2 + 1 + 8 + 4 + 2);
        for (name, v) in verdicts {
            assert!(v.allowed, "{name}: {}", v.reason);
            assert_eq!(v.fix, None, "{name}: {}", v.reason);
        }
    }

    #[test]
    fn q1_names_the_trust_statement() {
        let s = setup();
        let d = xefs_docs(&s);
        let v = &csi_service_accounts_may_assume(&s, &d.a_trust)[0];
        assert_eq!(
            v.reason,
            format!(
                "`system:serviceaccount:{NS}:aws-efs-csi-driver-operator` assuming {} with its \
                 token is allowed by A's CSI role trust statement 0 (Sid `CsiDriverServiceAccounts`)",
                s.csi_role
            )
        );
    }

    /// One break: which question, whether it is still allowed, and what the reason and fix
    /// must mention.
    struct Break {
        name: &'static str,
        apply: fn(&Setup, &mut Docs, &mut Setup),
        /// The verdict name prefix in [`all_verdicts`] that changes.
        question: &'static str,
        allowed: bool,
        reason: &'static [&'static str],
        fix: Option<&'static str>,
    }

    #[test]
    fn each_break_is_reported_by_the_right_question() {
        let breaks = [
            Break {
                name: "B's policy built from A's file",
                apply: |_, d, _| d.b_policy = PolicyDocument::parse(GUIDE_A_POLICY).unwrap(),
                question: "q3 DescribeSubnets",
                allowed: false,
                reason: &["no statement of B's cross-account policy allows `ec2:DescribeSubnets`"],
                fix: Some("build B's cross-account policy from the cross-account document"),
            },
            Break {
                name: "B's policy built from A's file is not scoped",
                apply: |_, d, _| d.b_policy = PolicyDocument::parse(GUIDE_A_POLICY).unwrap(),
                question: "q3 DescribeFileSystems",
                allowed: true,
                reason: &[
                    "allowed by B's cross-account policy statement 0",
                    "every file system of the account",
                ],
                fix: Some("scope the statement's `Resource`"),
            },
            Break {
                name: "root trust",
                apply: |_, d, _| {
                    d.b_trust = cross_account_trust(&Arn::account_root(Partition::Aws, &a()))
                },
                question: "q2",
                allowed: true,
                reason: &[
                    "B's role trust statement 0 (Sid `ClusterAccountCsiDriver`)",
                    "any principal of account 111111111111",
                ],
                fix: Some("trust A's CSI role"),
            },
            Break {
                name: "guide's root trust",
                apply: |_, d, _| d.b_trust = PolicyDocument::parse(GUIDE_B_TRUST).unwrap(),
                question: "q2",
                allowed: true,
                reason: &["B's role trust statement 0", "any principal of account"],
                fix: Some("trust A's CSI role"),
            },
            Break {
                name: "trust of another role",
                apply: |_, d, _| {
                    d.b_trust = cross_account_trust(&node_role());
                },
                question: "q2",
                allowed: false,
                reason: &["no statement of B's role trust allows `sts:AssumeRole`"],
                fix: Some("let B's role trust allow `sts:AssumeRole` for AWS principal"),
            },
            Break {
                name: "A's policy without AssumeRole",
                apply: |_, d, _| {
                    d.a_policy
                        .statements
                        .retain(|st| st.sid.as_deref() != Some("AssumeCrossAccountRole"))
                },
                question: "q2",
                allowed: false,
                reason: &["no statement of A's CSI role policy allows `sts:AssumeRole`"],
                fix: Some("add `sts:AssumeRole`"),
            },
            Break {
                name: "deny in the file-system policy",
                apply: |s, d, _| {
                    d.fs_policy.statements.push(
                        Statement::deny(["elasticfilesystem:ClientWrite"])
                            .with_sid("ReadOnly")
                            .with_principal(Principal::of(PrincipalKind::Aws, ["*"]))
                            .with_resources([s.file_system.as_str()]),
                    )
                },
                question: "q4 tls",
                allowed: false,
                reason: &[
                    "denied explicitly by the file-system policy statement 2 (Sid `ReadOnly`)",
                ],
                fix: Some("remove or narrow the file-system policy statement 2"),
            },
            Break {
                name: "missing aud condition (the guide's trust)",
                apply: |_, d, _| d.a_trust = PolicyDocument::parse(GUIDE_A_TRUST).unwrap(),
                question: "q1",
                allowed: true,
                reason: &["A's CSI role trust statement 0", "any audience"],
                fix: Some("add `StringEquals` `oidc.op1.openshiftapps.com/2abc:aud` = `openshift`"),
            },
            Break {
                name: "wrong subject namespace",
                apply: |_, _, s| s.namespace = "openshift-storage".to_owned(),
                question: "q1",
                allowed: false,
                reason: &[
                    "A's CSI role trust statement 0 (Sid `CsiDriverServiceAccounts`) would allow it, but `StringEquals` `oidc.op1.openshiftapps.com/2abc:sub`",
                    "system:serviceaccount:openshift-storage:aws-efs-csi-driver-",
                ],
                fix: Some(
                    "`StringEquals` `oidc.op1.openshiftapps.com/2abc:sub` = `system:serviceaccount:openshift-storage:",
                ),
            },
            Break {
                name: "non-TLS mount allowed",
                apply: |_, d, _| {
                    d.fs_policy
                        .statements
                        .retain(|st| st.sid.as_deref() != Some("DenyUnencryptedTransport"))
                },
                question: "q4 no tls refused",
                allowed: false,
                reason: &[
                    "mounting without TLS is allowed by the file-system policy statement 0 (Sid `ClusterAccountMountsViaMountTarget`)",
                ],
                fix: Some("`Bool` `aws:SecureTransport` = `false`"),
            },
            Break {
                name: "file-system policy without the node role",
                apply: |s, d, _| {
                    d.fs_policy =
                        file_system_policy(&s.file_system, std::slice::from_ref(&s.csi_role))
                },
                question: "q4 tls",
                allowed: false,
                reason: &[
                    "sts-cluster-worker-role calling `elasticfilesystem:ClientMount` over TLS is not allowed: no statement of the file-system policy",
                ],
                fix: Some(
                    "add `arn:aws:iam::111111111111:role/sts-cluster-worker-role` to the AWS principals",
                ),
            },
        ];
        let base = setup();
        let clean: Vec<_> = all_verdicts(&base, &xefs_docs(&base));
        for b in breaks {
            let mut docs = xefs_docs(&base);
            let mut s = base.clone();
            (b.apply)(&base, &mut docs, &mut s);
            let got = all_verdicts(&s, &docs);
            assert_eq!(got.len(), clean.len(), "{}", b.name);
            let changed: Vec<_> = got
                .iter()
                .filter(|(_, v)| !v.allowed || v.fix.is_some())
                .collect();
            assert!(!changed.is_empty(), "{}: nothing reported", b.name);
            // Only the broken question reports anything.
            let question = b.question.split(' ').next().unwrap_or_default();
            for (name, v) in &changed {
                assert!(
                    name.starts_with(question),
                    "{}: {name} also reported: {}",
                    b.name,
                    v.reason
                );
            }
            let (_, v) = got
                .iter()
                .find(|(name, v)| name.starts_with(b.question) && (!v.allowed || v.fix.is_some()))
                .unwrap_or_else(|| panic!("{}: {} not reported: {changed:#?}", b.name, b.question));
            assert_eq!(v.allowed, b.allowed, "{}: {}", b.name, v.reason);
            for part in b.reason {
                assert!(
                    v.reason.contains(part),
                    "{}: {:?} not in {}",
                    b.name,
                    part,
                    v.reason
                );
            }
            match (b.fix, &v.fix) {
                (Some(part), Some(fix)) => assert!(fix.contains(part), "{}: {fix}", b.name),
                (None, None) => {}
                (want, got) => panic!("{}: fix {got:?}, wanted {want:?}", b.name),
            }
        }
    }

    #[test]
    fn guide_documents_as_the_guide_meant_them() {
        // The guide's own B document (not A's file) allows every driver call, but on every
        // file system; its A policy and trust let the CSI role assume B's root-trusting role.
        let s = setup();
        let b_policy = PolicyDocument::parse(GUIDE_B_POLICY).unwrap();
        let verdicts = cross_account_role_may_call_efs(&s, &b_policy);
        assert!(verdicts.iter().all(|v| v.allowed));
        assert!(verdicts.iter().filter(|v| v.fix.is_some()).all(|v| {
            v.reason
                .contains("B's cross-account policy statement 1 (Sid `VisualEditor1`)")
        }));
        let q2 = csi_role_may_assume_cross_account_role(
            &s,
            &PolicyDocument::parse(GUIDE_A_POLICY).unwrap(),
            &PolicyDocument::parse(GUIDE_B_TRUST).unwrap(),
        );
        assert!(q2.allowed && q2.fix.is_some(), "{q2:?}");
        assert!(
            q2.reason.contains("A's CSI role policy statement 3"),
            "{}",
            q2.reason
        );
    }

    #[test]
    fn mount_verdicts_pass_only_when_tls_is_required() {
        let s = setup();
        let d = xefs_docs(&s);
        let ok = file_system_policy_allows_tls_mounts(&s, &d.fs_policy, &[node_role()]);
        assert!(ok.passes());
        assert_eq!(
            ok.without_tls[0].reason,
            format!(
                "{} mounting without TLS is denied explicitly by the file-system policy \
                 statement 1 (Sid `DenyUnencryptedTransport`)",
                node_role()
            )
        );
        assert_eq!(ok.without_tls[0].fix, None);
        let mut open = d.fs_policy.clone();
        open.statements.truncate(1);
        assert!(!file_system_policy_allows_tls_mounts(&s, &open, &[node_role()]).passes());
        let mut unsupported = d.fs_policy.clone();
        unsupported.statements[0] = unsupported.statements[0].clone().with_condition(
            "NumericLessThan",
            "aws:MultiFactorAuthAge",
            ["3600"],
        );
        let v = file_system_policy_allows_tls_mounts(&s, &unsupported, &[node_role()]);
        assert!(!v.passes());
        assert!(
            v.over_tls[0]
                .reason
                .contains("could not evaluate the file-system policy statement 0"),
            "{}",
            v.over_tls[0].reason
        );
    }
}
