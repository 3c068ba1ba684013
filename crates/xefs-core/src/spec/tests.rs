//! The loader end to end: defaults, the example file, environment overrides and every
//! validation rule, each checked for the key it names and the help it gives.

use std::collections::{BTreeMap, BTreeSet};

use super::keys::{Keys, SECTIONS};
use super::*;

use super::fixtures::MINIMAL_KNOWN as MINIMAL;

const EXAMPLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/xefs.toml"
));

fn env(vars: &[(&str, &str)]) -> BTreeMap<String, String> {
    vars.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn load(text: &str) -> Result<StackSpec, SpecErrors> {
    StackSpec::from_toml_str(text, &env(&[]))
}

/// `text` with each of `lines` set in `[section]` (created when missing): replacing the
/// key's line when the section has it, added after the header otherwise.
fn set(text: &str, section: &str, lines: &str) -> String {
    let mut out: Vec<String> = text.lines().map(str::to_owned).collect();
    let header = format!("[{section}]");
    for line in lines.lines() {
        let key = line.split(" = ").next().unwrap_or(line);
        let Some(start) = out.iter().position(|l| *l == header) else {
            out.push(String::new());
            out.push(header.clone());
            out.push(line.to_owned());
            continue;
        };
        let end = out[start + 1..]
            .iter()
            .position(|l| l.starts_with('['))
            .map_or(out.len(), |i| start + 1 + i);
        match (start + 1..end).find(|i| out[*i].starts_with(&format!("{key} = "))) {
            Some(i) => out[i] = line.to_owned(),
            None => out.insert(start + 1, line.to_owned()),
        }
    }
    out.join("\n") + "\n"
}

/// `text` without the line that starts with `prefix`.
fn without(text: &str, prefix: &str) -> String {
    let out: Vec<&str> = text.lines().filter(|l| !l.starts_with(prefix)).collect();
    assert_ne!(
        out.len(),
        text.lines().count(),
        "no line starts with {prefix:?}"
    );
    out.join("\n")
}

/// The error about `key`, failing with every error when there is none.
fn error_for(result: Result<StackSpec, SpecErrors>, key: &str) -> SpecError {
    let errors = result.expect_err("the spec should be rejected");
    errors
        .for_key(key)
        .cloned()
        .unwrap_or_else(|| panic!("no error for {key}:\n{errors}"))
}

/// The error about `key` after adding `line` to `[section]` of the minimal spec; checks its
/// help mentions `help`.
fn rejects(section: &str, line: &str, key: &str, help: &str) -> SpecError {
    let err = error_for(load(&set(MINIMAL, section, line)), key);
    let got = err.help.clone().unwrap_or_default();
    assert!(got.contains(help), "help of {err:?} lacks {help:?}");
    err
}

fn accepts(section: &str, line: &str) -> StackSpec {
    load(&set(MINIMAL, section, line)).unwrap_or_else(|e| panic!("{line}: {e}"))
}

#[test]
fn minimal_spec_loads_with_defaults() {
    let spec = load(MINIMAL).unwrap();
    insta::assert_json_snapshot!(spec);
    assert_eq!(
        spec.iam.csi_policy_name.as_str(),
        "sts-cluster-rosa-efs-csi"
    );
    assert_eq!(
        spec.iam.csi_role_name.as_str(),
        "sts-cluster-aws-efs-csi-operator"
    );
    assert_eq!(spec.efs.performance_mode, PerformanceMode::GeneralPurpose);
    assert_eq!(spec.efs.throughput_mode, ThroughputMode::Elastic);
    assert!(spec.efs.encrypted && spec.efs.file_system_policy);
    assert_eq!(spec.efs.one_zone_az_id, None);
    assert_eq!(
        (
            spec.storage_class.gid_range_start,
            spec.storage_class.gid_range_end
        ),
        (1000, 2000)
    );
    assert_eq!(spec.verify.timeout_seconds, 600);
}

#[test]
fn example_file_loads_and_shows_the_defaults() {
    let example = load(EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
    let minimal = load(&without(
        &without(MINIMAL, "oidc_provider"),
        "worker_subnets",
    ))
    .unwrap();
    let mut expected = minimal;
    expected.cluster.profile = None;
    expected.storage.profile = None;
    assert_eq!(example, expected);
}

/// Each `key =` line of the example, live or commented out, by section; and the example with
/// its commented-out keys switched on.
fn example_keys() -> (BTreeMap<String, BTreeSet<String>>, String) {
    let mut keys: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut section = String::new();
    let mut uncommented = Vec::new();
    for line in EXAMPLE.lines() {
        if let Some(rest) = line.strip_prefix('[') {
            section = rest.split(']').next().unwrap().to_owned();
        }
        let live = line.strip_prefix("# ").unwrap_or(line);
        if let Some((key, _)) = live.split_once(" = ")
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-')
        {
            keys.entry(section.clone())
                .or_default()
                .insert(key.to_owned());
            uncommented.push(live);
            continue;
        }
        uncommented.push(line);
    }
    (keys, uncommented.join("\n"))
}

#[test]
fn example_file_shows_every_key() {
    let (shown, _) = example_keys();
    for (section, keys) in SECTIONS {
        if let Keys::Fixed(keys) = keys {
            for (key, _) in *keys {
                assert!(
                    shown.get(*section).is_some_and(|s| s.contains(*key)),
                    "examples/xefs.toml lacks {section}.{key}"
                );
            }
        }
    }
}

#[test]
fn example_file_with_every_optional_key_loads() {
    let (_, all_on) = example_keys();
    let all_on = all_on.replace(
        "throughput_mode = \"elastic\"",
        "throughput_mode = \"provisioned\"",
    );
    let spec = load(&all_on).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.efs.provisioned_throughput_mibps, Some(128.0));
    assert_eq!(spec.tags.len(), 2);
}

/// Every key set to something other than its default: catches a key the table knows but the
/// loader does not read (or reads under another name).
#[test]
fn every_key_reaches_the_spec() {
    let text = r#"
[stack]
name = "full"
region = "eu-west-1"
[cluster]
name = "prod"
account_id = "012345678901"
profile = "a"
vpc_id = "vpc-0a1b2c3d"
vpc_cidr = "172.16.0.0/16"
oidc_provider = "https://oidc.example.com/abc/"
worker_subnets = ["subnet-0a1b2c3d", "subnet-1a1b2c3d"]
node_role_arns = ["arn:aws:iam::012345678901:role/worker"]
kube_context = "ctx"
[storage]
account_id = "210987654321"
profile = "b"
assume_role_arn = "arn:aws:iam::210987654321:role/admin"
vpc_id = "vpc-1a1b2c3d"
vpc_cidr = "172.17.0.0/16"
subnets = ["subnet-2a1b2c3d"]
[efs]
performance_mode = "max-io"
throughput_mode = "provisioned"
provisioned_throughput_mibps = 256.5
encrypted = true
kms_key_id = "alias/efs"
file_system_policy = false
[storage_class]
name = "efs-shared"
directory_perms = "0770"
uid = 5000
gid = 5001
gid_range_start = 50000
gid_range_end = 60000
base_path = "/volumes"
sub_path_pattern = "${.PVC.namespace}/${.PVC.name}"
ensure_unique_directory = false
reuse_access_point = true
az = "eu-west-1b"
default_class = true
reclaim_policy = "Retain"
[iam]
trust = "account-root"
csi_policy_name = "p-a"
csi_role_name = "r-a"
cross_account_policy_name = "p-b"
cross_account_role_name = "r-b"
[network]
peering_dns_resolution = true
[operator]
namespace = "efs-operator"
channel = "preview"
source = "my-operators"
source_namespace = "my-marketplace"
approval = "Manual"
approve_install_plan = true
[verify]
namespace = "check"
image = "quay.io/example/busybox:1"
keep = true
timeout_seconds = 30
[tags]
team = "storage"
"cost center" = "12"
"#;
    let spec = load(text).unwrap_or_else(|e| panic!("{e}"));
    insta::assert_json_snapshot!(spec);
}

#[test]
fn one_zone_needs_general_purpose_and_loads() {
    let spec = accepts("efs", "one_zone_az_id = \"use2-az2\"");
    assert_eq!(spec.efs.one_zone_az_id.unwrap().as_str(), "use2-az2");
    assert!(!accepts("efs", "encrypted = false").efs.encrypted);
}

// ---- environment -------------------------------------------------------------------------

/// For each variable: a valid value different from the file's, and an invalid one.
const ENV_CASES: &[(&str, &str, &str)] = &[
    ("stack.region", "eu-central-1", "eu-central-1a"),
    ("cluster.name", "other-cluster", "Other_Cluster"),
    ("cluster.account_id", "333333333333", "3333"),
    ("cluster.vpc_id", "vpc-11111111", "vpc-xyz"),
    ("cluster.vpc_cidr", "10.2.0.0/16", "10.0.1.7/16"),
    ("storage.account_id", "444444444444", "44444444444a"),
    ("storage.vpc_id", "vpc-22222222", "vpc_22222222"),
    ("storage.vpc_cidr", "10.3.0.0/16", "10.3.0.0/33"),
];

fn shown(spec: &StackSpec, key: &str) -> String {
    match key {
        "stack.region" => spec.region.to_string(),
        "cluster.name" => spec.cluster.name.to_string(),
        "cluster.account_id" => spec.cluster.account_id.to_string(),
        "cluster.vpc_id" => spec.cluster.vpc_id.to_string(),
        "cluster.vpc_cidr" => spec.cluster.vpc_cidr.to_string(),
        "storage.account_id" => spec.storage.account_id.to_string(),
        "storage.vpc_id" => spec.storage.vpc_id.to_string(),
        "storage.vpc_cidr" => spec.storage.vpc_cidr.to_string(),
        _ => unreachable!("{key}"),
    }
}

#[test]
fn every_variable_is_covered() {
    let covered: BTreeSet<&str> = ENV_CASES.iter().map(|(k, _, _)| *k).collect();
    let listed: BTreeSet<&str> = ENV_OVERRIDES.iter().map(|(k, _)| *k).collect();
    assert_eq!(covered, listed);
}

#[test]
fn each_variable_overrides_the_file() {
    for (key, var) in ENV_OVERRIDES {
        let (_, good, _) = ENV_CASES.iter().find(|(k, _, _)| k == key).unwrap();
        let spec = StackSpec::from_toml_str(MINIMAL, &env(&[(var, good)]))
            .unwrap_or_else(|e| panic!("{var}={good}: {e}"));
        assert_eq!(shown(&spec, key), *good, "{var}");
    }
}

#[test]
fn errors_name_the_variable_a_value_came_from() {
    for (key, var) in ENV_OVERRIDES {
        let (_, _, bad) = ENV_CASES.iter().find(|(k, _, _)| k == key).unwrap();
        let err = error_for(StackSpec::from_toml_str(MINIMAL, &env(&[(var, bad)])), key);
        assert_eq!(err.source, ValueSource::Env(var), "{err}");
        assert_eq!(err.span, None, "{err}");
        assert!(
            err.to_string()
                .starts_with(&format!("{key} (from {var}): ")),
            "{err}"
        );
        assert!(err.help.is_some(), "{err}");
    }
}

#[test]
fn host_bits_error_reads_as_documented() {
    let err = error_for(
        StackSpec::from_toml_str(MINIMAL, &env(&[("AWS_ACCOUNT_A_VPC_CIDR", "10.0.1.7/16")])),
        "cluster.vpc_cidr",
    );
    assert_eq!(
        err.to_string(),
        "cluster.vpc_cidr (from AWS_ACCOUNT_A_VPC_CIDR): \"10.0.1.7/16\" is not a valid IPv4 CIDR block: host bits are set; did you mean `10.0.0.0/16`?"
    );
}

#[test]
fn values_may_come_from_the_environment_alone() {
    let text = "[stack]\nname = \"demo\"\n";
    let vars: Vec<(&str, &str)> = ENV_OVERRIDES
        .iter()
        .map(|(key, var)| {
            let (_, good, _) = ENV_CASES.iter().find(|(k, _, _)| k == key).unwrap();
            (*var, *good)
        })
        .collect();
    let spec = StackSpec::from_toml_str(text, &env(&vars)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.region.as_str(), "eu-central-1");
    assert_eq!(spec.storage.vpc_cidr.to_string(), "10.3.0.0/16");
}

#[test]
fn empty_variables_do_not_override() {
    let spec =
        StackSpec::from_toml_str(MINIMAL, &env(&[("AWS_REGION", ""), ("CLUSTER_NAME", " ")]))
            .unwrap();
    assert_eq!(spec.region.as_str(), "us-east-2");
    assert_eq!(spec.cluster.name.as_str(), "sts-cluster");
}

#[test]
fn overlap_names_the_variable_of_the_other_side() {
    let err = error_for(
        StackSpec::from_toml_str(MINIMAL, &env(&[("AWS_ACCOUNT_A_VPC_CIDR", "10.1.0.0/16")])),
        "storage.vpc_cidr",
    );
    assert!(
        err.message
            .ends_with("of cluster.vpc_cidr (from AWS_ACCOUNT_A_VPC_CIDR)"),
        "{err}"
    );
}

// ---- ids ---------------------------------------------------------------------------------

#[test]
fn malformed_ids_name_the_key_and_point_at_the_value() {
    let cases = [
        ("stack", "name", "\"Demo\"", "stack.name", "lowercase"),
        (
            "stack",
            "region",
            "\"us-east-2a\"",
            "stack.region",
            "region code",
        ),
        (
            "cluster",
            "account_id",
            "\"1111\"",
            "cluster.account_id",
            "12 digits",
        ),
        (
            "cluster",
            "vpc_id",
            "\"vpc-XYZ\"",
            "cluster.vpc_id",
            "hex digits",
        ),
        (
            "cluster",
            "vpc_cidr",
            "\"10.0.0.0\"",
            "cluster.vpc_cidr",
            "prefix length",
        ),
        (
            "cluster",
            "oidc_provider",
            "\"http://x.example.com\"",
            "cluster.oidc_provider",
            "https",
        ),
        (
            "storage",
            "assume_role_arn",
            "\"role/admin\"",
            "storage.assume_role_arn",
            "arn:",
        ),
        (
            "efs",
            "one_zone_az_id",
            "\"us-east-2a\"",
            "efs.one_zone_az_id",
            "zone id",
        ),
        (
            "storage_class",
            "name",
            "\"EFS\"",
            "storage_class.name",
            "lowercase",
        ),
        (
            "iam",
            "csi_role_name",
            "\"bad name\"",
            "iam.csi_role_name",
            "`+=,.@_-`",
        ),
        (
            "operator",
            "source",
            "\"Red Hat\"",
            "operator.source",
            "lowercase",
        ),
        (
            "verify",
            "namespace",
            "\"-x\"",
            "verify.namespace",
            "lowercase",
        ),
    ];
    for (section, name, value, key, help) in cases {
        let text = set(MINIMAL, section, &format!("{name} = {value}"));
        let err = error_for(load(&text), key);
        assert!(err.help.as_deref().unwrap_or("").contains(help), "{err}");
        assert_eq!(err.source, ValueSource::File);
        let span = err.span.clone().expect("a file value has a span");
        assert_eq!(&text[span], value, "{err}");
    }
}

#[test]
fn list_items_are_parsed_one_by_one() {
    let err = rejects(
        "storage",
        "subnets = [\"subnet-0a1b2c3d\", \"sn-1\"]",
        "storage.subnets",
        "hex digits",
    );
    assert!(err.message.starts_with("item 2:"), "{err}");
    rejects(
        "cluster",
        "node_role_arns = [\"arn:aws:iam::111111111111:policy/x\"]",
        "cluster.node_role_arns",
        ":role/",
    );
}

#[test]
fn duplicate_subnets_are_rejected() {
    let err = rejects(
        "storage",
        "subnets = [\"subnet-0a1b2c3d\", \"subnet-0a1b2c3d\"]",
        "storage.subnets",
        "once",
    );
    assert!(err.message.contains("item 2"), "{err}");
    let text = MINIMAL.replace(
        "worker_subnets = [\"subnet-0a1b2c3d4e5f60718\"]",
        "worker_subnets = [\"subnet-0a1b2c3d4e5f60718\", \"subnet-0a1b2c3d4e5f60718\"]",
    );
    let err = error_for(load(&text), "cluster.worker_subnets");
    assert!(err.help.unwrap().contains("once"));
}

// ---- cross-key rules ---------------------------------------------------------------------

#[test]
fn overlapping_cidrs_are_rejected() {
    let text = MINIMAL.replace("10.1.0.0/16", "10.0.128.0/17");
    let err = error_for(load(&text), "storage.vpc_cidr");
    assert_eq!(
        err.message,
        "10.0.128.0/17 overlaps 10.0.0.0/16 of cluster.vpc_cidr"
    );
    assert!(err.help.unwrap().contains("disjoint"));
}

#[test]
fn one_account_is_rejected() {
    let text = MINIMAL.replace("222222222222", "111111111111");
    let err = error_for(load(&text), "storage.account_id");
    assert!(err.message.contains("same account"), "{err}");
    assert!(err.help.unwrap().contains("holds the EFS file system"));
}

#[test]
fn assumed_role_must_be_in_account_b() {
    rejects(
        "storage",
        "assume_role_arn = \"arn:aws:iam::111111111111:role/admin\"",
        "storage.assume_role_arn",
        "role of account B",
    );
}

#[test]
fn gid_range_must_not_be_empty_or_inverted() {
    let err = rejects(
        "storage_class",
        "gid_range_start = 2000",
        "storage_class.gid_range_start",
        "greater than gid_range_start",
    );
    assert!(err.message.contains("empty"), "{err}");
    let err = rejects(
        "storage_class",
        "gid_range_start = 3000\ngid_range_end = 1500",
        "storage_class.gid_range_start",
        "greater than",
    );
    assert!(err.message.contains("inverted"), "{err}");
    // Only the end was written: blame the end.
    rejects(
        "storage_class",
        "gid_range_end = 500",
        "storage_class.gid_range_end",
        "greater than",
    );
    rejects(
        "storage_class",
        "gid_range_start = 0",
        "storage_class.gid_range_start",
        "1 or above",
    );
}

#[test]
fn provisioned_throughput_iff_provisioned_and_positive() {
    let err = rejects(
        "efs",
        "throughput_mode = \"provisioned\"",
        "efs.provisioned_throughput_mibps",
        "provisioned_throughput_mibps = 128",
    );
    assert!(err.span.is_some(), "points at throughput_mode");
    rejects(
        "efs",
        "provisioned_throughput_mibps = 64",
        "efs.provisioned_throughput_mibps",
        "remove it",
    );
    for bad in ["0", "-5.5", "nan", "inf"] {
        rejects(
            "efs",
            &format!("throughput_mode = \"provisioned\"\nprovisioned_throughput_mibps = {bad}"),
            "efs.provisioned_throughput_mibps",
            "positive",
        );
    }
    let spec = accepts(
        "efs",
        "throughput_mode = \"provisioned\"\nprovisioned_throughput_mibps = 64",
    );
    assert_eq!(spec.efs.provisioned_throughput_mibps, Some(64.0));
}

#[test]
fn max_io_is_rejected_where_aws_rejects_it() {
    let err = rejects(
        "efs",
        "performance_mode = \"max-io\"",
        "efs.performance_mode",
        "\"bursting\"",
    );
    assert!(err.message.contains("(the default)"), "{err}");
    let errors = load(&set(
        MINIMAL,
        "efs",
        "performance_mode = \"max-io\"\nthroughput_mode = \"bursting\"\none_zone_az_id = \"use2-az1\"",
    ))
    .unwrap_err();
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert!(errors.0[0].message.contains("One Zone"));
    assert!(
        errors.0[0]
            .help
            .as_deref()
            .unwrap()
            .contains("general-purpose")
    );
    let spec = accepts(
        "efs",
        "performance_mode = \"max-io\"\nthroughput_mode = \"bursting\"",
    );
    assert_eq!(spec.efs.performance_mode, PerformanceMode::MaxIo);
}

#[test]
fn kms_key_needs_encryption() {
    rejects(
        "efs",
        "encrypted = false\nkms_key_id = \"alias/x\"",
        "efs.kms_key_id",
        "encrypted = true",
    );
}

#[test]
fn directory_perms_are_three_or_four_octal_digits() {
    for bad in ["\"800\"", "\"77\"", "\"07777\"", "\"rwx\""] {
        rejects(
            "storage_class",
            &format!("directory_perms = {bad}"),
            "storage_class.directory_perms",
            "octal digits",
        );
    }
    for good in ["\"750\"", "\"0770\""] {
        accepts("storage_class", &format!("directory_perms = {good}"));
    }
}

#[test]
fn base_path_is_absolute() {
    rejects(
        "storage_class",
        "base_path = \"volumes\"",
        "storage_class.base_path",
        "\"/volumes\"",
    );
}

#[test]
fn az_is_a_zone_name_of_the_region() {
    for bad in ["use2-az1", "us-west-2a", "us-east-2"] {
        rejects(
            "storage_class",
            &format!("az = \"{bad}\""),
            "storage_class.az",
            "\"us-east-2a\"",
        );
    }
    accepts("storage_class", "az = \"us-east-2c\"");
}

#[test]
fn derived_role_names_blame_the_cluster_name() {
    let long = "c".repeat(50);
    let text = MINIMAL.replace("name = \"sts-cluster\"", &format!("name = \"{long}\""));
    let err = error_for(load(&text), "cluster.name");
    assert!(err.message.contains("iam.csi_role_name"), "{err}");
    assert!(
        err.help
            .as_deref()
            .unwrap()
            .contains("at most 43 characters"),
        "{err}"
    );
    // From the environment, the variable is named.
    let err = error_for(
        StackSpec::from_toml_str(MINIMAL, &env(&[("CLUSTER_NAME", &long)])),
        "cluster.name",
    );
    assert_eq!(err.source, ValueSource::Env("CLUSTER_NAME"));
    // Setting the role name explicitly is the other fix.
    let fixed = set(&text, "iam", "csi_role_name = \"efs-csi\"");
    assert_eq!(load(&fixed).unwrap().iam.csi_role_name.as_str(), "efs-csi");
    // A policy name may be longer, up to 128.
    let longer = MINIMAL.replace(
        "name = \"sts-cluster\"",
        &format!("name = \"{}\"", "c".repeat(120)),
    );
    let err = error_for(
        load(&set(&longer, "iam", "csi_role_name = \"r\"")),
        "cluster.name",
    );
    assert!(err.message.contains("iam.csi_policy_name"), "{err}");
}

#[test]
fn explicit_role_names_fit_iam() {
    let long = "r".repeat(65);
    rejects(
        "iam",
        &format!("cross_account_role_name = \"{long}\""),
        "iam.cross_account_role_name",
        "at most 64",
    );
    rejects(
        "iam",
        &format!("csi_role_name = \"{long}\""),
        "iam.csi_role_name",
        "at most 64",
    );
    // Policy names may be longer.
    accepts("iam", &format!("csi_policy_name = \"{long}\""));
}

#[test]
fn tags_follow_aws_rules() {
    let cases = [
        (
            "\"aws:owner\" = \"x\"",
            "tags.\"aws:owner\"",
            "without the `aws:` prefix",
        ),
        (
            "\"AWS:owner\" = \"x\"",
            "tags.\"AWS:owner\"",
            "without the `aws:` prefix",
        ),
        (
            "\"xefs:stack\" = \"x\"",
            "tags.\"xefs:stack\"",
            "stack.name",
        ),
        ("\"\" = \"x\"", "tags.\"\"", "give the tag a name"),
        ("team = \"a|b\"", "tags.team", "letters, digits"),
        ("nested = { a = \"b\" }", "tags.nested", "quoted string"),
        ("count = 3", "tags.count", "quote it: `count = \"3\"`"),
    ];
    for (line, key, help) in cases {
        rejects("tags", line, key, help);
    }
    let long_key = "k".repeat(129);
    rejects(
        "tags",
        &format!("{long_key} = \"v\""),
        &format!("tags.{long_key}"),
        "shorten the key",
    );
    let err = rejects(
        "tags",
        &format!("team = \"{}\"", "v".repeat(257)),
        "tags.team",
        "shorten the value",
    );
    assert!(err.message.contains("257"));
    let spec = accepts(
        "tags",
        &format!("\"k:é/=+-@ _.\" = \"{}\"", "v".repeat(256)),
    );
    assert_eq!(spec.tags.len(), 1);
}

#[test]
fn empty_optional_strings_are_rejected() {
    rejects(
        "efs",
        "kms_key_id = \"\"",
        "efs.kms_key_id",
        "remove the key",
    );
    rejects(
        "verify",
        "image = \" \"",
        "verify.image",
        "registry.access.redhat.com",
    );
}

#[test]
fn zero_timeout_is_rejected() {
    rejects(
        "verify",
        "timeout_seconds = 0",
        "verify.timeout_seconds",
        "positive",
    );
}

// ---- the file's shape --------------------------------------------------------------------

#[test]
fn unknown_key_suggests_the_close_one() {
    let text = MINIMAL.replace("vpc_cidr = \"10.0.0.0/16\"", "vpc_cdir = \"10.0.0.0/16\"");
    let err = error_for(load(&text), "cluster.vpc_cdir");
    assert_eq!(err.help.as_deref(), Some("did you mean `vpc_cidr`?"));
    assert_eq!(&text[err.span.unwrap()], "vpc_cdir");
    // The misspelt key also leaves the real one missing, with both fixes.
    let missing = error_for(load(&text), "cluster.vpc_cidr");
    assert!(missing.help.unwrap().contains("AWS_ACCOUNT_A_VPC_CIDR"));
}

#[test]
fn unknown_section_suggests_the_close_one() {
    let text = MINIMAL.replace("[storage]", "[storge]");
    let err = error_for(load(&text), "storge");
    assert_eq!(err.help.as_deref(), Some("did you mean `[storage]`?"));
    assert_eq!(err.message, "unknown section `[storge]`");
}

#[test]
fn keys_in_the_wrong_place_say_where_they_belong() {
    rejects(
        "cluster",
        "region = \"us-east-2\"",
        "cluster.region",
        "`stack.region`",
    );
    let err = error_for(
        load(&format!("region = \"us-east-2\"\n{MINIMAL}")),
        "region",
    );
    assert!(err.help.unwrap().contains("under `[stack]`"));
    rejects(
        "cluster",
        "bogus = 1",
        "cluster.bogus",
        "`[cluster]` takes name, account_id",
    );
    let err = error_for(
        load(&format!("{MINIMAL}\n[nothing_like_it]\n")),
        "nothing_like_it",
    );
    assert!(err.help.unwrap().contains("`[stack]`, `[cluster]`"));
}

#[test]
fn wrong_types_say_how_to_write_them() {
    let cases = [
        (
            "storage_class",
            "uid = \"1000\"",
            "storage_class.uid",
            "without quotes: `uid = 1000`",
        ),
        (
            "efs",
            "encrypted = \"true\"",
            "efs.encrypted",
            "without quotes: `encrypted = true`",
        ),
        (
            "storage_class",
            "directory_perms = 700",
            "storage_class.directory_perms",
            "quote it",
        ),
        (
            "storage",
            "subnets = \"subnet-0a1b2c3d\"",
            "storage.subnets",
            "make it a list",
        ),
        (
            "storage",
            "subnets = [1]",
            "storage.subnets",
            "quote it: \"1\"",
        ),
        (
            "storage_class",
            "gid = 4294967296",
            "storage_class.gid",
            "from 0 to 4294967295",
        ),
        (
            "storage_class",
            "gid = -1",
            "storage_class.gid",
            "from 0 to",
        ),
        (
            "efs",
            "throughput_mode = \"burst\"",
            "efs.throughput_mode",
            "did you mean \"bursting\"?",
        ),
        (
            "efs",
            "performance_mode = \"max_io\"",
            "efs.performance_mode",
            "did you mean \"max-io\"?",
        ),
        (
            "operator",
            "approval = \"automatic\"",
            "operator.approval",
            "did you mean \"Automatic\"?",
        ),
        (
            "efs",
            "provisioned_throughput_mibps = \"128\"",
            "efs.provisioned_throughput_mibps",
            "without quotes",
        ),
        (
            "verify",
            "keep = 2024-01-01",
            "verify.keep",
            "`true` or `false`",
        ),
    ];
    for (section, line, key, help) in cases {
        let err = rejects(section, line, key, help);
        assert!(err.span.is_some(), "{err}");
    }
    let err = error_for(load(&format!("network = 1\n{MINIMAL}")), "network");
    assert!(err.help.unwrap().contains("`[network]`"));
    // The same line after a section is a key of that section.
    let err = error_for(
        load(&format!("{MINIMAL}\nnetwork = 1\n")),
        "storage.network",
    );
    assert!(err.help.unwrap().contains("is a section"));
}

#[test]
fn ill_typed_required_keys_are_not_also_missing() {
    let text = MINIMAL.replace("account_id = \"111111111111\"", "account_id = 111111111111");
    let errors = load(&text).unwrap_err();
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert!(errors.0[0].help.as_deref().unwrap().contains("quote it"));
}

#[test]
fn missing_required_keys_say_where_to_add_them() {
    let required = [
        ("stack.name", None),
        ("stack.region", Some("AWS_REGION")),
        ("cluster.name", Some("CLUSTER_NAME")),
        ("cluster.account_id", Some("AWS_ACCOUNT_A_ID")),
        ("cluster.vpc_id", Some("ACCOUNT_A_VPC_ID")),
        ("cluster.vpc_cidr", Some("AWS_ACCOUNT_A_VPC_CIDR")),
        ("storage.account_id", Some("AWS_ACCOUNT_B_ID")),
        ("storage.vpc_id", Some("ACCOUNT_B_VPC_ID")),
        ("storage.vpc_cidr", Some("AWS_ACCOUNT_B_VPC_CIDR")),
    ];
    let errors = load("").unwrap_err();
    assert_eq!(errors.0.len(), required.len(), "{errors}");
    for (key, var) in required {
        let err = errors.for_key(key).unwrap();
        let help = err.help.as_deref().unwrap();
        let (section, name) = key.split_once('.').unwrap();
        assert!(help.starts_with(&format!("add `{name} = ")), "{help}");
        assert!(help.contains(&format!("under `[{section}]`")), "{help}");
        if let Some(var) = var {
            assert!(help.ends_with(&format!("or set {var}")), "{help}");
        }
    }
    // With the section present, the error points at its header.
    let err = error_for(
        load(&without(MINIMAL, "vpc_cidr = \"10.1")),
        "storage.vpc_cidr",
    );
    assert!(err.span.is_some());
}

#[test]
fn all_problems_are_reported_at_once() {
    let text = r#"
[stack]
name = "Demo"
region = "us-east-2"
[cluster]
name = "sts-cluster"
account_id = "111111111111"
vpc_id = "vpc-0a1b2c3d"
vpc_cdir = "10.0.0.0/16"
[storage]
account_id = "111111111111"
vpc_id = "vpc-nope"
vpc_cidr = "10.0.0.0/8"
[storage_class]
gid_range_start = 5000
directory_perms = "999"
[tags]
"aws:x" = "y"
"#;
    let errors = StackSpec::from_toml_str(text, &env(&[("AWS_ACCOUNT_A_VPC_CIDR", "10.0.0.0/16")]))
        .unwrap_err();
    let keys: BTreeSet<&str> = errors.0.iter().map(|e| e.key.as_str()).collect();
    let expected = BTreeSet::from([
        "stack.name",
        "cluster.vpc_cdir",
        "storage.account_id",
        "storage.vpc_id",
        "storage.vpc_cidr",
        "storage_class.gid_range_start",
        "storage_class.directory_perms",
        "tags.\"aws:x\"",
    ]);
    assert_eq!(keys, expected, "{errors}");
    let shown = errors.to_string();
    assert!(
        shown.starts_with("8 problems in the stack spec:\n"),
        "{shown}"
    );
    assert_eq!(shown.lines().count(), 9);
}

#[test]
fn syntax_errors_are_reported_with_their_position() {
    let errors = load("[stack]\nname = \"demo\nregion = 1\n").unwrap_err();
    let err = &errors.0[0];
    assert_eq!(err.key, "");
    assert!(err.message.starts_with("invalid TOML at line 2"), "{err}");
    assert!(err.span.is_some());
}

// ---- files -------------------------------------------------------------------------------

#[test]
fn load_reads_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("xefs.toml");
    std::fs::write(&path, MINIMAL).unwrap();
    assert_eq!(
        StackSpec::load(&path, &env(&[])).unwrap(),
        load(MINIMAL).unwrap()
    );
}

#[test]
fn a_missing_file_is_one_error_with_help() {
    let dir = tempfile::tempdir().unwrap();
    let errors = StackSpec::load(&dir.path().join("absent.toml"), &env(&[])).unwrap_err();
    assert_eq!(errors.0.len(), 1);
    let err = &errors.0[0];
    assert_eq!(err.key, "");
    assert!(err.message.contains("absent.toml"), "{err}");
    assert!(err.help.as_deref().unwrap().contains("examples/xefs.toml"));
}

#[test]
fn process_env_reads_the_process() {
    // PATH is set in any test environment; no variable is modified.
    assert!(ProcessEnv.var("PATH").is_some());
    assert_eq!(ProcessEnv.var("XEFS_SURELY_UNSET_VARIABLE"), None);
}
