//! The API server's refusals, turned into [`K8sError`]s by the kube adapter's own mapping, so
//! that the fake fails exactly as the real port would for the same answer (same message,
//! status, reason, retryability).

use ::kube::core::{Status, response::StatusSummary};

use crate::K8sError;
use crate::kube::errors::CallContext;
use crate::kube::resources::Resource;

/// The context of a call on one object, as the adapter builds it.
pub(super) fn context(
    call: &'static str,
    verb: &'static str,
    resource: &Resource,
    namespace: Option<&str>,
    about: &str,
) -> CallContext {
    CallContext::new(call, verb, resource.rbac_name())
        .in_namespace(namespace)
        .about(about)
}

/// The error of an API server answer `code`/`reason` with `message`, for the call `ctx`.
pub(super) fn api(
    ctx: &CallContext,
    code: u16,
    reason: &str,
    message: impl Into<String>,
) -> K8sError {
    ctx.map(::kube::Error::Api(Box::new(Status {
        status: Some(StatusSummary::Failure),
        code,
        reason: reason.to_owned(),
        message: message.into(),
        ..Status::default()
    })))
}

/// The adapter's error for a kind the cluster does not serve (its discovery found no such
/// resource).
pub(super) fn not_served(call: &'static str, api_version: &str, kind: &str) -> K8sError {
    K8sError::new(
        call,
        format!(
            "the cluster does not serve {kind} in {api_version}: is its CRD or operator installed?"
        ),
        false,
    )
    .on(format!("{kind} ({api_version})"))
    .with_status(404, "NotFound")
}

/// `Kind` for core kinds, `Kind.group` otherwise: how the API server names a kind in
/// validation errors (`StorageClass.storage.k8s.io "efs-sc" is invalid: …`).
pub(super) fn qualified_kind(resource: &Resource) -> String {
    if resource.api.group.is_empty() {
        resource.api.kind.clone()
    } else {
        format!("{}.{}", resource.api.kind, resource.api.group)
    }
}
