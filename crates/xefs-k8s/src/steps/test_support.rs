//! Helpers for the steps' unit tests: step specs from the real example spec, a cluster handle
//! over a `MockCluster`, step contexts, and the objects and errors the mock answers with.
#![allow(dead_code)] // Each step module's tests use what they need.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedReceiver;
use xefs_core::blueprint::{Address, Blueprint, StepSpec};
use xefs_core::engine::{Event, EventSink};
use xefs_core::ids::StackName;
use xefs_core::spec::StackSpec;
use xefs_core::step::{Inputs, StepContext, WaitPolicy};

use crate::{ClusterHandle, K8sError, K8sOptions, MockCluster, ObjectRef};

/// The example every key of the spec is documented in: the steps are tested on the objects
/// the real blueprint builds.
pub(crate) const EXAMPLE: &str = include_str!("../../../../examples/xefs.toml");

/// The example's stack name.
pub(crate) const STACK: &str = "demo";

/// The operator namespace of the example.
pub(crate) const NS: &str = "openshift-cluster-csi-drivers";

/// The example spec, parsed without environment overrides.
pub(crate) fn example_spec() -> StackSpec {
    StackSpec::from_toml_str(EXAMPLE, &BTreeMap::<String, String>::new())
        .expect("examples/xefs.toml is a valid spec")
}

/// The example's step spec at `address`.
pub(crate) fn step_spec(address: &str) -> StepSpec {
    let blueprint = Blueprint::build(&example_spec());
    let address = Address::parse(address).expect("test address");
    blueprint
        .step(&address)
        .unwrap_or_else(|| panic!("the example blueprint has no step {address}"))
        .spec
        .clone()
}

/// Picks one variant of the example's step spec at `address`.
macro_rules! spec_at {
    ($address:expr, $variant:ident) => {
        match $crate::steps::test_support::step_spec($address) {
            xefs_core::blueprint::StepSpec::$variant(s) => s,
            other => panic!("{} is not a {}: {other:?}", $address, stringify!($variant)),
        }
    };
}
pub(crate) use spec_at;

/// Short bounds, so that tests read well; the waits themselves are the mock's.
pub(crate) fn options() -> K8sOptions {
    K8sOptions {
        operator_timeout: Duration::from_secs(120),
        driver_timeout: Duration::from_secs(90),
        delete_timeout: Duration::from_secs(60),
    }
}

/// A handle on `mock`, for the example's stack. A mock without an expectation for a call
/// fails the test when it is made.
pub(crate) fn handle(mock: MockCluster) -> ClusterHandle {
    ClusterHandle {
        cluster: Arc::new(mock),
        stack: StackName::parse(STACK).expect("test stack"),
        options: options(),
    }
}

/// A context for `address` with these inputs, polling every second (under a paused clock).
pub(crate) fn ctx_with(address: &str, inputs: Inputs) -> StepContext {
    StepContext::new(Address::parse(address).expect("test address"), inputs).with_wait_policy(
        WaitPolicy {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(1),
            factor: 1.0,
        },
    )
}

/// A context for `address` without inputs.
pub(crate) fn ctx(address: &str) -> StepContext {
    ctx_with(address, Inputs::new())
}

/// A context whose events (the `Waiting` reports) the test can read.
pub(crate) fn ctx_with_events(address: &str) -> (StepContext, UnboundedReceiver<Event>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    (ctx(address).with_events(EventSink::new(tx)), rx)
}

/// What the step reported waiting for, in order.
pub(crate) fn waits(rx: &mut UnboundedReceiver<Event>) -> Vec<String> {
    let mut waits = Vec::new();
    while let Ok(event) = rx.try_recv() {
        if let Event::Waiting { what, .. } = event {
            waits.push(what);
        }
    }
    waits
}

/// True when `r` is the object `kind` named `name`.
pub(crate) fn is(r: &ObjectRef, kind: &str, name: &str) -> bool {
    r.kind == kind && r.name == name
}

/// The port's answer to a wait that ran out of time.
pub(crate) fn timeout_error(object: &ObjectRef) -> K8sError {
    K8sError {
        reason: Some("Timeout".into()),
        ..K8sError::new("wait", "condition not met before the deadline", false)
            .on(object.to_string())
    }
}

/// The API server's 404.
pub(crate) fn not_found(call: &'static str, object: &ObjectRef) -> K8sError {
    K8sError::new(call, "not found", false)
        .on(object.to_string())
        .with_status(404, "NotFound")
}

/// The API server's 403.
pub(crate) fn forbidden(call: &'static str, object: &ObjectRef) -> K8sError {
    K8sError::new(call, "forbidden: the user may not do this", false)
        .on(object.to_string())
        .with_status(403, "Forbidden")
}

/// A Deployment as its controller reports it when every replica is available.
pub(crate) fn available_deployment(namespace: &str, name: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": name, "namespace": namespace },
        "spec": { "replicas": 1 },
        "status": { "updatedReplicas": 1, "availableReplicas": 1,
                    "conditions": [{ "type": "Available", "status": "True" }] }
    })
}

/// A Deployment whose pods are not ready yet.
pub(crate) fn unavailable_deployment(namespace: &str, name: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": name, "namespace": namespace },
        "spec": { "replicas": 1 },
        "status": { "updatedReplicas": 1, "availableReplicas": 0,
                    "conditions": [{ "type": "Available", "status": "False" }] }
    })
}

/// A DaemonSet ready on all of its three nodes.
pub(crate) fn ready_daemonset(namespace: &str, name: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": { "name": name, "namespace": namespace },
        "status": { "desiredNumberScheduled": 3, "numberReady": 3, "updatedNumberScheduled": 3 }
    })
}

/// A DaemonSet with one of three pods ready.
pub(crate) fn unready_daemonset(namespace: &str, name: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": { "name": name, "namespace": namespace },
        "status": { "desiredNumberScheduled": 3, "numberReady": 1, "updatedNumberScheduled": 3 }
    })
}

/// `object` as the API server returns it after an apply: with server-set metadata.
pub(crate) fn stored(object: &Value) -> Value {
    let mut stored = object.clone();
    stored["metadata"]["uid"] = json!("00000000-0000-0000-0000-000000000001");
    stored["metadata"]["resourceVersion"] = json!("1");
    stored
}

/// Expects exactly one server-side apply of the object `kind`/`name`, answered with it as
/// stored; returns nothing, the mock keeps the expectation.
pub(crate) fn expect_apply(mock: &mut MockCluster, kind: &'static str, name: &'static str) {
    mock.expect_apply()
        .withf(move |o| o["kind"] == kind && o["metadata"]["name"] == name)
        .times(1)
        .returning(|o| Ok(stored(o)));
}

/// Expects exactly one read of `kind`/`name`, answered with `live`.
pub(crate) fn expect_get(
    mock: &mut MockCluster,
    kind: &'static str,
    name: &'static str,
    live: Option<Value>,
) {
    mock.expect_get()
        .withf(move |r| is(r, kind, name))
        .times(1)
        .returning(move |_| Ok(live.clone()));
}

/// Expects exactly one delete of `kind`/`name`; `existed` is the port's answer.
pub(crate) fn expect_delete(
    mock: &mut MockCluster,
    kind: &'static str,
    name: &'static str,
    existed: bool,
) {
    mock.expect_delete()
        .withf(move |r, _| is(r, kind, name))
        .times(1)
        .returning(move |_, _| Ok(existed));
}

/// Expects exactly one wait on `kind`/`name`, answered with `object` (met).
pub(crate) fn expect_wait(
    mock: &mut MockCluster,
    kind: &'static str,
    name: &'static str,
    condition: crate::Condition,
    object: Value,
) {
    mock.expect_wait_for()
        .withf(move |r, c, _| is(r, kind, name) && *c == condition)
        .times(1)
        .returning(move |_, _, _| Ok(object.clone()));
}

/// Expects exactly one wait on `kind`/`name` that runs out of time.
pub(crate) fn expect_wait_timeout(
    mock: &mut MockCluster,
    kind: &'static str,
    name: &'static str,
    condition: crate::Condition,
) {
    mock.expect_wait_for()
        .withf(move |r, c, _| is(r, kind, name) && *c == condition)
        .times(1)
        .returning(|r, _, _| Err(timeout_error(r)));
}

/// Forbids every write: the test proves a step changes nothing.
pub(crate) fn no_writes(mock: &mut MockCluster) {
    mock.expect_apply().never();
    mock.expect_delete().never();
}
