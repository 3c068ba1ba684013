//! The OpenShift provider of xefs: every step of the procedure on the cluster — the EFS CSI
//! driver operator, the driver, the credentials secrets and RBAC, the StorageClass — and the
//! live write/read verification.
//!
//! * [`Cluster`]: the port (server-side apply, get, list, delete, bounded waits, logs, events,
//!   nodes, `Authentication`), mockable with `mockall` (feature `mock`).
//! * [`KubeCluster`]: the port over `kube::Client`, with the kubeconfig loaded as `oc` does.
//! * [`objects`]: typed OLM and OpenShift objects.
//! * [`doctor`]: the read-only facts `xefs doctor` checks (Secrets, StorageClass, driver,
//!   issuer, worker instances).
//! * `fake` (feature `fake`): a simulated cluster whose controllers behave like a ROSA
//!   cluster's, for whole-flow tests and `--simulate`.
//! * [`steps`]: the OpenShift steps of the blueprint (discovery, the operator's Secret,
//!   OperatorGroup and Subscription, the `ClusterCSIDriver`, the cross-account Secret and its
//!   RBAC, the StorageClass, and the write/read check), each a `xefs_core::step::Step`, bound
//!   by [`K8sProvider`].
//!
//! ```
//! use xefs_k8s::{Condition, ObjectRef};
//!
//! let sc = ObjectRef::new("storage.k8s.io/v1", "StorageClass", None, "efs-sc");
//! assert_eq!(sc.to_string(), "StorageClass efs-sc");
//! assert!(Condition::Deleted.is_met(None));
//! ```

mod cluster;
pub mod doctor;
mod error;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
mod kube;
pub mod objects;
mod options;
mod provider;
pub mod steps;

pub use self::kube::KubeCluster;
#[cfg(any(test, feature = "mock"))]
pub use cluster::MockCluster;
pub use cluster::{Cluster, Condition, EventSummary, FIELD_MANAGER, Node, ObjectRef, Propagation};
pub use error::{K8sError, K8sResult};
pub use options::{ClusterHandle, K8sOptions};
pub use provider::K8sProvider;
