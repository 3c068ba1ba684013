use super::{ParseIdError, string_id};

/// The name of an xefs stack. Resource names, the `xefs:stack` tag and the EFS creation token
/// derive from it, so it is kept short and to the characters every one of them allows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StackName(String);

impl StackName {
    /// Longest stack name; leaves room in 64-character IAM role names for prefixes.
    pub const MAX_LEN: usize = 32;

    /// Parses a stack name: a lowercase letter, then lowercase letters, digits or single dashes.
    pub fn parse(s: &str) -> Result<Self, ParseIdError> {
        let ok = (1..=Self::MAX_LEN).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && !s.ends_with('-')
            && !s.contains("--")
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ParseIdError::new(
                "stack name",
                s,
                "use 1 to 32 lowercase letters, digits and dashes, starting with a letter (e.g. `prod-efs`)",
            ))
        }
    }
}

string_id!(
    StackName,
    "An xefs stack name: lowercase letters, digits and dashes"
);

/// An IAM role or policy name (1–64 or 1–128 characters of `[A-Za-z0-9+=,.@_-]`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IamName(String);

impl IamName {
    /// The longest role name IAM accepts; policy names may be 128.
    pub const MAX_ROLE_LEN: usize = 64;

    /// Parses an IAM name with IAM's character set and a 128-character limit. Role names have
    /// a lower limit, checked by [`IamName::check_role_len`].
    pub fn parse(s: &str) -> Result<Self, ParseIdError> {
        let ok = (1..=128).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ParseIdError::new(
                "IAM name",
                s,
                "use 1 to 128 characters of letters, digits and `+=,.@_-`",
            ))
        }
    }

    /// Fails when the name is too long for a role.
    pub fn check_role_len(&self) -> Result<(), ParseIdError> {
        if self.0.len() <= Self::MAX_ROLE_LEN {
            Ok(())
        } else {
            Err(ParseIdError::new(
                "IAM role name",
                &self.0,
                "role names are at most 64 characters",
            ))
        }
    }
}

string_id!(IamName, "An IAM role or policy name");

/// A Kubernetes object name (RFC 1123 subdomain: lowercase alphanumerics, `-` and `.`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct K8sName(String);

impl K8sName {
    /// Parses an RFC 1123 subdomain of at most 253 characters.
    pub fn parse(s: &str) -> Result<Self, ParseIdError> {
        let ok = (1..=253).contains(&s.len())
            && s.split('.').all(|l| {
                !l.is_empty()
                    && l.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                    && l.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                    && l.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ParseIdError::new(
                "Kubernetes name",
                s,
                "use lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit",
            ))
        }
    }
}

string_id!(K8sName, "A Kubernetes object name (RFC 1123 subdomain)");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_names() {
        assert!(StackName::parse("demo-1").is_ok());
        for bad in [
            "",
            "Demo",
            "1demo",
            "demo-",
            "de--mo",
            "demo_1",
            &"a".repeat(33),
        ] {
            assert!(StackName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn iam_names() {
        assert!(IamName::parse("sts-cluster-aws-efs-csi-operator").is_ok());
        assert!(IamName::parse("bad name").is_err());
        assert!(
            IamName::parse(&"r".repeat(65))
                .unwrap()
                .check_role_len()
                .is_err()
        );
    }

    #[test]
    fn k8s_names() {
        assert!(K8sName::parse("efs-sc").is_ok());
        assert!(K8sName::parse("efs.csi.aws.com").is_ok());
        for bad in ["EFS", "-efs", "efs-", "efs_sc", "a..b"] {
            assert!(K8sName::parse(bad).is_err(), "{bad:?}");
        }
    }
}
