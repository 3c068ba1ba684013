//! Stable step addresses such as `storage.efs.file-system`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a step acts: which AWS account, or the cluster's API, or the end-to-end check.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// AWS account A, which holds the cluster.
    ClusterAccount,
    /// AWS account B, which holds the file system.
    StorageAccount,
    /// Both accounts (read-only checks).
    BothAccounts,
    /// The OpenShift cluster's Kubernetes API.
    Cluster,
}

impl Target {
    /// The first segment of the addresses of steps on this target.
    pub fn prefix(self) -> &'static str {
        match self {
            Target::ClusterAccount => "cluster",
            Target::StorageAccount => "storage",
            Target::BothAccounts => "preflight",
            Target::Cluster => "openshift",
        }
    }

    /// A short human label.
    pub fn label(self) -> &'static str {
        match self {
            Target::ClusterAccount => "AWS account A (cluster)",
            Target::StorageAccount => "AWS account B (storage)",
            Target::BothAccounts => "AWS accounts A and B",
            Target::Cluster => "OpenShift cluster",
        }
    }
}

/// A step's stable address: dot-separated kebab-case segments, e.g. `storage.efs.file-system`.
/// Addresses are the keys of the plan, the state journal and `--target` style selections, so
/// they never change between versions without a state migration.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct Address(String);

/// A string that is not a valid step address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a step address: use dot-separated lowercase segments like `storage.efs.file-system`"
)]
pub struct AddressError(pub String);

impl Address {
    /// Parses an address.
    pub fn parse(s: &str) -> Result<Self, AddressError> {
        let ok = s.split('.').all(|seg| {
            !seg.is_empty()
                && seg.starts_with(|c: char| c.is_ascii_lowercase())
                && !seg.ends_with('-')
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(AddressError(s.to_owned()))
        }
    }

    /// Builds an address from a compile-time constant; panics only on a programming error.
    #[allow(dead_code)] // used by the blueprint builder
    pub(crate) fn from_static(s: &'static str) -> Self {
        match Self::parse(s) {
            Ok(a) => a,
            Err(e) => panic!("invalid built-in step address: {e}"),
        }
    }

    /// The address as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Address {
    type Error = AddressError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Address> for String {
    fn from(a: Address) -> String {
        a.0
    }
}

impl std::str::FromStr for Address {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert!(Address::parse("storage.efs.file-system").is_ok());
        for bad in ["", "a..b", "Storage.efs", "a.b-", "a.1b", "a b"] {
            assert!(Address::parse(bad).is_err(), "{bad:?}");
        }
    }
}
