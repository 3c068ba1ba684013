//! The `metadata` rules the API server enforces on every object, whatever its schema: names,
//! namespaces, label and annotation keys and values. A CRD's schema cannot express them, so the
//! schema checks alone would let a 64-character label value through.

use serde_json::Value;

/// A DNS-1123 label: 1–63 lowercase alphanumerics or `-`, alphanumeric at both ends
/// (namespace names).
pub fn dns_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A DNS-1123 subdomain: at most 253 characters of dot-separated labels (most object names).
pub fn dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(dns_label)
}

/// The name part of a qualified name, or a label value: 1–63 of `[A-Za-z0-9_.-]`,
/// alphanumeric at both ends.
fn name_part(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain.
pub fn qualified_name(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => dns_subdomain(prefix) && name_part(name),
        None => name_part(s),
    }
}

/// A label value: empty, or like a name part.
pub fn label_value(s: &str) -> bool {
    s.is_empty() || name_part(s)
}

/// What the API server would reject in `object`'s metadata (empty: nothing).
pub fn problems(object: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let meta = &object["metadata"];
    let kind = object["kind"].as_str().unwrap_or_default();
    match meta["name"].as_str() {
        None => out.push("metadata.name is missing".to_owned()),
        Some(name) => {
            // Namespaces are DNS labels; Roles and RoleBindings are path segments, which the
            // DNS subdomain rule xefs holds itself to implies.
            let ok = if kind == "Namespace" {
                dns_label(name)
            } else {
                dns_subdomain(name)
            };
            if !ok {
                out.push(format!("metadata.name `{name}` is not a valid {kind} name"));
            }
        }
    }
    if let Some(ns) = meta.get("namespace")
        && !ns.as_str().is_some_and(dns_label)
    {
        out.push(format!("metadata.namespace {ns} is not a DNS label"));
    }
    if let Some(labels) = meta.get("labels") {
        match labels.as_object() {
            None => out.push("metadata.labels is not a map".to_owned()),
            Some(labels) => {
                for (k, v) in labels {
                    if !qualified_name(k) {
                        out.push(format!("label key `{k}` is not a qualified name"));
                    }
                    if !v.as_str().is_some_and(label_value) {
                        out.push(format!("label `{k}` has an invalid value {v}"));
                    }
                }
            }
        }
    }
    if let Some(annotations) = meta.get("annotations") {
        match annotations.as_object() {
            None => out.push("metadata.annotations is not a map".to_owned()),
            Some(annotations) => {
                for (k, v) in annotations {
                    if !qualified_name(k) {
                        out.push(format!("annotation key `{k}` is not a qualified name"));
                    }
                    if !v.is_string() {
                        out.push(format!("annotation `{k}` is not a string: {v}"));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn the_rules_accept_and_reject_what_the_api_server_does() {
    assert!(dns_label("openshift-cluster-csi-drivers"));
    assert!(!dns_label("Upper"));
    assert!(!dns_label("-dash"));
    assert!(!dns_label(&"a".repeat(64)));
    assert!(dns_subdomain("efs.csi.aws.com"));
    assert!(!dns_subdomain("efs..com"));
    assert!(qualified_name(
        "operators.coreos.com/aws-efs-csi-driver-operator.openshift-cluster-csi-drivers"
    ));
    assert!(qualified_name("app"));
    assert!(!qualified_name("Bad_Prefix/x"));
    assert!(!qualified_name(&format!("x.io/{}", "a".repeat(64))));
    assert!(label_value(""));
    assert!(!label_value("has space"));
    let ok = serde_json::json!({ "kind": "Namespace",
        "metadata": { "name": "xefs-verify", "labels": { "xefs.io/stack": "demo" } } });
    assert_eq!(problems(&ok), Vec::<String>::new());
    let bad = serde_json::json!({ "kind": "Namespace",
        "metadata": { "name": "xefs.verify", "namespace": "Nope",
                      "labels": { "xefs.io/stack": "x".repeat(64) },
                      "annotations": { "a": 1 } } });
    assert_eq!(problems(&bad).len(), 4, "{:?}", problems(&bad));
}
