//! The error every port returns: which service, call, account and resource, AWS's error code,
//! and whether trying again can help.

use std::fmt;

use xefs_core::ids::AccountId;
use xefs_core::step::{StepError, StepErrorKind};

/// The AWS service a call went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// IAM.
    Iam,
    /// EC2 (VPCs, subnets, route tables, peering, security groups, instances).
    Ec2,
    /// EFS.
    Efs,
    /// STS.
    Sts,
}

impl Service {
    /// The lower-case name used for rate limits and call counts (`iam`, `ec2`, `efs`, `sts`).
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Ec2 => "ec2",
            Service::Efs => "efs",
            Service::Sts => "sts",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed AWS call.
///
/// Ports classify errors once, where the service's codes are known: `retryable` is true for
/// throttling, 5xx, timeouts and the eventual-consistency cases the procedure meets (a
/// principal IAM does not know yet, a peering not yet visible). Steps turn it into a
/// [`StepError`] with `?`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AwsError {
    /// The service.
    pub service: Service,
    /// The API call, e.g. `CreateRole`.
    pub call: &'static str,
    /// The account whose credentials made the call.
    pub account: Option<AccountId>,
    /// The resource the call acted on, when known.
    pub resource: Option<String>,
    /// AWS's error code, e.g. `EntityAlreadyExists`; `None` for transport errors.
    pub code: Option<String>,
    /// AWS's message, or the transport's.
    pub message: String,
    /// Whether trying again can help.
    pub retryable: bool,
}

impl AwsError {
    /// An error from `call` with AWS's `code` and `message`; `retryable` as the caller judged.
    pub fn new(
        service: Service,
        call: &'static str,
        code: Option<String>,
        message: impl Into<String>,
        retryable: bool,
    ) -> Self {
        Self {
            service,
            call,
            account: None,
            resource: None,
            code,
            message: message.into(),
            retryable,
        }
    }

    /// Names the account whose credentials made the call.
    #[must_use]
    pub fn in_account(mut self, account: &AccountId) -> Self {
        self.account = Some(account.clone());
        self
    }

    /// Names the resource the call acted on.
    #[must_use]
    pub fn on(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// True when AWS throttled the call (one of [`THROTTLING_CODES`]): the engine then retries
    /// it without counting an attempt.
    ///
    /// [`THROTTLING_CODES`]: crate::sdk::classify::THROTTLING_CODES
    pub fn is_throttling(&self) -> bool {
        self.retryable
            && self
                .code
                .as_deref()
                .is_some_and(|c| crate::sdk::classify::THROTTLING_CODES.contains(&c))
    }

    /// True when AWS answered with this error code.
    pub fn is_code(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.call)?;
        if let Some(r) = &self.resource {
            write!(f, " on {r}")?;
        }
        if let Some(a) = &self.account {
            write!(f, " in account {a}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(c) = &self.code {
            write!(f, " ({c})")?;
        }
        Ok(())
    }
}

impl From<AwsError> for StepError {
    fn from(e: AwsError) -> Self {
        let kind = if e.retryable {
            StepErrorKind::Retryable
        } else {
            StepErrorKind::Permanent
        };
        let throttled = e.is_throttling();
        let mut s = StepError::new(kind, e.message);
        if throttled {
            s = s.with_throttling();
        }
        if let Some(code) = e.code {
            s = s.with_code(code);
        }
        let scope = e
            .account
            .map(|a| format!("account {a}"))
            .unwrap_or_else(|| format!("{}", e.service));
        s = s.with_context(scope, e.call);
        if let Some(r) = e.resource {
            s = s.with_resource(r);
        }
        s
    }
}

/// Results of port calls.
pub type AwsResult<T> = Result<T, AwsError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_codes_become_throttled_step_errors() {
        let throttled = |code: &str, retryable| {
            StepError::from(AwsError::new(
                Service::Ec2,
                "DescribeRouteTables",
                Some(code.into()),
                "Rate exceeded",
                retryable,
            ))
            .is_throttled()
        };
        assert!(throttled("RequestLimitExceeded", true));
        assert!(throttled("Throttling", true));
        assert!(!throttled("InternalError", true));
        assert!(!throttled("Throttling", false));
    }

    #[test]
    fn converts_to_a_step_error_with_its_context() -> Result<(), Box<dyn std::error::Error>> {
        let e = AwsError::new(
            Service::Iam,
            "CreateRole",
            Some("MalformedPolicyDocument".into()),
            "Invalid principal in policy",
            true,
        )
        .in_account(&AccountId::parse("222222222222")?)
        .on("role/cross-account-efs-role");
        assert_eq!(
            e.to_string(),
            "CreateRole on role/cross-account-efs-role in account 222222222222: Invalid principal in policy (MalformedPolicyDocument)"
        );
        let s = StepError::from(e);
        assert!(s.is_retryable());
        assert_eq!(
            s.to_string(),
            "CreateRole on role/cross-account-efs-role in account 222222222222: Invalid principal in policy (MalformedPolicyDocument)"
        );
        Ok(())
    }
}

/// Errors of the provider as a whole, outside any one step: connecting, and confirming who the
/// credentials belong to.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The credentials for one account belong to another.
    #[error(
        "the credentials for {role} belong to account {actual} ({caller}), but the spec says {expected}"
    )]
    WrongAccount {
        /// Which account of the stack.
        role: crate::AccountRole,
        /// The id the spec names.
        expected: AccountId,
        /// The id STS reports.
        actual: AccountId,
        /// The calling principal STS reports.
        caller: String,
    },
    /// Credentials or configuration for an account could not be loaded.
    #[error("cannot configure AWS access for {role}: {message}")]
    Config {
        /// Which account of the stack.
        role: crate::AccountRole,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// An AWS call failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
}
