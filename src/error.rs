//! The facade's one error type: which layer failed, with that layer's own error inside.

/// Why a [`Stack`](crate::Stack) operation could not run. A step that fails does not make an
/// error: it is in the report (`ApplyReport::failures`), and the state lets the next run
/// resume.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Connecting to AWS or confirming an account's identity failed: nothing was written.
    #[error(transparent)]
    Provider(xefs_aws::ProviderError),
    /// An AWS call of a read failed (doctor).
    #[error(transparent)]
    Aws(xefs_aws::AwsError),
    /// Connecting to or reading the cluster failed.
    #[error(transparent)]
    Cluster(xefs_k8s::K8sError),
    /// The engine could not run (a phase without a provider, failed observations, cancel).
    #[error(transparent)]
    Engine(xefs_core::engine::EngineError),
    /// The state directory could not be used (locked by another run, unreadable).
    #[error(transparent)]
    State(xefs_core::state::StateError),
}
