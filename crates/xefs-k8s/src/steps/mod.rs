//! The OpenShift steps of the blueprint, each an implementation of [`xefs_core::step::Step`]
//! over the [`Cluster`](crate::Cluster) port of a [`ClusterHandle`](crate::ClusterHandle).
//!
//! Every object written is built by `xefs_core::blueprint::manifests`, the same functions the
//! rendered YAML and the manual script come from, so what xefs applies and what it shows never
//! differ. Steps that install something (the operator, the driver) report a resource that
//! exists but is not ready yet as drifted, so that `apply` runs `ensure`, which waits for it.

mod common;
mod discovery;
mod driver;
mod operator_group;
pub mod output_names;
mod rbac;
mod secrets;
mod storage_class;
mod subscription;
#[cfg(test)]
pub(crate) mod test_support;
mod verify;

pub use discovery::DiscoverClusterStep;
pub use driver::ClusterCsiDriverStep;
pub use operator_group::OperatorGroupStep;
pub use rbac::SecretReaderRbacStep;
pub use secrets::{CloudCredentialsSecretStep, CrossAccountSecretStep};
pub use storage_class::StorageClassStep;
pub use subscription::SubscriptionStep;
pub use verify::VerifyStep;
