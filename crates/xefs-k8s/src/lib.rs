//! The OpenShift provider of xefs: the steps of the procedure that act on the cluster.
//!
//! It is being built in stages; today it holds nothing yet. The objects it will apply are
//! already defined as data in `xefs_core::blueprint::manifests`.
