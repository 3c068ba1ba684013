//! What a fresh ROSA cluster already has: its nodes (EC2 instances with a provider id, zone
//! labels and a Ready condition), `Authentication/cluster` with the service-account issuer,
//! the namespaces OpenShift creates, and the `redhat-operators` catalog.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use xefs_core::blueprint::driver;
use xefs_core::ids::{AzId, InstanceId};

use super::world::World;

/// The catalog OpenShift ships the EFS CSI driver operator in.
pub const CATALOG: &str = "redhat-operators";
/// The catalog's namespace.
pub const CATALOG_NAMESPACE: &str = "openshift-marketplace";
/// The channel the operator package is published in.
pub const CHANNEL: &str = "stable";
/// The ClusterServiceVersion the catalog resolves the operator package to.
pub const OPERATOR_CSV: &str = "aws-efs-csi-driver-operator.v4.18.0-202501010000";
/// The namespace the operator installs the driver into.
pub const DRIVER_NAMESPACE: &str = "openshift-cluster-csi-drivers";

/// The namespaces every OpenShift cluster has.
const NAMESPACES: &[&str] = &[
    "default",
    "kube-node-lease",
    "kube-public",
    "kube-system",
    "openshift",
    "openshift-cluster-csi-drivers",
    "openshift-config",
    "openshift-marketplace",
    "openshift-operator-lifecycle-manager",
    "openshift-operators",
];

/// One node of the cluster: an EC2 instance in a zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeSeed {
    /// The node's name (`ip-10-0-1-10.us-east-2.compute.internal`).
    pub name: String,
    /// The EC2 instance behind it.
    pub instance_id: InstanceId,
    /// Its zone name (`us-east-2a`), in the cluster account's naming.
    pub zone: String,
    /// Its zone id (`use2-az1`), which mount targets in another account must match; shown
    /// as label `topology.k8s.aws/zone-id`, as the AWS cloud controller sets it.
    pub az_id: Option<AzId>,
    /// A worker (schedulable, `node-role.kubernetes.io/worker`); otherwise a control-plane
    /// node, tainted `NoSchedule`.
    pub worker: bool,
}

/// The cluster before xefs touches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSeed {
    /// The nodes.
    pub nodes: Vec<NodeSeed>,
    /// `Authentication/cluster` `spec.serviceAccountIssuer` (`None`: the default issuer, which
    /// no IAM OIDC provider can match).
    pub service_account_issuer: Option<String>,
    /// `Infrastructure/cluster` (config.openshift.io/v1) `status.infrastructureName`: the
    /// cluster's name and a random suffix (`sts-cluster-x7k2p`), as the installer sets it, with
    /// the region of the first node's zone; no Infrastructure object when `None`.
    #[serde(default)]
    pub infrastructure_name: Option<String>,
}

impl ClusterSeed {
    /// A ROSA-like STS cluster in `us-east-2`: three control-plane nodes and three workers,
    /// one of each per zone (`us-east-2a`…`c` = `use2-az1`…`az3`), with an OIDC issuer.
    pub fn example() -> Self {
        let mut nodes = Vec::new();
        for (i, zone) in ["a", "b", "c"].iter().enumerate() {
            for (worker, subnet) in [(false, 0), (true, 128)] {
                let n = nodes.len() + 1;
                // `i-` and 17 hex digits: always a valid instance id.
                let Ok(instance_id) = InstanceId::parse(&format!("i-0{n:016x}")) else {
                    continue;
                };
                nodes.push(NodeSeed {
                    name: format!(
                        "ip-10-0-{}-{}.us-east-2.compute.internal",
                        subnet + i * 32,
                        10 + n
                    ),
                    instance_id,
                    zone: format!("us-east-2{zone}"),
                    az_id: AzId::parse(&format!("use2-az{}", i + 1)).ok(),
                    worker,
                });
            }
        }
        Self {
            nodes,
            service_account_issuer: Some("https://oidc.op1.openshiftapps.com/2abc3def".into()),
            infrastructure_name: None,
        }
    }
}

/// Puts the seed's objects into an empty world.
pub(super) fn seed(world: &mut World, seed: &ClusterSeed) {
    for ns in NAMESPACES {
        world.create(json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": { "name": ns, "labels": { "kubernetes.io/metadata.name": ns } },
            "spec": { "finalizers": ["kubernetes"] },
            "status": { "phase": "Active" }
        }));
    }
    for (i, node) in seed.nodes.iter().enumerate() {
        world.create(node_object(node, i));
    }
    let mut auth = json!({
        "apiVersion": "config.openshift.io/v1",
        "kind": "Authentication",
        "metadata": { "name": "cluster" },
        "spec": {}
    });
    if let Some(issuer) = &seed.service_account_issuer {
        auth["spec"]["serviceAccountIssuer"] = json!(issuer);
    }
    world.create(auth);
    if let Some(name) = &seed.infrastructure_name {
        world.create(infrastructure(name, seed.nodes.first()));
    }
    world.create(json!({
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "CatalogSource",
        "metadata": { "name": CATALOG, "namespace": CATALOG_NAMESPACE },
        "spec": {
            "displayName": "Red Hat Operators",
            "publisher": "Red Hat",
            "sourceType": "grpc",
            "image": "registry.redhat.io/redhat/redhat-operator-index:v4.18"
        },
        "status": { "connectionState": { "lastObservedState": "READY" } }
    }));
}

/// `Infrastructure/cluster`, where the installer records the cluster's infrastructure name and
/// platform (what `xefs init` reads the cluster's name and region from).
fn infrastructure(name: &str, node: Option<&NodeSeed>) -> Value {
    let region = node
        .map(|n| n.zone.trim_end_matches(|c: char| c.is_ascii_lowercase()))
        .unwrap_or("us-east-2");
    let cluster = name.rsplit_once('-').map_or(name, |(cluster, _)| cluster);
    json!({
        "apiVersion": "config.openshift.io/v1",
        "kind": "Infrastructure",
        "metadata": { "name": "cluster" },
        "spec": { "platformSpec": { "type": "AWS", "aws": {} } },
        "status": {
            "infrastructureName": name,
            "apiServerURL": format!("https://api.{cluster}.abcd.p1.openshiftapps.com:6443"),
            "platform": "AWS",
            "platformStatus": { "type": "AWS", "aws": { "region": region } },
            "controlPlaneTopology": "External",
            "infrastructureTopology": "HighlyAvailable"
        }
    })
}

/// The Node object of a seeded node, as the kubelet and the AWS cloud controller write it.
fn node_object(node: &NodeSeed, index: usize) -> Value {
    let mut labels = json!({
        "kubernetes.io/hostname": node.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": if node.worker { "m5.xlarge" } else { "m5.2xlarge" },
        "topology.kubernetes.io/region": node.zone.trim_end_matches(|c: char| c.is_ascii_lowercase()),
        "topology.kubernetes.io/zone": node.zone,
    });
    if let Some(az) = &node.az_id {
        labels["topology.k8s.aws/zone-id"] = json!(az.to_string());
    }
    let mut spec = json!({ "providerID": format!("aws:///{}/{}", node.zone, node.instance_id) });
    if node.worker {
        labels[driver::WORKER_SELECTOR] = json!("");
    } else {
        labels["node-role.kubernetes.io/master"] = json!("");
        labels["node-role.kubernetes.io/control-plane"] = json!("");
        spec["taints"] =
            json!([{ "key": "node-role.kubernetes.io/master", "effect": "NoSchedule" }]);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": { "name": node.name, "labels": labels },
        "spec": spec,
        "status": {
            "addresses": [
                { "type": "InternalIP", "address": format!("10.0.{}.{}", index / 200, 10 + index % 200) },
                { "type": "Hostname", "address": node.name }
            ],
            "conditions": [
                { "type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory" },
                { "type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure" },
                { "type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID" },
                { "type": "Ready", "status": "True", "reason": "KubeletReady",
                  "message": "kubelet is posting ready status" }
            ]
        }
    })
}
