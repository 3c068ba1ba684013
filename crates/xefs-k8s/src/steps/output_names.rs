//! The names of the OpenShift steps' outputs (besides discovery's, which are
//! `xefs_core::blueprint::out::*` because other steps read them). They are journaled, so
//! `destroy` finds what to remove by them: renaming one breaks existing state.

/// The object's name (Secret, OperatorGroup, Subscription, ClusterCSIDriver, StorageClass).
pub const NAME: &str = "name";
/// The object's namespace.
pub const NAMESPACE: &str = "namespace";
/// The ClusterServiceVersion the Subscription installed; `destroy` deletes it, since deleting
/// a Subscription alone leaves the operator running.
pub const INSTALLED_CSV: &str = "installed_csv";
/// The Role of the secret-reader RBAC.
pub const ROLE: &str = "role";
/// The RoleBinding of the secret-reader RBAC.
pub const BINDING: &str = "binding";
/// Verify: the PersistentVolume the claim bound to.
pub const VOLUME: &str = "volume";
/// Verify: seconds from creating the objects until the claim was bound.
pub const PVC_BOUND_SECONDS: &str = "pvc_bound_seconds";
/// Verify: seconds from the claim being bound until the writer ran.
pub const WRITER_RUNNING_SECONDS: &str = "writer_running_seconds";
/// Verify: seconds from the writer running until the reader ran.
pub const READER_RUNNING_SECONDS: &str = "reader_running_seconds";
/// Verify: seconds from the reader running until its logs showed the writer's line.
pub const LINE_SEEN_SECONDS: &str = "line_seen_seconds";
/// Verify: the nodes the writer and the reader ran on, in that order.
pub const NODES: &str = "nodes";
/// Verify: whether both pods ran on one node (then the check proves less: the cluster had a
/// single schedulable worker, or the anti-affinity could not be honoured).
pub const SAME_NODE: &str = "same_node";
/// Verify: whether the namespace was kept (`verify.keep`).
pub const KEPT: &str = "kept";
