//! The error the `Cluster` port returns: which call on which object, the API server's status
//! code and reason, and whether trying again can help.

use std::fmt;

use xefs_core::step::{StepError, StepErrorKind};

/// A failed call to the cluster.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct K8sError {
    /// The operation, e.g. `apply`, `get`, `delete`, `logs`, `wait`.
    pub call: &'static str,
    /// The object, e.g. `Subscription openshift-cluster-csi-drivers/aws-efs-csi-driver-operator`.
    pub object: Option<String>,
    /// The HTTP status the API server answered (404, 409, 422…); `None` for transport errors
    /// and timeouts.
    pub status: Option<u16>,
    /// The API server's reason (`NotFound`, `Conflict`, `Invalid`, `Forbidden`…), or our own
    /// (`Timeout`, `Kubeconfig`).
    pub reason: Option<String>,
    /// What went wrong.
    pub message: String,
    /// Whether trying again can help (429, 5xx, transport errors, a conflict on apply).
    pub retryable: bool,
}

impl K8sError {
    /// An error of `call` with this message.
    pub fn new(call: &'static str, message: impl Into<String>, retryable: bool) -> Self {
        Self {
            call,
            object: None,
            status: None,
            reason: None,
            message: message.into(),
            retryable,
        }
    }

    /// Names the object the call acted on.
    #[must_use]
    pub fn on(mut self, object: impl Into<String>) -> Self {
        self.object = Some(object.into());
        self
    }

    /// Adds the API server's status code and reason.
    #[must_use]
    pub fn with_status(mut self, status: u16, reason: impl Into<String>) -> Self {
        self.status = Some(status);
        self.reason = Some(reason.into());
        self
    }

    /// True when the API server answered 404.
    pub fn is_not_found(&self) -> bool {
        self.status == Some(404)
    }
}

impl fmt::Display for K8sError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.call)?;
        if let Some(o) = &self.object {
            write!(f, " {o}")?;
        }
        write!(f, ": {}", self.message)?;
        match (&self.reason, self.status) {
            (Some(r), Some(s)) => write!(f, " ({r}, HTTP {s})"),
            (Some(r), None) => write!(f, " ({r})"),
            (None, Some(s)) => write!(f, " (HTTP {s})"),
            (None, None) => Ok(()),
        }
    }
}

impl From<K8sError> for StepError {
    fn from(e: K8sError) -> Self {
        let kind = if e.retryable {
            StepErrorKind::Retryable
        } else {
            StepErrorKind::Permanent
        };
        // 429: API Priority and Fairness asks the client to slow down.
        let throttled = e.retryable && e.status == Some(429);
        let mut s = StepError::new(kind, e.message).with_context("the cluster", e.call);
        if throttled {
            s = s.with_throttling();
        }
        if let Some(r) = e.reason {
            s = s.with_code(r);
        }
        if let Some(o) = e.object {
            s = s.with_resource(o);
        }
        s
    }
}

/// Results of port calls.
pub type K8sResult<T> = Result<T, K8sError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_as_call_object_message_reason() {
        let e = K8sError::new("apply", "field is immutable", false)
            .on("StorageClass efs-sc")
            .with_status(422, "Invalid");
        assert_eq!(
            e.to_string(),
            "apply StorageClass efs-sc: field is immutable (Invalid, HTTP 422)"
        );
        let s = StepError::from(e);
        assert!(!s.is_retryable());
        assert_eq!(s.code(), Some("Invalid"));
    }

    #[test]
    fn too_many_requests_is_throttling() {
        let slow = K8sError::new("apply", "storage is (re)initializing", true)
            .with_status(429, "TooManyRequests");
        assert!(StepError::from(slow).is_throttled());
        let down =
            K8sError::new("apply", "etcd unavailable", true).with_status(503, "ServiceUnavailable");
        assert!(!StepError::from(down).is_throttled());
    }
}
