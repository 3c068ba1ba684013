//! Building a [`StackSpec`] in code, for tools that hold their stacks in their own data model
//! rather than in TOML files.
//!
//! The builder sets the same dotted keys a config file does and validates through the same
//! rules, so an error names the key (`storage.vpc_cidr`) exactly as it would for a file.

use std::collections::BTreeMap;

use super::error::SpecErrors;
use super::model::StackSpec;

/// Sets a stack's keys one by one, then validates them all at once.
///
/// ```
/// use xefs_core::spec::StackSpec;
///
/// let spec = StackSpec::builder("team-a", "us-east-2")
///     .cluster("sts-cluster", "111111111111", "vpc-0a1b2c3d4e5f60718", "10.0.0.0/16")
///     .storage("222222222222", "vpc-0f1e2d3c4b5a69788", "10.1.0.0/16")
///     .set("efs.throughput_mode", "elastic")
///     .set("storage_class.default_class", true)
///     .build()?;
/// assert_eq!(spec.name.as_str(), "team-a");
///
/// // Bad values are reported by key, every one of them, as for a file.
/// let errors = StackSpec::builder("team-a", "us-east-2")
///     .cluster("sts-cluster", "111111111111", "vpc-0a1b2c3d4e5f60718", "10.0.0.0/16")
///     .storage("222222222222", "vpc-0f1e2d3c4b5a69788", "10.0.0.0/16")
///     .build()
///     .unwrap_err();
/// assert!(errors.0.iter().any(|e| e.key == "storage.vpc_cidr"));
/// # Ok::<(), xefs_core::spec::SpecErrors>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct StackSpecBuilder {
    keys: BTreeMap<String, toml::Value>,
}

impl StackSpec {
    /// A builder for the stack `name` in `region`.
    pub fn builder(name: &str, region: &str) -> StackSpecBuilder {
        StackSpecBuilder::default()
            .set("stack.name", name)
            .set("stack.region", region)
    }
}

impl StackSpecBuilder {
    /// Account A's cluster: its name, account id, VPC and the VPC's CIDR block.
    pub fn cluster(self, name: &str, account_id: &str, vpc_id: &str, vpc_cidr: &str) -> Self {
        self.set("cluster.name", name)
            .set("cluster.account_id", account_id)
            .set("cluster.vpc_id", vpc_id)
            .set("cluster.vpc_cidr", vpc_cidr)
    }

    /// Account B's storage: its account id, VPC and the VPC's CIDR block.
    pub fn storage(self, account_id: &str, vpc_id: &str, vpc_cidr: &str) -> Self {
        self.set("storage.account_id", account_id)
            .set("storage.vpc_id", vpc_id)
            .set("storage.vpc_cidr", vpc_cidr)
    }

    /// Any key of the config file by its dotted name (`efs.encrypted`, `cluster.worker_subnets`,
    /// `tags.team`…), with a string, boolean, number or list value. A key without a section
    /// is reported as unknown by [`StackSpecBuilder::build`].
    pub fn set(mut self, key: &str, value: impl Into<toml::Value>) -> Self {
        self.keys.insert(key.to_owned(), value.into());
        self
    }

    /// Validates every key, as a config file with these values would be (without the
    /// guide's environment variables: a builder is explicit).
    pub fn build(self) -> Result<StackSpec, SpecErrors> {
        // Every key is `section.key` (`tags.<name>` included): one table per section.
        let mut sections: BTreeMap<String, toml::Table> = BTreeMap::new();
        for (key, value) in self.keys {
            let (section, leaf) = key.split_once('.').unwrap_or(("", key.as_str()));
            sections
                .entry(section.to_owned())
                .or_default()
                .insert(leaf.to_owned(), value);
        }
        let mut root = toml::Table::new();
        for (section, table) in sections {
            if section.is_empty() {
                root.extend(table);
            } else {
                root.insert(section, toml::Value::Table(table));
            }
        }
        let text = toml::to_string(&root).unwrap_or_default();
        StackSpec::from_toml_str(&text, &BTreeMap::<String, String>::new())
    }
}
