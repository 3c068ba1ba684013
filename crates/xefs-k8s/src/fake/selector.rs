//! Label selectors, in the two forms the API server reads them: the query string of a list
//! (`node-role.kubernetes.io/worker`, `app=x,tier!=db`, `env in (a,b)`, `!key`) and the
//! structured `matchLabels`/`matchExpressions` of affinities and node selector terms.

use std::collections::BTreeMap;

use serde_json::Value;

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Exists(String),
    DoesNotExist(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::DoesNotExist(k) => !labels.contains_key(k),
            Requirement::In(k, values) => labels.get(k).is_some_and(|v| values.contains(v)),
            Requirement::NotIn(k, values) => labels.get(k).is_none_or(|v| !values.contains(v)),
        }
    }
}

/// A parsed query-string selector; the empty selector matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Selector(Vec<Requirement>);

impl Selector {
    /// Parses a selector as `kubectl -l` takes it; the error is the API server's message.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for term in terms(text) {
            let term = term.trim();
            if term.is_empty() {
                continue;
            }
            requirements.push(requirement(term).ok_or_else(|| {
                format!("unable to parse requirement: found '{term}', expected: a valid label selector term")
            })?);
        }
        Ok(Self(requirements))
    }

    /// Whether `labels` meet every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| r.matches(labels))
    }
}

/// The terms of a selector: split at commas outside parentheses.
fn terms(text: &str) -> Vec<String> {
    let mut terms = vec![String::new()];
    let mut depth = 0_i32;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(t) = terms.last_mut() {
            t.push(c);
        }
    }
    terms
}

fn requirement(term: &str) -> Option<Requirement> {
    let key_ok = |k: &str| !k.is_empty() && !k.contains(char::is_whitespace);
    if let Some(key) = term.strip_prefix('!') {
        let key = key.trim();
        return key_ok(key).then(|| Requirement::DoesNotExist(key.to_owned()));
    }
    for (op, negate) in [(" notin ", true), (" in ", false)] {
        if let Some((key, values)) = term.split_once(op) {
            let values = values.trim().strip_prefix('(')?.strip_suffix(')')?;
            let values: Vec<String> = values.split(',').map(|v| v.trim().to_owned()).collect();
            let key = key.trim().to_owned();
            if !key_ok(&key) {
                return None;
            }
            return Some(if negate {
                Requirement::NotIn(key, values)
            } else {
                Requirement::In(key, values)
            });
        }
    }
    for (op, negate) in [("!=", true), ("==", false), ("=", false)] {
        if let Some((key, value)) = term.split_once(op) {
            let (key, value) = (key.trim(), value.trim());
            if !key_ok(key) {
                return None;
            }
            let values = vec![value.to_owned()];
            return Some(if negate {
                Requirement::NotIn(key.to_owned(), values)
            } else {
                Requirement::In(key.to_owned(), values)
            });
        }
    }
    key_ok(term).then(|| Requirement::Exists(term.to_owned()))
}

/// The labels of an object.
pub(super) fn labels_of(object: &Value) -> BTreeMap<String, String> {
    object["metadata"]["labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `labels` match a structured selector (`matchLabels` and `matchExpressions`, or a
/// node selector term's `matchExpressions`). An empty selector matches everything.
pub(super) fn matches_structured(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let by_label = selector["matchLabels"].as_object().is_none_or(|m| {
        m.iter()
            .all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str())
    });
    let by_expression = selector["matchExpressions"]
        .as_array()
        .is_none_or(|exprs| exprs.iter().all(|e| expression(e, labels)));
    by_label && by_expression
}

fn expression(e: &Value, labels: &BTreeMap<String, String>) -> bool {
    let key = e["key"].as_str().unwrap_or_default().to_owned();
    let values: Vec<String> = e["values"]
        .as_array()
        .map(|vs| {
            vs.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let requirement = match e["operator"].as_str() {
        Some("In") => Requirement::In(key, values),
        Some("NotIn") => Requirement::NotIn(key, values),
        Some("Exists") => Requirement::Exists(key),
        Some("DoesNotExist") => Requirement::DoesNotExist(key),
        // Gt/Lt and unknown operators: xefs's pods use none; match nothing, as a typo would.
        _ => return false,
    };
    requirement.matches(labels)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn query_selectors_match_as_the_api_server_does() -> Result<(), String> {
        let worker = labels(&[
            ("node-role.kubernetes.io/worker", ""),
            ("topology.kubernetes.io/zone", "us-east-2a"),
        ]);
        let master = labels(&[("node-role.kubernetes.io/master", "")]);
        let s = Selector::parse("node-role.kubernetes.io/worker")?;
        assert!(s.matches(&worker) && !s.matches(&master));
        let s = Selector::parse(
            "topology.kubernetes.io/zone in (us-east-2a, us-east-2b),!node-role.kubernetes.io/master",
        )?;
        assert!(s.matches(&worker) && !s.matches(&master));
        let s = Selector::parse("topology.kubernetes.io/zone!=us-east-2a")?;
        assert!(!s.matches(&worker) && s.matches(&master));
        assert!(Selector::parse("")?.matches(&master));
        assert!(Selector::parse("a b").is_err());
        Ok(())
    }

    #[test]
    fn structured_selectors_read_labels_and_expressions() {
        let app = labels(&[("app", "xefs-verify")]);
        assert!(matches_structured(
            &json!({ "matchLabels": { "app": "xefs-verify" } }),
            &app
        ));
        assert!(!matches_structured(
            &json!({ "matchExpressions": [{ "key": "app", "operator": "NotIn", "values": ["xefs-verify"] }] }),
            &app
        ));
        assert!(matches_structured(&json!({}), &app));
    }
}
