//! Tests of the simulated cluster: its API semantics against the kube adapter's
//! ([`api`]), its controllers ([`controllers`]), the whole cluster and verify phases through
//! the engine ([`flow`]), failures the oracle causes ([`failures`]), and save/load
//! ([`persistence`]).

mod api;
mod controllers;
mod failures;
mod flow;
mod persistence;

use xefs_core::sim::SimClock;

use super::{ClusterSeed, Delays, FakeCluster};

/// The operator namespace of the example spec.
const NS: &str = "openshift-cluster-csi-drivers";

/// The example cluster with realistic delays.
fn cluster() -> FakeCluster {
    FakeCluster::new(ClusterSeed::example(), SimClock::new())
}

/// The example cluster whose controllers act at once.
fn instant_cluster() -> FakeCluster {
    cluster().with_delays(Delays::instant())
}
