//! `xefs init`'s pieces: key checks, sources, discovery parsing, prompts and filling.

use super::discover::cluster_name;
use super::template::missing;
use super::*;

fn found(values: &[(&'static str, &str)]) -> Found {
    let mut f = Found::default();
    for (k, v) in values {
        f.offer(k, v, Source::Answered);
    }
    f
}

#[test]
fn every_key_is_in_the_example() {
    let all: Vec<(&'static str, &str)> = vec![
        ("stack.name", "my-stack"),
        ("stack.region", "eu-west-1"),
        ("cluster.name", "prod"),
        ("cluster.account_id", "123456789012"),
        ("cluster.vpc_id", "vpc-0123456789abcdef0"),
        ("cluster.vpc_cidr", "10.20.0.0/16"),
        ("cluster.oidc_provider", "https://oidc.example.com/abc"),
        ("storage.account_id", "210987654321"),
        ("storage.vpc_id", "vpc-0fedcba9876543210"),
        ("storage.vpc_cidr", "10.30.0.0/16"),
    ];
    let text = fill(EXAMPLE_CONFIG, &found(&all));
    for (k, v) in &all {
        let name = k.split_once('.').map(|(_, n)| n).unwrap_or_default();
        let v = v.trim_start_matches("https://");
        assert!(
            text.contains(&format!("\n{name} = \"{v}\"  # answered at the prompt\n")),
            "{k} not filled in:\n{text}"
        );
    }
    assert!(!text.contains("# TODO:"), "{text}");
    // Every comment of the example is still there (but the OIDC provider's example line,
    // which now holds a value).
    for line in EXAMPLE_CONFIG
        .lines()
        .filter(|l| l.starts_with('#') && !l.starts_with("# oidc_provider = "))
    {
        assert!(text.contains(line), "lost {line:?}");
    }
    let spec = StackSpec::from_toml_str(&text, &BTreeMap::<String, String>::new())
        .map_err(|e| format!("{e:?}"));
    assert!(spec.is_ok(), "{spec:?}");
}

#[test]
fn unknown_required_keys_are_marked_todo() {
    let text = fill(EXAMPLE_CONFIG, &found(&[("cluster.name", "prod")]));
    assert!(text.contains("\nname = \"prod\"  # answered at the prompt\n"));
    assert!(text.contains(
        "\naccount_id = \"222222222222\"  # TODO: account B's 12-digit id, the file system's (AWS_ACCOUNT_B_ID)\n"
    ), "{text}");
    // The optional OIDC provider stays commented out.
    assert!(text.contains("\n# oidc_provider = \"oidc.op1.openshiftapps.com/"));
    assert_eq!(
        missing(&found(&[("cluster.name", "prod")])),
        [
            "stack.region",
            "stack.name",
            "cluster.account_id",
            "cluster.vpc_id",
            "cluster.vpc_cidr",
            "storage.account_id",
            "storage.vpc_id",
            "storage.vpc_cidr"
        ]
    );
}

#[test]
fn the_guides_variables_win_and_a_different_discovery_is_a_warning() {
    let env: BTreeMap<String, String> = [
        ("AWS_ACCOUNT_A_ID".to_owned(), " 123456789012 ".to_owned()),
        ("AWS_ACCOUNT_B_VPC_CIDR".to_owned(), "not a cidr".to_owned()),
        ("CLUSTER_NAME".to_owned(), String::new()),
    ]
    .into();
    let mut f = Found::default();
    from_env(&mut f, &env);
    assert_eq!(f.get("cluster.account_id"), Some("123456789012"));
    assert!(!f.has("storage.vpc_cidr"));
    assert!(!f.has("cluster.name"));
    f.offer(
        "cluster.account_id",
        "999999999999",
        Source::Discovered("sts".into()),
    );
    assert_eq!(f.get("cluster.account_id"), Some("123456789012"));
    assert_eq!(f.warnings.len(), 2, "{:?}", f.warnings);
    assert!(f.warnings[1].contains("AWS_ACCOUNT_A_ID says `123456789012`"));
}

#[test]
fn prompts_ask_for_what_is_missing_and_retry_bad_answers() -> std::io::Result<()> {
    let mut f = found(&[
        ("stack.region", "us-east-2"),
        ("cluster.name", "prod"),
        ("cluster.account_id", "123456789012"),
        ("cluster.vpc_id", "vpc-0123456789abcdef0"),
        ("cluster.vpc_cidr", "10.20.0.0/16"),
    ]);
    let mut input = std::io::Cursor::new("12345\n210987654321\n\n10.30.0.0/16\n");
    let mut out = Vec::new();
    let answered = ask_missing(&mut f, &mut input, &mut out)?;
    assert_eq!(answered, 2);
    assert_eq!(f.get("stack.name"), Some("prod"));
    assert_eq!(f.get("storage.account_id"), Some("210987654321"));
    assert_eq!(f.get("storage.vpc_id"), None);
    assert_eq!(f.get("storage.vpc_cidr"), Some("10.30.0.0/16"));
    let out = String::from_utf8_lossy(&out);
    assert_eq!(out.matches("storage.account_id — ").count(), 2, "{out}");
    assert!(out.contains("12345"), "{out}");
    Ok(())
}

#[test]
fn the_cluster_name_is_the_infrastructure_name_without_its_suffix() {
    let infra = |name: &str, url: &str| serde_json::json!({"status": {"infrastructureName": name, "apiServerURL": url}});
    assert_eq!(
        cluster_name(&infra("sts-cluster-x7k2p", "")),
        Some("sts-cluster".into())
    );
    assert_eq!(
        cluster_name(&infra(
            "sts",
            "https://api.prod.ab12.p1.openshiftapps.com:6443"
        )),
        Some("prod".into())
    );
    assert_eq!(cluster_name(&serde_json::json!({})), None);
}
