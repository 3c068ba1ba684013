//! No input makes the loader panic: not arbitrary text, not any value of any key, not any
//! environment variable.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::keys::{Keys, SECTIONS};
use super::*;

/// A valid spec as a TOML table, to put one arbitrary value into.
fn base() -> toml::Table {
    toml::from_str(super::fixtures::MINIMAL).unwrap()
}

/// Every `(section, key)` of the table, plus a few that are not.
fn all_keys() -> Vec<(&'static str, String)> {
    let mut keys: Vec<(&'static str, String)> = SECTIONS
        .iter()
        .flat_map(|(section, keys)| match keys {
            Keys::Fixed(keys) => keys
                .iter()
                .map(|(k, _)| (*section, (*k).to_owned()))
                .collect(),
            Keys::AnyString => vec![
                (*section, "team".to_owned()),
                (*section, "aws:x".to_owned()),
            ],
        })
        .collect();
    keys.push(("cluster", "vpc_cdir".to_owned()));
    keys.push(("storge", "account_id".to_owned()));
    keys
}

fn scalar() -> impl Strategy<Value = toml::Value> {
    prop_oneof![
        any::<String>().prop_map(toml::Value::String),
        "[a-z0-9:/.*-]{0,40}".prop_map(toml::Value::String),
        any::<i64>().prop_map(toml::Value::Integer),
        any::<f64>().prop_map(toml::Value::Float),
        any::<bool>().prop_map(toml::Value::Boolean),
    ]
}

fn value() -> impl Strategy<Value = toml::Value> {
    prop_oneof![
        4 => scalar(),
        1 => prop::collection::vec(scalar(), 0..4).prop_map(toml::Value::Array),
        1 => prop::collection::btree_map("[a-z]{1,5}", scalar(), 0..3)
            .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
    ]
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = StackSpec::from_toml_str(&text, &BTreeMap::new());
    }

    #[test]
    fn toml_like_text_never_panics(text in "(\\[[a-z_.]{0,12}\\]\n|[a-z_]{1,12} = (\"[ -~]{0,20}\"|[0-9-]{1,12}|true|\\[\\]|\\{\\})\n){0,12}") {
        let _ = StackSpec::from_toml_str(&text, &BTreeMap::new());
    }

    #[test]
    fn any_value_of_any_key_never_panics(index in any::<prop::sample::Index>(), v in value()) {
        let keys = all_keys();
        let (section, key) = &keys[index.index(keys.len())];
        let mut doc = base();
        if let toml::Value::Table(t) = doc
            .entry(section.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        {
            t.insert(key.clone(), v);
        }
        let text = toml::to_string(&doc).unwrap();
        match StackSpec::from_toml_str(&text, &BTreeMap::new()) {
            Ok(_) => {}
            Err(errors) => {
                prop_assert!(!errors.0.is_empty());
                for err in &errors {
                    // Spans stay inside the text, so a snippet can always be shown.
                    if let Some(span) = &err.span {
                        prop_assert!(span.end <= text.len() && text.get(span.clone()).is_some());
                    }
                    prop_assert!(!err.to_string().is_empty());
                }
            }
        }
    }

    #[test]
    fn any_environment_value_never_panics(index in any::<prop::sample::Index>(), v in any::<String>()) {
        let (_, var) = ENV_OVERRIDES[index.index(ENV_OVERRIDES.len())];
        let env = BTreeMap::from([(var.to_owned(), v)]);
        let text = toml::to_string(&base()).unwrap();
        if let Err(errors) = StackSpec::from_toml_str(&text, &env) {
            prop_assert!(!errors.0.is_empty());
            for err in &errors {
                // A value from the environment has no place in the file to point at.
                if err.source == ValueSource::Env(var) {
                    prop_assert_eq!(&err.span, &None);
                }
            }
        }
    }
}
