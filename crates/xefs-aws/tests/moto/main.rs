//! The SDK adapters against moto server: real `aws-sdk-*` clients talking to a real
//! implementation of the AWS APIs, in several accounts at once.
//!
//! One moto server serves the whole binary ([`xefs_moto::Moto::shared`]); each test works in
//! fresh account ids, so tests run concurrently and never see each other's resources. Needs
//! `moto_server` on `PATH` (`pip install 'moto[server]'`).
//!
//! moto's known gaps, which no test relies on: IAM is not enforced, nothing waits (file
//! systems, mount targets and peerings are available/active at once), and
//! `DeleteFileSystemPolicy`, `UpdateFileSystem` and `DescribeFileSystemPolicy` of an unknown
//! file system answer HTTP 500.
//!
//! Besides moto: `fake_flow` runs the whole AWS phase on the in-memory [`xefs_aws::fake`]
//! world under tokio's paused clock (latencies, IAM propagation, injected faults), and
//! `contract` runs the same port-level cases against the fake and against moto.

mod adapters;
mod connect;
mod contract;
mod doctor;
mod fake_flow;
mod flow;

use xefs_moto as support;
