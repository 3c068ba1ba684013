//! The IAM policy document model.
//!
//! Parsing is lenient where IAM is lenient (a single statement or an array, a string or an
//! array of strings, condition values as strings, booleans or numbers) and strict where IAM is
//! strict (unknown elements, `Action` together with `NotAction`, an unknown `Version`).
//!
//! Rendering is canonical so that a document written twice is byte-for-byte the same and a
//! plan diff shows only real changes:
//!
//! * keys in a fixed order: `Version`, `Id`, `Statement`; inside a statement `Sid`, `Effect`,
//!   `Principal`, `NotPrincipal`, `Action`, `NotAction`, `Resource`, `NotResource`, `Condition`;
//! * `Statement` is always an array, because it is the document's list of rules;
//! * every *value* list (actions, resources, the principals of one type, the values of one
//!   condition key) with exactly one element is a plain string, as the IAM console shows it,
//!   and an array otherwise (including the empty list);
//! * principal types and condition operators and keys are sorted; lists keep their order
//!   (use [`PolicyDocument::normalized`] to compare documents regardless of order).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

/// An IAM policy document: an identity policy, a role trust policy or a resource policy such
/// as an EFS file-system policy. The same model serves all three; [`super::lint`] knows the
/// differences.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "MapOnly<RawDocument>")]
pub struct PolicyDocument {
    /// The policy language version; `None` means IAM's fallback, 2008-10-17.
    pub version: Option<PolicyVersion>,
    /// The optional policy identifier (`Id`), used by some resource policies.
    pub id: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
}

/// The policy language version. IAM knows exactly these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum PolicyVersion {
    /// `2012-10-17`, the current language (policy variables work).
    #[serde(rename = "2012-10-17")]
    V2012_10_17,
    /// `2008-10-17`, the legacy language (no policy variables).
    #[serde(rename = "2008-10-17")]
    V2008_10_17,
}

impl PolicyVersion {
    /// The version as it appears in the document.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyVersion::V2012_10_17 => "2012-10-17",
            PolicyVersion::V2008_10_17 => "2008-10-17",
        }
    }
}

/// Whether a statement grants or refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum Effect {
    /// Grants the actions.
    Allow,
    /// Refuses the actions, overriding any allow.
    Deny,
}

impl Effect {
    /// The effect as it appears in the document.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// One rule of a policy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "MapOnly<RawStatement>")]
pub struct Statement {
    /// The statement id (`Sid`); identity and trust policies allow only ASCII letters and digits.
    pub sid: Option<String>,
    /// Allow or Deny.
    pub effect: Effect,
    /// Who the statement is about; only trust and resource policies have one.
    pub principal: Option<PrincipalClause>,
    /// Which actions the statement covers. IAM requires exactly one of `Action`/`NotAction`.
    pub action: ActionClause,
    /// Which resources the statement covers; required in identity policies.
    pub resource: Option<ResourceClause>,
    /// When the statement applies; `Some` of an empty condition is kept so that a document
    /// round-trips exactly (the guide writes `"Condition": {}`).
    pub condition: Option<Condition>,
}

/// `Principal` or `NotPrincipal`: a statement has at most one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalClause {
    /// `Principal`: the statement applies to these principals.
    Principal(Principal),
    /// `NotPrincipal`: the statement applies to everyone except these principals.
    NotPrincipal(Principal),
}

impl PrincipalClause {
    /// The principals, whichever way they are used.
    pub fn principal(&self) -> &Principal {
        match self {
            PrincipalClause::Principal(p) | PrincipalClause::NotPrincipal(p) => p,
        }
    }
}

/// `Action` or `NotAction`: a statement has exactly one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionClause {
    /// `Action`: the statement covers these actions.
    Action(Values),
    /// `NotAction`: the statement covers every action except these.
    NotAction(Values),
}

impl ActionClause {
    /// The listed actions, whichever way they are used.
    pub fn values(&self) -> &Values {
        match self {
            ActionClause::Action(v) | ActionClause::NotAction(v) => v,
        }
    }
}

/// `Resource` or `NotResource`: a statement has at most one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceClause {
    /// `Resource`: the statement covers these resources.
    Resource(Values),
    /// `NotResource`: the statement covers every resource except these.
    NotResource(Values),
}

impl ResourceClause {
    /// The listed resources, whichever way they are used.
    pub fn values(&self) -> &Values {
        match self {
            ResourceClause::Resource(v) | ResourceClause::NotResource(v) => v,
        }
    }
}

/// A principal: everyone (`"*"`) or principals grouped by type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `"*"`: every principal, authenticated or not.
    Any,
    /// `{"AWS": …, "Federated": …}`: principals by type, rendered in type order.
    Typed(BTreeMap<PrincipalKind, Values>),
}

impl Principal {
    /// Principals of one type, e.g. `Principal::of(PrincipalKind::Aws, ["arn:…"])`.
    pub fn of<I, S>(kind: PrincipalKind, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Principal::Typed(BTreeMap::from([(kind, Values::new(values))]))
    }

    /// The values of one principal type, if present.
    pub fn get(&self, kind: PrincipalKind) -> Option<&Values> {
        match self {
            Principal::Any => None,
            Principal::Typed(map) => map.get(&kind),
        }
    }
}

/// The principal types IAM accepts as keys of a `Principal` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalKind {
    /// `AWS`: accounts, roles, users, sessions.
    Aws,
    /// `CanonicalUser`: an S3 canonical user id.
    CanonicalUser,
    /// `Federated`: an OIDC or SAML provider, or a web identity provider.
    Federated,
    /// `Service`: an AWS service principal such as `ec2.amazonaws.com`.
    Service,
}

impl PrincipalKind {
    /// Every kind, in rendering order.
    pub const ALL: [PrincipalKind; 4] = [
        PrincipalKind::Aws,
        PrincipalKind::CanonicalUser,
        PrincipalKind::Federated,
        PrincipalKind::Service,
    ];

    /// The key as it appears in the document.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Aws => "AWS",
            PrincipalKind::CanonicalUser => "CanonicalUser",
            PrincipalKind::Federated => "Federated",
            PrincipalKind::Service => "Service",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A "one or many" list of strings (actions, resources, principals). Duplicates and order are
/// kept as written, so the linter can see them and a document round-trips exactly.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Values(Vec<String>);

impl Values {
    /// A list of the given strings, in order.
    pub fn new<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Values(values.into_iter().map(Into::into).collect())
    }

    /// The strings, in document order.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Iterates the strings as `&str`.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// How many strings there are, duplicates included.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the list is empty (IAM rejects empty lists; the linter reports them).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the list holds exactly `value`.
    pub fn contains(&self, value: &str) -> bool {
        self.0.iter().any(|v| v == value)
    }

    fn sorted_dedup(&self) -> Self {
        let mut v = self.0.clone();
        v.sort();
        v.dedup();
        Values(v)
    }

    fn to_value(&self) -> Value {
        match self.0.as_slice() {
            [one] => Value::String(one.clone()),
            many => Value::Array(many.iter().cloned().map(Value::String).collect()),
        }
    }
}

impl From<Vec<String>> for Values {
    fn from(v: Vec<String>) -> Self {
        Values(v)
    }
}

impl<'a> IntoIterator for &'a Values {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// A `Condition` block: operator → condition key → values, rendered sorted by operator and key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Condition(BTreeMap<String, BTreeMap<String, ConditionValues>>);

impl Condition {
    /// An empty condition block.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) `operator: { key: values }`.
    pub fn insert(
        &mut self,
        operator: impl Into<String>,
        key: impl Into<String>,
        values: ConditionValues,
    ) {
        self.0
            .entry(operator.into())
            .or_default()
            .insert(key.into(), values);
    }

    /// The values of `operator`/`key`, if present (exact, case-sensitive match).
    pub fn get(&self, operator: &str, key: &str) -> Option<&ConditionValues> {
        self.0.get(operator).and_then(|keys| keys.get(key))
    }

    /// The operators with their keys, sorted.
    pub fn operators(&self) -> impl Iterator<Item = (&str, &BTreeMap<String, ConditionValues>)> {
        self.0.iter().map(|(op, keys)| (op.as_str(), keys))
    }

    /// Every `(operator, key, values)` triple, sorted.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str, &ConditionValues)> {
        self.0.iter().flat_map(|(op, keys)| {
            keys.iter()
                .map(move |(key, values)| (op.as_str(), key.as_str(), values))
        })
    }

    /// Whether the block has no operator at all (`"Condition": {}`).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn normalized(&self) -> Option<Self> {
        let map: BTreeMap<_, _> = self
            .0
            .iter()
            .filter(|(_, keys)| !keys.is_empty())
            .map(|(op, keys)| {
                let keys = keys
                    .iter()
                    .map(|(k, v)| (k.clone(), v.normalized()))
                    .collect();
                (op.clone(), keys)
            })
            .collect();
        (!map.is_empty()).then_some(Condition(map))
    }

    fn to_value(&self) -> Value {
        let mut ops = Map::new();
        for (op, keys) in &self.0 {
            let mut inner = Map::new();
            for (key, values) in keys {
                inner.insert(key.clone(), values.to_value());
            }
            ops.insert(op.clone(), Value::Object(inner));
        }
        Value::Object(ops)
    }
}

/// The values of one condition key: "one or many", each a string, boolean or number as the
/// input JSON had it (IAM compares them as strings; [`PolicyDocument::normalized`] does too).
///
/// Numbers go through `f64` when they are not integers, so a float written with 17
/// significant digits may come back one unit in the last place off; integers and the short
/// decimals policies use are exact.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConditionValues(Vec<ConditionValue>);

impl ConditionValues {
    /// A list of string values, in order.
    pub fn strings<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ConditionValues(
            values
                .into_iter()
                .map(|v| ConditionValue::String(v.into()))
                .collect(),
        )
    }

    /// The values, in document order.
    pub fn as_slice(&self) -> &[ConditionValue] {
        &self.0
    }

    /// Whether there is no value (IAM rejects that; the linter reports it).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn normalized(&self) -> Self {
        let mut v: Vec<String> = self.0.iter().map(|c| c.as_text().into_owned()).collect();
        v.sort();
        v.dedup();
        ConditionValues::strings(v)
    }

    fn to_value(&self) -> Value {
        match self.0.as_slice() {
            [one] => one.to_value(),
            many => Value::Array(many.iter().map(ConditionValue::to_value).collect()),
        }
    }
}

impl From<Vec<ConditionValue>> for ConditionValues {
    fn from(v: Vec<ConditionValue>) -> Self {
        ConditionValues(v)
    }
}

/// One condition value, keeping its JSON type so a document renders as it was written.
#[derive(Debug, Clone, PartialEq)]
pub enum ConditionValue {
    /// A string, e.g. `"true"` or an ARN pattern.
    String(String),
    /// A JSON boolean, e.g. `false` under `Bool`.
    Bool(bool),
    /// A JSON number, e.g. under `NumericLessThan`.
    Number(serde_json::Number),
}

impl ConditionValue {
    /// The value as IAM compares it: a string.
    pub fn as_text(&self) -> Cow<'_, str> {
        match self {
            ConditionValue::String(s) => Cow::Borrowed(s),
            ConditionValue::Bool(b) => Cow::Owned(b.to_string()),
            ConditionValue::Number(n) => Cow::Owned(n.to_string()),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            ConditionValue::String(s) => Value::String(s.clone()),
            ConditionValue::Bool(b) => Value::Bool(*b),
            ConditionValue::Number(n) => Value::Number(n.clone()),
        }
    }
}

/// A policy document that does not parse, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyParseError {
    /// The JSON is malformed or is not a valid IAM policy document.
    #[error("invalid IAM policy document at line {line}, column {column}: {reason}")]
    Invalid {
        /// 1-based line of the problem (0 when unknown).
        line: usize,
        /// 1-based column of the problem (0 when unknown).
        column: usize,
        /// What is wrong, phrased so the fix is obvious.
        reason: String,
    },
    /// The input of [`PolicyDocument::parse_url_encoded`] is not valid percent-encoding.
    #[error("invalid URL-encoded IAM policy document at byte {offset}: {reason}")]
    UrlEncoding {
        /// 0-based byte offset of the problem in the encoded input.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
}

impl PolicyParseError {
    fn from_json(err: &serde_json::Error) -> Self {
        let (line, column) = (err.line(), err.column());
        let full = err.to_string();
        let suffix = format!(" at line {line} column {column}");
        let reason = full.strip_suffix(&suffix).unwrap_or(&full);
        // serde echoes offending values; cut them so an error never repeats a whole document.
        let reason: String = reason.chars().take(300).collect();
        PolicyParseError::Invalid {
            line,
            column,
            reason,
        }
    }
}

impl PolicyDocument {
    /// A `2012-10-17` document with these statements: what every builder produces.
    pub fn new(statements: Vec<Statement>) -> Self {
        Self {
            version: Some(PolicyVersion::V2012_10_17),
            id: None,
            statements,
        }
    }

    /// Parses a policy document as IAM accepts it (see the module docs for what is lenient).
    pub fn parse(json: &str) -> Result<PolicyDocument, PolicyParseError> {
        serde_json::from_str(json).map_err(|e| PolicyParseError::from_json(&e))
    }

    /// Parses a document as IAM returns it from `GetRole`, `GetPolicyVersion` or
    /// `GetRolePolicy`: percent-encoded (RFC 3986). The Rust SDK hands the encoded string
    /// through unchanged, so providers call this rather than [`PolicyDocument::parse`].
    ///
    /// Input that already starts with `{` is taken as decoded: an encoded document never does,
    /// because IAM encodes the brace as `%7B`. `+` is kept as is (RFC 3986 has no `+`-for-space).
    pub fn parse_url_encoded(encoded: &str) -> Result<PolicyDocument, PolicyParseError> {
        if encoded.trim_start().starts_with('{') {
            return Self::parse(encoded);
        }
        Self::parse(&percent_decode(encoded)?)
    }

    /// The canonical, stable, pretty-printed JSON (2-space indent, no trailing newline).
    pub fn to_json_pretty(&self) -> String {
        format!("{:#}", self.to_value())
    }

    /// The canonical JSON without whitespace, e.g. for an API call (IAM's size limits do not
    /// count whitespace, but smaller requests are still smaller).
    pub fn to_json_compact(&self) -> String {
        self.to_value().to_string()
    }

    /// The document with every insignificant difference removed, for drift detection: value
    /// lists sorted and deduplicated (so `"a"` equals `["a"]` and `["b","a","a"]` equals
    /// `["a","b"]`), condition values as strings (IAM compares `true` and `"true"` alike),
    /// empty condition blocks dropped, statements sorted and deduplicated.
    pub fn normalized(&self) -> PolicyDocument {
        let mut statements: Vec<(String, Statement)> = self
            .statements
            .iter()
            .map(|s| {
                let s = s.normalized();
                (s.to_value().to_string(), s)
            })
            .collect();
        statements.sort_by(|a, b| a.0.cmp(&b.0));
        statements.dedup_by(|a, b| a.0 == b.0);
        PolicyDocument {
            version: self.version,
            id: self.id.clone(),
            statements: statements.into_iter().map(|(_, s)| s).collect(),
        }
    }

    /// Whether two documents grant the same thing up to the differences
    /// [`PolicyDocument::normalized`] removes: the drift check for a policy read back from AWS.
    pub fn equivalent(&self, other: &PolicyDocument) -> bool {
        self.normalized() == other.normalized()
    }

    fn to_value(&self) -> Value {
        let mut m = Map::new();
        if let Some(v) = self.version {
            m.insert("Version".into(), Value::String(v.as_str().into()));
        }
        if let Some(id) = &self.id {
            m.insert("Id".into(), Value::String(id.clone()));
        }
        m.insert(
            "Statement".into(),
            Value::Array(self.statements.iter().map(Statement::to_value).collect()),
        );
        Value::Object(m)
    }
}

impl fmt::Display for PolicyDocument {
    /// The canonical pretty JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.to_value())
    }
}

impl std::str::FromStr for PolicyDocument {
    type Err = PolicyParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Statement {
    fn new(effect: Effect, actions: Values) -> Self {
        Statement {
            sid: None,
            effect,
            principal: None,
            action: ActionClause::Action(actions),
            resource: None,
            condition: None,
        }
    }

    /// An `Allow` statement for these actions; chain `with_*` to fill it in.
    pub fn allow<I, S>(actions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new(Effect::Allow, Values::new(actions))
    }

    /// A `Deny` statement for these actions; chain `with_*` to fill it in.
    pub fn deny<I, S>(actions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new(Effect::Deny, Values::new(actions))
    }

    /// Sets the `Sid`.
    #[must_use]
    pub fn with_sid(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }

    /// Sets `Principal`.
    #[must_use]
    pub fn with_principal(mut self, principal: Principal) -> Self {
        self.principal = Some(PrincipalClause::Principal(principal));
        self
    }

    /// Sets `Resource`.
    #[must_use]
    pub fn with_resources<I, S>(mut self, resources: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.resource = Some(ResourceClause::Resource(Values::new(resources)));
        self
    }

    /// Adds `operator: { key: values }` to the `Condition` block.
    #[must_use]
    pub fn with_condition<I, S>(mut self, operator: &str, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.condition.get_or_insert_with(Condition::new).insert(
            operator,
            key,
            ConditionValues::strings(values),
        );
        self
    }

    fn normalized(&self) -> Statement {
        let principal = |p: &Principal| match p {
            Principal::Any => Principal::Any,
            Principal::Typed(map) => {
                Principal::Typed(map.iter().map(|(k, v)| (*k, v.sorted_dedup())).collect())
            }
        };
        Statement {
            sid: self.sid.clone(),
            effect: self.effect,
            principal: self.principal.as_ref().map(|c| match c {
                PrincipalClause::Principal(p) => PrincipalClause::Principal(principal(p)),
                PrincipalClause::NotPrincipal(p) => PrincipalClause::NotPrincipal(principal(p)),
            }),
            action: match &self.action {
                ActionClause::Action(v) => ActionClause::Action(v.sorted_dedup()),
                ActionClause::NotAction(v) => ActionClause::NotAction(v.sorted_dedup()),
            },
            resource: self.resource.as_ref().map(|r| match r {
                ResourceClause::Resource(v) => ResourceClause::Resource(v.sorted_dedup()),
                ResourceClause::NotResource(v) => ResourceClause::NotResource(v.sorted_dedup()),
            }),
            condition: self.condition.as_ref().and_then(Condition::normalized),
        }
    }

    fn to_value(&self) -> Value {
        let mut m = Map::new();
        if let Some(sid) = &self.sid {
            m.insert("Sid".into(), Value::String(sid.clone()));
        }
        m.insert("Effect".into(), Value::String(self.effect.as_str().into()));
        match &self.principal {
            Some(PrincipalClause::Principal(p)) => {
                m.insert("Principal".into(), p.to_value());
            }
            Some(PrincipalClause::NotPrincipal(p)) => {
                m.insert("NotPrincipal".into(), p.to_value());
            }
            None => {}
        }
        match &self.action {
            ActionClause::Action(v) => m.insert("Action".into(), v.to_value()),
            ActionClause::NotAction(v) => m.insert("NotAction".into(), v.to_value()),
        };
        match &self.resource {
            Some(ResourceClause::Resource(v)) => {
                m.insert("Resource".into(), v.to_value());
            }
            Some(ResourceClause::NotResource(v)) => {
                m.insert("NotResource".into(), v.to_value());
            }
            None => {}
        }
        if let Some(c) = &self.condition {
            m.insert("Condition".into(), c.to_value());
        }
        Value::Object(m)
    }
}

impl Principal {
    fn to_value(&self) -> Value {
        match self {
            Principal::Any => Value::String("*".into()),
            Principal::Typed(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

// ---- serialization: every type renders through its canonical `to_value` ----

macro_rules! serialize_via_value {
    ($($ty:ty),*) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.to_value().serialize(s)
            }
        }
    )*};
}
serialize_via_value!(
    PolicyDocument,
    Statement,
    Principal,
    Values,
    Condition,
    ConditionValues,
    ConditionValue
);

impl Serialize for PolicyVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Serialize for Effect {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

// ---- deserialization ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    #[serde(rename = "Version", default)]
    version: Option<PolicyVersion>,
    #[serde(rename = "Id", default)]
    id: Option<String>,
    #[serde(rename = "Statement")]
    statement: StatementList,
}

impl From<MapOnly<RawDocument>> for PolicyDocument {
    fn from(MapOnly(raw): MapOnly<RawDocument>) -> Self {
        PolicyDocument {
            version: raw.version,
            id: raw.id,
            statements: raw.statement.0,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatement {
    #[serde(rename = "Sid", default)]
    sid: Option<String>,
    #[serde(rename = "Effect")]
    effect: Effect,
    #[serde(rename = "Principal", default)]
    principal: Option<Principal>,
    #[serde(rename = "NotPrincipal", default)]
    not_principal: Option<Principal>,
    #[serde(rename = "Action", default)]
    action: Option<Values>,
    #[serde(rename = "NotAction", default)]
    not_action: Option<Values>,
    #[serde(rename = "Resource", default)]
    resource: Option<Values>,
    #[serde(rename = "NotResource", default)]
    not_resource: Option<Values>,
    #[serde(rename = "Condition", default)]
    condition: Option<Condition>,
}

impl TryFrom<MapOnly<RawStatement>> for Statement {
    type Error = String;

    fn try_from(MapOnly(raw): MapOnly<RawStatement>) -> Result<Self, Self::Error> {
        let principal = match (raw.principal, raw.not_principal) {
            (Some(_), Some(_)) => {
                return Err(
                    "a statement may have `Principal` or `NotPrincipal`, not both".to_owned(),
                );
            }
            (Some(p), None) => Some(PrincipalClause::Principal(p)),
            (None, Some(p)) => Some(PrincipalClause::NotPrincipal(p)),
            (None, None) => None,
        };
        let action = match (raw.action, raw.not_action) {
            (Some(_), Some(_)) => {
                return Err("a statement may have `Action` or `NotAction`, not both".to_owned());
            }
            (Some(a), None) => ActionClause::Action(a),
            (None, Some(a)) => ActionClause::NotAction(a),
            (None, None) => {
                return Err("a statement needs `Action` or `NotAction`".to_owned());
            }
        };
        let resource = match (raw.resource, raw.not_resource) {
            (Some(_), Some(_)) => {
                return Err("a statement may have `Resource` or `NotResource`, not both".to_owned());
            }
            (Some(r), None) => Some(ResourceClause::Resource(r)),
            (None, Some(r)) => Some(ResourceClause::NotResource(r)),
            (None, None) => None,
        };
        Ok(Statement {
            sid: raw.sid,
            effect: raw.effect,
            principal,
            action,
            resource,
            condition: raw.condition,
        })
    }
}

/// Deserializes `T` from a JSON object only. Derived struct impls also accept an array of the
/// fields in order, which IAM does not: `[]` must not parse as a document.
struct MapOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for MapOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = MapOnly<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(MapOnly)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// `Statement`: one statement object or an array of them.
struct StatementList(Vec<Statement>);

impl<'de> Deserialize<'de> for StatementList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StatementList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a statement object or an array of statement objects")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let one = Statement::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(StatementList(vec![one]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut all = Vec::new();
                while let Some(s) = seq.next_element::<Statement>()? {
                    all.push(s);
                }
                Ok(StatementList(all))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Values;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Values(vec![v.to_owned()]))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Values(vec![v]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut all = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    all.push(s);
                }
                Ok(Values(all))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Principal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "\"*\" or an object keyed by `AWS`, `CanonicalUser`, `Federated` or `Service`",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v == "*" {
                    Ok(Principal::Any)
                } else {
                    Err(E::custom(format!(
                        "a principal written as a string must be \"*\"; write {{\"AWS\": {v:?}}} \
                         (or `Federated`, `Service`) for a specific principal"
                    )))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let kind = PrincipalKind::parse(&key).ok_or_else(|| {
                        de::Error::custom(format!(
                            "unknown principal type `{key}`, expected `AWS`, `CanonicalUser`, \
                             `Federated` or `Service`"
                        ))
                    })?;
                    let values = map.next_value::<Values>()?;
                    if out.insert(kind, values).is_some() {
                        return Err(de::Error::custom(format!(
                            "principal type `{key}` appears twice"
                        )));
                    }
                }
                Ok(Principal::Typed(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> de::DeserializeSeed<'de> for Keys {
            type Value = BTreeMap<String, ConditionValues>;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_map(UniqueMap::<ConditionValues>::new("condition key"))
            }
        }
        struct Ops;
        impl<'de> Visitor<'de> for Ops {
            type Value = Condition;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of condition operators, each an object of condition keys")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(op) = map.next_key::<String>()? {
                    let keys = map.next_value_seed(Keys)?;
                    if out.contains_key(&op) {
                        return Err(de::Error::custom(format!(
                            "condition operator `{op}` appears twice"
                        )));
                    }
                    out.insert(op, keys);
                }
                Ok(Condition(out))
            }
        }
        d.deserialize_map(Ops)
    }
}

/// A map visitor that rejects duplicate keys instead of silently keeping the last one.
struct UniqueMap<V> {
    what: &'static str,
    _v: std::marker::PhantomData<V>,
}

impl<V> UniqueMap<V> {
    fn new(what: &'static str) -> Self {
        Self {
            what,
            _v: std::marker::PhantomData,
        }
    }
}

impl<'de, V: Deserialize<'de>> Visitor<'de> for UniqueMap<V> {
    type Value = BTreeMap<String, V>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object of {}s", self.what)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value::<V>()?;
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "{} `{key}` appears twice",
                    self.what
                )));
            }
            out.insert(key, value);
        }
        Ok(out)
    }
}

impl<'de> Deserialize<'de> for ConditionValues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ConditionValues;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, boolean or number, or an array of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ConditionValues(vec![ConditionValue::String(v.to_owned())]))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(ConditionValues(vec![ConditionValue::Bool(v)]))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(ConditionValues(vec![ConditionValue::Number(v.into())]))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(ConditionValues(vec![ConditionValue::Number(v.into())]))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                ConditionValueVisitor
                    .visit_f64(v)
                    .map(|c| ConditionValues(vec![c]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut all = Vec::new();
                while let Some(v) = seq.next_element::<ConditionValue>()? {
                    all.push(v);
                }
                Ok(ConditionValues(all))
            }
        }
        d.deserialize_any(V)
    }
}

struct ConditionValueVisitor;

impl<'de> Visitor<'de> for ConditionValueVisitor {
    type Value = ConditionValue;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, boolean or number")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(ConditionValue::String(v.to_owned()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(ConditionValue::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(ConditionValue::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(ConditionValue::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        serde_json::Number::from_f64(v)
            .map(ConditionValue::Number)
            .ok_or_else(|| E::custom("a condition number must be finite"))
    }
}

impl<'de> Deserialize<'de> for ConditionValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ConditionValueVisitor)
    }
}

// ---- URL decoding ----

fn percent_decode(s: &str) -> Result<String, PolicyParseError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = |j: usize| bytes.get(j).and_then(|c| (*c as char).to_digit(16));
            match (hex(i + 1), hex(i + 2)) {
                (Some(hi), Some(lo)) => {
                    // Two hex digits are at most 0xFF, so the cast cannot truncate.
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                }
                _ => {
                    return Err(PolicyParseError::UrlEncoding {
                        offset: i,
                        reason: "`%` must be followed by two hex digits".to_owned(),
                    });
                }
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|e| PolicyParseError::UrlEncoding {
        offset: e.utf8_error().valid_up_to(),
        reason: "the decoded bytes are not UTF-8".to_owned(),
    })
}

// ---- JSON schema of the accepted input ----

impl schemars::JsonSchema for PolicyDocument {
    fn schema_name() -> Cow<'static, str> {
        "IamPolicyDocument".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let strings = serde_json::json!({
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" } }
            ]
        });
        let principal = serde_json::json!({
            "anyOf": [
                { "const": "*" },
                {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "AWS": strings, "CanonicalUser": strings,
                        "Federated": strings, "Service": strings
                    }
                }
            ]
        });
        let scalar = serde_json::json!({ "type": ["string", "boolean", "number"] });
        let condition = serde_json::json!({
            "type": "object",
            "description": "operator → condition key → value(s)",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": {
                    "anyOf": [scalar, { "type": "array", "items": scalar }]
                }
            }
        });
        let statement = serde_json::json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["Effect"],
            "properties": {
                "Sid": { "type": "string" },
                "Effect": { "enum": ["Allow", "Deny"] },
                "Principal": principal, "NotPrincipal": principal,
                "Action": strings, "NotAction": strings,
                "Resource": strings, "NotResource": strings,
                "Condition": condition
            }
        });
        schemars::json_schema!({
            "type": "object",
            "description": "An AWS IAM policy document (identity, trust or resource policy)",
            "additionalProperties": false,
            "required": ["Statement"],
            "properties": {
                "Version": { "enum": ["2012-10-17", "2008-10-17"] },
                "Id": { "type": "string" },
                "Statement": {
                    "anyOf": [statement, { "type": "array", "items": statement }]
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUIDE_A_POLICY: &str = include_str!("fixtures/guide_a_csi_policy.json");
    const GUIDE_A_TRUST: &str = include_str!("fixtures/guide_a_web_identity_trust.json");
    const GUIDE_B_POLICY: &str = include_str!("fixtures/guide_b_cross_account_policy.json");
    const GUIDE_B_TRUST: &str = include_str!("fixtures/guide_b_trust.json");

    const GUIDE: [(&str, &str); 4] = [
        ("guide_a_csi_policy", GUIDE_A_POLICY),
        ("guide_a_web_identity_trust", GUIDE_A_TRUST),
        ("guide_b_cross_account_policy", GUIDE_B_POLICY),
        ("guide_b_trust", GUIDE_B_TRUST),
    ];

    #[test]
    fn every_guide_document_round_trips_and_renders_stably() {
        for (name, json) in GUIDE {
            let doc = PolicyDocument::parse(json).unwrap_or_else(|e| panic!("{name}: {e}"));
            let rendered = doc.to_json_pretty();
            let again = PolicyDocument::parse(&rendered).unwrap();
            assert_eq!(again, doc, "{name}");
            assert_eq!(
                again.to_json_pretty(),
                rendered,
                "{name}: rendering is not stable"
            );
            assert!(!rendered.ends_with('\n'), "{name}");
            // Semantically the same JSON as the guide wrote, up to the single-element lists.
            let original: Value = serde_json::from_str(json).unwrap();
            assert!(
                PolicyDocument::parse(&original.to_string())
                    .unwrap()
                    .equivalent(&doc)
            );
            // The serde impls agree with the canonical renderer.
            let via_serde = serde_json::to_string_pretty(&doc).unwrap();
            assert_eq!(via_serde, rendered, "{name}");
            let via_serde: PolicyDocument = serde_json::from_str(&via_serde).unwrap();
            assert_eq!(via_serde, doc, "{name}");
        }
    }

    #[test]
    fn guide_documents_render_canonically() {
        for (name, json) in GUIDE {
            let doc = PolicyDocument::parse(json).unwrap();
            insta::assert_snapshot!(name, doc.to_json_pretty());
        }
    }

    #[test]
    fn keeps_duplicates_and_the_empty_condition() {
        let doc = PolicyDocument::parse(GUIDE_A_POLICY).unwrap();
        let actions = doc.statements[0].action.values();
        assert_eq!(actions.len(), 9);
        let trust = PolicyDocument::parse(GUIDE_B_TRUST).unwrap();
        assert_eq!(trust.statements[0].condition, Some(Condition::new()));
        assert!(trust.to_json_pretty().contains("\"Condition\": {}"));
    }

    #[test]
    fn accepts_a_single_statement_object_and_mixed_condition_values() {
        let doc = PolicyDocument::parse(
            r#"{"Statement": {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*",
                "Condition": {"Bool": {"aws:SecureTransport": false},
                              "NumericLessThan": {"s3:max-keys": [10, 2.5]}}}}"#,
        )
        .unwrap();
        assert_eq!(doc.version, None);
        let c = doc.statements[0].condition.as_ref().unwrap();
        assert_eq!(
            c.get("Bool", "aws:SecureTransport").unwrap().as_slice(),
            &[ConditionValue::Bool(false)]
        );
        let rendered = doc.to_json_pretty();
        assert!(
            rendered.contains("\"aws:SecureTransport\": false"),
            "{rendered}"
        );
        assert!(rendered.contains("10,"), "{rendered}");
        assert_eq!(PolicyDocument::parse(&rendered).unwrap(), doc);
        // Normalized, IAM's string comparison makes `false` and "false" the same.
        let as_string = PolicyDocument::parse(
            r#"{"Statement": [{"Effect": "Deny", "Principal": {"AWS": ["*"]}, "Action": ["*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"},
                              "NumericLessThan": {"s3:max-keys": ["2.5", "10", "10"]}}}]}"#,
        )
        .unwrap();
        assert_ne!(as_string, doc);
        assert!(as_string.equivalent(&doc));
    }

    #[test]
    fn normalized_ignores_order_duplicates_and_empty_conditions() {
        let a = PolicyDocument::parse(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":["b:Y","a:X","a:X"],"Resource":"*","Condition":{}},
                {"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::1:role/r"}]}"#,
        )
        .unwrap();
        let b = PolicyDocument::parse(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":["sts:AssumeRole"],"Resource":["arn:aws:iam::1:role/r"]},
                {"Effect":"Allow","Action":["a:X","b:Y"],"Resource":["*"]},
                {"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::1:role/r"}]}"#,
        )
        .unwrap();
        assert!(a.equivalent(&b));
        assert_eq!(a.normalized().normalized(), a.normalized());
        let c = PolicyDocument::parse(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":["a:X","b:Y"],"Resource":"*"}]}"#,
        )
        .unwrap();
        assert!(!a.equivalent(&c), "a real difference must stay visible");
    }

    #[test]
    fn rejects_invalid_documents_with_a_clear_reason() {
        let cases = [
            ("", "EOF"),
            ("[]", "invalid type"),
            (r#"{"Version":"2012-10-17"}"#, "missing field `Statement`"),
            (
                r#"{"Version":"2013-01-01","Statement":[]}"#,
                "unknown variant `2013-01-01`",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow"}]}"#,
                "needs `Action` or `NotAction`",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"a:b","NotAction":"c:d"}]}"#,
                "not both",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","NotResource":"x"}]}"#,
                "not both",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Actions":"a:b"}]}"#,
                "unknown field `Actions`",
            ),
            (
                r#"{"Statement":[{"Effect":"allow","Action":"a:b"}]}"#,
                "unknown variant `allow`",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Principal":"arn:aws:iam::1:root"}]}"#,
                "must be \"*\"",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Principal":{"Aws":"x"}}]}"#,
                "unknown principal type `Aws`",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Principal":{"AWS":"x","AWS":"y"}}]}"#,
                "appears twice",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Condition":{"Bool":{"k":"1","k":"2"}}}]}"#,
                "condition key `k` appears twice",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Condition":{"Bool":{"k":null}}}]}"#,
                "string, boolean or number",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":[1]}]}"#,
                "expected a string",
            ),
            (
                r#"{"Statement":[["Allow","a:b"]]}"#,
                "expected a JSON object",
            ),
            (
                r#"{"Statement":"Allow"}"#,
                "expected a statement object or an array",
            ),
        ];
        for (json, expected) in cases {
            let err = PolicyDocument::parse(json).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(expected), "{json:?}: {msg}");
            assert!(
                msg.starts_with("invalid IAM policy document at line "),
                "{msg}"
            );
        }
        let err =
            PolicyDocument::parse("{\n  \"Statement\": [{\"Effect\": \"Allow\"}]\n}").unwrap_err();
        let PolicyParseError::Invalid { line, .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(line, 2);
    }

    #[test]
    fn parses_url_encoded_documents_as_iam_returns_them() {
        // What `aws iam get-role` returns before the CLI decodes it.
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A\
%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A111111111111%3Aroot%22%7D%2C\
%22Action%22%3A%22sts%3AAssumeRole%22%2C%22Condition%22%3A%7B%7D%7D%5D%7D";
        let doc = PolicyDocument::parse_url_encoded(encoded).unwrap();
        assert_eq!(doc, PolicyDocument::parse(GUIDE_B_TRUST).unwrap());
        // Already decoded input is accepted as is.
        assert_eq!(
            PolicyDocument::parse_url_encoded(GUIDE_B_TRUST).unwrap(),
            doc
        );
        // Non-ASCII survives.
        let doc = PolicyDocument::parse_url_encoded(
            "%7B%22Statement%22%3A%7B%22Sid%22%3A%22caf%C3%A9%22%2C%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22a%3Ab%22%7D%7D",
        )
        .unwrap();
        assert_eq!(doc.statements[0].sid.as_deref(), Some("café"));
        for (bad, offset) in [("%7", 0), ("%7B%zz", 3), ("%FF", 0)] {
            match PolicyDocument::parse_url_encoded(bad) {
                Err(PolicyParseError::UrlEncoding { offset: o, .. }) => assert_eq!(o, offset),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn renders_single_values_as_strings_and_others_as_arrays() {
        let doc = PolicyDocument::new(vec![
            Statement::allow(["a:B"])
                .with_sid("One")
                .with_resources(["r1", "r2"])
                .with_condition("StringEquals", "k", Vec::<String>::new()),
        ]);
        assert_eq!(
            doc.to_json_compact(),
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"One","Effect":"Allow","Action":"a:B","Resource":["r1","r2"],"Condition":{"StringEquals":{"k":[]}}}]}"#
        );
    }

    #[test]
    fn has_a_json_schema() {
        let schema = schemars::schema_for!(PolicyDocument);
        let text = serde_json::to_string(&schema).unwrap();
        assert!(text.contains("\"Statement\""), "{text}");
    }
}
