//! The kube adapter of the [`Cluster`] port: server-side apply, reads, deletes and bounded
//! waits over `kube::Client`'s dynamic API, with every kube error mapped to a [`K8sError`] in
//! one place ([`errors`]).

mod connect;
pub(crate) mod convert;
pub(crate) mod errors;
pub(crate) mod resources;
pub(crate) mod wait;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ::kube::Client;
use ::kube::api::{
    Api, DeleteParams, DynamicObject, ListParams, LogParams, Patch, PatchParams, PropagationPolicy,
};
use k8s_openapi::api::core::v1 as core;
use serde::de::DeserializeOwned;
use serde_json::Value;

use self::errors::CallContext;
use self::resources::Resource;
use self::wait::LastSeen;
use crate::objects::Authentication;
use crate::{
    Cluster, Condition, EventSummary, FIELD_MANAGER, K8sError, K8sResult, Node, ObjectRef,
    Propagation,
};

/// Objects per page of a list: big enough that xefs's lists take one request, small enough
/// that a cluster with thousands of events stays responsive.
const PAGE_SIZE: u32 = 500;

/// An OpenShift cluster reached through `kube::Client`.
///
/// Known kinds (everything xefs writes, plus Nodes, Events, Deployments, DaemonSets and CSVs)
/// map to their REST resources without a request; other kinds are discovered once and
/// remembered. A namespaced object without a namespace lands in the client's default
/// namespace, as with `kubectl`; a cluster-scoped kind ignores any namespace. Waits poll, every
/// second at first and every ten seconds at most. Cheap to clone: clones share the connection.
///
/// ```no_run
/// use std::time::Duration;
///
/// use xefs_k8s::{Cluster, Condition, KubeCluster, ObjectRef};
///
/// # async fn run() -> Result<(), xefs_k8s::K8sError> {
/// let cluster = KubeCluster::connect(Some("admin")).await?;
/// let operator = ObjectRef::new(
///     "apps/v1",
///     "Deployment",
///     Some("openshift-cluster-csi-drivers"),
///     "aws-efs-csi-driver-operator",
/// );
/// cluster
///     .wait_for(&operator, Condition::DeploymentAvailable, Duration::from_secs(600))
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct KubeCluster {
    client: Client,
    /// Kinds found by discovery, by `(apiVersion, kind)`.
    discovered: Arc<Mutex<HashMap<(String, String), Resource>>>,
}

impl Debug for KubeCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeCluster")
            .field("default_namespace", &self.client.default_namespace())
            .finish_non_exhaustive()
    }
}

impl KubeCluster {
    /// A cluster over an existing client: for embedders that build their own (a proxy, extra
    /// middleware) and for tests over a mock service.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            discovered: Arc::default(),
        }
    }

    /// The client, for calls the port does not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The REST resource of a kind: from the built-in table, from the discovery cache, or by
    /// asking the API server (`GET /apis/<group>/<version>`) once.
    async fn resource(
        &self,
        call: &'static str,
        api_version: &str,
        kind: &str,
    ) -> K8sResult<Resource> {
        if let Some(r) = resources::builtin(api_version, kind) {
            return Ok(r);
        }
        let key = (api_version.to_owned(), kind.to_owned());
        let cached = self
            .discovered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        if let Some(r) = cached {
            return Ok(r);
        }
        let (group, _) = resources::group_version(api_version);
        let path = if group.is_empty() {
            format!("/api/{api_version}")
        } else {
            format!("/apis/{api_version}")
        };
        let ctx = CallContext::new(call, "get", format!("the discovery document {path}"))
            .about(format!("{kind} ({api_version})"));
        let (api, caps) =
            ::kube::discovery::pinned_kind(&self.client, &resources::gvk(api_version, kind))
                .await
                .map_err(|e| match ctx.map(e) {
                    e if e.is_not_found() => K8sError {
                        message: format!(
                            "the cluster does not serve {kind} in {api_version}: is its CRD or \
                             operator installed?"
                        ),
                        ..e
                    },
                    e => e,
                })?;
        let r = Resource::discovered(api, &caps.scope);
        self.discovered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, r.clone());
        Ok(r)
    }

    /// The dynamic API of a resource in a namespace, and that namespace (`None` for
    /// cluster-scoped kinds, whose namespace is ignored).
    fn dynamic_api(
        &self,
        r: &Resource,
        namespace: Option<&str>,
    ) -> (Api<DynamicObject>, Option<String>) {
        if !r.namespaced {
            return (Api::all_with(self.client.clone(), &r.api), None);
        }
        let ns = namespace.unwrap_or(self.client.default_namespace());
        (
            Api::namespaced_with(self.client.clone(), ns, &r.api),
            Some(ns.to_owned()),
        )
    }

    /// A call on one object: its resource, API and error context.
    async fn target(
        &self,
        call: &'static str,
        verb: &'static str,
        object: &ObjectRef,
    ) -> K8sResult<(Resource, Api<DynamicObject>, CallContext)> {
        let r = self
            .resource(call, &object.api_version, &object.kind)
            .await?;
        let (api, ns) = self.dynamic_api(&r, object.namespace.as_deref());
        let ctx = CallContext::new(call, verb, r.rbac_name())
            .in_namespace(ns.as_deref())
            .about(object.to_string());
        Ok((r, api, ctx))
    }

    /// `get` on behalf of `call` (a wait polls with it).
    async fn get_as(&self, call: &'static str, object: &ObjectRef) -> K8sResult<Option<Value>> {
        let (r, api, ctx) = match self.target(call, "get", object).await {
            Ok(target) => target,
            // The kind is not served (its CRD is not installed): no such object either.
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        match api.get(&object.name).await {
            Ok(found) => Ok(Some(to_value(found, &r, &ctx)?)),
            Err(e) => match ctx.map(e) {
                e if e.is_not_found() => Ok(None),
                e => Err(e),
            },
        }
    }

    /// Polls until `condition` holds, keeping the last state in `last` for the timeout
    /// message; retryable errors are waited through, others end the wait.
    async fn poll(
        &self,
        object: &ObjectRef,
        condition: Condition,
        last: &mut LastSeen,
    ) -> K8sResult<Value> {
        let mut pause = wait::FIRST_POLL;
        loop {
            match self.get_as("wait", object).await {
                Ok(found) => {
                    if condition.is_met(found.as_ref()) {
                        return Ok(found.unwrap_or(Value::Null));
                    }
                    *last = found.map_or(LastSeen::Absent, LastSeen::Object);
                }
                Err(e) if e.retryable => {
                    tracing::debug!(error = %e, "waiting through a retryable error");
                    *last = LastSeen::Error(e);
                }
                Err(e) => return Err(e),
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(wait::MAX_POLL);
        }
    }
}

/// Every page of a list, following `continue` tokens.
async fn list_pages<K>(api: &Api<K>, mut params: ListParams, ctx: &CallContext) -> K8sResult<Vec<K>>
where
    K: Clone + DeserializeOwned + Debug,
{
    params.limit = Some(PAGE_SIZE);
    let mut items = Vec::new();
    loop {
        let page = api.list(&params).await.map_err(|e| ctx.map(e))?;
        items.extend(page.items);
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params.continue_token = Some(token),
            _ => return Ok(items),
        }
    }
}

/// An object as JSON, with `apiVersion` and `kind` (list items come without them).
fn to_value(object: DynamicObject, r: &Resource, ctx: &CallContext) -> K8sResult<Value> {
    let mut v = serde_json::to_value(&object)
        .map_err(|e| K8sError::new(ctx.call, format!("cannot read the object: {e}"), false))?;
    if let Some(map) = v.as_object_mut() {
        map.entry("apiVersion")
            .or_insert_with(|| Value::String(r.api.api_version.clone()));
        map.entry("kind")
            .or_insert_with(|| Value::String(r.api.kind.clone()));
    }
    Ok(v)
}

#[async_trait::async_trait]
impl Cluster for KubeCluster {
    async fn apply(&self, object: &Value) -> K8sResult<Value> {
        let target = ObjectRef::of(object).map_err(|e| K8sError { call: "apply", ..e })?;
        let (r, api, ctx) = self.target("apply", "patch", &target).await?;
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let stored = api
            .patch(&target.name, &params, &Patch::Apply(object))
            .await
            .map_err(|e| ctx.map(e))?;
        to_value(stored, &r, &ctx)
    }

    async fn get(&self, object: &ObjectRef) -> K8sResult<Option<Value>> {
        self.get_as("get", object).await
    }

    async fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<String>,
        label_selector: Option<String>,
    ) -> K8sResult<Vec<Value>> {
        let r = self.resource("list", api_version, kind).await?;
        let (api, ns) = match (&namespace, r.namespaced) {
            (Some(ns), true) => (
                Api::namespaced_with(self.client.clone(), ns, &r.api),
                Some(ns.as_str()),
            ),
            _ => (Api::all_with(self.client.clone(), &r.api), None),
        };
        let ctx = CallContext::new("list", "list", r.rbac_name()).in_namespace(ns);
        let params = ListParams {
            label_selector,
            ..ListParams::default()
        };
        list_pages(&api, params, &ctx)
            .await?
            .into_iter()
            .map(|o| to_value(o, &r, &ctx))
            .collect()
    }

    async fn delete(&self, object: &ObjectRef, propagation: Propagation) -> K8sResult<bool> {
        let (_, api, ctx) = match self.target("delete", "delete", object).await {
            Ok(target) => target,
            Err(e) if e.is_not_found() => return Ok(false),
            Err(e) => return Err(e),
        };
        let params = DeleteParams {
            propagation_policy: Some(match propagation {
                Propagation::Foreground => PropagationPolicy::Foreground,
                Propagation::Background => PropagationPolicy::Background,
            }),
            ..DeleteParams::default()
        };
        match api.delete(&object.name, &params).await {
            Ok(_) => Ok(true),
            Err(e) => match ctx.map(e) {
                e if e.is_not_found() => Ok(false),
                e => Err(e),
            },
        }
    }

    async fn wait_for(
        &self,
        object: &ObjectRef,
        condition: Condition,
        timeout: Duration,
    ) -> K8sResult<Value> {
        let mut last = LastSeen::default();
        match tokio::time::timeout(timeout, self.poll(object, condition, &mut last)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(wait::timed_out(object, condition, timeout, &last)),
        }
    }

    async fn pod_logs(&self, namespace: &str, pod: &str) -> K8sResult<String> {
        let pods: Api<core::Pod> = Api::namespaced(self.client.clone(), namespace);
        let about = format!("Pod {namespace}/{pod}");
        let ctx = CallContext::new("logs", "get", "pods")
            .in_namespace(Some(namespace))
            .about(about.clone());
        let found = pods.get(pod).await.map_err(|e| ctx.map(e))?;
        let container = found
            .spec
            .and_then(|s| s.containers.into_iter().next())
            .map(|c| c.name)
            .ok_or_else(|| K8sError::new("logs", "the pod has no container", false).on(&about))?;
        let params = LogParams {
            container: Some(container),
            ..LogParams::default()
        };
        let ctx = CallContext::new("logs", "get", "pods/log")
            .in_namespace(Some(namespace))
            .about(about);
        pods.logs(pod, &params).await.map_err(|e| ctx.map(e))
    }

    async fn events(&self, namespace: &str, object_name: &str) -> K8sResult<Vec<EventSummary>> {
        let api: Api<core::Event> = Api::namespaced(self.client.clone(), namespace);
        let ctx = CallContext::new("events", "list", "events").in_namespace(Some(namespace));
        let params = ListParams {
            field_selector: Some(format!("involvedObject.name={object_name}")),
            ..ListParams::default()
        };
        let events = list_pages(&api, params, &ctx).await?;
        Ok(convert::event_summaries(events))
    }

    async fn nodes(&self, label_selector: Option<String>) -> K8sResult<Vec<Node>> {
        let api: Api<core::Node> = Api::all(self.client.clone());
        let ctx = CallContext::new("nodes", "list", "nodes");
        let params = ListParams {
            label_selector,
            ..ListParams::default()
        };
        let nodes = list_pages(&api, params, &ctx).await?;
        Ok(nodes.into_iter().map(convert::node).collect())
    }

    async fn authentication(&self) -> K8sResult<Option<Authentication>> {
        let api: Api<Authentication> = Api::all(self.client.clone());
        let ctx = CallContext::new(
            "authentication",
            "get",
            "authentications.config.openshift.io",
        )
        .about("Authentication cluster");
        match api.get("cluster").await {
            Ok(found) => Ok(Some(found)),
            Err(e) => match ctx.map(e) {
                e if e.is_not_found() => Ok(None),
                e => Err(e),
            },
        }
    }
}
