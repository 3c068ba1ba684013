//! What `xefs doctor` reads from the cluster: the two Secrets, the StorageClass, the
//! `ClusterCSIDriver`, the service-account issuer and the worker nodes' instances.
//!
//! Strictly read-only. A missing object is a fact (`found: false`), not an error, so doctor
//! can explain a half-applied stack; only a failed API call (unreachable cluster, 403) is one.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::storage::v1::StorageClass;
use serde::de::DeserializeOwned;
use xefs_core::blueprint::driver;
use xefs_core::doctor::{ClusterFacts, SecretFacts, StorageClassFacts};
use xefs_core::ids::InstanceId;
use xefs_core::spec::StackSpec;

use crate::{Cluster, K8sError, K8sResult, ObjectRef};

/// Reads the cluster's side of `spec` for doctor.
///
/// Worker instances come from the nodes labelled `node-role.kubernetes.io/worker`: their
/// `providerID` (`aws:///<zone>/i-…`) names the EC2 instance, whose subnet is where NFS
/// traffic starts. Nodes without one are left out (doctor then warns that no workers are
/// known, rather than failing the read).
pub async fn read_cluster(cluster: &dyn Cluster, spec: &StackSpec) -> K8sResult<ClusterFacts> {
    let ns = spec.operator.namespace.as_str();
    let cloud = ObjectRef::new("v1", "Secret", Some(ns), driver::CLOUD_CREDENTIALS_SECRET);
    let cross = ObjectRef::new("v1", "Secret", Some(ns), driver::CROSS_ACCOUNT_SECRET);
    let sc = ObjectRef::new(
        "storage.k8s.io/v1",
        "StorageClass",
        None,
        spec.storage_class.name.as_str(),
    );
    let csi = ObjectRef::new(
        "operator.openshift.io/v1",
        "ClusterCSIDriver",
        None,
        driver::NAME,
    );
    let (cloud_secret, cross_secret, storage_class, csi_driver, auth, nodes) = tokio::try_join!(
        get_typed::<Secret>(cluster, &cloud),
        get_typed::<Secret>(cluster, &cross),
        get_typed::<StorageClass>(cluster, &sc),
        cluster.get(&csi),
        cluster.authentication(),
        cluster.nodes(Some(driver::WORKER_SELECTOR.to_owned())),
    )?;
    let mut worker_instances: Vec<InstanceId> =
        nodes.into_iter().filter_map(|n| n.instance_id).collect();
    worker_instances.sort();
    worker_instances.dedup();
    Ok(ClusterFacts {
        cloud_credentials: secret_facts(&cloud, cloud_secret, "credentials", cloud_role_arn),
        cross_account_secret: secret_facts(&cross, cross_secret, "awsRoleArn", |v| {
            Some(v.trim().to_owned())
        }),
        storage_class: StorageClassFacts {
            name: spec.storage_class.name.as_str().to_owned(),
            found: storage_class.is_some(),
            provisioner: storage_class.as_ref().map(|s| s.provisioner.clone()),
            parameters: storage_class.and_then(|s| s.parameters).unwrap_or_default(),
        },
        csi_driver: csi_driver.is_some(),
        service_account_issuer: auth.and_then(|a| a.spec.service_account_issuer),
        worker_instances,
    })
}

/// The object in its typed form, or `None` when it does not exist.
async fn get_typed<T: DeserializeOwned>(
    cluster: &dyn Cluster,
    object: &ObjectRef,
) -> K8sResult<Option<T>> {
    let Some(live) = cluster.get(object).await? else {
        return Ok(None);
    };
    serde_json::from_value(live).map(Some).map_err(|e| {
        K8sError::new(
            "get",
            format!("{object} has an unexpected shape: {e}"),
            false,
        )
        .on(object.to_string())
    })
}

/// The facts of one Secret: whether it exists, and the role ARN `parse` finds in its `key`.
fn secret_facts(
    object: &ObjectRef,
    secret: Option<Secret>,
    key: &str,
    parse: impl Fn(&str) -> Option<String>,
) -> SecretFacts {
    let values = secret.as_ref().map(secret_values).unwrap_or_default();
    SecretFacts {
        namespace: object.namespace.clone().unwrap_or_default(),
        name: object.name.clone(),
        found: secret.is_some(),
        role_arn: values.get(key).and_then(|v| parse(v)),
    }
}

/// A Secret's values as text: `data` (base64 on the wire, decoded by `ByteString`), with
/// `stringData` on top as the API server would merge it.
fn secret_values(secret: &Secret) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, String> = secret
        .data
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).into_owned()))
        .collect();
    if let Some(strings) = &secret.string_data {
        values.extend(strings.clone());
    }
    values
}

/// `role_arn` from the INI-style `credentials` of `aws-efs-cloud-credentials`.
fn cloud_role_arn(credentials: &str) -> Option<String> {
    credentials.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "role_arn").then(|| value.trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use k8s_openapi::ByteString;
    use serde_json::{Value, json};

    use super::*;
    use crate::steps::test_support::example_spec;
    use crate::{MockCluster, Node, objects::Authentication};

    fn node(name: &str, instance: Option<&str>) -> Node {
        Node {
            name: name.into(),
            provider_id: instance.map(|i| format!("aws:///us-east-1a/{i}")),
            instance_id: instance.map(|i| InstanceId::parse(i).expect("instance id")),
            zone: Some("us-east-1a".into()),
            ready: true,
            labels: BTreeMap::new(),
        }
    }

    /// A cluster whose `get` answers from `objects` (by kind and name), with these nodes and
    /// this issuer.
    fn cluster(objects: Vec<Value>, nodes: Vec<Node>, issuer: Option<&str>) -> MockCluster {
        let mut mock = MockCluster::new();
        mock.expect_get().returning(move |r| {
            Ok(objects
                .iter()
                .find(|o| o["kind"] == r.kind.as_str() && o["metadata"]["name"] == r.name.as_str())
                .cloned())
        });
        mock.expect_nodes()
            .withf(|selector| selector.as_deref() == Some(driver::WORKER_SELECTOR))
            .returning(move |_| Ok(nodes.clone()));
        let issuer = issuer.map(str::to_owned);
        mock.expect_authentication().returning(move || {
            Ok(Some(
                serde_json::from_value::<Authentication>(json!({
                    "apiVersion": "config.openshift.io/v1", "kind": "Authentication",
                    "metadata": {"name": "cluster"},
                    "spec": {"serviceAccountIssuer": issuer},
                }))
                .expect("authentication"),
            ))
        });
        mock.expect_apply().never();
        mock.expect_delete().never();
        mock
    }

    /// A Secret as the API server returns it: `data` in base64.
    fn secret(name: &str, key: &str, value: &str) -> Value {
        let data = BTreeMap::from([(key.to_owned(), ByteString(value.as_bytes().to_vec()))]);
        let mut v = serde_json::to_value(Secret {
            data: Some(data),
            ..Secret::default()
        })
        .expect("secret");
        v["apiVersion"] = json!("v1");
        v["kind"] = json!("Secret");
        v["metadata"] = json!({"name": name, "namespace": "openshift-cluster-csi-drivers"});
        v
    }

    #[tokio::test]
    async fn reads_an_applied_cluster() -> Result<(), K8sError> {
        let spec = example_spec();
        let objects = vec![
            secret(
                driver::CLOUD_CREDENTIALS_SECRET,
                "credentials",
                "[default]\nrole_arn = arn:aws:iam::111111111111:role/csi\nweb_identity_token_file = /t",
            ),
            secret(
                driver::CROSS_ACCOUNT_SECRET,
                "awsRoleArn",
                "arn:aws:iam::222222222222:role/xefs",
            ),
            json!({
                "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                "metadata": {"name": spec.storage_class.name.as_str()},
                "provisioner": "efs.csi.aws.com",
                "parameters": {"fileSystemId": "fs-0123456789abcdef0"},
            }),
            json!({
                "apiVersion": "operator.openshift.io/v1", "kind": "ClusterCSIDriver",
                "metadata": {"name": driver::NAME},
            }),
        ];
        let nodes = vec![
            node("w2", Some("i-0000000000000000b")),
            node("w1", Some("i-0000000000000000a")),
            node("w3", Some("i-0000000000000000a")),
            node("bare", None),
        ];
        let mock = cluster(objects, nodes, Some("https://oidc.example.com/abc"));
        let facts = read_cluster(&mock, &spec).await?;
        assert_eq!(
            facts.cloud_credentials.role_arn.as_deref(),
            Some("arn:aws:iam::111111111111:role/csi")
        );
        assert!(facts.cloud_credentials.found);
        assert_eq!(
            facts.cloud_credentials.namespace,
            "openshift-cluster-csi-drivers"
        );
        assert_eq!(
            facts.cross_account_secret.role_arn.as_deref(),
            Some("arn:aws:iam::222222222222:role/xefs")
        );
        assert!(facts.storage_class.found);
        assert_eq!(
            facts.storage_class.provisioner.as_deref(),
            Some("efs.csi.aws.com")
        );
        assert_eq!(
            facts
                .storage_class
                .parameters
                .get("fileSystemId")
                .map(String::as_str),
            Some("fs-0123456789abcdef0")
        );
        assert!(facts.csi_driver);
        assert_eq!(
            facts.service_account_issuer.as_deref(),
            Some("https://oidc.example.com/abc")
        );
        let ids: Vec<&str> = facts.worker_instances.iter().map(|i| i.as_str()).collect();
        assert_eq!(ids, ["i-0000000000000000a", "i-0000000000000000b"]);
        assert!(facts.any_found());
        Ok(())
    }

    #[tokio::test]
    async fn missing_objects_are_facts_not_errors() -> Result<(), K8sError> {
        let spec = example_spec();
        let mock = cluster(Vec::new(), Vec::new(), None);
        let facts = read_cluster(&mock, &spec).await?;
        assert!(!facts.any_found());
        assert!(!facts.csi_driver);
        assert_eq!(facts.cloud_credentials.role_arn, None);
        assert_eq!(facts.storage_class.provisioner, None);
        assert!(facts.worker_instances.is_empty());
        assert_eq!(facts.service_account_issuer, None);
        Ok(())
    }

    #[test]
    fn role_arn_is_read_from_the_credentials_file() {
        assert_eq!(
            cloud_role_arn("[default]\n role_arn= arn:aws:iam::1:role/x \nother = y").as_deref(),
            Some("arn:aws:iam::1:role/x")
        );
        assert_eq!(
            cloud_role_arn("[default]\nweb_identity_token_file = /t"),
            None
        );
    }
}
