//! The adapter through kube's real `Client` over a `tower-test` mock service: the exact HTTP
//! requests (verbs, paths, queries, apply bodies) and the handling of the API server's answers.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ::kube::Client;
use ::kube::client::Body;
use http::header::CONTENT_TYPE;
use http::{Request, Response};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tower_test::mock;

use super::KubeCluster;
use crate::{Cluster, Condition, K8sResult, ObjectRef, Propagation};

/// A request as the API server received it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// Path and query.
    uri: String,
    content_type: Option<String>,
    /// The body, when it is JSON.
    body: Option<Value>,
}

/// An answer of the mock API server.
enum Reply {
    /// An HTTP answer.
    Http(u16, Vec<u8>),
    /// A transport failure (the connection broke).
    Fail(&'static str),
}

impl Reply {
    fn ok(v: Value) -> Self {
        Reply::Http(200, v.to_string().into_bytes())
    }

    /// A `Status` object, as the API server sends for errors.
    fn status(code: u16, reason: &str, message: &str) -> Self {
        let status = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason, "code": code
        });
        Reply::Http(code, status.to_string().into_bytes())
    }

    fn text(code: u16, text: &str) -> Self {
        Reply::Http(code, text.as_bytes().to_vec())
    }
}

/// The mock API server's side: what it saw.
struct Server {
    seen: Arc<Mutex<Vec<Seen>>>,
    task: JoinHandle<()>,
}

impl Server {
    /// Every request, once the cluster (and with it the client) is gone.
    async fn finish(self, cluster: KubeCluster) -> Vec<Seen> {
        drop(cluster);
        if let Err(e) = self.task.await {
            std::panic::resume_unwind(e.into_panic());
        }
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.clone()
    }
}

/// A cluster whose API server answers each request with `answer`.
fn cluster_answering(
    mut answer: impl FnMut(&Seen) -> Reply + Send + 'static,
) -> (KubeCluster, Server) {
    let (service, mut handle) = mock::pair::<Request<Body>, Response<Body>>();
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let log = seen.clone();
    let task = tokio::spawn(async move {
        while let Some((request, send)) = handle.next_request().await {
            let (parts, body) = request.into_parts();
            let bytes = body.collect_bytes().await.expect("a request body");
            let s = Seen {
                method: parts.method.to_string(),
                uri: parts.uri.to_string(),
                content_type: parts
                    .headers
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                body: serde_json::from_slice(&bytes).ok(),
            };
            let reply = answer(&s);
            log.lock().unwrap_or_else(PoisonError::into_inner).push(s);
            match reply {
                Reply::Http(code, body) => send.send_response(
                    Response::builder()
                        .status(code)
                        .header(CONTENT_TYPE, "application/json")
                        .body(Body::from(body))
                        .expect("a response"),
                ),
                Reply::Fail(message) => send.send_error(std::io::Error::other(message)),
            }
        }
    });
    let cluster = KubeCluster::new(Client::new(service, "default"));
    (cluster, Server { seen, task })
}

/// A cluster whose API server gives these answers in order (and 418 to any request beyond).
fn cluster_replying(replies: Vec<Reply>) -> (KubeCluster, Server) {
    let mut replies = replies.into_iter();
    cluster_answering(move |_| {
        replies
            .next()
            .unwrap_or_else(|| Reply::status(418, "Unexpected", "no reply scripted"))
    })
}

fn uris(seen: &[Seen]) -> Vec<(&str, &str)> {
    seen.iter()
        .map(|s| (s.method.as_str(), s.uri.as_str()))
        .collect()
}

fn subscription() -> Value {
    json!({
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "Subscription",
        "metadata": { "name": "aws-efs-csi-driver-operator",
                      "namespace": "openshift-cluster-csi-drivers",
                      "labels": { "xefs.io/stack": "demo" } },
        "spec": { "channel": "stable", "installPlanApproval": "Automatic",
                  "name": "aws-efs-csi-driver-operator", "source": "redhat-operators",
                  "sourceNamespace": "openshift-marketplace" }
    })
}

const SUBSCRIPTION_PATH: &str = "/apis/operators.coreos.com/v1alpha1/namespaces/openshift-cluster-csi-drivers/subscriptions/aws-efs-csi-driver-operator";

fn deployment(available: bool) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": "op", "namespace": "ns" },
        "spec": { "replicas": 1 },
        "status": {
            "updatedReplicas": 1,
            "availableReplicas": i32::from(available),
            "conditions": [{ "type": "Available", "status": if available { "True" } else { "False" },
                             "reason": "MinimumReplicasUnavailable" }]
        }
    })
}

fn operator_deployment() -> ObjectRef {
    ObjectRef::new("apps/v1", "Deployment", Some("ns"), "op")
}

// ---- apply ----------------------------------------------------------------------------------

#[tokio::test]
async fn apply_is_a_forced_server_side_apply_of_the_whole_object() -> K8sResult<()> {
    let mut stored = subscription();
    stored["metadata"]["uid"] = json!("0b1c");
    stored["metadata"]["resourceVersion"] = json!("42");
    let (cluster, server) = cluster_replying(vec![Reply::ok(stored.clone())]);

    let returned = cluster.apply(&subscription()).await?;

    let seen = server.finish(cluster).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "PATCH");
    assert_eq!(
        seen[0].uri,
        format!("{SUBSCRIPTION_PATH}?&force=true&fieldManager=xefs")
    );
    assert_eq!(
        seen[0].content_type.as_deref(),
        Some("application/apply-patch+yaml")
    );
    assert_eq!(seen[0].body.as_ref(), Some(&subscription()));
    assert_eq!(returned, stored);
    Ok(())
}

#[tokio::test]
async fn apply_addresses_core_and_cluster_scoped_kinds() -> K8sResult<()> {
    let driver = json!({
        "apiVersion": "operator.openshift.io/v1", "kind": "ClusterCSIDriver",
        "metadata": { "name": "efs.csi.aws.com" }, "spec": { "managementState": "Managed" }
    });
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": { "name": "cross-account-arn", "namespace": "openshift-cluster-csi-drivers" },
        "stringData": { "awsRoleArn": "arn:aws:iam::222222222222:role/cross-account-efs-role" }
    });
    // No namespace: the client's default one, as kubectl does.
    let claim = json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": { "name": "c" }
    });
    let (cluster, server) = cluster_answering(|s| Reply::ok(s.body.clone().unwrap_or_default()));
    cluster.apply(&driver).await?;
    cluster.apply(&secret).await?;
    cluster.apply(&claim).await?;
    let seen = server.finish(cluster).await;
    assert_eq!(
        uris(&seen),
        [
            (
                "PATCH",
                "/apis/operator.openshift.io/v1/clustercsidrivers/efs.csi.aws.com?&force=true&fieldManager=xefs"
            ),
            (
                "PATCH",
                "/api/v1/namespaces/openshift-cluster-csi-drivers/secrets/cross-account-arn?&force=true&fieldManager=xefs"
            ),
            (
                "PATCH",
                "/api/v1/namespaces/default/persistentvolumeclaims/c?&force=true&fieldManager=xefs"
            ),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn apply_conflicts_are_retryable_invalid_and_forbidden_are_not() {
    let (cluster, server) = cluster_replying(vec![
        Reply::status(409, "Conflict", "the object has been modified"),
        Reply::status(
            422,
            "Invalid",
            "Subscription.operators.coreos.com \"x\" is invalid: spec.source: Required value",
        ),
        Reply::status(
            403,
            "Forbidden",
            "subscriptions is forbidden: User \"dev\" cannot patch",
        ),
    ]);
    let Err(conflict) = cluster.apply(&subscription()).await else {
        panic!("409 must fail");
    };
    assert_eq!(
        (
            conflict.status,
            conflict.reason.as_deref(),
            conflict.retryable
        ),
        (Some(409), Some("Conflict"), true)
    );
    assert_eq!(conflict.call, "apply");
    assert_eq!(
        conflict.object.as_deref(),
        Some("Subscription openshift-cluster-csi-drivers/aws-efs-csi-driver-operator")
    );

    let Err(invalid) = cluster.apply(&subscription()).await else {
        panic!("422 must fail");
    };
    assert_eq!(
        (invalid.status, invalid.reason.as_deref(), invalid.retryable),
        (Some(422), Some("Invalid"), false)
    );
    assert!(invalid.message.contains("spec.source: Required value"));

    let Err(forbidden) = cluster.apply(&subscription()).await else {
        panic!("403 must fail");
    };
    assert!(!forbidden.retryable);
    assert!(
        forbidden.message.contains(
            "may not patch subscriptions.operators.coreos.com in namespace openshift-cluster-csi-drivers"
        ),
        "{}",
        forbidden.message
    );
    assert_eq!(server.finish(cluster).await.len(), 3);
}

#[tokio::test]
async fn apply_of_an_object_without_a_name_sends_nothing() {
    let (cluster, server) = cluster_replying(vec![]);
    let Err(e) = cluster
        .apply(&json!({ "apiVersion": "v1", "kind": "Secret", "metadata": {} }))
        .await
    else {
        panic!("a nameless object must fail");
    };
    assert_eq!(e.call, "apply");
    assert!(e.message.contains("metadata.name"), "{}", e.message);
    assert!(server.finish(cluster).await.is_empty());
}

// ---- get ------------------------------------------------------------------------------------

#[tokio::test]
async fn get_returns_the_object_or_none_on_404() -> K8sResult<()> {
    let (cluster, server) = cluster_replying(vec![
        Reply::ok(json!({ "metadata": { "name": "efs-sc" }, "provisioner": "efs.csi.aws.com" })),
        Reply::status(
            404,
            "NotFound",
            "storageclasses.storage.k8s.io \"efs-sc\" not found",
        ),
        // What a missing CRD gives: a plain-text 404.
        Reply::text(404, "404 page not found\n"),
        Reply::status(503, "ServiceUnavailable", "etcd leader changed"),
    ]);
    let sc = ObjectRef::new("storage.k8s.io/v1", "StorageClass", None, "efs-sc");
    let found = cluster.get(&sc).await?;
    // The server left out apiVersion and kind; the adapter fills them in.
    assert_eq!(
        found,
        Some(
            json!({ "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                     "metadata": { "name": "efs-sc" }, "provisioner": "efs.csi.aws.com" })
        )
    );
    assert_eq!(cluster.get(&sc).await?, None);
    let csv = ObjectRef::new(
        "operators.coreos.com/v1alpha1",
        "ClusterServiceVersion",
        Some("ns"),
        "op.v4.20.0",
    );
    assert_eq!(cluster.get(&csv).await?, None);
    let Err(e) = cluster.get(&sc).await else {
        panic!("503 must fail");
    };
    assert!(e.retryable);
    assert_eq!(e.call, "get");
    let seen = server.finish(cluster).await;
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].uri, "/apis/storage.k8s.io/v1/storageclasses/efs-sc");
    assert_eq!(
        seen[2].uri,
        "/apis/operators.coreos.com/v1alpha1/namespaces/ns/clusterserviceversions/op.v4.20.0"
    );
    Ok(())
}

#[tokio::test]
async fn a_broken_connection_is_a_retryable_error_without_status() {
    let (cluster, server) = cluster_replying(vec![Reply::Fail("connection reset by peer")]);
    let Err(e) = cluster.get(&operator_deployment()).await else {
        panic!("a broken connection must fail");
    };
    assert!(e.retryable);
    assert_eq!(e.status, None);
    assert!(
        e.message.contains("cannot reach the API server"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("connection reset by peer"),
        "{}",
        e.message
    );
    server.finish(cluster).await;
}

// ---- discovery ------------------------------------------------------------------------------

#[tokio::test]
async fn unknown_kinds_are_discovered_once() -> K8sResult<()> {
    let resources = json!({
        "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "monitoring.coreos.com/v1",
        "resources": [
            { "name": "servicemonitors", "singularName": "servicemonitor", "namespaced": true,
              "kind": "ServiceMonitor", "verbs": ["get", "list", "patch", "delete"] },
            { "name": "servicemonitors/status", "singularName": "", "namespaced": true,
              "kind": "ServiceMonitor", "verbs": ["get"] }
        ]
    });
    let monitor = json!({ "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
                          "metadata": { "name": "m", "namespace": "ns" } });
    let (cluster, server) = cluster_replying(vec![
        Reply::ok(resources),
        Reply::ok(monitor.clone()),
        Reply::ok(monitor.clone()),
    ]);
    let r = ObjectRef::new(
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
        Some("ns"),
        "m",
    );
    assert_eq!(cluster.get(&r).await?, Some(monitor.clone()));
    assert_eq!(cluster.get(&r).await?, Some(monitor));
    let seen = server.finish(cluster).await;
    assert_eq!(
        uris(&seen),
        [
            ("GET", "/apis/monitoring.coreos.com/v1"),
            (
                "GET",
                "/apis/monitoring.coreos.com/v1/namespaces/ns/servicemonitors/m"
            ),
            (
                "GET",
                "/apis/monitoring.coreos.com/v1/namespaces/ns/servicemonitors/m"
            ),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn a_kind_the_cluster_does_not_serve_does_not_exist() -> K8sResult<()> {
    let (cluster, server) = cluster_replying(vec![
        Reply::text(404, "404 page not found"),
        Reply::text(404, "404 page not found"),
        Reply::ok(json!({ "kind": "APIResourceList", "groupVersion": "v1", "resources": [] })),
    ]);
    let widget = ObjectRef::new("example.com/v1", "Widget", None, "w");
    assert_eq!(cluster.get(&widget).await?, None);
    let Err(e) = cluster
        .apply(&json!({ "apiVersion": "example.com/v1", "kind": "Widget",
                                        "metadata": { "name": "w" } }))
        .await
    else {
        panic!("a kind the cluster does not serve cannot be applied");
    };
    assert_eq!(e.reason.as_deref(), Some("NotFound"));
    assert!(
        e.message
            .contains("does not serve Widget in example.com/v1"),
        "{}",
        e.message
    );
    let core_widget = ObjectRef::new("v1", "Widget", None, "w");
    assert!(
        !cluster
            .delete(&core_widget, Propagation::Background)
            .await?
    );
    let seen = server.finish(cluster).await;
    assert_eq!(
        uris(&seen),
        [
            ("GET", "/apis/example.com/v1"),
            ("GET", "/apis/example.com/v1"),
            ("GET", "/api/v1")
        ]
    );
    Ok(())
}

// ---- list -----------------------------------------------------------------------------------

#[tokio::test]
async fn list_follows_continue_tokens_and_labels_items_with_their_kind() -> K8sResult<()> {
    let page = |names: &[&str], next: Option<&str>| {
        let items: Vec<Value> = names
            .iter()
            .map(|n| json!({ "metadata": { "name": n, "namespace": "ns" } }))
            .collect();
        let mut meta = json!({ "resourceVersion": "7" });
        if let Some(t) = next {
            meta["continue"] = json!(t);
        }
        Reply::ok(json!({ "apiVersion": "apps/v1", "kind": "DeploymentList",
                          "metadata": meta, "items": items }))
    };
    let (cluster, server) = cluster_replying(vec![
        page(&["a", "b"], Some("tok1")),
        page(&["c"], Some("")),
        page(&[], None),
    ]);
    let items = cluster
        .list(
            "apps/v1",
            "Deployment",
            Some("ns".to_owned()),
            Some("xefs.io/stack=demo".to_owned()),
        )
        .await?;
    let names: Vec<&str> = items
        .iter()
        .filter_map(|i| i["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert!(
        items
            .iter()
            .all(|i| i["apiVersion"] == "apps/v1" && i["kind"] == "Deployment")
    );
    assert!(
        cluster
            .list("apps/v1", "Deployment", None, None)
            .await?
            .is_empty()
    );
    let seen = server.finish(cluster).await;
    assert_eq!(
        uris(&seen),
        [
            (
                "GET",
                "/apis/apps/v1/namespaces/ns/deployments?&labelSelector=xefs.io%2Fstack%3Ddemo&limit=500"
            ),
            (
                "GET",
                "/apis/apps/v1/namespaces/ns/deployments?&labelSelector=xefs.io%2Fstack%3Ddemo&limit=500&continue=tok1"
            ),
            ("GET", "/apis/apps/v1/deployments?&limit=500"),
        ]
    );
    Ok(())
}

// ---- delete ---------------------------------------------------------------------------------

#[tokio::test]
async fn delete_sends_the_propagation_and_404_means_already_gone() -> K8sResult<()> {
    let (cluster, server) = cluster_replying(vec![
        Reply::ok(
            json!({ "kind": "Status", "apiVersion": "v1", "status": "Success", "code": 200 }),
        ),
        Reply::ok(json!({ "apiVersion": "v1", "kind": "Namespace",
                          "metadata": { "name": "xefs-verify", "deletionTimestamp": "2026-01-01T00:00:00Z" } })),
        Reply::status(404, "NotFound", "namespaces \"xefs-verify\" not found"),
        Reply::status(403, "Forbidden", "cannot delete"),
    ]);
    let sub = ObjectRef::of(&subscription())?;
    let ns = ObjectRef::new("v1", "Namespace", None, "xefs-verify");
    assert!(cluster.delete(&sub, Propagation::Background).await?);
    assert!(cluster.delete(&ns, Propagation::Foreground).await?);
    assert!(!cluster.delete(&ns, Propagation::Foreground).await?);
    let Err(e) = cluster.delete(&ns, Propagation::Foreground).await else {
        panic!("403 must fail");
    };
    assert!(
        e.message.contains("may not delete namespaces"),
        "{}",
        e.message
    );
    let seen = server.finish(cluster).await;
    assert_eq!(seen[0].method, "DELETE");
    assert_eq!(seen[0].uri, format!("{SUBSCRIPTION_PATH}?"));
    assert_eq!(
        seen[0].body.as_ref().map(|b| &b["propagationPolicy"]),
        Some(&json!("Background"))
    );
    assert_eq!(seen[1].uri, "/api/v1/namespaces/xefs-verify?");
    assert_eq!(
        seen[1].body.as_ref().map(|b| &b["propagationPolicy"]),
        Some(&json!("Foreground"))
    );
    Ok(())
}

// ---- wait_for -------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn wait_for_polls_until_the_condition_holds() -> K8sResult<()> {
    let (cluster, server) = cluster_replying(vec![
        Reply::status(404, "NotFound", "not yet created"),
        Reply::ok(deployment(false)),
        Reply::status(500, "InternalError", "etcd hiccup"),
        Reply::ok(deployment(true)),
    ]);
    let start = Instant::now();
    let got = cluster
        .wait_for(
            &operator_deployment(),
            Condition::DeploymentAvailable,
            Duration::from_secs(600),
        )
        .await?;
    assert_eq!(got, deployment(true));
    // Pauses of 1, 2 and 4 seconds between the four looks.
    assert_eq!(start.elapsed(), Duration::from_secs(7));
    let seen = server.finish(cluster).await;
    assert_eq!(seen.len(), 4);
    assert!(
        seen.iter()
            .all(|s| s.uri == "/apis/apps/v1/namespaces/ns/deployments/op")
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_wait_that_runs_out_of_time_says_what_it_awaited_and_saw() {
    let (cluster, server) = cluster_answering(|_| Reply::ok(deployment(false)));
    let start = Instant::now();
    let Err(e) = cluster
        .wait_for(
            &operator_deployment(),
            Condition::DeploymentAvailable,
            Duration::from_secs(120),
        )
        .await
    else {
        panic!("a deployment that never becomes available must time out");
    };
    assert_eq!(start.elapsed(), Duration::from_secs(120));
    assert_eq!(e.reason.as_deref(), Some("Timeout"));
    assert_eq!(e.call, "wait");
    assert_eq!(e.status, None);
    assert!(!e.retryable);
    assert_eq!(e.object.as_deref(), Some("Deployment ns/op"));
    assert!(
        e.message.starts_with(
            "timed out after 2 min waiting for Deployment ns/op to be available; last seen: status"
        ),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("MinimumReplicasUnavailable"),
        "{}",
        e.message
    );
    // 1, 2, 4, 8, then every 10 seconds: 0, 1, 3, 7, 15, 25, …, 115.
    assert_eq!(server.finish(cluster).await.len(), 15);
}

#[tokio::test(start_paused = true)]
async fn waiting_for_a_deletion_succeeds_on_404() -> K8sResult<()> {
    let (cluster, server) = cluster_replying(vec![
        Reply::ok(
            json!({ "metadata": { "name": "xefs-verify", "deletionTimestamp": "2026-01-01T00:00:00Z" } }),
        ),
        Reply::status(404, "NotFound", "gone"),
    ]);
    let ns = ObjectRef::new("v1", "Namespace", None, "xefs-verify");
    let got = cluster
        .wait_for(&ns, Condition::Deleted, Duration::from_secs(60))
        .await?;
    assert_eq!(got, Value::Null);
    let seen = server.finish(cluster).await;
    assert_eq!(
        uris(&seen),
        [
            ("GET", "/api/v1/namespaces/xefs-verify"),
            ("GET", "/api/v1/namespaces/xefs-verify")
        ]
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_permanent_error_ends_a_wait_at_once() {
    let (cluster, server) = cluster_replying(vec![Reply::status(
        403,
        "Forbidden",
        "deployments.apps \"op\" is forbidden",
    )]);
    let start = Instant::now();
    let Err(e) = cluster
        .wait_for(
            &operator_deployment(),
            Condition::DeploymentAvailable,
            Duration::from_secs(600),
        )
        .await
    else {
        panic!("403 must end the wait");
    };
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(e.status, Some(403));
    assert_eq!(e.call, "wait");
    assert!(
        e.message
            .contains("may not get deployments.apps in namespace ns")
    );
    assert_eq!(server.finish(cluster).await.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_timeout_after_errors_reports_the_last_error() {
    let (cluster, server) =
        cluster_answering(|_| Reply::status(503, "ServiceUnavailable", "apiserver is restarting"));
    let Err(e) = cluster
        .wait_for(
            &operator_deployment(),
            Condition::DeploymentAvailable,
            Duration::from_secs(5),
        )
        .await
    else {
        panic!("must time out");
    };
    assert_eq!(e.reason.as_deref(), Some("Timeout"));
    assert!(
        e.message.contains("5 s")
            && e.message
                .contains("last seen: error: wait Deployment ns/op: apiserver is restarting"),
        "{}",
        e.message
    );
    server.finish(cluster).await;
}

// ---- logs, events, nodes, authentication ------------------------------------------------------

#[tokio::test]
async fn pod_logs_read_the_first_container() -> K8sResult<()> {
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "xefs-reader", "namespace": "xefs-verify" },
        "spec": { "containers": [
            { "name": "xefs-reader", "image": "ubi" },
            { "name": "sidecar", "image": "ubi" }
        ] }
    });
    let (cluster, server) =
        cluster_replying(vec![Reply::ok(pod), Reply::text(200, "hello from xefs\n")]);
    let logs = cluster.pod_logs("xefs-verify", "xefs-reader").await?;
    assert_eq!(logs, "hello from xefs\n");
    let seen = server.finish(cluster).await;
    assert_eq!(
        uris(&seen),
        [
            ("GET", "/api/v1/namespaces/xefs-verify/pods/xefs-reader"),
            (
                "GET",
                "/api/v1/namespaces/xefs-verify/pods/xefs-reader/log?&container=xefs-reader"
            ),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn pod_logs_of_a_missing_pod_are_not_found() {
    let (cluster, server) =
        cluster_replying(vec![Reply::status(404, "NotFound", "pods \"x\" not found")]);
    let Err(e) = cluster.pod_logs("ns", "x").await else {
        panic!("a missing pod has no logs");
    };
    assert!(e.is_not_found());
    assert_eq!(e.call, "logs");
    assert_eq!(e.object.as_deref(), Some("Pod ns/x"));
    server.finish(cluster).await;
}

#[tokio::test]
async fn events_select_one_object_and_come_oldest_first() -> K8sResult<()> {
    let event = |name: &str, reason: &str, at: &str| {
        json!({ "metadata": { "name": name, "namespace": "xefs-verify" },
                "involvedObject": { "kind": "Pod", "namespace": "xefs-verify", "name": "xefs-writer" },
                "type": "Warning", "reason": reason, "message": reason, "lastTimestamp": at })
    };
    let (cluster, server) = cluster_replying(vec![Reply::ok(json!({
        "apiVersion": "v1", "kind": "EventList", "metadata": {},
        "items": [
            event("e2", "FailedMount", "2026-01-01T00:01:00Z"),
            event("e1", "Scheduled", "2026-01-01T00:00:00Z")
        ]
    }))]);
    let events = cluster.events("xefs-verify", "xefs-writer").await?;
    let reasons: Vec<&str> = events.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(reasons, ["Scheduled", "FailedMount"]);
    assert_eq!(events[0].object, "Pod xefs-verify/xefs-writer");
    let seen = server.finish(cluster).await;
    assert_eq!(
        uris(&seen),
        [(
            "GET",
            "/api/v1/namespaces/xefs-verify/events?&fieldSelector=involvedObject.name%3Dxefs-writer&limit=500"
        )]
    );
    Ok(())
}

#[tokio::test]
async fn nodes_are_listed_with_their_instances() -> K8sResult<()> {
    let (cluster, server) = cluster_replying(vec![Reply::ok(json!({
        "apiVersion": "v1", "kind": "NodeList", "metadata": {},
        "items": [{
            "metadata": { "name": "ip-10-0-1-5", "labels": {
                "topology.kubernetes.io/zone": "us-east-2a", "node-role.kubernetes.io/worker": "" } },
            "spec": { "providerID": "aws:///us-east-2a/i-0123456789abcdef0" },
            "status": { "conditions": [{ "type": "Ready", "status": "True" }] }
        }]
    }))]);
    let nodes = cluster
        .nodes(Some("node-role.kubernetes.io/worker=".to_owned()))
        .await?;
    assert_eq!(nodes.len(), 1);
    assert_eq!(
        nodes[0]
            .instance_id
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("i-0123456789abcdef0")
    );
    assert_eq!(nodes[0].zone.as_deref(), Some("us-east-2a"));
    assert!(nodes[0].ready);
    let seen = server.finish(cluster).await;
    assert_eq!(
        uris(&seen),
        [(
            "GET",
            "/api/v1/nodes?&labelSelector=node-role.kubernetes.io%2Fworker%3D&limit=500"
        )]
    );
    Ok(())
}

#[tokio::test]
async fn authentication_is_read_from_the_cluster_object() -> K8sResult<()> {
    let (cluster, server) = cluster_replying(vec![
        Reply::ok(json!({
            "apiVersion": "config.openshift.io/v1", "kind": "Authentication",
            "metadata": { "name": "cluster" },
            "spec": { "serviceAccountIssuer": "https://oidc.op1.openshiftapps.com/abc123",
                      "type": "" },
            "status": { "integratedOAuthMetadata": { "name": "" } }
        })),
        Reply::text(404, "404 page not found"),
    ]);
    let auth = cluster.authentication().await?;
    assert_eq!(
        auth.and_then(|a| a.spec.service_account_issuer).as_deref(),
        Some("https://oidc.op1.openshiftapps.com/abc123")
    );
    // Not OpenShift: no such resource.
    assert_eq!(cluster.authentication().await?, None);
    let seen = server.finish(cluster).await;
    assert_eq!(
        seen[0].uri,
        "/apis/config.openshift.io/v1/authentications/cluster"
    );
    Ok(())
}
