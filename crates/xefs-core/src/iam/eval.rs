//! A small IAM policy evaluator for the subset of IAM the cross-account procedure uses, so that
//! `xefs doctor` can say *which* statement of *which* document allows or refuses a request
//! instead of leaving users to read policies by hand.
//!
//! Supported: `Allow`/`Deny` with explicit-deny precedence; `Action`/`NotAction` (wildcards
//! `*` and `?`, case-insensitive); `Resource`/`NotResource` (wildcards, case-sensitive);
//! `Principal`/`NotPrincipal` (`AWS` as ARN, account id, `arn:…:root` or `*`; `Federated`;
//! `Service`); the condition operators `String(Not)Equals(IgnoreCase)`, `String(Not)Like`,
//! `Bool`, `Arn(Not)Equals`, `Arn(Not)Like` and `Null`, with `…IfExists` and the
//! `ForAnyValue:`/`ForAllValues:` set prefixes. Anything else (numeric and date operators,
//! policy variables, session policies, SCPs, permission boundaries) is out of scope; an
//! unknown operator makes its statement not match and is reported in
//! [`Decision::unevaluated`] rather than silently matching.
//!
//! ```
//! use xefs_core::iam::PolicyDocument;
//! use xefs_core::iam::eval::{evaluate, DecisionKind, Request};
//!
//! let doc = PolicyDocument::parse(r#"{"Version": "2012-10-17", "Statement": [
//!     {"Sid": "Read", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}
//! ]}"#)?;
//! let request = Request::new("S3:GetObject", "arn:aws:s3:::b/key");
//! let decision = evaluate(&[("bucket reader", &doc)], &request);
//! assert_eq!(decision.kind, DecisionKind::Allowed);
//! assert_eq!(decision.statement.unwrap().to_string(), "bucket reader statement 0 (Sid `Read`)");
//! # Ok::<(), xefs_core::iam::PolicyParseError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use super::document::{
    ActionClause, Condition, ConditionValues, Effect, PolicyDocument, Principal, PrincipalClause,
    PrincipalKind, ResourceClause, Statement,
};
use crate::ids::Arn;

/// Who makes a request. Trust and resource policies match on it; identity policies ignore it
/// (they are attached to the caller already).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalRef {
    /// An IAM role, user or session (`AWS` principal type).
    Aws(Arn),
    /// A web-identity or SAML provider, by its provider ARN (`Federated` principal type).
    Federated(Arn),
    /// An AWS service principal such as `ec2.amazonaws.com` (`Service` principal type).
    Service(String),
}

/// One API request to authorize: what is done, to what, by whom, with which context keys.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// The caller; `None` for an anonymous request (only a `"*"` principal matches it).
    pub principal: Option<PrincipalRef>,
    /// The action, e.g. `elasticfilesystem:ClientMount`.
    pub action: String,
    /// The resource ARN the action is on.
    pub resource: String,
    /// Condition context keys (e.g. `aws:SecureTransport`, `<issuer>:sub`) and their values.
    /// Looked up case-insensitively, as IAM does.
    pub context: BTreeMap<String, Vec<String>>,
}

impl Request {
    /// A request without principal or context; chain [`Request::by`] and [`Request::with`].
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Request {
            principal: None,
            action: action.into(),
            resource: resource.into(),
            context: BTreeMap::new(),
        }
    }

    /// Sets the caller.
    pub fn by(mut self, principal: PrincipalRef) -> Self {
        self.principal = Some(principal);
        self
    }

    /// Adds a context key with one value (repeat it for a multi-valued key).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.context
            .entry(key.into())
            .or_default()
            .push(value.into());
        self
    }

    /// The values of a context key, compared case-insensitively on the key.
    fn context_values(&self, key: &str) -> Option<&[String]> {
        self.context
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_slice())
    }
}

/// Names one statement of one labelled document, so a finding can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    /// The label the caller gave the document (e.g. `B's role trust`).
    pub document: String,
    /// The 0-based index of the statement in the document.
    pub index: usize,
    /// The statement's `Sid`, when it has one.
    pub sid: Option<String>,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} statement {}", self.document, self.index)?;
        if let Some(sid) = &self.sid {
            write!(f, " (Sid `{sid}`)")?;
        }
        Ok(())
    }
}

/// How a request was decided, in IAM's order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecisionKind {
    /// A `Deny` statement matched; nothing can override it.
    ExplicitDeny,
    /// An `Allow` statement matched and no `Deny` did.
    Allowed,
    /// No statement matched: IAM's default.
    ImplicitDeny,
}

/// The outcome of [`evaluate`], with enough detail for doctor to name the statement to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request is allowed (`kind == Allowed`).
    pub allowed: bool,
    /// Why.
    pub kind: DecisionKind,
    /// The deciding statement: the first matching `Deny`, else the first matching `Allow`;
    /// `None` for an implicit deny.
    pub statement: Option<StatementRef>,
    /// Statements that matched action, resource and principal but whose condition failed,
    /// with the first failing condition: the usual answer to "why is this implicitly denied".
    pub near_misses: Vec<(StatementRef, String)>,
    /// Statements that could not be evaluated (an unsupported operator): they were treated
    /// as not matching, so an implicit deny may be wrong and an explicit deny may be missed.
    pub unevaluated: Vec<String>,
}

impl Decision {
    fn implicit_deny() -> Self {
        Decision {
            allowed: false,
            kind: DecisionKind::ImplicitDeny,
            statement: None,
            near_misses: Vec::new(),
            unevaluated: Vec::new(),
        }
    }
}

/// Evaluates `request` against labelled documents that all apply to it (e.g. every identity
/// policy of a role, or one trust policy): explicit deny wins, then allow, else implicit deny.
pub fn evaluate(documents: &[(&str, &PolicyDocument)], request: &Request) -> Decision {
    let mut decision = Decision::implicit_deny();
    let mut first_allow = None;
    let mut first_deny = None;
    for (label, doc) in documents {
        for (index, st) in doc.statements.iter().enumerate() {
            let at = || StatementRef {
                document: (*label).to_owned(),
                index,
                sid: st.sid.clone(),
            };
            match statement_matches(st, request) {
                Match::Yes => {
                    let slot = match st.effect {
                        Effect::Allow => &mut first_allow,
                        Effect::Deny => &mut first_deny,
                    };
                    if slot.is_none() {
                        *slot = Some(at());
                    }
                }
                Match::No => {}
                Match::ConditionFailed(why) => {
                    if st.effect == Effect::Allow {
                        decision.near_misses.push((at(), why));
                    }
                }
                Match::Unevaluated(why) => decision.unevaluated.push(format!("{}: {why}", at())),
            }
        }
    }
    if let Some(deny) = first_deny {
        decision.kind = DecisionKind::ExplicitDeny;
        decision.statement = Some(deny);
    } else if let Some(allow) = first_allow {
        decision.kind = DecisionKind::Allowed;
        decision.allowed = true;
        decision.statement = Some(allow);
    }
    decision
}

/// Both sides of a cross-account request: the caller's identity policies (in its account) and
/// the resource or trust policy (in the other account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossAccountDecision {
    /// The decision of the caller's identity policies.
    pub identity: Decision,
    /// The decision of the resource (or role trust) policy.
    pub resource: Decision,
}

impl CrossAccountDecision {
    /// Cross-account, both sides must allow and neither may deny.
    pub fn allowed(&self) -> bool {
        self.identity.allowed && self.resource.allowed
    }

    /// The side that decided: an explicit deny on either side first, then a side that does not
    /// allow, else the resource side (whose allow is the cross-account grant).
    pub fn deciding(&self) -> &Decision {
        if self.identity.kind == DecisionKind::ExplicitDeny {
            &self.identity
        } else if self.resource.kind == DecisionKind::ExplicitDeny || !self.resource.allowed {
            &self.resource
        } else if !self.identity.allowed {
            &self.identity
        } else {
            &self.resource
        }
    }
}

/// Evaluates a cross-account request: A's identity policies AND B's resource (or trust) policy.
/// Unlike within one account, a resource policy naming the principal is not enough on its own.
pub fn evaluate_cross_account(
    identity_policies: &[(&str, &PolicyDocument)],
    resource_policy: (&str, &PolicyDocument),
    request: &Request,
) -> CrossAccountDecision {
    CrossAccountDecision {
        identity: evaluate(identity_policies, request),
        resource: evaluate(&[resource_policy], request),
    }
}

/// Matches `value` against an IAM pattern where `*` is any run of characters and `?` exactly
/// one. `ignore_case` is for actions; resources and condition values are case-sensitive.
pub fn wildcard_match(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    let eq = |a: char, b: char| {
        if ignore_case {
            a.to_lowercase().eq(b.to_lowercase())
        } else {
            a == b
        }
    };
    // Iterative glob with single-star backtracking: linear in practice, never exponential.
    let (mut pi, mut vi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, vi));
                pi += 1;
            }
            Some(&c) if c == '?' || v.get(vi).is_some_and(|&x| eq(c, x)) => {
                pi += 1;
                vi += 1;
            }
            _ => match star {
                Some((sp, sv)) => {
                    pi = sp + 1;
                    vi = sv + 1;
                    star = Some((sp, sv + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|&c| c == '*')
}

enum Match {
    Yes,
    No,
    ConditionFailed(String),
    Unevaluated(String),
}

fn statement_matches(st: &Statement, request: &Request) -> Match {
    let action = match &st.action {
        ActionClause::Action(v) => v.iter().any(|p| wildcard_match(p, &request.action, true)),
        ActionClause::NotAction(v) => !v.iter().any(|p| wildcard_match(p, &request.action, true)),
    };
    let resource = match &st.resource {
        None => true,
        Some(ResourceClause::Resource(v)) => v
            .iter()
            .any(|p| wildcard_match(p, &request.resource, false)),
        Some(ResourceClause::NotResource(v)) => !v
            .iter()
            .any(|p| wildcard_match(p, &request.resource, false)),
    };
    let principal = match &st.principal {
        None => true,
        Some(PrincipalClause::Principal(p)) => principal_matches(p, request.principal.as_ref()),
        Some(PrincipalClause::NotPrincipal(p)) => !principal_matches(p, request.principal.as_ref()),
    };
    if !(action && resource && principal) {
        return Match::No;
    }
    match &st.condition {
        None => Match::Yes,
        Some(c) => match conditions_hold(c, request) {
            Ok(None) => Match::Yes,
            Ok(Some(why)) => Match::ConditionFailed(why),
            Err(why) => Match::Unevaluated(why),
        },
    }
}

fn principal_matches(p: &Principal, who: Option<&PrincipalRef>) -> bool {
    let Principal::Typed(map) = p else {
        return true;
    };
    let Some(who) = who else {
        return map
            .get(&PrincipalKind::Aws)
            .is_some_and(|v| v.iter().any(|s| s == "*"));
    };
    match who {
        PrincipalRef::Aws(arn) => map
            .get(&PrincipalKind::Aws)
            .is_some_and(|v| v.iter().any(|s| aws_principal_matches(s, arn))),
        PrincipalRef::Federated(arn) => map
            .get(&PrincipalKind::Federated)
            .is_some_and(|v| v.contains(arn.as_str())),
        PrincipalRef::Service(name) => map
            .get(&PrincipalKind::Service)
            .is_some_and(|v| v.contains(name)),
    }
}

/// An `AWS` principal value: `*`, a 12-digit account id or `arn:…:root` (any principal of that
/// account), or an exact ARN.
pub(crate) fn aws_principal_matches(value: &str, arn: &Arn) -> bool {
    if value == "*" || value == arn.as_str() {
        return true;
    }
    let Some(account) = arn.account() else {
        return false;
    };
    if value == account.as_str() {
        return true;
    }
    Arn::parse(value).is_ok_and(|v| {
        v.service() == "iam"
            && v.resource() == "root"
            && v.partition() == arn.partition()
            && v.account().as_ref() == Some(&account)
    })
}

/// The parsed shape of a condition operator such as `ForAnyValue:StringLikeIfExists`.
struct Operator<'a> {
    base: &'a str,
    if_exists: bool,
    set: Option<SetQualifier>,
}

#[derive(Clone, Copy)]
enum SetQualifier {
    AnyValue,
    AllValues,
}

fn parse_operator(op: &str) -> Operator<'_> {
    let (set, rest) = if let Some(rest) = op.strip_prefix("ForAnyValue:") {
        (Some(SetQualifier::AnyValue), rest)
    } else if let Some(rest) = op.strip_prefix("ForAllValues:") {
        (Some(SetQualifier::AllValues), rest)
    } else {
        (None, op)
    };
    // `Null` is the one operator without an `IfExists` form.
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) if !base.is_empty() && base != "Null" => (base, true),
        _ => (rest, false),
    };
    Operator {
        base,
        if_exists,
        set,
    }
}

/// Compares a policy value with a context value.
type Compare = fn(&str, &str) -> bool;

/// A value comparison and whether the operator negates it.
fn comparison(base: &str) -> Option<(Compare, bool)> {
    fn eq(p: &str, v: &str) -> bool {
        p == v
    }
    fn eq_ic(p: &str, v: &str) -> bool {
        p.eq_ignore_ascii_case(v)
    }
    fn like(p: &str, v: &str) -> bool {
        wildcard_match(p, v, false)
    }
    Some(match base {
        "StringEquals" => (eq, false),
        "StringNotEquals" => (eq, true),
        "StringEqualsIgnoreCase" => (eq_ic, false),
        "StringNotEqualsIgnoreCase" => (eq_ic, true),
        "StringLike" => (like, false),
        "StringNotLike" => (like, true),
        "Bool" => (eq_ic, false),
        // IAM documents ArnEquals and ArnLike as behaving the same: both take wildcards.
        "ArnEquals" | "ArnLike" => (like, false),
        "ArnNotEquals" | "ArnNotLike" => (like, true),
        _ => return None,
    })
}

/// `Ok(None)` when every condition holds, `Ok(Some(why))` naming the first that does not,
/// `Err(why)` when an operator is not supported.
fn conditions_hold(condition: &Condition, request: &Request) -> Result<Option<String>, String> {
    let mut failed = None;
    for (op, keys) in condition.operators() {
        let parsed = parse_operator(op);
        for (key, values) in keys {
            let holds = if parsed.base == "Null" && parsed.set.is_none() {
                null_holds(values, request.context_values(key))
            } else {
                let Some((cmp, negated)) = comparison(parsed.base) else {
                    return Err(format!("condition operator `{op}` is not supported"));
                };
                key_holds(&parsed, cmp, negated, values, request.context_values(key))
            };
            if !holds && failed.is_none() {
                let wanted: Vec<_> = values.as_slice().iter().map(|v| v.as_text()).collect();
                let got = match request.context_values(key) {
                    Some(v) => format!("the request has {v:?}"),
                    None => "the request does not carry the key".to_owned(),
                };
                failed = Some(format!("`{op}` `{key}` {wanted:?} does not hold: {got}"));
            }
        }
    }
    Ok(failed)
}

fn null_holds(values: &ConditionValues, present: Option<&[String]>) -> bool {
    let absent = present.is_none_or(<[String]>::is_empty);
    values
        .as_slice()
        .iter()
        .any(|v| v.as_text().eq_ignore_ascii_case(&absent.to_string()))
}

fn key_holds(
    op: &Operator<'_>,
    cmp: Compare,
    negated: bool,
    values: &ConditionValues,
    present: Option<&[String]>,
) -> bool {
    let matches_any = |v: &str| values.as_slice().iter().any(|p| cmp(&p.as_text(), v));
    let context = present.unwrap_or_default();
    match op.set {
        // ForAnyValue with no value is false; IfExists lets a missing key through.
        Some(SetQualifier::AnyValue) => {
            (context.is_empty() && op.if_exists)
                || context.iter().any(|v| matches_any(v) != negated)
        }
        // ForAllValues with no value is vacuously true.
        Some(SetQualifier::AllValues) => context.iter().all(|v| matches_any(v) != negated),
        None if context.is_empty() => op.if_exists || negated,
        None => context.iter().any(|v| matches_any(v)) != negated,
    }
}

#[cfg(test)]
mod tests;
