//! Discovery on the cluster: the OIDC issuer IAM must trust, and the EC2 instances behind the
//! worker nodes (whose subnets account A's discovery then reads).

use xefs_core::blueprint::out;
use xefs_core::blueprint::steps::DiscoverCluster;
use xefs_core::ids::{InstanceId, OidcProvider};
use xefs_core::step::{Ensured, Observation, Step, StepContext, StepError, StepOutputs};

use super::common::Kube;
use crate::{ClusterHandle, Node};

/// The issuer of a cluster that signs its service-account tokens itself: no IAM OIDC provider
/// can match it.
const DEFAULT_ISSUER: &str = "https://kubernetes.default.svc";

/// Reads `Authentication/cluster` and the worker nodes (read-only).
///
/// Outputs `oidc_provider` (the issuer without its scheme) when the spec does not name it,
/// and `worker_instance_ids` (sorted, without duplicates) when the spec names no worker
/// subnets; only what the spec asks for, so a cluster without workers is no error when their
/// subnets are given.
#[derive(Debug, Clone)]
pub struct DiscoverClusterStep {
    spec: DiscoverCluster,
    handle: ClusterHandle,
}

impl DiscoverClusterStep {
    /// The discovery `spec` asks for, on the cluster of `handle`.
    pub fn new(spec: DiscoverCluster, handle: ClusterHandle) -> Self {
        Self { spec, handle }
    }

    async fn discover(&self, ctx: &StepContext) -> Result<StepOutputs, StepError> {
        let kube = Kube::new(&self.handle, ctx);
        let mut outputs = StepOutputs::new();
        if self.spec.oidc_provider {
            let issuer = kube
                .authentication()
                .await?
                .and_then(|a| a.spec.service_account_issuer);
            outputs.insert(out::OIDC_PROVIDER, oidc_provider(issuer.as_deref())?)?;
        }
        if self.spec.worker_instances {
            let nodes = kube.nodes(&self.spec.worker_selector).await?;
            outputs.insert(
                out::WORKER_INSTANCE_IDS,
                worker_instances(&nodes, &self.spec.worker_selector)?,
            )?;
        }
        Ok(outputs)
    }
}

/// The OIDC provider IAM must trust, from the cluster's service-account issuer.
fn oidc_provider(issuer: Option<&str>) -> Result<OidcProvider, StepError> {
    let issuer = issuer.map(str::trim).unwrap_or_default();
    let shown = if issuer.is_empty() {
        "none, i.e. the default `https://kubernetes.default.svc`".to_owned()
    } else {
        format!("`{issuer}`")
    };
    if issuer.is_empty() || issuer.trim_end_matches('/') == DEFAULT_ISSUER {
        return Err(StepError::permanent(format!(
            "the cluster does not use an external OIDC issuer (Authentication/cluster \
             spec.serviceAccountIssuer: {shown}), so no IAM role can trust its service \
             accounts. Cross-account EFS needs an STS cluster (ROSA with STS, or OpenShift \
             installed in manual credentials mode with STS), whose issuer is a public HTTPS \
             URL. If the cluster has one that this object does not show, name it in xefs.toml \
             as `cluster.oidc_provider = \"<issuer host/path without https://>\"`"
        ))
        .with_code("NoOidcIssuer"));
    }
    OidcProvider::parse(issuer).map_err(|e| {
        StepError::permanent(format!(
            "the cluster's service-account issuer {shown} is not an OIDC provider IAM can \
             trust: {e}. Name the right one in xefs.toml as `cluster.oidc_provider`"
        ))
        .with_code("InvalidOidcIssuer")
    })
}

/// The EC2 instances behind the worker nodes, sorted and deduplicated.
fn worker_instances(nodes: &[Node], selector: &str) -> Result<Vec<InstanceId>, StepError> {
    if nodes.is_empty() {
        return Err(StepError::permanent(format!(
            "no node matches the worker selector `{selector}`, so xefs cannot find the worker \
             subnets: name them in xefs.toml as `cluster.worker_subnets`"
        ))
        .with_code("NoWorkers"));
    }
    let mut ids = Vec::with_capacity(nodes.len());
    let mut without = Vec::new();
    for node in nodes {
        match node.instance_id.clone().or_else(|| {
            node.provider_id
                .as_deref()
                .and_then(instance_from_provider_id)
        }) {
            Some(id) => ids.push(id),
            None => without.push(match &node.provider_id {
                Some(p) => format!("{} (providerID `{p}`)", node.name),
                None => format!("{} (no providerID)", node.name),
            }),
        }
    }
    if !without.is_empty() {
        return Err(StepError::permanent(format!(
            "worker nodes without an EC2 instance in spec.providerID (`aws:///<zone>/i-…`): {}. \
             Is this an OpenShift cluster on AWS? Otherwise name the worker subnets in xefs.toml \
             as `cluster.worker_subnets`",
            without.join(", ")
        ))
        .with_code("NoProviderId"));
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// `aws:///us-east-2a/i-0123456789abcdef0` → `i-0123456789abcdef0`.
fn instance_from_provider_id(provider_id: &str) -> Option<InstanceId> {
    let rest = provider_id.strip_prefix("aws://")?;
    InstanceId::parse(rest.rsplit('/').next()?).ok()
}

#[async_trait::async_trait]
impl Step for DiscoverClusterStep {
    fn describe(&self) -> String {
        match (self.spec.oidc_provider, self.spec.worker_instances) {
            (true, true) => format!(
                "read the OIDC issuer (Authentication/cluster) and the worker nodes ({})",
                self.spec.worker_selector
            ),
            (true, false) => "read the OIDC issuer (Authentication/cluster)".to_owned(),
            (false, _) => format!("read the worker nodes ({})", self.spec.worker_selector),
        }
    }

    fn mutates(&self) -> bool {
        false
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        Ok(Observation::Present(self.discover(ctx).await?))
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        // The engine observes right before: what it read is current.
        let outputs = match observed.outputs() {
            Some(outputs) => outputs.clone(),
            None => self.discover(ctx).await?,
        };
        Ok(Ensured::read(outputs))
    }

    async fn remove(&self, _ctx: &StepContext, _recorded: &StepOutputs) -> Result<(), StepError> {
        // Read-only: nothing was created.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use xefs_core::blueprint::addr;
    use xefs_core::step::Change;

    use super::*;
    use crate::MockCluster;
    use crate::objects::{Authentication, AuthenticationSpec};
    use crate::steps::test_support::{ctx, handle, no_writes, spec_at};

    fn spec() -> DiscoverCluster {
        spec_at!(addr::OPENSHIFT_DISCOVERY, DiscoverCluster)
    }

    fn auth(issuer: Option<&str>) -> Authentication {
        Authentication::new(
            "cluster",
            AuthenticationSpec {
                service_account_issuer: issuer.map(str::to_owned),
            },
        )
    }

    fn node(name: &str, provider_id: Option<&str>) -> Node {
        Node {
            name: name.to_owned(),
            provider_id: provider_id.map(str::to_owned),
            instance_id: None,
            zone: Some("us-east-2a".into()),
            ready: true,
            labels: BTreeMap::new(),
        }
    }

    fn mock_with(issuer: Option<Option<&str>>, nodes: Vec<Node>) -> MockCluster {
        let mut mock = MockCluster::new();
        no_writes(&mut mock);
        let auth = issuer.map(auth);
        mock.expect_authentication()
            .times(1)
            .returning(move || Ok(auth.clone()));
        mock.expect_nodes()
            .withf(|s| s.as_deref() == Some("node-role.kubernetes.io/worker"))
            .times(1)
            .returning(move |_| Ok(nodes.clone()));
        mock
    }

    #[tokio::test]
    async fn reads_the_issuer_and_the_workers_instances() -> Result<(), StepError> {
        let spec = spec();
        assert!(spec.oidc_provider && spec.worker_instances);
        let mut with_parsed = node("w3", Some("aws:///us-east-2c/i-0cccccccccccccccc"));
        with_parsed.instance_id = Some(InstanceId::parse("i-0cccccccccccccccc").expect("id"));
        let mock = mock_with(
            Some(Some("https://oidc.op1.openshiftapps.com/2abc/")),
            vec![
                node("w2", Some("aws:///us-east-2b/i-0bbbbbbbbbbbbbbbb")),
                node("w1", Some("aws:///us-east-2a/i-0aaaaaaaaaaaaaaaa")),
                with_parsed,
            ],
        );
        let step = DiscoverClusterStep::new(spec, handle(mock));
        assert!(!step.mutates());
        let ctx = ctx(addr::OPENSHIFT_DISCOVERY);
        let observed = step.observe(&ctx).await?;
        let ensured = step.ensure(&ctx, &observed).await?;
        assert_eq!(ensured.change, Change::Read);
        let outputs = ensured.outputs;
        assert_eq!(outputs.len(), 2);
        assert_eq!(
            outputs.get::<String>(out::OIDC_PROVIDER)?,
            "oidc.op1.openshiftapps.com/2abc"
        );
        assert_eq!(
            outputs.get::<Vec<String>>(out::WORKER_INSTANCE_IDS)?,
            [
                "i-0aaaaaaaaaaaaaaaa",
                "i-0bbbbbbbbbbbbbbbb",
                "i-0cccccccccccccccc"
            ]
        );
        Ok(())
    }

    #[tokio::test]
    async fn produces_only_what_the_spec_asks_for() -> Result<(), StepError> {
        let mut mock = MockCluster::new();
        no_writes(&mut mock);
        mock.expect_authentication()
            .times(1)
            .returning(|| Ok(Some(auth(Some("https://oidc.example.com/abc")))));
        mock.expect_nodes().never();
        let spec = DiscoverCluster {
            worker_instances: false,
            ..spec()
        };
        let step = DiscoverClusterStep::new(spec, handle(mock));
        let observed = step.observe(&ctx(addr::OPENSHIFT_DISCOVERY)).await?;
        let outputs = observed.outputs().cloned().unwrap_or_default();
        assert_eq!(outputs.len(), 1);
        assert_eq!(
            outputs.get::<String>(out::OIDC_PROVIDER)?,
            "oidc.example.com/abc"
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_default_or_missing_issuer_explains_sts_and_the_spec_key() {
        for issuer in [
            None,
            Some(None),
            Some(Some("")),
            Some(Some("https://kubernetes.default.svc")),
        ] {
            let mut mock = MockCluster::new();
            no_writes(&mut mock);
            let auth = issuer.map(auth);
            mock.expect_authentication()
                .times(1)
                .returning(move || Ok(auth.clone()));
            let spec = DiscoverCluster {
                worker_instances: false,
                ..spec()
            };
            let step = DiscoverClusterStep::new(spec, handle(mock));
            let err = step
                .observe(&ctx(addr::OPENSHIFT_DISCOVERY))
                .await
                .err()
                .unwrap_or_else(|| panic!("issuer {issuer:?} was accepted"));
            assert!(!err.is_retryable());
            assert_eq!(err.code(), Some("NoOidcIssuer"));
            let m = err.message();
            assert!(m.contains("does not use an external OIDC issuer"), "{m}");
            assert!(m.contains("STS"), "{m}");
            assert!(m.contains("cluster.oidc_provider"), "{m}");
        }
    }

    #[tokio::test]
    async fn an_issuer_iam_cannot_trust_is_an_error() {
        let mut mock = MockCluster::new();
        no_writes(&mut mock);
        mock.expect_authentication()
            .times(1)
            .returning(|| Ok(Some(auth(Some("http://oidc.example.com/abc")))));
        let spec = DiscoverCluster {
            worker_instances: false,
            ..spec()
        };
        let err = DiscoverClusterStep::new(spec, handle(mock))
            .observe(&ctx(addr::OPENSHIFT_DISCOVERY))
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("`http://oidc.example.com/abc`"), "{err}");
        assert!(err.contains("InvalidOidcIssuer"), "{err}");
    }

    #[tokio::test]
    async fn nodes_without_an_instance_are_named() {
        let mock = mock_with(
            Some(Some("https://oidc.example.com/abc")),
            vec![
                node("w1", Some("aws:///us-east-2a/i-0aaaaaaaaaaaaaaaa")),
                node("w2", None),
                node("w3", Some("vsphere://4221-abcd")),
            ],
        );
        let err = DiscoverClusterStep::new(spec(), handle(mock))
            .observe(&ctx(addr::OPENSHIFT_DISCOVERY))
            .await
            .err()
            .ok_or("nodes without instances were accepted")
            .map(|e| e.message().to_owned());
        let m = err.unwrap_or_default();
        assert!(m.contains("w2 (no providerID)"), "{m}");
        assert!(m.contains("w3 (providerID `vsphere://4221-abcd`)"), "{m}");
        assert!(!m.contains("w1"), "{m}");
        assert!(m.contains("cluster.worker_subnets"), "{m}");
    }

    #[tokio::test]
    async fn no_workers_is_an_error() {
        let mock = mock_with(Some(Some("https://oidc.example.com/abc")), Vec::new());
        let err = DiscoverClusterStep::new(spec(), handle(mock))
            .observe(&ctx(addr::OPENSHIFT_DISCOVERY))
            .await
            .err()
            .map(|e| e.message().to_owned())
            .unwrap_or_default();
        assert!(
            err.contains("no node matches the worker selector `node-role.kubernetes.io/worker`"),
            "{err}"
        );
    }

    #[test]
    fn provider_ids_parse_to_instances() {
        assert_eq!(
            instance_from_provider_id("aws:///us-east-2a/i-0123456789abcdef0")
                .map(|i| i.to_string()),
            Some("i-0123456789abcdef0".to_owned())
        );
        assert_eq!(instance_from_provider_id("aws:///us-east-2a/"), None);
        assert_eq!(
            instance_from_provider_id("gce://p/z/i-0123456789abcdef0"),
            None
        );
    }

    #[test]
    fn describes_what_it_reads() {
        let mock = MockCluster::new();
        let step = DiscoverClusterStep::new(spec(), handle(mock));
        assert_eq!(
            step.describe(),
            "read the OIDC issuer (Authentication/cluster) and the worker nodes (node-role.kubernetes.io/worker)"
        );
    }
}
