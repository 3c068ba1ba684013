//! A small, strict YAML emitter for the manifests embedded in the shell script. Every string is
//! written as a double-quoted JSON string, which YAML reads back exactly, so no value can turn
//! into a number, a boolean or a comment by accident.

use serde_json::Value;

/// Renders a JSON value as block-style YAML.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    emit(value, 0, &mut out);
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Array(a) if a.is_empty() => "[]".into(),
        other => other.to_string(),
    }
}

fn is_block(v: &Value) -> bool {
    matches!(v, Value::Object(m) if !m.is_empty()) || matches!(v, Value::Array(a) if !a.is_empty())
}

fn key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
        && !k.starts_with(|c: char| c.is_ascii_digit() || c == '-');
    if plain {
        k.to_owned()
    } else {
        serde_json::to_string(k).unwrap_or_default()
    }
}

fn emit(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                if is_block(v) {
                    out.push_str(&format!("{pad}{}:\n", key(k)));
                    let child = if matches!(v, Value::Array(_)) {
                        indent
                    } else {
                        indent + 2
                    };
                    emit(v, child, out);
                } else {
                    out.push_str(&format!("{pad}{}: {}\n", key(k), scalar(v)));
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                if is_block(item) {
                    // The first line of the item goes after the dash, the rest aligned under it.
                    let mut inner = String::new();
                    emit(item, indent + 2, &mut inner);
                    let trimmed = inner.trim_start_matches(' ');
                    out.push_str(&format!("{pad}- {trimmed}"));
                } else {
                    out.push_str(&format!("{pad}- {}\n", scalar(item)));
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotes_every_string_and_nests() {
        let y = to_yaml(&json!({
            "kind": "StorageClass",
            "parameters": {"gidRangeStart": "1000", "csi.storage.k8s.io/provisioner-secret-name": "x"},
            "items": [{"a": 1, "b": ["y", true]}, "z"],
            "empty": {}
        }));
        assert_eq!(
            y,
            "kind: \"StorageClass\"\nparameters:\n  gidRangeStart: \"1000\"\n  csi.storage.k8s.io/provisioner-secret-name: \"x\"\nitems:\n- a: 1\n  b:\n  - \"y\"\n  - true\n- \"z\"\nempty: {}\n"
        );
    }
}
