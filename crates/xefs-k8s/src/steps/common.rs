//! What every OpenShift step shares: port calls that respect the run's rate limits and
//! cancellation and speak [`StepError`], bounded waits that say what they waited for, and small
//! helpers to read and compare objects.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;
use xefs_core::step::{StepContext, StepError};

use crate::{
    ClusterHandle, Condition, EventSummary, K8sError, Node, ObjectRef, Propagation,
    objects::Authentication,
};

/// The rate-limit scope of every cluster call (one cluster per run).
const RATE_SCOPE: &str = "cluster";
/// The rate-limit service of every cluster call.
const RATE_SERVICE: &str = "kubernetes";

/// The error code of a wait that ran out of time.
pub(crate) const TIMEOUT_CODE: &str = "Timeout";

/// The cluster as one step call sees it: every call first takes a token from the run's rate
/// limits, errors become [`StepError`]s (retryable or not, as the port classified them), and
/// waits are reported as progress and stop when the run is cancelled.
pub(crate) struct Kube<'a> {
    handle: &'a ClusterHandle,
    ctx: &'a StepContext,
}

impl<'a> Kube<'a> {
    /// The cluster of `handle`, for the step call `ctx`.
    pub(crate) fn new(handle: &'a ClusterHandle, ctx: &'a StepContext) -> Self {
        Self { handle, ctx }
    }

    async fn acquire(&self) {
        self.ctx
            .rate_limits()
            .acquire(RATE_SCOPE, RATE_SERVICE)
            .await;
    }

    /// Server-side apply of `object`.
    pub(crate) async fn apply(&self, object: &Value) -> Result<Value, StepError> {
        self.acquire().await;
        Ok(self.handle.cluster.apply(object).await?)
    }

    /// The object, or `None` when it does not exist.
    pub(crate) async fn get(&self, object: &ObjectRef) -> Result<Option<Value>, StepError> {
        self.acquire().await;
        Ok(self.handle.cluster.get(object).await?)
    }

    /// Every object of a kind in one namespace.
    pub(crate) async fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
    ) -> Result<Vec<Value>, StepError> {
        self.acquire().await;
        Ok(self
            .handle
            .cluster
            .list(api_version, kind, Some(namespace.to_owned()), None)
            .await?)
    }

    /// Deletes the object; `Ok(false)` when it was not there (a 404 included: removal is
    /// idempotent).
    pub(crate) async fn delete(
        &self,
        object: &ObjectRef,
        propagation: Propagation,
    ) -> Result<bool, StepError> {
        self.acquire().await;
        match self.handle.cluster.delete(object, propagation).await {
            Ok(existed) => Ok(existed),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes the object and, when it existed, waits until it is gone (bounded by the
    /// handle's `delete_timeout`): a namespace or an object with finalizers lingers, and what
    /// comes next (recreating it, removing the operator that owns its finalizer) must not start
    /// before it is gone.
    pub(crate) async fn delete_and_wait(
        &self,
        object: &ObjectRef,
        propagation: Propagation,
    ) -> Result<bool, StepError> {
        let existed = self.delete(object, propagation).await?;
        if existed {
            let timeout = self.handle.options.delete_timeout;
            self.wait_for(
                object,
                Condition::Deleted,
                timeout,
                &awaited(object, Condition::Deleted),
            )
            .await?;
        }
        Ok(existed)
    }

    /// Waits until `object` meets `condition`, for at most `timeout`; returns the object as
    /// last seen. The wait is reported first (the port's wait blocks), stops when the run is
    /// cancelled, and a timeout is a permanent error (retrying would only double the wait)
    /// with code [`TIMEOUT_CODE`] that names `what`.
    pub(crate) async fn wait_for(
        &self,
        object: &ObjectRef,
        condition: Condition,
        timeout: Duration,
        what: &str,
    ) -> Result<Value, StepError> {
        self.ctx.report_waiting(what, Duration::ZERO, timeout);
        self.acquire().await;
        let wait = self.handle.cluster.wait_for(object, condition, timeout);
        let result = tokio::select! {
            result = wait => result,
            () = self.ctx.cancel_token().cancelled() => {
                return Err(StepError::cancelled(format!("cancelled while waiting for {what}")));
            }
        };
        result.map_err(|e| {
            if is_timeout(&e) {
                StepError::permanent(format!(
                    "timed out after {}s waiting for {what} ({})",
                    timeout.as_secs_f64().round(),
                    e.message
                ))
                .with_code(TIMEOUT_CODE)
            } else {
                e.into()
            }
        })
    }

    /// The logs of a pod's first container.
    pub(crate) async fn pod_logs(&self, namespace: &str, pod: &str) -> Result<String, StepError> {
        self.acquire().await;
        Ok(self.handle.cluster.pod_logs(namespace, pod).await?)
    }

    /// The events about one object of a namespace, oldest first.
    pub(crate) async fn events(
        &self,
        namespace: &str,
        object: &str,
    ) -> Result<Vec<EventSummary>, StepError> {
        self.acquire().await;
        Ok(self.handle.cluster.events(namespace, object).await?)
    }

    /// The nodes matching a label selector.
    pub(crate) async fn nodes(&self, selector: &str) -> Result<Vec<Node>, StepError> {
        self.acquire().await;
        Ok(self.handle.cluster.nodes(Some(selector.to_owned())).await?)
    }

    /// `Authentication/cluster`.
    pub(crate) async fn authentication(&self) -> Result<Option<Authentication>, StepError> {
        self.acquire().await;
        Ok(self.handle.cluster.authentication().await?)
    }
}

/// True for the port's "the wait ran out of time" error.
fn is_timeout(e: &K8sError) -> bool {
    e.reason.as_deref() == Some(TIMEOUT_CODE)
}

/// "Deployment ns/name to be available": what a wait for `condition` on `object` waits for.
pub(crate) fn awaited(object: &ObjectRef, condition: Condition) -> String {
    format!("{object} {}", condition.describe())
}

/// The reference of an object built by `xefs_core::blueprint::manifests`.
pub(crate) fn object_ref(object: &Value) -> Result<ObjectRef, StepError> {
    Ok(ObjectRef::of(object)?)
}

/// Reads a live object into its typed form; an object the typed form cannot read is a
/// permanent error naming it (the cluster serves a version xefs does not know).
pub(crate) fn typed<T: DeserializeOwned>(object: &ObjectRef, live: Value) -> Result<T, StepError> {
    serde_json::from_value(live).map_err(|e| {
        StepError::permanent(format!("{object} has an unexpected shape: {e}"))
            .with_resource(object.to_string())
    })
}

/// `value` without nulls, empty strings, empty lists and empty maps, at any depth: the API
/// server drops empty fields of what it stores (and defaults some), so objects are compared
/// in this form.
pub(crate) fn normalized(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalized(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(normalized)
                .filter(|v| !is_empty(v))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// A JSON value as a plan shows it: strings bare, `(none)` for what is missing, anything else
/// as compact JSON.
pub(crate) fn show(value: &Value) -> String {
    match value {
        Value::Null => "(none)".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The time left of `budget` since `start`: a step with several waits bounds all of them
/// together by one option, not each one by it.
pub(crate) fn remaining(start: Instant, budget: Duration) -> Duration {
    budget.saturating_sub(start.elapsed())
}

/// Seconds as outputs and messages show them: to a tenth.
pub(crate) fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn normalized_drops_what_the_server_drops() {
        let sent = json!({ "a": [], "b": "", "c": null, "d": { "e": [] }, "f": ["x", ""], "g": 0 });
        assert_eq!(normalized(&sent), json!({ "f": ["x"], "g": 0 }));
    }

    #[test]
    fn shows_values_for_plans() {
        assert_eq!(show(&json!("Delete")), "Delete");
        assert_eq!(show(&Value::Null), "(none)");
        assert_eq!(show(&json!(["iam"])), r#"["iam"]"#);
    }

    #[test]
    fn seconds_round_to_a_tenth() {
        assert_eq!(seconds(Duration::from_millis(12_345)), 12.3);
        assert_eq!(seconds(Duration::ZERO), 0.0);
    }
}
