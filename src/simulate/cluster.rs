//! The simulated cluster as xefs sees it: the fake cluster, with the oracle's facts read again
//! before every call, so a change in the AWS world (a route deleted, a policy narrowed) shows in
//! the next provisioning or mount.

use std::time::Duration;

use serde_json::Value;
use xefs_k8s::fake::FakeCluster;
use xefs_k8s::objects::Authentication;
use xefs_k8s::{Cluster, Condition, EventSummary, K8sResult, Node, ObjectRef, Propagation};

use super::oracle::Judge;

/// [`FakeCluster`] behind a [`Judge`] refreshed before each call.
pub(super) struct JudgedCluster {
    pub(super) inner: FakeCluster,
    pub(super) judge: Judge,
}

impl JudgedCluster {
    async fn refresh(&self) {
        self.judge.refresh(&self.inner).await;
    }
}

#[async_trait::async_trait]
impl Cluster for JudgedCluster {
    async fn apply(&self, object: &Value) -> K8sResult<Value> {
        self.refresh().await;
        self.inner.apply(object).await
    }

    async fn get(&self, object: &ObjectRef) -> K8sResult<Option<Value>> {
        self.refresh().await;
        self.inner.get(object).await
    }

    async fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<String>,
        label_selector: Option<String>,
    ) -> K8sResult<Vec<Value>> {
        self.refresh().await;
        self.inner
            .list(api_version, kind, namespace, label_selector)
            .await
    }

    async fn delete(&self, object: &ObjectRef, propagation: Propagation) -> K8sResult<bool> {
        self.refresh().await;
        self.inner.delete(object, propagation).await
    }

    async fn wait_for(
        &self,
        object: &ObjectRef,
        condition: Condition,
        timeout: Duration,
    ) -> K8sResult<Value> {
        self.refresh().await;
        self.inner.wait_for(object, condition, timeout).await
    }

    async fn pod_logs(&self, namespace: &str, pod: &str) -> K8sResult<String> {
        self.refresh().await;
        self.inner.pod_logs(namespace, pod).await
    }

    async fn events(&self, namespace: &str, object_name: &str) -> K8sResult<Vec<EventSummary>> {
        self.refresh().await;
        self.inner.events(namespace, object_name).await
    }

    async fn nodes(&self, label_selector: Option<String>) -> K8sResult<Vec<Node>> {
        self.refresh().await;
        self.inner.nodes(label_selector).await
    }

    async fn authentication(&self) -> K8sResult<Option<Authentication>> {
        self.refresh().await;
        self.inner.authentication().await
    }
}
