//! From `apiVersion` + `kind` to the REST resource kube's dynamic API needs (plural and
//! scope). The kinds xefs uses are in a built-in table, so the common path makes no discovery
//! call (and tests need not mock one); any other kind is discovered once and cached.

use ::kube::core::GroupVersionKind;
use ::kube::discovery::{ApiResource, Scope};

/// A REST resource: what `Api<DynamicObject>` is built from, and whether it lives in a
/// namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resource {
    /// Group, version, kind and plural.
    pub api: ApiResource,
    /// Namespaced (`true`) or cluster-scoped.
    pub namespaced: bool,
}

impl Resource {
    /// The name RBAC and `oc auth can-i` use: `subscriptions.operators.coreos.com`, `secrets`.
    pub fn rbac_name(&self) -> String {
        if self.api.group.is_empty() {
            self.api.plural.clone()
        } else {
            format!("{}.{}", self.api.plural, self.api.group)
        }
    }

    /// A resource from discovery's answer.
    pub fn discovered(api: ApiResource, scope: &Scope) -> Self {
        Self {
            api,
            namespaced: matches!(scope, Scope::Namespaced),
        }
    }
}

/// `(apiVersion, kind, plural, namespaced)` of every kind xefs reads or writes.
const BUILTIN: &[(&str, &str, &str, bool)] = &[
    ("v1", "Secret", "secrets", true),
    ("v1", "Namespace", "namespaces", false),
    ("v1", "Pod", "pods", true),
    (
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        true,
    ),
    ("v1", "PersistentVolume", "persistentvolumes", false),
    ("v1", "Node", "nodes", false),
    ("v1", "Event", "events", true),
    ("v1", "ServiceAccount", "serviceaccounts", true),
    ("apps/v1", "Deployment", "deployments", true),
    ("apps/v1", "DaemonSet", "daemonsets", true),
    ("rbac.authorization.k8s.io/v1", "Role", "roles", true),
    (
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        "rolebindings",
        true,
    ),
    ("storage.k8s.io/v1", "StorageClass", "storageclasses", false),
    ("storage.k8s.io/v1", "CSIDriver", "csidrivers", false),
    (
        "operators.coreos.com/v1",
        "OperatorGroup",
        "operatorgroups",
        true,
    ),
    (
        "operators.coreos.com/v1alpha1",
        "Subscription",
        "subscriptions",
        true,
    ),
    (
        "operators.coreos.com/v1alpha1",
        "InstallPlan",
        "installplans",
        true,
    ),
    (
        "operators.coreos.com/v1alpha1",
        "ClusterServiceVersion",
        "clusterserviceversions",
        true,
    ),
    (
        "operator.openshift.io/v1",
        "ClusterCSIDriver",
        "clustercsidrivers",
        false,
    ),
    (
        "config.openshift.io/v1",
        "Authentication",
        "authentications",
        false,
    ),
    // Read by `xefs init` for the cluster's name and region.
    (
        "config.openshift.io/v1",
        "Infrastructure",
        "infrastructures",
        false,
    ),
];

/// Splits `apps/v1` into `("apps", "v1")` and `v1` into `("", "v1")`.
pub(crate) fn group_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// The group, version and kind of an `apiVersion` and `kind`.
pub(crate) fn gvk(api_version: &str, kind: &str) -> GroupVersionKind {
    let (group, version) = group_version(api_version);
    GroupVersionKind::gvk(group, version, kind)
}

/// The built-in resource of a kind, if xefs knows it.
pub(crate) fn builtin(api_version: &str, kind: &str) -> Option<Resource> {
    BUILTIN
        .iter()
        .find(|(v, k, _, _)| *v == api_version && *k == kind)
        .map(|(_, _, plural, namespaced)| Resource {
            api: ApiResource::from_gvk_with_plural(&gvk(api_version, kind), plural),
            namespaced: *namespaced,
        })
}

#[cfg(test)]
mod tests {
    use std::any::TypeId;

    use k8s_openapi::NamespaceResourceScope;
    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
    use k8s_openapi::api::core::v1::{
        Event, Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod, Secret,
        ServiceAccount,
    };
    use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
    use k8s_openapi::api::storage::v1::{CSIDriver, StorageClass};

    use super::*;
    use crate::objects::{
        Authentication, ClusterCSIDriver, InstallPlan, OperatorGroup, Subscription,
    };

    /// The table's entry for `K` equals what `K`'s own `Resource` impl says.
    fn agrees<K>()
    where
        K: ::kube::Resource<DynamicType = ()>,
        K::Scope: 'static,
    {
        let expected = ApiResource::erase::<K>(&());
        let namespaced = TypeId::of::<K::Scope>() == TypeId::of::<NamespaceResourceScope>();
        let found = builtin(&expected.api_version, &expected.kind);
        assert_eq!(
            found,
            Some(Resource {
                api: expected.clone(),
                namespaced
            }),
            "{}",
            expected.kind
        );
    }

    #[test]
    fn the_table_agrees_with_the_typed_resources() {
        agrees::<Secret>();
        agrees::<Namespace>();
        agrees::<Pod>();
        agrees::<PersistentVolumeClaim>();
        agrees::<PersistentVolume>();
        agrees::<Node>();
        agrees::<Event>();
        agrees::<ServiceAccount>();
        agrees::<Deployment>();
        agrees::<DaemonSet>();
        agrees::<Role>();
        agrees::<RoleBinding>();
        agrees::<StorageClass>();
        agrees::<CSIDriver>();
        agrees::<OperatorGroup>();
        agrees::<Subscription>();
        agrees::<InstallPlan>();
        agrees::<ClusterCSIDriver>();
        agrees::<Authentication>();
    }

    #[test]
    fn csvs_are_namespaced_operator_objects() {
        let csv = builtin("operators.coreos.com/v1alpha1", "ClusterServiceVersion");
        assert_eq!(
            csv.map(|r| (r.rbac_name(), r.namespaced)),
            Some((
                "clusterserviceversions.operators.coreos.com".to_owned(),
                true
            ))
        );
        assert_eq!(
            builtin("v1", "Secret").map(|r| r.rbac_name()),
            Some("secrets".to_owned())
        );
        assert_eq!(builtin("v1", "ConfigMap"), None);
        assert_eq!(builtin("apps/v1beta1", "Deployment"), None);
    }

    #[test]
    fn api_versions_split_into_group_and_version() {
        assert_eq!(group_version("v1"), ("", "v1"));
        assert_eq!(
            group_version("operators.coreos.com/v1alpha1"),
            ("operators.coreos.com", "v1alpha1")
        );
    }
}
