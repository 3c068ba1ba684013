//! The environment the spec is loaded in: the reference guide's shell variables override the
//! file, so a user who followed the guide can run xefs without restating every value.

use std::collections::BTreeMap;

/// A source of environment variables; tests pass a map instead of touching the process.
pub trait EnvSource {
    /// The variable's value, or `None` when it is unset (or not valid UTF-8).
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl EnvSource for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// Which spec key each of the guide's variables overrides, as `(dotted key, variable)`.
/// Listed so the CLI and the docs can show them.
pub const ENV_OVERRIDES: &[(&str, &str)] = &[
    ("stack.region", "AWS_REGION"),
    ("cluster.name", "CLUSTER_NAME"),
    ("cluster.account_id", "AWS_ACCOUNT_A_ID"),
    ("cluster.vpc_id", "ACCOUNT_A_VPC_ID"),
    ("cluster.vpc_cidr", "AWS_ACCOUNT_A_VPC_CIDR"),
    ("storage.account_id", "AWS_ACCOUNT_B_ID"),
    ("storage.vpc_id", "ACCOUNT_B_VPC_ID"),
    ("storage.vpc_cidr", "AWS_ACCOUNT_B_VPC_CIDR"),
];

/// The variable that overrides `key`, if any.
pub(crate) fn var_for(key: &str) -> Option<&'static str> {
    ENV_OVERRIDES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, var)| *var)
}

/// The override for `key`: its variable's value when set and not blank. Surrounding
/// whitespace (a stray space in `export X="… "`) is never meaningful in these values, so it is
/// trimmed.
pub(crate) fn override_for(env: &dyn EnvSource, key: &str) -> Option<(String, &'static str)> {
    let var = var_for(key)?;
    let value = env.var(var)?;
    let value = value.trim();
    (!value.is_empty()).then(|| (value.to_owned(), var))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_values_do_not_override() {
        let env: BTreeMap<String, String> = [
            ("CLUSTER_NAME".to_owned(), "  ".to_owned()),
            ("AWS_REGION".to_owned(), " us-east-2 ".to_owned()),
        ]
        .into();
        assert_eq!(override_for(&env, "cluster.name"), None);
        assert_eq!(
            override_for(&env, "stack.region"),
            Some(("us-east-2".to_owned(), "AWS_REGION"))
        );
        assert_eq!(override_for(&env, "storage.profile"), None);
    }
}
