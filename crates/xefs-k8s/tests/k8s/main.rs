//! Integration tests of xefs-k8s without a cluster:
//!
//! * [`crds`]: every OpenShift/OLM object xefs emits validates against the upstream CRD schema
//!   the API server would use, and broken ones do not.
//! * [`core_kinds`]: every core object xefs emits round-trips through its `k8s-openapi` type.
//! * [`tls`]: a TLS client next to the AWS SDK in one binary fails cleanly, it does not panic
//!   over rustls' crypto provider.
//!
//! [`emitted`] builds the objects from `examples/xefs.toml`, exactly as the provider does.

mod core_kinds;
mod crds;
mod emitted;
mod meta;
mod tls;
