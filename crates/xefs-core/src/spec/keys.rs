//! Every section and key `xefs.toml` knows, with the type each holds, and "did you mean"
//! suggestions for the ones it does not.

/// The TOML type a key holds; checked before any value is interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A string.
    Str,
    /// `true` or `false`.
    Bool,
    /// A whole number that fits in `u32`.
    U32,
    /// A whole number that fits in `u64`.
    U64,
    /// A number, whole or not.
    Float,
    /// One of these strings, as the model's serde names them.
    Choice(&'static [&'static str]),
    /// An array of strings.
    StrList,
}

impl Kind {
    /// What a value of this kind looks like, for "expected …" messages.
    pub(crate) fn describe(self) -> String {
        match self {
            Kind::Str => "a string".to_owned(),
            Kind::Bool => "`true` or `false`".to_owned(),
            Kind::U32 => format!("a whole number from 0 to {}", u32::MAX),
            Kind::U64 => format!("a whole number from 0 to {}", u64::MAX),
            Kind::Float => "a number".to_owned(),
            Kind::Choice(names) => format!("one of {}", quoted_list(names)),
            Kind::StrList => "a list of strings".to_owned(),
        }
    }
}

/// `"a"`, `"b"` or `"c"`.
pub(crate) fn quoted_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// The keys a section may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Keys {
    /// Exactly these keys, each of its kind.
    Fixed(&'static [(&'static str, Kind)]),
    /// Any key with a string value (`[tags]`).
    AnyString,
}

/// The variant names of the model's enums, as written in the file.
pub(crate) const PERFORMANCE_MODES: &[&str] = &["general-purpose", "max-io"];
pub(crate) const THROUGHPUT_MODES: &[&str] = &["elastic", "bursting", "provisioned"];
pub(crate) const TRUST_MODES: &[&str] = &["csi-role", "account-root"];
pub(crate) const APPROVALS: &[&str] = &["Automatic", "Manual"];
pub(crate) const RECLAIM_POLICIES: &[&str] = &["Delete", "Retain"];

/// Every section, in the order the example file shows them.
pub(crate) const SECTIONS: &[(&str, Keys)] = &[
    (
        "stack",
        Keys::Fixed(&[("name", Kind::Str), ("region", Kind::Str)]),
    ),
    (
        "cluster",
        Keys::Fixed(&[
            ("name", Kind::Str),
            ("account_id", Kind::Str),
            ("profile", Kind::Str),
            ("vpc_id", Kind::Str),
            ("vpc_cidr", Kind::Str),
            ("oidc_provider", Kind::Str),
            ("worker_subnets", Kind::StrList),
            ("node_role_arns", Kind::StrList),
            ("kube_context", Kind::Str),
        ]),
    ),
    (
        "storage",
        Keys::Fixed(&[
            ("account_id", Kind::Str),
            ("profile", Kind::Str),
            ("assume_role_arn", Kind::Str),
            ("vpc_id", Kind::Str),
            ("vpc_cidr", Kind::Str),
            ("subnets", Kind::StrList),
        ]),
    ),
    (
        "efs",
        Keys::Fixed(&[
            ("performance_mode", Kind::Choice(PERFORMANCE_MODES)),
            ("throughput_mode", Kind::Choice(THROUGHPUT_MODES)),
            ("provisioned_throughput_mibps", Kind::Float),
            ("encrypted", Kind::Bool),
            ("kms_key_id", Kind::Str),
            ("one_zone_az_id", Kind::Str),
            ("file_system_policy", Kind::Bool),
        ]),
    ),
    (
        "storage_class",
        Keys::Fixed(&[
            ("name", Kind::Str),
            ("directory_perms", Kind::Str),
            ("uid", Kind::U32),
            ("gid", Kind::U32),
            ("gid_range_start", Kind::U32),
            ("gid_range_end", Kind::U32),
            ("base_path", Kind::Str),
            ("sub_path_pattern", Kind::Str),
            ("ensure_unique_directory", Kind::Bool),
            ("reuse_access_point", Kind::Bool),
            ("az", Kind::Str),
            ("default_class", Kind::Bool),
            ("reclaim_policy", Kind::Choice(RECLAIM_POLICIES)),
        ]),
    ),
    (
        "iam",
        Keys::Fixed(&[
            ("trust", Kind::Choice(TRUST_MODES)),
            ("csi_policy_name", Kind::Str),
            ("csi_role_name", Kind::Str),
            ("cross_account_policy_name", Kind::Str),
            ("cross_account_role_name", Kind::Str),
        ]),
    ),
    (
        "network",
        Keys::Fixed(&[("peering_dns_resolution", Kind::Bool)]),
    ),
    (
        "operator",
        Keys::Fixed(&[
            ("namespace", Kind::Str),
            ("channel", Kind::Str),
            ("source", Kind::Str),
            ("source_namespace", Kind::Str),
            ("approval", Kind::Choice(APPROVALS)),
            ("approve_install_plan", Kind::Bool),
        ]),
    ),
    (
        "verify",
        Keys::Fixed(&[
            ("namespace", Kind::Str),
            ("image", Kind::Str),
            ("keep", Kind::Bool),
            ("timeout_seconds", Kind::U64),
        ]),
    ),
    ("tags", Keys::AnyString),
];

/// The keys of a known section.
pub(crate) fn section(name: &str) -> Option<Keys> {
    SECTIONS.iter().find(|(s, _)| *s == name).map(|(_, k)| *k)
}

/// The kind of a dotted key such as `cluster.vpc_cidr`, if it is known.
pub(crate) fn kind_of(dotted: &str) -> Option<Kind> {
    let (section_name, key) = dotted.split_once('.')?;
    match section(section_name)? {
        Keys::Fixed(keys) => keys.iter().find(|(k, _)| *k == key).map(|(_, kind)| *kind),
        Keys::AnyString => Some(Kind::Str),
    }
}

/// The first section (in [`SECTIONS`] order) that has a key named `key`: where a key put in
/// the wrong place most likely belongs.
pub(crate) fn section_holding(key: &str) -> Option<&'static str> {
    SECTIONS.iter().find_map(|(name, keys)| match keys {
        Keys::Fixed(keys) => keys.iter().any(|(k, _)| *k == key).then_some(*name),
        Keys::AnyString => None,
    })
}

/// The candidate closest to `input`, when it is close enough to be a typo: at most a third
/// of its length in edits (at least one), or a Jaro-Winkler similarity of 0.9 (which catches
/// truncations such as `burst`), ignoring case.
pub(crate) fn suggest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let input = input.to_lowercase();
    candidates
        .into_iter()
        .filter_map(|c| {
            let lower = c.to_lowercase();
            let edits = strsim::damerau_levenshtein(&input, &lower);
            let similarity = strsim::jaro_winkler(&input, &lower);
            let close = edits <= (c.chars().count() / 3).max(1) || similarity >= 0.9;
            close.then_some((similarity, c))
        })
        .max_by(|(a, _), (b, _)| a.total_cmp(b))
        .map(|(_, c)| c)
}

/// The example value the help for a missing required key shows.
pub(crate) fn example(dotted: &str) -> &'static str {
    match dotted {
        "stack.name" => "\"demo\"",
        "stack.region" => "\"us-east-2\"",
        "cluster.name" => "\"sts-cluster\"",
        "cluster.account_id" => "\"111111111111\"",
        "storage.account_id" => "\"222222222222\"",
        "cluster.vpc_id" | "storage.vpc_id" => "\"vpc-0a1b2c3d4e5f60718\"",
        "cluster.vpc_cidr" => "\"10.0.0.0/16\"",
        "storage.vpc_cidr" => "\"10.1.0.0/16\"",
        _ => "\"…\"",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let cluster = ["name", "vpc_id", "vpc_cidr", "worker_subnets"];
        assert_eq!(suggest("vpc_cdir", cluster), Some("vpc_cidr"));
        assert_eq!(suggest("VPC_ID", cluster), Some("vpc_id"));
        assert_eq!(
            suggest("burst", THROUGHPUT_MODES.iter().copied()),
            Some("bursting")
        );
        assert_eq!(suggest("subnets", cluster), None);
        assert_eq!(suggest("namespace", ["name"]), None);
        let sections = SECTIONS.iter().map(|(s, _)| *s);
        assert_eq!(suggest("storge", sections), Some("storage"));
    }

    #[test]
    fn knows_where_keys_live() {
        assert_eq!(section_holding("region"), Some("stack"));
        assert_eq!(section_holding("vpc_cidr"), Some("cluster"));
        assert_eq!(section_holding("nope"), None);
        assert_eq!(kind_of("storage_class.uid"), Some(Kind::U32));
        assert_eq!(kind_of("tags.anything"), Some(Kind::Str));
        assert_eq!(kind_of("cluster.nope"), None);
    }

    /// The names the table accepts are exactly the model's serde names.
    #[test]
    fn choice_names_deserialize_into_the_model() {
        use serde::Deserialize;
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, StrDeserializer};

        use crate::spec::{
            InstallPlanApproval, PerformanceMode, ReclaimPolicy, ThroughputMode, TrustMode,
        };

        fn de(name: &str) -> StrDeserializer<'_, Error> {
            name.into_deserializer()
        }
        for n in PERFORMANCE_MODES {
            assert!(PerformanceMode::deserialize(de(n)).is_ok(), "{n}");
        }
        for n in THROUGHPUT_MODES {
            assert!(ThroughputMode::deserialize(de(n)).is_ok(), "{n}");
        }
        for n in TRUST_MODES {
            assert!(TrustMode::deserialize(de(n)).is_ok(), "{n}");
        }
        for n in APPROVALS {
            assert!(InstallPlanApproval::deserialize(de(n)).is_ok(), "{n}");
        }
        for n in RECLAIM_POLICIES {
            assert!(ReclaimPolicy::deserialize(de(n)).is_ok(), "{n}");
        }
    }

    #[test]
    fn lists_read_naturally() {
        assert_eq!(quoted_list(&["a"]), "\"a\"");
        assert_eq!(quoted_list(&["a", "b", "c"]), "\"a\", \"b\" or \"c\"");
    }
}
