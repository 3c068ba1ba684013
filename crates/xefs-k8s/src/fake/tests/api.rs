//! The store, apply, delete and wait semantics: the same answers as the kube adapter gives
//! for the same situations (compare `kube/tests.rs`).

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::{NS, cluster, instant_cluster};
use crate::{Cluster, Condition, K8sResult, ObjectRef, Propagation};

fn secret(name: &str, namespace: &str, data: Value) -> Value {
    json!({ "apiVersion": "v1", "kind": "Secret",
            "metadata": { "name": name, "namespace": namespace, "labels": { "xefs.io/stack": "demo" } },
            "stringData": data })
}

fn storage_class(parameters: Value) -> Value {
    json!({ "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": { "name": "efs-sc" },
            "provisioner": "efs.csi.aws.com", "parameters": parameters })
}

#[tokio::test(start_paused = true)]
async fn apply_creates_with_server_metadata_and_a_same_apply_changes_nothing() -> K8sResult<()> {
    let c = instant_cluster();
    let first = c
        .apply(&secret("s", NS, json!({ "awsRoleArn": "a" })))
        .await?;
    let meta = &first["metadata"];
    assert!(meta["uid"].as_str().is_some_and(|u| u.len() == 36));
    assert_eq!(meta["generation"], 1);
    assert_eq!(meta["creationTimestamp"], "2026-01-01T00:00:00Z");
    assert_eq!(meta["namespace"], NS);
    // The API server keeps `data`, base64, never `stringData`.
    assert_eq!(first["data"], json!({ "awsRoleArn": "YQ==" }));
    assert!(first.get("stringData").is_none());
    assert_eq!(first["type"], "Opaque");
    let again = c
        .apply(&secret("s", NS, json!({ "awsRoleArn": "a" })))
        .await?;
    assert_eq!(
        again, first,
        "a no-op apply changes not even the resourceVersion"
    );
    let changed = c
        .apply(&secret("s", NS, json!({ "awsRoleArn": "b" })))
        .await?;
    assert_ne!(
        changed["metadata"]["resourceVersion"],
        first["metadata"]["resourceVersion"]
    );
    assert_eq!(changed["metadata"]["uid"], first["metadata"]["uid"]);
    assert_eq!(changed["data"]["awsRoleArn"], "Yg==");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn apply_drops_what_xefs_no_longer_sets_but_keeps_what_others_set() -> K8sResult<()> {
    let c = instant_cluster();
    let mut sc = storage_class(json!({ "fileSystemId": "fs-1" }));
    sc["metadata"]["annotations"] =
        json!({ "storageclass.kubernetes.io/is-default-class": "true" });
    sc["mountOptions"] = json!(["iam"]);
    let stored = c.apply(&sc).await?;
    assert_eq!(stored["reclaimPolicy"], "Delete", "the server's default");
    assert_eq!(stored["volumeBindingMode"], "Immediate");
    // xefs stops setting the annotation and the mount options: server-side apply removes them.
    let plain = c
        .apply(&storage_class(json!({ "fileSystemId": "fs-1" })))
        .await?;
    assert!(
        plain["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"].is_null()
    );
    assert!(plain["mountOptions"].is_null());
    assert_eq!(plain["metadata"]["generation"], 2, "mountOptions is spec");
    // A change of an immutable field is refused as the API server refuses it.
    let Err(e) = c
        .apply(&storage_class(json!({ "fileSystemId": "fs-2" })))
        .await
    else {
        panic!("parameters are immutable");
    };
    assert_eq!(
        (e.status, e.reason.as_deref(), e.retryable),
        (Some(422), Some("Invalid"), false)
    );
    assert_eq!(e.call, "apply");
    assert_eq!(e.object.as_deref(), Some("StorageClass efs-sc"));
    assert_eq!(
        e.message,
        "StorageClass.storage.k8s.io \"efs-sc\" is invalid: parameters: Forbidden: updates to \
         parameters are forbidden."
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn apply_refuses_as_the_adapter_and_the_api_server_do() {
    let c = instant_cluster();
    // No name: the adapter refuses before sending anything.
    let e = c
        .apply(&json!({ "apiVersion": "v1", "kind": "Secret", "metadata": {} }))
        .await
        .err();
    assert!(
        e.as_ref().is_some_and(|e| e.call == "apply"
            && e.status.is_none()
            && e.message.contains("metadata.name")),
        "{e:?}"
    );
    // A namespace that does not exist.
    let e = c.apply(&secret("s", "nope", json!({}))).await.err();
    let e = e.expect("a missing namespace fails");
    assert_eq!(
        (e.status, e.reason.as_deref(), e.retryable),
        (Some(404), Some("NotFound"), false)
    );
    assert_eq!(e.message, "namespaces \"nope\" not found");
    assert_eq!(e.object.as_deref(), Some("Secret nope/s"));
    // A name the API server rejects.
    let e = c.apply(&secret("Bad_Name", NS, json!({}))).await.err();
    let e = e.expect("an invalid name fails");
    assert_eq!(e.status, Some(422));
    assert!(
        e.message
            .starts_with("Secret \"Bad_Name\" is invalid: metadata.name: Invalid value"),
        "{}",
        e.message
    );
    // A kind the cluster does not serve.
    let e = c
        .apply(&json!({ "apiVersion": "example.com/v1", "kind": "Widget", "metadata": { "name": "w" } }))
        .await
        .err();
    let e = e.expect("an unknown kind fails");
    assert!(e.is_not_found());
    assert_eq!(
        e.message,
        "the cluster does not serve Widget in example.com/v1: is its CRD or operator installed?"
    );
    // A binding's roleRef cannot change.
    let binding = |role: &str| {
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": { "name": "b", "namespace": NS },
                "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role },
                "subjects": [] })
    };
    assert!(c.apply(&binding("r1")).await.is_ok());
    let e = c
        .apply(&binding("r2"))
        .await
        .expect_err("roleRef is immutable");
    assert!(
        e.message.ends_with("cannot change roleRef"),
        "{}",
        e.message
    );
}

#[tokio::test(start_paused = true)]
async fn reads_and_deletes_of_missing_things_are_not_errors() -> K8sResult<()> {
    let c = instant_cluster();
    let missing = ObjectRef::new("v1", "Secret", Some(NS), "nope");
    assert_eq!(c.get(&missing).await?, None);
    assert!(!c.delete(&missing, Propagation::Background).await?);
    let widget = ObjectRef::new("example.com/v1", "Widget", None, "w");
    assert_eq!(c.get(&widget).await?, None);
    assert!(!c.delete(&widget, Propagation::Background).await?);
    let e = c
        .list("example.com/v1", "Widget", None, None)
        .await
        .expect_err("listing an unknown kind fails");
    assert!(e.is_not_found() && e.call == "list");
    // Waiting for the deletion of what is not there succeeds at once, with null.
    let start = Instant::now();
    let got = c
        .wait_for(&missing, Condition::Deleted, Duration::from_secs(60))
        .await?;
    assert_eq!((got, start.elapsed()), (Value::Null, Duration::ZERO));
    let e = c.pod_logs(NS, "nope").await.expect_err("no such pod");
    assert!(e.is_not_found());
    assert_eq!(
        (e.call, e.object.as_deref()),
        ("logs", Some("Pod openshift-cluster-csi-drivers/nope"))
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_namespace_terminates_then_goes_with_everything_in_it() -> K8sResult<()> {
    let c = cluster();
    let ns = ObjectRef::new("v1", "Namespace", None, "scratch");
    let created = c
        .apply(
            &json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "scratch" } }),
        )
        .await?;
    assert_eq!(created["status"]["phase"], "Active");
    assert_eq!(created["spec"]["finalizers"], json!(["kubernetes"]));
    c.apply(&secret("s", "scratch", json!({ "k": "v" })))
        .await?;
    assert!(c.delete(&ns, Propagation::Foreground).await?);
    let terminating = c.get(&ns).await?.expect("still there while terminating");
    assert_eq!(terminating["status"]["phase"], "Terminating");
    assert!(terminating["metadata"]["deletionTimestamp"].is_string());
    // Deleting it again conflicts; creating in it is forbidden; updating is not.
    let e = c
        .delete(&ns, Propagation::Foreground)
        .await
        .expect_err("409");
    assert_eq!((e.status, e.retryable), (Some(409), false));
    assert!(
        e.message
            .contains("The system is ensuring all content is removed"),
        "{}",
        e.message
    );
    let e = c
        .apply(&secret("t", "scratch", json!({})))
        .await
        .expect_err("403");
    assert_eq!(e.status, Some(403));
    assert!(
        e.message.contains(
            "unable to create new content in namespace scratch because it is being terminated"
        ),
        "{}",
        e.message
    );
    assert!(
        c.apply(&secret("s", "scratch", json!({ "k": "w" })))
            .await
            .is_ok()
    );
    let start = Instant::now();
    assert_eq!(
        c.wait_for(&ns, Condition::Deleted, Duration::from_secs(60))
            .await?,
        Value::Null
    );
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    let inside = ObjectRef::new("v1", "Secret", Some("scratch"), "s");
    assert_eq!(c.get(&inside).await?, None);
    // OpenShift's own namespaces cannot be deleted at all.
    let default = ObjectRef::new("v1", "Namespace", None, "default");
    assert_eq!(
        c.delete(&default, Propagation::Background)
            .await
            .err()
            .and_then(|e| e.status),
        Some(403)
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_wait_that_runs_out_of_time_says_what_it_awaited_and_saw() {
    let c = cluster();
    let operator = ObjectRef::new(
        "apps/v1",
        "Deployment",
        Some(NS),
        "aws-efs-csi-driver-operator",
    );
    let start = Instant::now();
    let e = c
        .wait_for(
            &operator,
            Condition::DeploymentAvailable,
            Duration::from_secs(120),
        )
        .await
        .expect_err("nothing installs the operator");
    assert_eq!(start.elapsed(), Duration::from_secs(120));
    assert_eq!(
        (e.call, e.reason.as_deref(), e.status, e.retryable),
        ("wait", Some("Timeout"), None, false)
    );
    assert_eq!(
        e.message,
        "timed out after 2 min waiting for Deployment openshift-cluster-csi-drivers/aws-efs-csi-driver-operator \
         to be available; last seen: the object did not exist"
    );
}

#[tokio::test(start_paused = true)]
async fn nodes_lists_and_the_issuer_read_as_the_adapter_returns_them() -> K8sResult<()> {
    let c = instant_cluster();
    let workers = c
        .nodes(Some("node-role.kubernetes.io/worker".into()))
        .await?;
    assert_eq!(workers.len(), 3);
    assert!(workers.iter().all(|n| n.ready && n.instance_id.is_some()));
    let zones: Vec<_> = workers.iter().filter_map(|n| n.zone.as_deref()).collect();
    assert_eq!(zones, ["us-east-2a", "us-east-2b", "us-east-2c"]);
    assert_eq!(c.nodes(None).await?.len(), 6);
    assert!(
        c.nodes(Some("a b".into()))
            .await
            .err()
            .is_some_and(|e| e.status == Some(400))
    );
    let issuer = c
        .authentication()
        .await?
        .and_then(|a| a.spec.service_account_issuer);
    assert_eq!(
        issuer.as_deref(),
        Some("https://oidc.op1.openshiftapps.com/2abc3def")
    );
    let catalogs = c
        .list(
            "operators.coreos.com/v1alpha1",
            "CatalogSource",
            Some("openshift-marketplace".into()),
            None,
        )
        .await?;
    assert_eq!(catalogs.len(), 1);
    c.apply(&secret("a", NS, json!({}))).await?;
    let mut labelled = secret("b", NS, json!({}));
    labelled["metadata"]["labels"]["tier"] = json!("x");
    c.apply(&labelled).await?;
    let names = |items: Vec<Value>| -> Vec<String> {
        items
            .iter()
            .filter_map(|o| o["metadata"]["name"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        names(c.list("v1", "Secret", Some(NS.into()), None).await?),
        ["a", "b"]
    );
    assert_eq!(
        names(c.list("v1", "Secret", None, Some("tier=x".into())).await?),
        ["b"]
    );
    assert_eq!(c.calls().apply, 2);
    Ok(())
}
