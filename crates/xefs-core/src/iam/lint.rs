//! A linter for IAM policy documents: catches what IAM rejects and what it accepts but should
//! not be written (the guide's duplicate action, root trust and empty condition among them)
//! before a document reaches AWS.
//!
//! Each finding has a stable `code` (kebab-case) that tests and suppressions can match on,
//! a [`Severity`] and a one-line reason. Statement indexes are 0-based.

use std::fmt;

use super::document::{
    ActionClause, Effect, PolicyDocument, PolicyVersion, Principal, PrincipalKind, ResourceClause,
    Statement,
};

/// What a document is for; the rules differ (a trust policy has a principal and no resource,
/// an identity policy the other way round).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// An identity policy attached to a role, user or group.
    Identity,
    /// A role's trust (assume-role) policy.
    Trust,
    /// A resource policy, such as an EFS file-system policy.
    Resource,
}

/// How bad a finding is. Ordered by severity: `Info < Warning < Error`, so
/// `finding.severity >= Severity::Warning` selects the ones worth acting on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// IAM rejects the document, or it grants far more than intended.
    Error,
    /// IAM accepts it, but it is wrong or wider than needed.
    Warning,
    /// Harmless noise worth cleaning up.
    Info,
}

impl Severity {
    fn rank(self) -> u8 {
        match self {
            Severity::Info => 0,
            Severity::Warning => 1,
            Severity::Error => 2,
        }
    }
}

impl PartialOrd for Severity {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Severity {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

/// One problem in a document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// How bad it is.
    pub severity: Severity,
    /// A stable kebab-case identifier such as `duplicate-action`.
    pub code: &'static str,
    /// The 0-based index of the statement, or `None` for the document as a whole.
    pub statement: Option<usize>,
    /// One line: what is wrong and why it matters.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.severity, self.code)?;
        if let Some(i) = self.statement {
            write!(f, " statement {i}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Lints `doc` as a document of `kind`. Findings come document-level first, then by statement.
pub fn lint(doc: &PolicyDocument, kind: DocumentKind) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |severity, code, statement, message: String| {
        out.push(Finding {
            severity,
            code,
            statement,
            message,
        });
    };

    match doc.version {
        None => push(
            Severity::Warning,
            "missing-version",
            None,
            "no `Version`: IAM falls back to 2008-10-17, where policy variables do not work; \
             add \"Version\": \"2012-10-17\""
                .to_owned(),
        ),
        Some(PolicyVersion::V2008_10_17) => push(
            Severity::Warning,
            "old-version",
            None,
            "`Version` 2008-10-17 is the legacy language without policy variables; use 2012-10-17"
                .to_owned(),
        ),
        Some(PolicyVersion::V2012_10_17) => {}
    }
    if doc.statements.is_empty() {
        push(
            Severity::Error,
            "no-statements",
            None,
            "the document has no statement; IAM rejects it".to_owned(),
        );
    }

    let mut seen_sids: Vec<&str> = Vec::new();
    for (i, st) in doc.statements.iter().enumerate() {
        let at = Some(i);
        if let Some(sid) = st.sid.as_deref() {
            if seen_sids.contains(&sid) {
                push(
                    Severity::Error,
                    "duplicate-sid",
                    at,
                    format!(
                        "`Sid` {sid:?} is used by an earlier statement; IAM requires unique ids"
                    ),
                );
            }
            seen_sids.push(sid);
            let alnum = sid.bytes().all(|b| b.is_ascii_alphanumeric());
            if kind != DocumentKind::Resource && !alnum {
                push(
                    Severity::Warning,
                    "invalid-sid",
                    at,
                    format!(
                        "`Sid` {sid:?} has characters other than ASCII letters and digits, \
                         which IAM rejects in identity and trust policies"
                    ),
                );
            }
        }
        lint_shape(st, kind, at, &mut push);
        lint_lists(st, at, &mut push);
        lint_actions(st, at, &mut push);
        lint_principal(st, kind, at, &mut push);
        lint_condition(st, at, &mut push);
        if kind == DocumentKind::Identity {
            lint_resource_wildcard(st, at, &mut push);
        }
    }
    out
}

type Push<'a> = dyn FnMut(Severity, &'static str, Option<usize>, String) + 'a;

/// Which elements a statement must or must not have for the document kind.
fn lint_shape(st: &Statement, kind: DocumentKind, at: Option<usize>, push: &mut Push<'_>) {
    match kind {
        DocumentKind::Identity => {
            if st.principal.is_some() {
                push(
                    Severity::Error,
                    "principal-in-identity",
                    at,
                    "an identity policy applies to whoever it is attached to; IAM rejects \
                     `Principal`/`NotPrincipal` in it"
                        .to_owned(),
                );
            }
            if st.resource.is_none() {
                push(
                    Severity::Error,
                    "missing-resource",
                    at,
                    "an identity policy statement needs `Resource` or `NotResource`".to_owned(),
                );
            }
        }
        DocumentKind::Trust | DocumentKind::Resource => {
            if st.principal.is_none() {
                push(
                    Severity::Error,
                    "missing-principal",
                    at,
                    "a trust or resource policy statement needs `Principal` or `NotPrincipal`"
                        .to_owned(),
                );
            }
            if kind == DocumentKind::Trust && st.resource.is_some() {
                push(
                    Severity::Error,
                    "resource-in-trust",
                    at,
                    "a trust policy's resource is the role itself; IAM rejects `Resource` in it"
                        .to_owned(),
                );
            }
        }
    }
}

/// Empty lists, which IAM rejects.
fn lint_lists(st: &Statement, at: Option<usize>, push: &mut Push<'_>) {
    let mut empty = Vec::new();
    if st.action.values().is_empty() {
        empty.push("the action list");
    }
    if st.resource.as_ref().is_some_and(|r| r.values().is_empty()) {
        empty.push("the resource list");
    }
    if let Some(p) = &st.principal {
        match p.principal() {
            Principal::Typed(map) if map.is_empty() || map.values().any(|v| v.is_empty()) => {
                empty.push("the principal");
            }
            _ => {}
        }
    }
    if !empty.is_empty() {
        push(
            Severity::Error,
            "empty-list",
            at,
            format!("{} is empty; IAM rejects empty lists", empty.join(" and ")),
        );
    }
}

fn lint_actions(st: &Statement, at: Option<usize>, push: &mut Push<'_>) {
    let values = st.action.values();
    let mut seen: Vec<String> = Vec::new();
    let mut dups: Vec<&str> = Vec::new();
    for a in values.iter() {
        // Action names are case-insensitive in IAM.
        let folded = a.to_ascii_lowercase();
        if seen.contains(&folded) {
            if !dups.iter().any(|d| d.eq_ignore_ascii_case(a)) {
                dups.push(a);
            }
        } else {
            seen.push(folded);
        }
    }
    if !dups.is_empty() {
        push(
            Severity::Warning,
            "duplicate-action",
            at,
            format!(
                "{} listed more than once; harmless to IAM but a sign of copy-paste, and it \
                 makes drift diffs noisy",
                join_code(&dups)
            ),
        );
    }
    if st.effect != Effect::Allow {
        return;
    }
    match &st.action {
        ActionClause::Action(v) => {
            if v.contains("*") {
                push(
                    Severity::Error,
                    "wildcard-action",
                    at,
                    "`Action: \"*\"` allows every action of every service".to_owned(),
                );
            }
            let service_wide: Vec<&str> = v
                .iter()
                .filter(|a| a.split_once(':').is_some_and(|(_, name)| name == "*"))
                .collect();
            if !service_wide.is_empty() {
                push(
                    Severity::Warning,
                    "service-wildcard-action",
                    at,
                    format!(
                        "{} allows every action of the service; list the actions needed",
                        join_code(&service_wide)
                    ),
                );
            }
        }
        ActionClause::NotAction(_) => push(
            Severity::Warning,
            "allow-not-action",
            at,
            "`Allow` with `NotAction` allows every action not listed, including ones AWS adds later"
                .to_owned(),
        ),
    }
}

fn lint_principal(st: &Statement, kind: DocumentKind, at: Option<usize>, push: &mut Push<'_>) {
    let Some(clause) = &st.principal else {
        return;
    };
    let principal = clause.principal();
    if st.effect == Effect::Allow {
        if matches!(clause, super::document::PrincipalClause::NotPrincipal(_)) {
            push(
                Severity::Warning,
                "allow-not-principal",
                at,
                "`Allow` with `NotPrincipal` allows everyone not listed, anonymous users included"
                    .to_owned(),
            );
        } else {
            let any = match principal {
                Principal::Any => true,
                Principal::Typed(map) => map.values().any(|v| v.contains("*")),
            };
            let narrowed = st
                .condition
                .as_ref()
                .is_some_and(|c| c.entries().any(|(_, key, _)| narrows_principal(key)));
            if any && !narrowed {
                push(
                    Severity::Error,
                    "wildcard-principal",
                    at,
                    "a `*` principal without a condition on the caller (aws:PrincipalArn, \
                     aws:SourceAccount, …) allows anyone, in any account"
                        .to_owned(),
                );
            }
        }
    }
    if kind != DocumentKind::Trust || st.effect != Effect::Allow {
        return;
    }
    if let Some(aws) = principal.get(PrincipalKind::Aws) {
        for p in aws.iter() {
            if let Some(account) = account_root(p) {
                push(
                    Severity::Warning,
                    "trust-account-root",
                    at,
                    format!(
                        "trusts account {account}'s root: any principal that account's own \
                         policies allow may assume this role; trust the one role ARN that needs it"
                    ),
                );
            }
        }
    }
    let web_identity = st
        .action
        .values()
        .iter()
        .any(|a| a.eq_ignore_ascii_case("sts:AssumeRoleWithWebIdentity"));
    if web_identity && matches!(st.action, ActionClause::Action(_)) {
        let has_key = |suffix: &str| {
            st.condition.as_ref().is_some_and(|c| {
                c.entries()
                    .any(|(_, key, _)| key.to_ascii_lowercase().ends_with(suffix))
            })
        };
        if !has_key(":sub") {
            push(
                Severity::Error,
                "web-identity-without-sub",
                at,
                "web-identity trust without a `<provider>:sub` condition lets every service \
                 account of the cluster assume the role"
                    .to_owned(),
            );
        }
        if !has_key(":aud") {
            push(
                Severity::Info,
                "web-identity-without-aud",
                at,
                "no `<provider>:aud` condition; pinning the audience (`openshift` on ROSA) \
                 rejects tokens minted for other consumers"
                    .to_owned(),
            );
        }
    }
}

fn lint_condition(st: &Statement, at: Option<usize>, push: &mut Push<'_>) {
    let Some(cond) = &st.condition else {
        return;
    };
    if cond.is_empty() {
        push(
            Severity::Info,
            "empty-condition",
            at,
            "`\"Condition\": {}` has no effect; drop it".to_owned(),
        );
        return;
    }
    for (op, keys) in cond.operators() {
        if let Err(suggestion) = check_operator(op) {
            let hint = suggestion
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            push(
                Severity::Error,
                "unknown-condition-operator",
                at,
                format!("`{op}` is not an IAM condition operator{hint}"),
            );
        }
        if keys.is_empty() {
            push(
                Severity::Info,
                "empty-condition",
                at,
                format!("the `{op}` block has no key and no effect; drop it"),
            );
        }
        for (key, values) in keys {
            if values.is_empty() {
                push(
                    Severity::Error,
                    "empty-condition-values",
                    at,
                    format!("`{op}` on `{key}` has no value; IAM rejects it"),
                );
            }
        }
    }
}

/// `Resource: "*"` on actions that could be scoped, in an `Allow` of an identity policy.
fn lint_resource_wildcard(st: &Statement, at: Option<usize>, push: &mut Push<'_>) {
    if st.effect != Effect::Allow {
        return;
    }
    let Some(ResourceClause::Resource(resources)) = &st.resource else {
        return;
    };
    if !resources.contains("*") {
        return;
    }
    // A tag or ownership condition scopes the statement as well as an ARN would.
    let scoped = st
        .condition
        .as_ref()
        .is_some_and(|c| c.entries().any(|(_, key, _)| scopes_resource(key)));
    if scoped {
        return;
    }
    let ActionClause::Action(actions) = &st.action else {
        return;
    };
    // Wildcard actions are reported by their own rules.
    let scopable: Vec<&str> = actions
        .iter()
        .filter(|a| *a != "*" && !a.ends_with(":*") && !lacks_resource_level_permissions(a))
        .collect();
    if !scopable.is_empty() {
        push(
            Severity::Warning,
            "resource-wildcard",
            at,
            format!(
                "`Resource: \"*\"` on actions that can be scoped to ARNs ({}); scope them to \
                 the resources used or narrow them with a tag condition",
                join_code(&scopable)
            ),
        );
    }
}

/// Actions for which `Resource: "*"` is the only (or the usual, harmless) choice: every
/// `Describe*` call (EC2's support no resource-level permissions at all; EFS's are read-only
/// listings), and a few known unscopable calls.
fn lacks_resource_level_permissions(action: &str) -> bool {
    const UNSCOPABLE: &[&str] = &[
        "sts:GetCallerIdentity",
        "iam:ListOpenIDConnectProviders",
        "elasticfilesystem:CreateFileSystem",
        "ec2:CreateSecurityGroup",
    ];
    let name = action.split_once(':').map_or(action, |(_, n)| n);
    name.get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("Describe"))
        || UNSCOPABLE.iter().any(|u| u.eq_ignore_ascii_case(action))
}

fn scopes_resource(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.starts_with("aws:resourcetag/")
        || key.starts_with("aws:requesttag/")
        || key == "aws:tagkeys"
        || key == "aws:resourceaccount"
        || key == "aws:resourceorgid"
        || key == "aws:resourceorgpaths"
        || key.ends_with(":createaction")
}

fn narrows_principal(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.starts_with("aws:principal")
        || key.starts_with("aws:source")
        || key == "aws:userid"
        || key == "aws:username"
        || key == "aws:vpcsourceip"
        || key.ends_with(":sub")
}

/// The account id if `principal` means a whole account: `arn:<p>:iam::<id>:root` or the bare
/// 12-digit id IAM accepts as shorthand for it.
fn account_root(principal: &str) -> Option<&str> {
    let is_id = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if is_id(principal) {
        return Some(principal);
    }
    let rest = principal.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, service, _region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (service == "iam" && resource == "root" && is_id(account)).then_some(account)
}

const BASE_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

const SET_PREFIXES: [&str; 2] = ["ForAllValues:", "ForAnyValue:"];

/// Whether `op` is an IAM condition operator: a base operator, optionally suffixed with
/// `IfExists` (all but `Null`) and optionally prefixed with `ForAllValues:`/`ForAnyValue:`.
/// On failure, the closest valid operator when one is close.
fn check_operator(op: &str) -> Result<(), Option<String>> {
    let unprefixed = SET_PREFIXES
        .iter()
        .find_map(|p| op.strip_prefix(p))
        .unwrap_or(op);
    let (base, if_exists) = match unprefixed.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (unprefixed, false),
    };
    if BASE_OPERATORS.contains(&base) && !(if_exists && base == "Null") {
        return Ok(());
    }
    let candidates = BASE_OPERATORS.iter().flat_map(|b| {
        let with_exists = (*b != "Null").then(|| format!("{b}IfExists"));
        std::iter::once((*b).to_owned())
            .chain(with_exists)
            .flat_map(|o| {
                let prefixed = SET_PREFIXES.map(|p| format!("{p}{o}"));
                std::iter::once(o).chain(prefixed)
            })
    });
    let folded = op.to_ascii_lowercase();
    let best = candidates
        .map(|c| (strsim::levenshtein(&folded, &c.to_ascii_lowercase()), c))
        .min_by_key(|(d, _)| *d);
    Err(best.filter(|(d, _)| *d <= 3).map(|(_, c)| c))
}

fn join_code(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> PolicyDocument {
        PolicyDocument::parse(json).unwrap()
    }

    fn codes(findings: &[Finding]) -> Vec<(&'static str, Severity, Option<usize>)> {
        findings
            .iter()
            .map(|f| (f.code, f.severity, f.statement))
            .collect()
    }

    fn report(findings: &[Finding]) -> String {
        findings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn guide_a_policy_has_the_duplicate_action() {
        let doc = parse(include_str!("fixtures/guide_a_csi_policy.json"));
        let findings = lint(&doc, DocumentKind::Identity);
        let dup = findings
            .iter()
            .find(|f| f.code == "duplicate-action")
            .unwrap();
        assert_eq!(dup.statement, Some(0));
        assert!(
            dup.message
                .contains("elasticfilesystem:DescribeMountTargets")
        );
        insta::assert_snapshot!("guide_a_csi_policy", report(&findings));
    }

    #[test]
    fn guide_a_trust_pins_subjects_but_not_the_audience() {
        let doc = parse(include_str!("fixtures/guide_a_web_identity_trust.json"));
        let findings = lint(&doc, DocumentKind::Trust);
        assert_eq!(
            codes(&findings),
            [("web-identity-without-aud", Severity::Info, Some(0))]
        );
    }

    #[test]
    fn guide_b_policy_is_unscoped() {
        let doc = parse(include_str!("fixtures/guide_b_cross_account_policy.json"));
        let findings = lint(&doc, DocumentKind::Identity);
        // Statement 0 holds only ec2:Describe*, which cannot be scoped: no finding for it.
        assert_eq!(
            codes(&findings),
            [("resource-wildcard", Severity::Warning, Some(1))]
        );
        insta::assert_snapshot!("guide_b_cross_account_policy", report(&findings));
    }

    #[test]
    fn guide_b_trust_trusts_the_root_with_an_empty_condition() {
        let doc = parse(include_str!("fixtures/guide_b_trust.json"));
        let findings = lint(&doc, DocumentKind::Trust);
        assert_eq!(
            codes(&findings),
            [
                ("trust-account-root", Severity::Warning, Some(0)),
                ("empty-condition", Severity::Info, Some(0)),
            ]
        );
        insta::assert_snapshot!("guide_b_trust", report(&findings));
    }

    #[test]
    fn severity_orders_by_badness_and_displays_lowercase() {
        assert!(Severity::Error > Severity::Warning);
        assert!(Severity::Warning > Severity::Info);
        let mut v = vec![Severity::Warning, Severity::Error, Severity::Info];
        v.sort();
        assert_eq!(v, [Severity::Info, Severity::Warning, Severity::Error]);
        assert_eq!(Severity::Warning.to_string(), "warning");
    }

    #[test]
    fn knows_the_condition_operators() {
        for ok in [
            "StringEquals",
            "StringLikeIfExists",
            "ForAllValues:StringEquals",
            "ForAnyValue:StringNotLikeIfExists",
            "Null",
            "Bool",
            "ArnNotLike",
            "DateGreaterThanEqualsIfExists",
        ] {
            assert_eq!(check_operator(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            check_operator("StringEqual"),
            Err(Some("StringEquals".to_owned()))
        );
        assert_eq!(
            check_operator("stringequals"),
            Err(Some("StringEquals".to_owned()))
        );
        assert_eq!(
            check_operator("ForAllValue:StringEquals"),
            Err(Some("ForAllValues:StringEquals".to_owned()))
        );
        // `Null` is the one operator without an `IfExists` form.
        assert!(check_operator("NullIfExists").is_err());
        assert_eq!(check_operator("Whatever"), Err(None));
    }

    #[test]
    fn reports_each_rule() {
        let doc = parse(
            r#"{"Version":"2008-10-17","Statement":[
              {"Sid":"a-b","Effect":"Allow","Action":"*","Resource":"*"},
              {"Sid":"a-b","Effect":"Allow","Action":["s3:*"],"Resource":[]},
              {"Effect":"Allow","NotAction":"iam:*","Resource":"*","Condition":{"StringEqual":{"k":"v"},"Bool":{}}},
              {"Effect":"Allow","Action":"s3:GetObject","Principal":"*"},
              {"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"k":[]}}},
              {"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"x"}}},
              {"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::b"}
            ]}"#,
        );
        let findings = lint(&doc, DocumentKind::Identity);
        insta::assert_snapshot!("every_rule_identity", report(&findings));
        let all: Vec<_> = findings.iter().map(|f| f.code).collect();
        for code in [
            "old-version",
            "duplicate-sid",
            "invalid-sid",
            "wildcard-action",
            "service-wildcard-action",
            "empty-list",
            "allow-not-action",
            "unknown-condition-operator",
            "empty-condition",
            "principal-in-identity",
            "missing-resource",
            "empty-condition-values",
            "resource-wildcard",
        ] {
            assert!(all.contains(&code), "{code} missing from {all:?}");
        }
        // The tag-scoped statement and the Deny are clean.
        assert!(!findings.iter().any(|f| matches!(f.statement, Some(5 | 6))));

        let trust = parse(
            r#"{"Statement":[
              {"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111111111111:oidc-provider/x"},
               "Action":"sts:AssumeRoleWithWebIdentity"},
              {"Effect":"Allow","Principal":{"AWS":["111111111111","*"]},"Action":"sts:AssumeRole","Resource":"*"},
              {"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:role/r"},"Action":"sts:AssumeRole"},
              {"Effect":"Allow","Action":"sts:AssumeRole"}
            ]}"#,
        );
        let findings = lint(&trust, DocumentKind::Trust);
        insta::assert_snapshot!("every_rule_trust", report(&findings));
        let all: Vec<_> = findings.iter().map(|f| f.code).collect();
        for code in [
            "missing-version",
            "web-identity-without-sub",
            "web-identity-without-aud",
            "trust-account-root",
            "wildcard-principal",
            "resource-in-trust",
            "allow-not-principal",
            "missing-principal",
        ] {
            assert!(all.contains(&code), "{code} missing from {all:?}");
        }
        assert!(
            lint(
                &parse(r#"{"Version":"2012-10-17","Statement":[]}"#),
                DocumentKind::Resource
            )
            .iter()
            .any(|f| f.code == "no-statements")
        );
    }

    #[test]
    fn a_narrowing_condition_makes_a_star_principal_acceptable() {
        let doc = parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},
               "Action":"elasticfilesystem:ClientMount","Resource":"arn:aws:elasticfilesystem:us-east-2:222222222222:file-system/fs-0123456789abcdef0",
               "Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#,
        );
        assert_eq!(lint(&doc, DocumentKind::Resource), []);
    }

    #[test]
    fn resource_policies_may_use_console_style_sids() {
        let doc = parse(
            r#"{"Version":"2012-10-17","Id":"efs-policy-wizard-1","Statement":[{"Sid":"efs-statement-1",
               "Effect":"Deny","Principal":{"AWS":"*"},"Action":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
        );
        assert_eq!(lint(&doc, DocumentKind::Resource), []);
    }
}
