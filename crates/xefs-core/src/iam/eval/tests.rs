use super::*;

fn doc(json: &str) -> PolicyDocument {
    PolicyDocument::parse(json).unwrap()
}

fn role(account: &str, name: &str) -> Arn {
    Arn::parse(&format!("arn:aws:iam::{account}:role/{name}")).unwrap()
}

fn one(label: &str, d: &PolicyDocument, r: &Request) -> Decision {
    evaluate(&[(label, d)], r)
}

#[test]
fn wildcards() {
    let cases = [
        ("*", "", false, true),
        ("*", "anything", false, true),
        ("a?c", "abc", false, true),
        ("a?c", "ac", false, false),
        ("a*c", "abbbc", false, true),
        ("a*c", "abbbd", false, false),
        ("*b*", "aaabaaa", false, true),
        ("a*b*c", "axxbyyc", false, true),
        ("a*b*c", "axxcyyb", false, false),
        ("abc", "abcd", false, false),
        ("abc*", "abc", false, true),
        ("**", "x", false, true),
        ("ABC", "abc", false, false),
        ("ABC", "abc", true, true),
        (
            "elasticfilesystem:Describe*",
            "ElasticFileSystem:describemounttargets",
            true,
            true,
        ),
        (
            "arn:aws:elasticfilesystem:us-east-2:222222222222:access-point/*",
            "arn:aws:elasticfilesystem:us-east-2:222222222222:access-point/fsap-1",
            false,
            true,
        ),
    ];
    for (pattern, value, ignore_case, expected) in cases {
        assert_eq!(
            wildcard_match(pattern, value, ignore_case),
            expected,
            "{pattern:?} vs {value:?} (ignore case {ignore_case})"
        );
    }
}

#[test]
fn actions_are_case_insensitive_and_resources_case_sensitive() {
    let d = doc(
        r#"{"Statement":[{"Effect":"Allow","Action":"ElasticFileSystem:Describe*",
            "Resource":"arn:aws:elasticfilesystem:us-east-2:222222222222:file-system/fs-abc"}]}"#,
    );
    let fs = "arn:aws:elasticfilesystem:us-east-2:222222222222:file-system/fs-abc";
    let cases = [
        ("elasticfilesystem:DescribeFileSystems", fs.to_owned(), true),
        ("ELASTICFILESYSTEM:describefilesystems", fs.to_owned(), true),
        ("elasticfilesystem:CreateAccessPoint", fs.to_owned(), false),
        (
            "elasticfilesystem:DescribeFileSystems",
            fs.replace("fs-abc", "fs-ABC"),
            false,
        ),
    ];
    for (action, resource, allowed) in cases {
        let d = one("p", &d, &Request::new(action, resource.clone()));
        assert_eq!(d.allowed, allowed, "{action} on {resource}");
    }
}

#[test]
fn not_action_and_not_resource() {
    let d = doc(r#"{"Statement":[
            {"Sid":"AllButDelete","Effect":"Allow","NotAction":"efs:Delete*","Resource":"*"},
            {"Sid":"NotSecret","Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::open/*"}]}"#);
    let cases = [
        (
            "efs:Describe",
            "arn:aws:s3:::open/x",
            DecisionKind::Allowed,
            Some(0),
        ),
        (
            "efs:DeleteThing",
            "arn:aws:s3:::open/x",
            DecisionKind::ImplicitDeny,
            None,
        ),
        (
            "efs:Describe",
            "arn:aws:s3:::secret/x",
            DecisionKind::ExplicitDeny,
            Some(1),
        ),
    ];
    for (action, resource, kind, index) in cases {
        let got = one("p", &d, &Request::new(action, resource));
        assert_eq!(got.kind, kind, "{action} {resource}");
        assert_eq!(got.statement.map(|s| s.index), index, "{action} {resource}");
    }
}

#[test]
fn explicit_deny_wins_whatever_the_order_and_document() {
    let allow = doc(r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#);
    let deny = doc(
        r#"{"Statement":[{"Effect":"Allow","Action":"x:Y","Resource":"*"},
                         {"Sid":"No","Effect":"Deny","Action":"x:*","Resource":"*"}]}"#,
    );
    let r = Request::new("x:Y", "r");
    for docs in [[("a", &allow), ("d", &deny)], [("d", &deny), ("a", &allow)]] {
        let got = evaluate(&docs, &r);
        assert!(!got.allowed);
        assert_eq!(got.kind, DecisionKind::ExplicitDeny);
        let at = got.statement.unwrap();
        assert_eq!((at.document.as_str(), at.index), ("d", 1));
        assert_eq!(at.to_string(), "d statement 1 (Sid `No`)");
    }
    let got = evaluate(&[], &r);
    assert_eq!(got.kind, DecisionKind::ImplicitDeny);
    assert_eq!(got.statement, None);
}

#[test]
fn principals() {
    let a_role = role("111111111111", "csi");
    let b_role = role("222222222222", "other");
    let provider =
        Arn::parse("arn:aws:iam::111111111111:oidc-provider/oidc.example.com/x").unwrap();
    let aws = |v: &str| {
        doc(&format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{v}"}},"Action":"*"}}]}}"#
        ))
    };
    let cases: Vec<(&str, PolicyDocument, Option<PrincipalRef>, bool)> = vec![
        (
            "exact role",
            aws(a_role.as_str()),
            Some(PrincipalRef::Aws(a_role.clone())),
            true,
        ),
        (
            "other role",
            aws(a_role.as_str()),
            Some(PrincipalRef::Aws(b_role.clone())),
            false,
        ),
        (
            "root",
            aws("arn:aws:iam::111111111111:root"),
            Some(PrincipalRef::Aws(a_role.clone())),
            true,
        ),
        (
            "root other account",
            aws("arn:aws:iam::111111111111:root"),
            Some(PrincipalRef::Aws(b_role.clone())),
            false,
        ),
        (
            "root other partition",
            aws("arn:aws-cn:iam::111111111111:root"),
            Some(PrincipalRef::Aws(a_role.clone())),
            false,
        ),
        (
            "account id",
            aws("111111111111"),
            Some(PrincipalRef::Aws(a_role.clone())),
            true,
        ),
        (
            "aws star",
            aws("*"),
            Some(PrincipalRef::Aws(b_role.clone())),
            true,
        ),
        ("aws star anonymous", aws("*"), None, true),
        ("role anonymous", aws(a_role.as_str()), None, false),
        (
            "aws vs federated",
            aws("*"),
            Some(PrincipalRef::Federated(provider.clone())),
            false,
        ),
        (
            "federated",
            doc(&format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"*"}}]}}"#
            )),
            Some(PrincipalRef::Federated(provider.clone())),
            true,
        ),
        (
            "service",
            doc(
                r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"*"}]}"#,
            ),
            Some(PrincipalRef::Service("ec2.amazonaws.com".to_owned())),
            true,
        ),
        (
            "any",
            doc(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"}]}"#),
            Some(PrincipalRef::Service("ec2.amazonaws.com".to_owned())),
            true,
        ),
        (
            "not principal excludes",
            doc(&format!(
                r#"{{"Statement":[{{"Effect":"Allow","NotPrincipal":{{"AWS":"{a_role}"}},"Action":"*"}}]}}"#
            )),
            Some(PrincipalRef::Aws(a_role.clone())),
            false,
        ),
        (
            "not principal includes others",
            doc(&format!(
                r#"{{"Statement":[{{"Effect":"Allow","NotPrincipal":{{"AWS":"{a_role}"}},"Action":"*"}}]}}"#
            )),
            Some(PrincipalRef::Aws(b_role.clone())),
            true,
        ),
        (
            "identity policy ignores the principal",
            doc(r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#),
            Some(PrincipalRef::Aws(b_role.clone())),
            true,
        ),
    ];
    for (name, d, who, allowed) in cases {
        let mut r = Request::new("sts:AssumeRole", "arn:aws:iam::222222222222:role/x");
        r.principal = who;
        assert_eq!(one("trust", &d, &r).allowed, allowed, "{name}");
    }
}

fn with_condition(op: &str, key: &str, values: &str) -> PolicyDocument {
    doc(&format!(
        r#"{{"Statement":[{{"Sid":"C","Effect":"Allow","Action":"*","Resource":"*",
            "Condition":{{"{op}":{{"{key}":{values}}}}}}}]}}"#
    ))
}

#[test]
fn condition_operators() {
    // (operator, policy values, context values or None for a missing key, allowed)
    let cases: &[(&str, &str, Option<&[&str]>, bool)] = &[
        ("StringEquals", r#""a""#, Some(&["a"]), true),
        ("StringEquals", r#""a""#, Some(&["A"]), false),
        ("StringEquals", r#"["a","b"]"#, Some(&["b"]), true),
        ("StringEquals", r#""a""#, None, false),
        ("StringEqualsIfExists", r#""a""#, None, true),
        ("StringEqualsIfExists", r#""a""#, Some(&["b"]), false),
        ("StringNotEquals", r#""a""#, Some(&["a"]), false),
        ("StringNotEquals", r#""a""#, Some(&["b"]), true),
        ("StringNotEquals", r#"["a","b"]"#, Some(&["b"]), false),
        ("StringNotEquals", r#""a""#, None, true),
        ("StringEqualsIgnoreCase", r#""a""#, Some(&["A"]), true),
        (
            "StringLike",
            r#""system:serviceaccount:ns:*""#,
            Some(&["system:serviceaccount:ns:sa"]),
            true,
        ),
        (
            "StringLike",
            r#""system:serviceaccount:ns:*""#,
            Some(&["system:serviceaccount:other:sa"]),
            false,
        ),
        ("StringLike", r#""a?""#, None, false),
        ("StringNotLike", r#""a*""#, Some(&["abc"]), false),
        ("StringNotLike", r#""a*""#, Some(&["xbc"]), true),
        ("StringNotLike", r#""a*""#, None, true),
        ("StringNotLikeIfExists", r#""a*""#, None, true),
        ("Bool", "true", Some(&["true"]), true),
        ("Bool", r#""true""#, Some(&["TRUE"]), true),
        ("Bool", "false", Some(&["true"]), false),
        ("Bool", "true", None, false),
        ("BoolIfExists", "true", None, true),
        (
            "ArnEquals",
            r#""arn:aws:iam::1:role/*""#,
            Some(&["arn:aws:iam::1:role/r"]),
            true,
        ),
        (
            "ArnLike",
            r#""arn:aws:iam::1:role/*""#,
            Some(&["arn:aws:iam::2:role/r"]),
            false,
        ),
        (
            "ArnNotLike",
            r#""arn:aws:iam::1:role/*""#,
            Some(&["arn:aws:iam::2:role/r"]),
            true,
        ),
        ("Null", "true", None, true),
        ("Null", "true", Some(&["x"]), false),
        ("Null", "false", Some(&["x"]), true),
        (
            "ForAnyValue:StringEquals",
            r#"["a","b"]"#,
            Some(&["z", "b"]),
            true,
        ),
        (
            "ForAnyValue:StringEquals",
            r#"["a","b"]"#,
            Some(&["z"]),
            false,
        ),
        ("ForAnyValue:StringEquals", r#""a""#, None, false),
        ("ForAnyValue:StringEqualsIfExists", r#""a""#, None, true),
        (
            "ForAnyValue:StringNotEquals",
            r#""a""#,
            Some(&["a", "b"]),
            true,
        ),
        (
            "ForAllValues:StringEquals",
            r#"["a","b"]"#,
            Some(&["a", "b"]),
            true,
        ),
        (
            "ForAllValues:StringEquals",
            r#"["a","b"]"#,
            Some(&["a", "z"]),
            false,
        ),
        ("ForAllValues:StringEquals", r#""a""#, None, true),
        (
            "ForAllValues:StringNotLike",
            r#""a*""#,
            Some(&["b", "c"]),
            true,
        ),
        (
            "ForAllValues:StringNotLike",
            r#""a*""#,
            Some(&["b", "ax"]),
            false,
        ),
    ];
    for (op, values, context, allowed) in cases {
        let d = with_condition(op, "k:Key", values);
        let mut r = Request::new("x:Y", "r");
        if let Some(context) = context {
            for v in *context {
                // Keys are case-insensitive.
                r = r.with("K:key", *v);
            }
        }
        let got = one("p", &d, &r);
        assert_eq!(got.allowed, *allowed, "{op} {values} vs {context:?}");
        assert!(got.unevaluated.is_empty(), "{op}");
        if !allowed {
            assert_eq!(got.near_misses.len(), 1, "{op}");
            assert!(
                got.near_misses[0].1.contains(op),
                "{op}: {:?}",
                got.near_misses
            );
        }
    }
}

#[test]
fn keys_and_operators_are_anded() {
    let d = doc(
        r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
            "StringEquals":{"a":"1","b":"2"},"Bool":{"c":"true"}}}]}"#,
    );
    let full = Request::new("x:Y", "r")
        .with("a", "1")
        .with("b", "2")
        .with("c", "true");
    assert!(one("p", &d, &full).allowed);
    for drop in ["a", "b", "c"] {
        let mut r = full.clone();
        r.context.remove(drop);
        let got = one("p", &d, &r);
        assert!(!got.allowed, "without {drop}");
        assert!(
            got.near_misses[0].1.contains(&format!("`{drop}`")),
            "{:?}",
            got.near_misses
        );
    }
}

#[test]
fn unknown_operators_never_match_and_are_reported() {
    for effect in ["Allow", "Deny"] {
        let d = doc(&format!(
            r#"{{"Statement":[{{"Sid":"Odd","Effect":"{effect}","Action":"*","Resource":"*",
                "Condition":{{"NumericLessThan":{{"n":"10"}}}}}}]}}"#
        ));
        let got = one("p", &d, &Request::new("x:Y", "r").with("n", "1"));
        assert_eq!(got.kind, DecisionKind::ImplicitDeny, "{effect}");
        assert_eq!(
            got.unevaluated,
            ["p statement 0 (Sid `Odd`): condition operator `NumericLessThan` is not supported"]
        );
    }
    // Only statements that match on action, resource and principal are reported.
    let r = Request::new("x:Y", "r");
    assert_eq!(
        one(
            "p",
            &with_condition("DateGreaterThan", "t", r#""2020""#),
            &r
        )
        .unevaluated
        .len(),
        1
    );
    let other = doc(
        r#"{"Statement":[{"Effect":"Allow","Action":"a:B","Resource":"*","Condition":{"Foo":{"k":"v"}}}]}"#,
    );
    assert!(one("p", &other, &r).unevaluated.is_empty());
}

#[test]
fn cross_account_needs_both_sides() {
    let a_role = role("111111111111", "csi");
    let b_role = "arn:aws:iam::222222222222:role/xefs";
    let identity = doc(&format!(
        r#"{{"Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{b_role}"}}]}}"#
    ));
    let none = doc(r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#);
    let trust = doc(&format!(
        r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{a_role}"}},"Action":"sts:AssumeRole"}}]}}"#
    ));
    let deny_trust = doc(&format!(
        r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{a_role}"}},"Action":"sts:AssumeRole"}},
                          {{"Effect":"Deny","Principal":"*","Action":"*"}}]}}"#
    ));
    let r = Request::new("sts:AssumeRole", b_role).by(PrincipalRef::Aws(a_role));
    let cases = [
        (
            "both",
            &identity,
            &trust,
            true,
            "trust",
            DecisionKind::Allowed,
        ),
        (
            "no identity",
            &none,
            &trust,
            false,
            "identity",
            DecisionKind::ImplicitDeny,
        ),
        (
            "no trust",
            &identity,
            &none,
            false,
            "trust",
            DecisionKind::ImplicitDeny,
        ),
        (
            "deny",
            &identity,
            &deny_trust,
            false,
            "trust",
            DecisionKind::ExplicitDeny,
        ),
    ];
    for (name, id, res, allowed, side, kind) in cases {
        let got = evaluate_cross_account(&[("identity", id)], ("trust", res), &r);
        assert_eq!(got.allowed(), allowed, "{name}");
        let deciding = got.deciding();
        assert_eq!(deciding.kind, kind, "{name}");
        if kind != DecisionKind::ImplicitDeny {
            assert_eq!(
                deciding.statement.as_ref().unwrap().document,
                side,
                "{name}"
            );
        } else if side == "identity" {
            assert!(std::ptr::eq(deciding, &got.identity), "{name}");
        } else {
            assert!(std::ptr::eq(deciding, &got.resource), "{name}");
        }
    }
}
