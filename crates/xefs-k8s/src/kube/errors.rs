//! kube's errors as the port's [`K8sError`], in one place: which call, on which object, the API
//! server's status, and whether trying again can help.

use std::error::Error as StdError;

use ::kube::error::DiscoveryError;

use crate::K8sError;

/// What a failing call was doing, for an error that says what to fix.
#[derive(Debug, Clone)]
pub(crate) struct CallContext {
    /// The port's operation: `apply`, `get`, `list`, `delete`, `wait`, `logs`, `events`,
    /// `nodes`, `authentication`, `connect`.
    pub call: &'static str,
    /// The RBAC verb the call needs (`patch` for a server-side apply).
    pub verb: &'static str,
    /// The RBAC resource (`subscriptions.operators.coreos.com`, `pods/log`).
    pub resource: String,
    /// The namespace, for namespaced calls.
    pub namespace: Option<String>,
    /// The object as kubectl shows it, when the call is about one object.
    pub object: Option<String>,
}

impl CallContext {
    /// A call needing `verb` on `resource`.
    pub fn new(call: &'static str, verb: &'static str, resource: impl Into<String>) -> Self {
        Self {
            call,
            verb,
            resource: resource.into(),
            namespace: None,
            object: None,
        }
    }

    /// In this namespace.
    #[must_use]
    pub fn in_namespace(mut self, namespace: Option<&str>) -> Self {
        self.namespace = namespace.map(str::to_owned);
        self
    }

    /// About this object.
    #[must_use]
    pub fn about(mut self, object: impl Into<String>) -> Self {
        self.object = Some(object.into());
        self
    }

    fn error(&self, message: impl Into<String>, retryable: bool) -> K8sError {
        let e = K8sError::new(self.call, message, retryable);
        match &self.object {
            Some(o) => e.on(o.clone()),
            None => e,
        }
    }

    /// `oc auth can-i patch subscriptions.operators.coreos.com -n ns`
    fn can_i(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("oc auth can-i {} {} -n {ns}", self.verb, self.resource),
            None => format!("oc auth can-i {} {}", self.verb, self.resource),
        }
    }

    /// The port's error for a kube error of this call.
    pub fn map(&self, err: ::kube::Error) -> K8sError {
        match err {
            ::kube::Error::Api(status) => {
                let code = status.code;
                // kube's own words for a body that was no Status (a proxy's or a missing
                // CRD's plain-text 404) are no reason the API server gave.
                let reason =
                    if status.reason.is_empty() || status.reason == "Failed to parse error data" {
                        reason_of(code).to_owned()
                    } else {
                        status.reason.clone()
                    };
                let server = status.message.trim();
                let (message, retryable) = match code {
                    401 => (
                        format!(
                            "the cluster rejected the credentials (an expired token?): log in \
                             again with `oc login` ({server})"
                        ),
                        false,
                    ),
                    403 => (
                        format!(
                            "the current identity may not {} {}{}: ask a cluster admin for that \
                             permission or log in as a user that has it (check with `{}`); \
                             the server said: {server}",
                            self.verb,
                            self.resource,
                            self.namespace
                                .as_deref()
                                .map(|ns| format!(" in namespace {ns}"))
                                .unwrap_or_default(),
                            self.can_i()
                        ),
                        false,
                    ),
                    409 => (server.to_owned(), self.call == "apply"),
                    // An expired `continue` token: listing again from the start helps.
                    410 => (
                        server.to_owned(),
                        matches!(self.call, "list" | "events" | "nodes"),
                    ),
                    429 => (server.to_owned(), true),
                    c if c >= 500 => (server.to_owned(), true),
                    _ => (server.to_owned(), false),
                };
                self.error(message, retryable).with_status(code, reason)
            }
            ::kube::Error::Discovery(e) => match e {
                DiscoveryError::MissingKind(_)
                | DiscoveryError::MissingResource(_)
                | DiscoveryError::MissingApiGroup(_)
                | DiscoveryError::EmptyApiGroup(_) => self
                    .error(
                        format!(
                            "the cluster does not serve this kind ({e}): is its CRD or operator \
                             installed?"
                        ),
                        false,
                    )
                    .with_status(404, "NotFound"),
                DiscoveryError::InvalidGroupVersion(_) => self.error(e.to_string(), false),
            },
            ::kube::Error::HyperError(_)
            | ::kube::Error::Service(_)
            | ::kube::Error::ReadEvents(_) => self.error(
                format!("cannot reach the API server: {}", chain(&err)),
                true,
            ),
            ::kube::Error::Auth(_) => self.error(
                format!(
                    "cannot authenticate to the cluster: {}; log in again with `oc login`",
                    chain(&err)
                ),
                false,
            ),
            other => self.error(chain(&other), false),
        }
    }
}

/// The reason the API server would give for a status code, when its answer had none.
fn reason_of(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        410 => "Gone",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    }
}

/// An error and its sources, `a: b: c`, skipping a source its parent already quotes (the root
/// cause of a refused connection is three levels down).
pub(super) fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use ::kube::core::Status;

    use super::*;

    fn api(code: u16, reason: &str, message: &str) -> ::kube::Error {
        ::kube::Error::Api(Box::new(Status {
            code,
            reason: reason.to_owned(),
            message: message.to_owned(),
            ..Status::default()
        }))
    }

    fn ctx(call: &'static str, verb: &'static str) -> CallContext {
        CallContext::new(call, verb, "subscriptions.operators.coreos.com")
            .in_namespace(Some("ns"))
            .about("Subscription ns/x")
    }

    #[test]
    fn retryable_only_where_trying_again_helps() {
        let cases = [
            ("apply", 409, true),
            ("delete", 409, false),
            ("get", 429, true),
            ("get", 500, true),
            ("get", 503, true),
            ("get", 404, false),
            ("apply", 422, false),
            ("apply", 403, false),
            ("get", 401, false),
            ("get", 400, false),
        ];
        for (call, code, retryable) in cases {
            let e = ctx(call, "get").map(api(code, "", "boom"));
            assert_eq!(e.retryable, retryable, "{call} {code}");
            assert_eq!(e.status, Some(code));
            assert_eq!(e.call, call);
            assert_eq!(e.object.as_deref(), Some("Subscription ns/x"));
        }
    }

    #[test]
    fn a_missing_reason_is_derived_from_the_code() {
        let e = ctx("get", "get").map(api(404, "", "404 page not found"));
        assert_eq!(e.reason.as_deref(), Some("NotFound"));
        assert!(e.is_not_found());
        let e = ctx("get", "get").map(api(404, "Failed to parse error data", "404 page not found"));
        assert_eq!(e.reason.as_deref(), Some("NotFound"));
        let e = ctx("apply", "patch").map(api(422, "Invalid", "spec.x: Invalid value"));
        assert_eq!(e.reason.as_deref(), Some("Invalid"));
        assert_eq!(e.message, "spec.x: Invalid value");
    }

    #[test]
    fn forbidden_says_which_verb_on_which_resource_is_missing() {
        let e = ctx("apply", "patch").map(api(403, "Forbidden", "user cannot patch"));
        assert!(
            e.message
                .contains("may not patch subscriptions.operators.coreos.com in namespace ns"),
            "{}",
            e.message
        );
        assert!(
            e.message
                .contains("oc auth can-i patch subscriptions.operators.coreos.com -n ns"),
            "{}",
            e.message
        );
        assert!(e.message.ends_with("user cannot patch"));
    }

    #[test]
    fn transport_errors_are_retryable_and_missing_kinds_are_not_found() {
        let e = ctx("get", "get").map(::kube::Error::Service("connection refused".into()));
        assert!(e.retryable);
        assert_eq!(e.status, None);
        assert!(e.message.contains("cannot reach the API server"));
        assert!(e.message.contains("connection refused"));

        let e = ctx("get", "get").map(::kube::Error::Discovery(DiscoveryError::MissingKind(
            "Widget".into(),
        )));
        assert!(e.is_not_found());
        assert!(!e.retryable);
        assert!(e.message.contains("CRD"), "{}", e.message);
    }

    #[test]
    fn chains_skip_sources_already_quoted() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer: {0}")]
        struct Outer(#[source] Inner);
        #[derive(Debug, thiserror::Error)]
        #[error("inner")]
        struct Inner(#[source] std::io::Error);
        let e = Outer(Inner(std::io::Error::other("refused")));
        assert_eq!(chain(&e), "outer: inner: refused");
    }
}
