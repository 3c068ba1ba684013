//! What every adapter does around an SDK call: count it, classify its error, and say which
//! account and resource it was about.

use std::error::Error as StdError;
use std::fmt::Display;
use std::future::Future;

use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use xefs_core::ids::{AccountId, ParseIdError};

use super::classify;
use crate::{AwsError, AwsResult, CallKind, CallStats, Service};

/// The bookkeeping of one adapter: its service, the account whose credentials it uses, and the
/// shared call counter.
#[derive(Debug, Clone)]
pub(crate) struct Calls {
    service: Service,
    account: AccountId,
    stats: CallStats,
}

impl Calls {
    pub(crate) fn new(service: Service, account: AccountId, stats: CallStats) -> Self {
        Self {
            service,
            account,
            stats,
        }
    }

    /// Counts one call: `Describe*`, `Get*` and `List*` are reads, everything else writes.
    pub(crate) fn count(&self, call: &'static str) {
        let kind = if ["Describe", "Get", "List"]
            .iter()
            .any(|p| call.starts_with(p))
        {
            CallKind::Read
        } else {
            CallKind::Write
        };
        self.stats.record(self.service, call, kind);
    }

    /// Sends one request: counts it (failed or not) and classifies its error.
    pub(crate) async fn send<T, E>(
        &self,
        call: &'static str,
        resource: Option<&str>,
        request: impl Future<Output = Result<T, SdkError<E>>>,
    ) -> AwsResult<T>
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let result = request.await;
        self.page(call, resource, result)
    }

    /// Accounts for one page of a paginator, as [`Calls::send`] does for one request.
    pub(crate) fn page<T, E>(
        &self,
        call: &'static str,
        resource: Option<&str>,
        page: Result<T, SdkError<E>>,
    ) -> AwsResult<T>
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        self.count(call);
        let resource_name = resource.unwrap_or_default();
        match page {
            Ok(out) => {
                tracing::trace!(service = %self.service, call, account = %self.account, resource = resource_name, "AWS call");
                Ok(out)
            }
            Err(e) => {
                let err = classify::from_sdk(self.service, call, &e).in_account(&self.account);
                tracing::debug!(
                    service = %self.service,
                    call,
                    account = %self.account,
                    resource = resource_name,
                    code = err.code.as_deref().unwrap_or_default(),
                    retryable = err.retryable,
                    "AWS call failed: {}",
                    err.message
                );
                Err(match resource {
                    Some(r) => err.on(r),
                    None => err,
                })
            }
        }
    }

    /// An error for a response xefs cannot use (a missing field, an id that does not parse):
    /// permanent, since asking again returns the same thing.
    pub(crate) fn bad_response(
        &self,
        call: &'static str,
        resource: Option<&str>,
        what: impl Display,
    ) -> AwsError {
        let err = AwsError::new(
            self.service,
            call,
            None,
            format!("unexpected response from AWS: {what}"),
            false,
        )
        .in_account(&self.account);
        match resource {
            Some(r) => err.on(r),
            None => err,
        }
    }

    /// An error for a request the SDK refused to build from our input (e.g. an empty tag key).
    pub(crate) fn invalid_input(
        &self,
        call: &'static str,
        resource: Option<&str>,
        what: impl Display,
    ) -> AwsError {
        let err = AwsError::new(
            self.service,
            call,
            None,
            format!("invalid request: {what}"),
            false,
        )
        .in_account(&self.account);
        match resource {
            Some(r) => err.on(r),
            None => err,
        }
    }

    /// Parses a required identifier from a response with one of xefs's parsers.
    pub(crate) fn parse<T>(
        &self,
        call: &'static str,
        what: &str,
        value: Option<&str>,
        parse: fn(&str) -> Result<T, ParseIdError>,
    ) -> AwsResult<T> {
        let value = value
            .filter(|v| !v.is_empty())
            .ok_or_else(|| self.bad_response(call, None, format!("no {what}")))?;
        parse(value).map_err(|e| self.bad_response(call, Some(value), e))
    }

    /// Parses an optional identifier: absent or empty is `None`, malformed is an error.
    pub(crate) fn parse_opt<T>(
        &self,
        call: &'static str,
        what: &str,
        value: Option<&str>,
        parse: fn(&str) -> Result<T, ParseIdError>,
    ) -> AwsResult<Option<T>> {
        match value.filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => self.parse(call, what, Some(v), parse).map(Some),
        }
    }
}

/// Turns a "no such resource" error into `Ok(absent)`; every other result passes through.
pub(crate) fn or_absent<T>(result: AwsResult<T>, absent: T) -> AwsResult<T> {
    match result {
        Err(e) if classify::is_not_found(&e) => Ok(absent),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use xefs_core::ids::VpcId;

    use super::*;

    fn calls() -> (Calls, CallStats) {
        let stats = CallStats::new();
        let account = AccountId::parse("111111111111").expect("valid account id");
        (Calls::new(Service::Ec2, account, stats.clone()), stats)
    }

    #[test]
    fn counts_reads_and_writes_by_name() {
        let (calls, stats) = calls();
        calls.count("DescribeVpcs");
        calls.count("GetRole");
        calls.count("ListAttachedRolePolicies");
        calls.count("CreateRoute");
        calls.count("AuthorizeSecurityGroupIngress");
        let total = stats.total();
        assert_eq!((total.reads, total.writes), (3, 2));
    }

    #[test]
    fn unparsable_ids_are_permanent_errors_naming_the_value() {
        let (calls, _) = calls();
        let err = calls
            .parse("DescribeVpcs", "VPC id", Some("vpc-NOPE"), VpcId::parse)
            .expect_err("malformed id");
        assert!(!err.retryable);
        assert_eq!(err.resource.as_deref(), Some("vpc-NOPE"));
        assert!(err.message.contains("EC2 VPC id"), "{}", err.message);
        let missing = calls
            .parse("DescribeVpcs", "VPC id", None, VpcId::parse)
            .expect_err("missing id");
        assert!(missing.message.contains("no VPC id"), "{}", missing.message);
        assert_eq!(
            calls.parse_opt("DescribeVpcs", "VPC id", Some(""), VpcId::parse),
            Ok(None)
        );
    }
}
