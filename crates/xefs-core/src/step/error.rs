//! The error a step returns, and whether trying again can help.

use std::fmt;

/// Whether the engine should try a failed call again.
///
/// Providers classify their errors once, where they know the service's error codes, so the
/// engine can retry without knowing anything about AWS or Kubernetes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StepErrorKind {
    /// Transient: throttling, 5xx, IAM propagation delay, eventual consistency. Retried with
    /// jittered exponential backoff.
    Retryable,
    /// Trying again cannot help: access denied, conflict, validation, a bounded wait that timed
    /// out. Fails the step at once.
    Permanent,
    /// The run was cancelled (Ctrl-C or a token) while the step was waiting; not retried.
    Cancelled,
}

/// Where a failed call happened, so an operator can act on the error without a debugger.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorContext {
    /// The account, cluster or other scope the call went to (e.g. `account 111111111111`).
    pub account: Option<String>,
    /// The API call (e.g. `CreateRole`).
    pub call: Option<String>,
    /// The resource the call acted on (e.g. `role/cross-account-efs-role`).
    pub resource: Option<String>,
}

/// A failed step call: a message, an optional provider error code, where it happened, and
/// whether retrying can help.
///
/// Build one with [`StepError::retryable`] or [`StepError::permanent`], then add detail:
///
/// ```
/// use xefs_core::step::StepError;
///
/// let e = StepError::retryable("rate exceeded")
///     .with_code("ThrottlingException")
///     .with_context("account 111111111111", "CreateRole")
///     .with_resource("role/xefs-csi");
/// assert!(e.is_retryable());
/// assert_eq!(
///     e.to_string(),
///     "CreateRole on role/xefs-csi in account 111111111111: rate exceeded (ThrottlingException)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct StepError(Box<Inner>);

/// Boxed so that `Result<_, StepError>` stays one pointer wide on the happy path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    kind: StepErrorKind,
    message: String,
    code: Option<String>,
    context: ErrorContext,
    throttled: bool,
}

impl StepError {
    /// A transient failure that the engine retries with backoff.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self::new(StepErrorKind::Retryable, message)
    }

    /// A failure that retrying cannot fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::new(StepErrorKind::Permanent, message)
    }

    /// The run was cancelled while this step was waiting.
    pub fn cancelled(message: impl Into<String>) -> Self {
        Self::new(StepErrorKind::Cancelled, message)
    }

    /// An error of the given kind.
    pub fn new(kind: StepErrorKind, message: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            kind,
            message: message.into(),
            code: None,
            context: ErrorContext::default(),
            throttled: false,
        }))
    }

    /// The service refused the call because of its request rate: retryable, and the engine
    /// retries it for as long as [`RetryPolicy::throttle_budget`] allows instead of counting
    /// it as an attempt, since slowing down is the whole fix.
    ///
    /// [`RetryPolicy::throttle_budget`]: crate::engine::RetryPolicy::throttle_budget
    pub fn throttled(message: impl Into<String>) -> Self {
        Self::retryable(message).with_throttling()
    }

    /// Marks a retryable error as the service's throttling (see [`StepError::throttled`]); a
    /// permanent or cancelled error stays as it is.
    #[must_use]
    pub fn with_throttling(mut self) -> Self {
        self.0.throttled = self.0.kind == StepErrorKind::Retryable;
        self
    }

    /// Adds the provider's error code (e.g. `ThrottlingException`, `EntityAlreadyExists`).
    #[must_use]
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.0.code = Some(code.into());
        self
    }

    /// Adds the scope (account or cluster) and the API call that failed.
    #[must_use]
    pub fn with_context(mut self, account: impl Into<String>, call: impl Into<String>) -> Self {
        self.0.context.account = Some(account.into());
        self.0.context.call = Some(call.into());
        self
    }

    /// Adds the resource the failed call acted on.
    #[must_use]
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.0.context.resource = Some(resource.into());
        self
    }

    /// Whether the engine may retry.
    pub fn kind(&self) -> StepErrorKind {
        self.0.kind
    }

    /// True for transient errors.
    pub fn is_retryable(&self) -> bool {
        self.0.kind == StepErrorKind::Retryable
    }

    /// True when the service throttled the call (see [`StepError::throttled`]).
    pub fn is_throttled(&self) -> bool {
        self.0.throttled
    }

    /// True when the step stopped because the run was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.0.kind == StepErrorKind::Cancelled
    }

    /// The human message, without code or context.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The provider's error code, if any.
    pub fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }

    /// Where the call happened.
    pub fn context(&self) -> &ErrorContext {
        &self.0.context
    }
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ctx = &self.0.context;
        let mut prefixed = false;
        if let Some(call) = &ctx.call {
            f.write_str(call)?;
            prefixed = true;
        }
        if let Some(resource) = &ctx.resource {
            if prefixed {
                f.write_str(" on ")?;
            }
            f.write_str(resource)?;
            prefixed = true;
        }
        if let Some(account) = &ctx.account {
            if prefixed {
                f.write_str(" in ")?;
            }
            f.write_str(account)?;
            prefixed = true;
        }
        if prefixed {
            f.write_str(": ")?;
        }
        f.write_str(&self.0.message)?;
        if let Some(code) = &self.0.code {
            write!(f, " ({code})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_without_context_is_the_message() {
        let e = StepError::permanent("access denied").with_code("AccessDenied");
        assert_eq!(e.to_string(), "access denied (AccessDenied)");
        assert!(!e.is_retryable());
        assert_eq!(e.code(), Some("AccessDenied"));
    }

    #[test]
    fn only_retryable_errors_are_throttling() {
        assert!(StepError::throttled("rate exceeded").is_throttled());
        assert!(StepError::throttled("rate exceeded").is_retryable());
        assert!(!StepError::retryable("5xx").is_throttled());
        assert!(
            !StepError::permanent("denied")
                .with_throttling()
                .is_throttled()
        );
    }

    #[test]
    fn display_with_partial_context() {
        let e = StepError::retryable("slow down").with_resource("fs-1");
        assert_eq!(e.to_string(), "fs-1: slow down");
    }
}
