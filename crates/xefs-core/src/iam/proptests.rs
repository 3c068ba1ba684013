//! No input makes the policy parser (or the linter) panic, and every generated document
//! round-trips through its canonical JSON unchanged.

use std::collections::BTreeMap;

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;

use super::lint::{DocumentKind, lint};
use super::*;

const FIXTURES: [&str; 4] = [
    include_str!("fixtures/guide_a_csi_policy.json"),
    include_str!("fixtures/guide_a_web_identity_trust.json"),
    include_str!("fixtures/guide_b_cross_account_policy.json"),
    include_str!("fixtures/guide_b_trust.json"),
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9:/*${}._-]{0,24}",
        "\\PC{0,12}",
        Just("*".to_owned()),
    ]
}

fn values() -> impl Strategy<Value = Values> {
    vec(text(), 0..4).prop_map(Values::from)
}

fn principal() -> impl Strategy<Value = Principal> {
    let kind = prop_oneof![
        Just(PrincipalKind::Aws),
        Just(PrincipalKind::CanonicalUser),
        Just(PrincipalKind::Federated),
        Just(PrincipalKind::Service),
    ];
    prop_oneof![
        1 => Just(Principal::Any),
        4 => btree_map(kind, values(), 0..4).prop_map(Principal::Typed),
    ]
}

fn condition_value() -> impl Strategy<Value = ConditionValue> {
    prop_oneof![
        text().prop_map(ConditionValue::String),
        any::<bool>().prop_map(ConditionValue::Bool),
        any::<i64>().prop_map(|n| ConditionValue::Number(n.into())),
        any::<u64>().prop_map(|n| ConditionValue::Number(n.into())),
        // Short decimals, as policies write them (see `ConditionValues` on long floats).
        any::<i32>().prop_filter_map("finite", |n| {
            serde_json::Number::from_f64(f64::from(n) / 100.0).map(ConditionValue::Number)
        }),
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    let keys = btree_map(text(), vec(condition_value(), 0..3), 0..3);
    btree_map(text(), keys, 0..3).prop_map(|ops: BTreeMap<String, BTreeMap<_, _>>| {
        let mut c = Condition::new();
        for (op, keys) in ops {
            if keys.is_empty() {
                // An operator with no key still has to exist in the block.
                c.insert(op.clone(), "k", ConditionValues::default());
                continue;
            }
            for (key, vals) in keys {
                c.insert(op.clone(), key, ConditionValues::from(vals));
            }
        }
        c
    })
}

fn statement() -> impl Strategy<Value = Statement> {
    (
        option::of(text()),
        any::<bool>(),
        option::of((any::<bool>(), principal())),
        (any::<bool>(), values()),
        option::of((any::<bool>(), values())),
        option::of(condition()),
    )
        .prop_map(
            |(sid, allow, principal, action, resource, condition)| Statement {
                sid,
                effect: if allow { Effect::Allow } else { Effect::Deny },
                principal: principal.map(|(not, p)| {
                    if not {
                        PrincipalClause::NotPrincipal(p)
                    } else {
                        PrincipalClause::Principal(p)
                    }
                }),
                action: if action.0 {
                    ActionClause::NotAction(action.1)
                } else {
                    ActionClause::Action(action.1)
                },
                resource: resource.map(|(not, v)| {
                    if not {
                        ResourceClause::NotResource(v)
                    } else {
                        ResourceClause::Resource(v)
                    }
                }),
                condition,
            },
        )
}

fn document() -> impl Strategy<Value = PolicyDocument> {
    let version = option::of(prop_oneof![
        Just(PolicyVersion::V2012_10_17),
        Just(PolicyVersion::V2008_10_17),
    ]);
    (version, option::of(text()), vec(statement(), 0..4)).prop_map(|(version, id, statements)| {
        PolicyDocument {
            version,
            id,
            statements,
        }
    })
}

proptest! {
    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,200}") {
        let _ = PolicyDocument::parse(&s);
        let _ = PolicyDocument::parse_url_encoded(&s);
    }

    #[test]
    fn mangled_guide_documents_never_panic(
        which in 0usize..4,
        cut in any::<prop::sample::Index>(),
        len in 0usize..40,
        insert in "[\\[\\]{}\",:*0-9a-z]{0,4}",
    ) {
        let src = FIXTURES[which];
        let at = cut.index(src.len());
        let end = (at + len).min(src.len());
        if src.is_char_boundary(at) && src.is_char_boundary(end) {
            let mangled = format!("{}{}{}", &src[..at], insert, &src[end..]);
            if let Ok(doc) = PolicyDocument::parse(&mangled) {
                for kind in [DocumentKind::Identity, DocumentKind::Trust, DocumentKind::Resource] {
                    let _ = lint(&doc, kind);
                }
                let again = PolicyDocument::parse(&doc.to_json_pretty());
                prop_assert_eq!(again.ok(), Some(doc));
            }
        }
    }

    #[test]
    fn generated_documents_round_trip(doc in document()) {
        let pretty = doc.to_json_pretty();
        let parsed = PolicyDocument::parse(&pretty);
        prop_assert_eq!(parsed.as_ref().ok(), Some(&doc), "{}", pretty);
        prop_assert_eq!(PolicyDocument::parse(&doc.to_json_compact()).ok(), Some(doc.clone()));
        // Stable: rendering what was parsed gives the same bytes.
        if let Ok(parsed) = parsed {
            prop_assert_eq!(parsed.to_json_pretty(), pretty);
        }
        // URL-encoded as IAM returns it.
        let encoded: String = doc
            .to_json_compact()
            .bytes()
            .map(|b| format!("%{b:02X}"))
            .collect();
        prop_assert_eq!(PolicyDocument::parse_url_encoded(&encoded).ok(), Some(doc.clone()));
        // Normalizing is idempotent and keeps the meaning.
        let n = doc.normalized();
        prop_assert_eq!(n.normalized(), n.clone());
        prop_assert!(doc.equivalent(&n));
        for kind in [DocumentKind::Identity, DocumentKind::Trust, DocumentKind::Resource] {
            let _ = lint(&doc, kind);
        }
    }
}
