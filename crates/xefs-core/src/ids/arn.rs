use super::{
    AccountId, FileSystemId, IamName, OidcProvider, ParseIdError, Partition, Region, string_id,
};

/// An Amazon Resource Name: `arn:<partition>:<service>:<region>:<account>:<resource>`.
///
/// Parsing checks the structure and the partition; builders below make the ARNs the
/// procedure needs so that no code formats an ARN by hand.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Arn(String);

impl Arn {
    /// Parses an ARN. The resource part is free-form (it may hold `/`, `:` and `*`).
    pub fn parse(s: &str) -> Result<Self, ParseIdError> {
        let err = |why: &str| ParseIdError::new("ARN", s, why.to_owned());
        let mut parts = s.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some(service),
            Some(region),
            Some(account),
            Some(resource),
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return Err(err(
                "expected `arn:<partition>:<service>:<region>:<account>:<resource>`",
            ));
        };
        if Partition::parse(partition).is_none() {
            return Err(err("the partition must be `aws`, `aws-cn` or `aws-us-gov`"));
        }
        if service.is_empty()
            || !service
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(err(
                "the service must be a lowercase service prefix such as `iam`",
            ));
        }
        if !region.is_empty() && region != "*" && Region::parse(region).is_err() {
            return Err(err("the region field must be empty, `*` or a region code"));
        }
        if !account.is_empty()
            && account != "*"
            && !(account == "aws" && service == "iam")
            && AccountId::parse(account).is_err()
        {
            return Err(err(
                "the account field must be empty, `*` or a 12-digit account id",
            ));
        }
        if resource.is_empty() {
            return Err(err("the resource part is empty"));
        }
        Ok(Self(s.to_owned()))
    }

    /// Wraps a string the caller assembled from validated parts.
    pub(crate) fn from_trusted(s: String) -> Self {
        Self(s)
    }

    fn field(&self, n: usize) -> &str {
        self.0.splitn(6, ':').nth(n).unwrap_or_default()
    }

    /// The partition (`aws`, …).
    pub fn partition(&self) -> &str {
        self.field(1)
    }
    /// The service prefix (`iam`, `elasticfilesystem`, …).
    pub fn service(&self) -> &str {
        self.field(2)
    }
    /// The region field; empty for global services like IAM.
    pub fn region(&self) -> &str {
        self.field(3)
    }
    /// The account field, when it is an account id.
    pub fn account(&self) -> Option<AccountId> {
        AccountId::parse(self.field(4)).ok()
    }
    /// The resource part, e.g. `role/cross-account-efs-role`.
    pub fn resource(&self) -> &str {
        self.field(5)
    }

    fn build(
        partition: Partition,
        service: &str,
        region: &str,
        account: &str,
        resource: &str,
    ) -> Self {
        Self(format!(
            "arn:{partition}:{service}:{region}:{account}:{resource}"
        ))
    }

    /// `arn:<p>:iam::<account>:role/<name>`.
    pub fn iam_role(partition: Partition, account: &AccountId, name: &IamName) -> Self {
        Self::build(
            partition,
            "iam",
            "",
            account.as_str(),
            &format!("role/{name}"),
        )
    }
    /// `arn:<p>:iam::<account>:policy/<name>`.
    pub fn iam_policy(partition: Partition, account: &AccountId, name: &IamName) -> Self {
        Self::build(
            partition,
            "iam",
            "",
            account.as_str(),
            &format!("policy/{name}"),
        )
    }
    /// `arn:<p>:iam::<account>:root`: the whole account as a principal.
    pub fn account_root(partition: Partition, account: &AccountId) -> Self {
        Self::build(partition, "iam", "", account.as_str(), "root")
    }
    /// `arn:<p>:iam::<account>:oidc-provider/<issuer>`.
    pub fn oidc_provider(
        partition: Partition,
        account: &AccountId,
        provider: &OidcProvider,
    ) -> Self {
        Self::build(
            partition,
            "iam",
            "",
            account.as_str(),
            &format!("oidc-provider/{provider}"),
        )
    }
    /// `arn:<p>:elasticfilesystem:<region>:<account>:file-system/<id>`.
    pub fn efs_file_system(region: &Region, account: &AccountId, fs: &FileSystemId) -> Self {
        Self::efs_file_system_raw(region, account, fs.as_str())
    }
    /// Like [`Arn::efs_file_system`] for an id not known yet, e.g. a shell variable
    /// `${FILE_SYSTEM_ID}` in a rendered template.
    pub fn efs_file_system_raw(region: &Region, account: &AccountId, fs: &str) -> Self {
        Self::build(
            region.partition(),
            "elasticfilesystem",
            region.as_str(),
            account.as_str(),
            &format!("file-system/{fs}"),
        )
    }
    /// `arn:<p>:elasticfilesystem:<region>:<account>:access-point/*`: every access point of
    /// the account in the region (access point ARNs do not name their file system).
    pub fn efs_access_points(region: &Region, account: &AccountId) -> Self {
        Self::build(
            region.partition(),
            "elasticfilesystem",
            region.as_str(),
            account.as_str(),
            "access-point/*",
        )
    }
}

string_id!(Arn, "An Amazon Resource Name");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_parses_the_procedures_arns() {
        let a = AccountId::parse("222222222222").unwrap();
        let role = Arn::iam_role(
            Partition::Aws,
            &a,
            &IamName::parse("cross-account-efs-role").unwrap(),
        );
        assert_eq!(
            role.to_string(),
            "arn:aws:iam::222222222222:role/cross-account-efs-role"
        );
        assert_eq!(Arn::parse(role.as_str()).unwrap(), role);
        assert_eq!(role.account(), Some(a.clone()));
        assert_eq!(role.resource(), "role/cross-account-efs-role");
        let fs = Arn::efs_file_system(
            &Region::parse("us-gov-west-1").unwrap(),
            &a,
            &FileSystemId::parse("fs-12345678").unwrap(),
        );
        assert_eq!(
            fs.to_string(),
            "arn:aws-us-gov:elasticfilesystem:us-gov-west-1:222222222222:file-system/fs-12345678"
        );
        assert!(Arn::parse("arn:aws:iam::aws:policy/AdministratorAccess").is_ok());
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "arn:aws:iam::1:role/x",
            "arn:foo:iam::222222222222:role/x",
            "arn:aws:iam::222222222222:",
            "aws:iam::222222222222:role/x",
        ] {
            assert!(Arn::parse(bad).is_err(), "{bad:?}");
        }
    }
}
