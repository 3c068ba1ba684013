//! The one place where SDK errors become [`AwsError`]s: AWS's code and message, and whether
//! trying again can help.
//!
//! # The rule
//!
//! An error is **retryable** when a later, identical call can succeed without anyone changing
//! anything:
//!
//! * the request timed out, or never got an answer (connection refused or reset, DNS);
//! * AWS throttled it ([`THROTTLING_CODES`], or HTTP 429);
//! * AWS failed internally ([`TRANSIENT_CODES`], or any HTTP 5xx);
//! * credentials could not be loaded *in time* (a slow IMDS or SSO endpoint);
//! * the call met one of the eventual-consistency windows of the procedure
//!   ([`is_eventually_consistent`]): IAM does not know a principal created a moment ago, a peering
//!   or security group just created is not visible yet, a file system or mount target is still
//!   changing state.
//!
//! Everything else is permanent: invalid input, access denied, quotas (`LimitExceeded` is a
//! quota in IAM and EFS, not throttling), conflicts, missing credentials.
//!
//! **Not found** is not an error class here: each port decides from its contract whether a
//! missing resource is `None`, an empty list, a successful delete, or an error naming it, using
//! [`is_not_found`] and the codes in [`NOT_FOUND_CODES`].

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::{AwsError, Service};

/// Error codes AWS uses for throttling, across the services xefs calls (and the SDK's list).
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "TooManyRequests",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Error codes of transient server-side failures.
pub const TRANSIENT_CODES: &[&str] = &[
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "InternalServiceError",
    "ServiceFailure",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "Unavailable",
    "RequestTimeout",
    "RequestTimeoutException",
    "IDPCommunicationError",
];

/// Error codes meaning "no such resource", compared case-insensitively (moto spells
/// `InvalidVpcPeeringConnectionId.NotFound` where AWS spells `…ID.NotFound`).
pub const NOT_FOUND_CODES: &[&str] = &[
    "NoSuchEntity",
    "InvalidVpcID.NotFound",
    "InvalidSubnetID.NotFound",
    "InvalidInstanceID.NotFound",
    "InvalidGroup.NotFound",
    "InvalidRouteTableID.NotFound",
    "InvalidRoute.NotFound",
    "InvalidVpcPeeringConnectionID.NotFound",
    "FileSystemNotFound",
    "MountTargetNotFound",
    "PolicyNotFound",
    "AccessPointNotFound",
];

/// How a call failed, before any judgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The SDK could not build the request (a missing or invalid parameter).
    Construction,
    /// The request or a connection attempt timed out.
    Timeout,
    /// The request did not get an answer: connection refused or reset, DNS, TLS.
    Connection,
    /// The request was refused by the HTTP client itself as invalid.
    InvalidRequest,
    /// Credentials could not be loaded; `timed_out` when their provider did not answer in time.
    Credentials {
        /// Whether the credentials provider timed out (worth another try) rather than failed.
        timed_out: bool,
    },
    /// A response came back but could not be read.
    Response,
    /// AWS answered with an error code.
    Service,
}

/// One failed call, reduced to what classification needs: kind, AWS's code and message, and
/// the HTTP status when a response arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// How it failed.
    pub kind: FaultKind,
    /// AWS's error code, when AWS answered with one.
    pub code: Option<String>,
    /// AWS's message, or a description of the transport failure with its causes.
    pub message: String,
    /// The HTTP status of the response, when there was one.
    pub status: Option<u16>,
}

impl Fault {
    /// A service error with this code, message and status: handy in tests and for fakes that
    /// want AWS's exact classification.
    pub fn service(code: &str, message: &str, status: u16) -> Self {
        Self {
            kind: FaultKind::Service,
            code: Some(code.to_owned()),
            message: message.to_owned(),
            status: Some(status),
        }
    }

    /// Reads an SDK error: its kind, code, message and HTTP status.
    pub fn from_sdk<E>(err: &SdkError<E>) -> Self
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        let code = err.code().map(str::to_owned);
        let chain = DisplayErrorContext(err).to_string();
        let kind = match err {
            SdkError::ConstructionFailure(_) => FaultKind::Construction,
            SdkError::TimeoutError(_) => FaultKind::Timeout,
            SdkError::DispatchFailure(d) => match credentials_error(err) {
                Some(c) => FaultKind::Credentials {
                    timed_out: matches!(c, CredentialsError::ProviderTimedOut(_)),
                },
                None if d.is_timeout() => FaultKind::Timeout,
                None if d.is_user() => FaultKind::InvalidRequest,
                None => FaultKind::Connection,
            },
            SdkError::ResponseError(_) => FaultKind::Response,
            SdkError::ServiceError(_) => FaultKind::Service,
            _ => FaultKind::Response,
        };
        let message = match (kind, err.message()) {
            (FaultKind::Service, Some(m)) if !m.is_empty() => m.to_owned(),
            (FaultKind::Service, _) => code.clone().unwrap_or(chain),
            (FaultKind::Credentials { .. }, _) => format!("cannot load credentials: {chain}"),
            _ => chain,
        };
        Self {
            kind,
            code,
            message,
            status,
        }
    }
}

/// The credentials error behind a dispatch failure, if that is what it is.
fn credentials_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a CredentialsError> {
    let mut current: Option<&'a (dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(c) = e.downcast_ref::<CredentialsError>() {
            return Some(c);
        }
        current = e.source();
    }
    None
}

/// Turns a failed SDK call into an [`AwsError`] (without account or resource: callers add
/// those).
pub fn from_sdk<E>(service: Service, call: &'static str, err: &SdkError<E>) -> AwsError
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    classify(service, call, &Fault::from_sdk(err))
}

/// Turns a fault into an [`AwsError`], deciding whether it is retryable.
pub fn classify(service: Service, call: &'static str, fault: &Fault) -> AwsError {
    AwsError::new(
        service,
        call,
        fault.code.clone(),
        fault.message.clone(),
        is_retryable(service, call, fault),
    )
}

/// Whether a later, identical call can succeed (see the [module docs](self) for the rule).
pub fn is_retryable(service: Service, call: &str, fault: &Fault) -> bool {
    let server_side = fault.status.is_some_and(|s| s >= 500 || s == 429);
    match fault.kind {
        FaultKind::Construction | FaultKind::InvalidRequest => false,
        FaultKind::Timeout | FaultKind::Connection => true,
        FaultKind::Credentials { timed_out } => timed_out,
        FaultKind::Response => server_side,
        FaultKind::Service => {
            let code = fault.code.as_deref().unwrap_or_default();
            server_side
                || THROTTLING_CODES.contains(&code)
                || TRANSIENT_CODES.contains(&code)
                || is_eventually_consistent(service, call, code, &fault.message)
        }
    }
}

/// The eventual-consistency windows the procedure runs into, each a code (and sometimes a
/// message) that is transient *for this call*:
///
/// * IAM `MalformedPolicyDocument` saying `Invalid principal`, on any call: a trust or policy
///   names a role created seconds ago, which IAM does not know everywhere yet.
/// * IAM `NoSuchEntity` on `AttachRolePolicy` and `UpdateAssumeRolePolicy`: xefs calls them only
///   right after creating (or finding) the role and policy, so the entity exists and IAM has
///   not propagated it. (On reads and deletes the same code means "absent", which the ports
///   turn into `None` or success.)
/// * EC2 `InvalidVpcPeeringConnectionID.NotFound` on `AcceptVpcPeeringConnection`,
///   `ModifyVpcPeeringConnectionOptions` and `CreateRoute`: the accepter's account, or the
///   route table's, does not see a just-created peering yet.
/// * EC2 `InvalidGroup.NotFound` on `AuthorizeSecurityGroupIngress`: EC2's documented lag
///   after `CreateSecurityGroup`.
/// * EFS `IncorrectFileSystemLifeCycleState` and `IncorrectMountTargetState`: the resource is
///   `creating`, `updating` or `deleting`, states that end on their own.
/// * EFS `SecurityGroupNotFound` on `CreateMountTarget` and `ModifyMountTargetSecurityGroups`:
///   the group was created moments ago.
/// * EFS `InvalidPolicyException` mentioning a principal on `PutFileSystemPolicy`: the policy
///   names a role IAM has just created.
///
/// `DependencyViolation` (deleting a security group still used by an interface) and
/// `FileSystemInUse` are *not* here: the steps wait for the mount targets to be gone first, so
/// seeing them means something else holds the resource, which retrying does not fix.
pub fn is_eventually_consistent(service: Service, call: &str, code: &str, message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    match service {
        Service::Iam => {
            (code == "MalformedPolicyDocument" && message.contains("invalid principal"))
                || (code == "NoSuchEntity"
                    && matches!(call, "AttachRolePolicy" | "UpdateAssumeRolePolicy"))
        }
        Service::Ec2 => {
            (code.eq_ignore_ascii_case("InvalidVpcPeeringConnectionID.NotFound")
                && matches!(
                    call,
                    "AcceptVpcPeeringConnection"
                        | "ModifyVpcPeeringConnectionOptions"
                        | "CreateRoute"
                ))
                || (code == "InvalidGroup.NotFound" && call == "AuthorizeSecurityGroupIngress")
        }
        Service::Efs => {
            matches!(
                code,
                "IncorrectFileSystemLifeCycleState" | "IncorrectMountTargetState"
            ) || (code == "SecurityGroupNotFound"
                && matches!(
                    call,
                    "CreateMountTarget" | "ModifyMountTargetSecurityGroups"
                ))
                || (code == "InvalidPolicyException"
                    && call == "PutFileSystemPolicy"
                    && message.contains("principal"))
        }
        Service::Sts => false,
    }
}

/// Whether the error says the resource does not exist (one of [`NOT_FOUND_CODES`], compared
/// case-insensitively).
pub fn is_not_found(err: &AwsError) -> bool {
    err.code
        .as_deref()
        .is_some_and(|c| NOT_FOUND_CODES.iter().any(|n| n.eq_ignore_ascii_case(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retryable(service: Service, call: &'static str, code: &str, message: &str) -> bool {
        classify(service, call, &Fault::service(code, message, 400)).retryable
    }

    #[test]
    fn throttling_codes_are_retryable_in_every_service() {
        for code in [
            "Throttling",
            "RequestLimitExceeded",
            "TooManyRequestsException",
        ] {
            for service in [Service::Iam, Service::Ec2, Service::Efs, Service::Sts] {
                assert!(retryable(service, "AnyCall", code, "slow down"), "{code}");
            }
        }
        assert!(retryable(
            Service::Ec2,
            "CreateRoute",
            "EC2ThrottledException",
            ""
        ));
        assert!(retryable(Service::Efs, "CreateFileSystem", "SlowDown", ""));
    }

    #[test]
    fn server_errors_are_retryable_by_code_or_status() {
        assert!(retryable(
            Service::Ec2,
            "DescribeVpcs",
            "InternalError",
            "oops"
        ));
        assert!(retryable(Service::Iam, "GetRole", "ServiceFailure", "oops"));
        let unknown_5xx = Fault::service("WeirdThing", "oops", 503);
        assert!(is_retryable(
            Service::Efs,
            "DescribeFileSystems",
            &unknown_5xx
        ));
        let too_many = Fault::service("Whatever", "", 429);
        assert!(is_retryable(Service::Efs, "DescribeFileSystems", &too_many));
        let unreadable = Fault {
            kind: FaultKind::Response,
            code: None,
            message: "bad gateway".into(),
            status: Some(502),
        };
        assert!(is_retryable(Service::Ec2, "DescribeVpcs", &unreadable));
        let unreadable_200 = Fault {
            status: Some(200),
            ..unreadable
        };
        assert!(!is_retryable(Service::Ec2, "DescribeVpcs", &unreadable_200));
    }

    #[test]
    fn quotas_conflicts_and_bad_input_are_permanent() {
        assert!(!retryable(
            Service::Iam,
            "CreatePolicyVersion",
            "LimitExceeded",
            "5 versions"
        ));
        assert!(!retryable(
            Service::Efs,
            "CreateFileSystem",
            "FileSystemLimitExceeded",
            ""
        ));
        assert!(!retryable(
            Service::Iam,
            "CreateRole",
            "EntityAlreadyExists",
            ""
        ));
        assert!(!retryable(
            Service::Iam,
            "CreateRole",
            "MalformedPolicyDocument",
            "Syntax error"
        ));
        assert!(!retryable(
            Service::Ec2,
            "CreateRoute",
            "RouteAlreadyExists",
            ""
        ));
        assert!(!retryable(
            Service::Ec2,
            "DeleteSecurityGroup",
            "DependencyViolation",
            ""
        ));
        assert!(!retryable(
            Service::Sts,
            "GetCallerIdentity",
            "AccessDenied",
            ""
        ));
    }

    #[test]
    fn iam_propagation_windows_are_retryable() {
        let principal = "Invalid principal in policy: \"AWS\":\"arn:aws:iam::111111111111:role/x\"";
        assert!(retryable(
            Service::Iam,
            "CreateRole",
            "MalformedPolicyDocument",
            principal
        ));
        assert!(retryable(
            Service::Iam,
            "UpdateAssumeRolePolicy",
            "MalformedPolicyDocument",
            principal
        ));
        assert!(retryable(
            Service::Iam,
            "AttachRolePolicy",
            "NoSuchEntity",
            "Role x not found"
        ));
        assert!(retryable(
            Service::Iam,
            "UpdateAssumeRolePolicy",
            "NoSuchEntity",
            ""
        ));
        // The same code on a read means "absent", which is not worth another try.
        assert!(!retryable(
            Service::Iam,
            "GetRole",
            "NoSuchEntity",
            "Role x not found"
        ));
        assert!(!retryable(Service::Iam, "DeleteRole", "NoSuchEntity", ""));
    }

    #[test]
    fn ec2_and_efs_propagation_windows_are_retryable() {
        for call in [
            "AcceptVpcPeeringConnection",
            "ModifyVpcPeeringConnectionOptions",
            "CreateRoute",
        ] {
            assert!(
                retryable(
                    Service::Ec2,
                    call,
                    "InvalidVpcPeeringConnectionID.NotFound",
                    ""
                ),
                "{call}"
            );
            assert!(
                retryable(
                    Service::Ec2,
                    call,
                    "InvalidVpcPeeringConnectionId.NotFound",
                    ""
                ),
                "{call}"
            );
        }
        assert!(!retryable(
            Service::Ec2,
            "DescribeVpcPeeringConnections",
            "InvalidVpcPeeringConnectionID.NotFound",
            ""
        ));
        assert!(retryable(
            Service::Ec2,
            "AuthorizeSecurityGroupIngress",
            "InvalidGroup.NotFound",
            ""
        ));
        assert!(!retryable(
            Service::Ec2,
            "DescribeSecurityGroups",
            "InvalidGroup.NotFound",
            ""
        ));
        assert!(retryable(
            Service::Efs,
            "CreateMountTarget",
            "IncorrectFileSystemLifeCycleState",
            ""
        ));
        assert!(retryable(
            Service::Efs,
            "DeleteMountTarget",
            "IncorrectMountTargetState",
            ""
        ));
        assert!(retryable(
            Service::Efs,
            "CreateMountTarget",
            "SecurityGroupNotFound",
            ""
        ));
        assert!(retryable(
            Service::Efs,
            "PutFileSystemPolicy",
            "InvalidPolicyException",
            "Policy contains invalid Principal block"
        ));
        assert!(!retryable(
            Service::Efs,
            "PutFileSystemPolicy",
            "InvalidPolicyException",
            "Syntax error"
        ));
        assert!(!retryable(
            Service::Efs,
            "DeleteFileSystem",
            "FileSystemInUse",
            ""
        ));
    }

    #[test]
    fn transport_failures_are_retryable_but_construction_and_credentials_are_not() {
        let fault = |kind| Fault {
            kind,
            code: None,
            message: "x".into(),
            status: None,
        };
        assert!(is_retryable(
            Service::Ec2,
            "DescribeVpcs",
            &fault(FaultKind::Timeout)
        ));
        assert!(is_retryable(
            Service::Ec2,
            "DescribeVpcs",
            &fault(FaultKind::Connection)
        ));
        assert!(!is_retryable(
            Service::Ec2,
            "DescribeVpcs",
            &fault(FaultKind::Construction)
        ));
        assert!(!is_retryable(
            Service::Ec2,
            "DescribeVpcs",
            &fault(FaultKind::InvalidRequest)
        ));
        assert!(!is_retryable(
            Service::Ec2,
            "DescribeVpcs",
            &fault(FaultKind::Credentials { timed_out: false })
        ));
        assert!(is_retryable(
            Service::Ec2,
            "DescribeVpcs",
            &fault(FaultKind::Credentials { timed_out: true })
        ));
    }

    #[test]
    fn not_found_codes_are_recognised_in_either_spelling() {
        let err = |code: &str| classify(Service::Ec2, "X", &Fault::service(code, "", 400));
        assert!(is_not_found(&err("InvalidVpcPeeringConnectionID.NotFound")));
        assert!(is_not_found(&err("InvalidVpcPeeringConnectionId.NotFound")));
        assert!(is_not_found(&err("NoSuchEntity")));
        assert!(is_not_found(&err("MountTargetNotFound")));
        assert!(!is_not_found(&err("InvalidVpcID.Malformed")));
        assert!(!is_not_found(&err("AccessDenied")));
        let transport = classify(
            Service::Ec2,
            "X",
            &Fault {
                kind: FaultKind::Connection,
                code: None,
                message: "refused".into(),
                status: None,
            },
        );
        assert!(!is_not_found(&transport));
    }

    #[test]
    fn classification_keeps_code_and_message() {
        let e = classify(
            Service::Iam,
            "CreateRole",
            &Fault::service(
                "EntityAlreadyExists",
                "Role with name x already exists.",
                409,
            ),
        );
        assert_eq!(e.call, "CreateRole");
        assert_eq!(e.service, Service::Iam);
        assert!(e.is_code("EntityAlreadyExists"));
        assert_eq!(e.message, "Role with name x already exists.");
        assert!(!e.retryable);
    }
}
