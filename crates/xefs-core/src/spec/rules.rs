//! Rules beyond a single value's syntax: what AWS, IAM and the OpenShift EFS driver would
//! reject later (mid-apply, after resources exist), caught before any cloud call.

use super::fields::Fields;
use super::model::{EfsOptions, PerformanceMode, STACK_TAG, ThroughputMode};
use super::raw::{RawTag, key_path};
use super::{SpecError, ValueSource};
use crate::ids::{AccountId, Arn, IamName, Ipv4Cidr, K8sName, Region};

/// IAM's limit on policy names (role names have [`IamName::MAX_ROLE_LEN`]).
const MAX_POLICY_LEN: usize = 128;

/// Both accounts must differ: the whole point is crossing from A to B.
pub(crate) fn accounts_differ(f: &mut Fields<'_>) {
    let (Some(a), Some(b)) = (
        f.peek("cluster.account_id", AccountId::parse),
        f.peek("storage.account_id", AccountId::parse),
    ) else {
        return;
    };
    if a == b {
        let other = f.described("cluster.account_id");
        f.error(
            "storage.account_id",
            format!("is {b}, the same account as {other}"),
            "set storage.account_id to the account that holds the EFS file system; xefs wires two different accounts (within one account, the plain EFS CSI setup needs no peering or cross-account roles)",
        );
    }
}

/// Peered VPCs must not overlap, or AWS refuses the peering and routes.
pub(crate) fn cidrs_disjoint(f: &mut Fields<'_>) {
    let (Some(a), Some(b)) = (
        f.peek("cluster.vpc_cidr", Ipv4Cidr::parse),
        f.peek("storage.vpc_cidr", Ipv4Cidr::parse),
    ) else {
        return;
    };
    if a.overlaps(&b) {
        let other = f.described("cluster.vpc_cidr");
        f.error(
            "storage.vpc_cidr",
            format!("{b} overlaps {a} of {other}"),
            "peered VPCs must not share addresses: use a VPC in account B whose CIDR block is disjoint from the cluster VPC's",
        );
    }
}

/// The role xefs assumes for account B must be in account B.
pub(crate) fn assume_role_in_storage_account(f: &mut Fields<'_>) {
    let (Some(arn), Some(b)) = (
        f.peek("storage.assume_role_arn", Arn::parse),
        f.peek("storage.account_id", AccountId::parse),
    ) else {
        return;
    };
    if let Some(owner) = arn.account().filter(|owner| *owner != b) {
        f.error(
            "storage.assume_role_arn",
            format!("is a role in account {owner}, not in storage.account_id {b}"),
            "use a role of account B that trusts account A's credentials",
        );
    }
}

/// Each ARN must name an IAM role.
pub(crate) fn role_arns(f: &mut Fields<'_>, key: &str, arns: &[Arn]) {
    for arn in arns {
        if arn.service() != "iam" || !arn.resource().starts_with("role/") {
            f.error(
                key,
                format!("{arn} is not an IAM role ARN"),
                "write it as `arn:aws:iam::<account>:role/<name>`",
            );
        }
    }
}

/// An IAM name: `key` when set, else derived from the cluster name as the guide does
/// (`<cluster.name><suffix>`). A derived name that IAM would reject is blamed on
/// `cluster.name`, the key the user can change.
pub(crate) fn iam_name(f: &mut Fields<'_>, key: &'static str, suffix: &str) -> Option<IamName> {
    let is_role = key.ends_with("_role_name");
    if f.raw().sets(key) {
        let name = f.parsed(key, IamName::parse)?;
        if is_role {
            role_len(f, key, &name);
        }
        return Some(name);
    }
    let cluster = f.peek("cluster.name", K8sName::parse)?;
    let derived = format!("{cluster}{suffix}");
    let limit = if is_role {
        IamName::MAX_ROLE_LEN
    } else {
        MAX_POLICY_LEN
    };
    match IamName::parse(&derived) {
        Ok(name) if derived.len() <= limit => Some(name),
        _ => {
            let what = if is_role { "role" } else { "policy" };
            f.error(
                "cluster.name",
                format!(
                    "makes the IAM {what} name {derived:?} ({key}), which is {} characters; IAM allows {limit}",
                    derived.len()
                ),
                format!(
                    "shorten cluster.name to at most {} characters, or set {key} explicitly",
                    limit.saturating_sub(suffix.len())
                ),
            );
            None
        }
    }
}

/// A role name must fit IAM's role-name limit.
pub(crate) fn role_len(f: &mut Fields<'_>, key: &str, name: &IamName) {
    if let Err(e) = name.check_role_len() {
        f.error(
            key,
            format!("{:?} is {} characters long", e.value, name.as_str().len()),
            format!("{}; shorten it", e.expected),
        );
    }
}

/// Throughput and performance combinations AWS accepts.
pub(crate) fn efs_options(f: &mut Fields<'_>, efs: &EfsOptions) {
    let key = "efs.provisioned_throughput_mibps";
    let provisioned = efs.throughput_mode == ThroughputMode::Provisioned;
    match efs.provisioned_throughput_mibps {
        None if provisioned && !f.raw().sets(key) => {
            let at = f.origin("efs.throughput_mode");
            f.errors.push(
                SpecError::new(key, ValueSource::File, "is required with throughput_mode = \"provisioned\"")
                    .with_help("add e.g. `provisioned_throughput_mibps = 128` under `[efs]`, or choose another throughput_mode")
                    .with_span(at.span),
            );
        }
        Some(_) if !provisioned => f.error(
            key,
            format!(
                "is set, but efs.throughput_mode is {:?}",
                throughput_name(efs.throughput_mode)
            ),
            "remove it, or set `throughput_mode = \"provisioned\"`",
        ),
        Some(mibps) if !(mibps.is_finite() && mibps > 0.0) => f.error(
            key,
            format!("{mibps} is not a positive throughput"),
            "use a positive number of MiB/s, e.g. 128",
        ),
        _ => {}
    }
    if efs.performance_mode == PerformanceMode::MaxIo {
        if efs.one_zone_az_id.is_some() {
            f.error(
                "efs.performance_mode",
                "\"max-io\" is not available for One Zone file systems (efs.one_zone_az_id is set)",
                "use \"general-purpose\", or remove efs.one_zone_az_id for Regional storage",
            );
        }
        if efs.throughput_mode == ThroughputMode::Elastic {
            let default = if f.is_set("efs.throughput_mode") {
                ""
            } else {
                " (the default)"
            };
            f.error(
                "efs.performance_mode",
                format!("\"max-io\" cannot be combined with elastic throughput{default}; AWS rejects it"),
                "set efs.throughput_mode to \"bursting\" or \"provisioned\", or use \"general-purpose\" (AWS's recommendation with elastic throughput)",
            );
        }
    }
    if efs.kms_key_id.is_some() && !efs.encrypted {
        f.error(
            "efs.kms_key_id",
            "is set, but efs.encrypted is false",
            "remove kms_key_id, or set `encrypted = true` (AWS uses a KMS key only for an encrypted file system)",
        );
    }
}

fn throughput_name(mode: ThroughputMode) -> &'static str {
    match mode {
        ThroughputMode::Elastic => "elastic",
        ThroughputMode::Bursting => "bursting",
        ThroughputMode::Provisioned => "provisioned",
    }
}

/// `directoryPerms` is an octal mode.
pub(crate) fn directory_perms(f: &mut Fields<'_>, perms: &str) {
    let ok = (3..=4).contains(&perms.len()) && perms.bytes().all(|b| (b'0'..=b'7').contains(&b));
    if !ok {
        f.error(
            "storage_class.directory_perms",
            format!("{perms:?} is not an octal mode"),
            "write 3 or 4 octal digits, like \"700\" or \"0770\"",
        );
    }
}

/// The driver needs `0 < gidRangeStart < gidRangeEnd`.
pub(crate) fn gid_range(f: &mut Fields<'_>, start: u32, end: u32) {
    if start == 0 {
        f.error(
            "storage_class.gid_range_start",
            "is 0, which the driver rejects",
            "start the range at 1 or above, e.g. 1000",
        );
    }
    if start >= end {
        // Blame the bound the user wrote; the start when both or neither were.
        let key = if f.is_set("storage_class.gid_range_end")
            && !f.is_set("storage_class.gid_range_start")
        {
            "storage_class.gid_range_end"
        } else {
            "storage_class.gid_range_start"
        };
        let how = if start == end { "empty" } else { "inverted" };
        f.error(
            key,
            format!("the GID range {start}..{end} is {how}"),
            "make gid_range_end greater than gid_range_start (e.g. 1000 and 2000); each volume takes one GID from the range",
        );
    }
}

/// `basePath` is absolute.
pub(crate) fn base_path(f: &mut Fields<'_>, path: &str) {
    if !path.starts_with('/') {
        f.error(
            "storage_class.base_path",
            format!("{path:?} is not an absolute path"),
            format!("start it with a slash: \"/{path}\""),
        );
    }
}

/// The driver's `az` is a zone *name* of the stack's region (it is compared with the mount
/// targets' zone names).
pub(crate) fn zone_name(f: &mut Fields<'_>, az: Option<&str>, region: Option<&Region>) {
    let (Some(az), Some(region)) = (az, region) else {
        return;
    };
    let suffix = az.strip_prefix(region.as_str()).unwrap_or("");
    let ok = !suffix.is_empty()
        && suffix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        f.error(
            "storage_class.az",
            format!("{az:?} is not a zone name in {region}"),
            format!(
                "use a zone name such as \"{region}a\", as account B names it (names map to different physical zones in each account; this is not a zone id)"
            ),
        );
    }
}

/// A `[tags]` entry AWS (EFS the strictest) accepts and xefs does not reserve. Reports every
/// problem with it; returns whether it has none.
pub(crate) fn tag_ok(f: &mut Fields<'_>, tag: &RawTag) -> bool {
    let key = key_path("tags", &tag.key);
    let mut problems: Vec<(String, String, &std::ops::Range<usize>)> = Vec::new();
    let at_key = &tag.key_span;
    let at_value = &tag.value_span;
    if tag.key.is_empty() {
        problems.push((
            "the tag key is empty".into(),
            "give the tag a name".into(),
            at_key,
        ));
    }
    if tag.key.to_ascii_lowercase().starts_with("aws:") {
        problems.push((
            "tag keys starting with `aws:` are reserved for AWS".into(),
            "rename the tag without the `aws:` prefix".into(),
            at_key,
        ));
    }
    if tag.key == STACK_TAG {
        problems.push((
            format!("`{STACK_TAG}` is reserved (xefs sets it to the stack name on every resource)"),
            "remove it; use stack.name to change its value".into(),
            at_key,
        ));
    }
    let key_len = tag.key.chars().count();
    if key_len > 128 {
        problems.push((
            format!("the tag key is {key_len} characters; AWS allows 128"),
            "shorten the key".into(),
            at_key,
        ));
    }
    let value_len = tag.value.chars().count();
    if value_len > 256 {
        problems.push((
            format!("the tag value is {value_len} characters; AWS allows 256"),
            "shorten the value".into(),
            at_value,
        ));
    }
    for (text, span) in [(&tag.key, at_key), (&tag.value, at_value)] {
        if let Some(c) = text.chars().find(|c| !tag_char(*c)) {
            problems.push((
                format!("{c:?} is not allowed in EFS tags"),
                "use letters, digits, spaces and `_ . : / = + - @`".into(),
                span,
            ));
        }
    }
    let ok = problems.is_empty();
    for (message, help, span) in problems {
        f.errors.push(
            SpecError::new(key.clone(), ValueSource::File, message)
                .with_help(help)
                .with_span(Some(span.clone())),
        );
    }
    ok
}

/// EFS's tag alphabet: `[\p{L}\p{Z}\p{N}_.:/=+\-@]`.
fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "_.:/=+-@".contains(c)
}
