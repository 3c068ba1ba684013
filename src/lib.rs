//! xefs: cross-account Amazon EFS on Red Hat OpenShift Service on AWS (ROSA), as a typed,
//! planned, idempotent, resumable and exactly undoable operation.
//!
//! A platform tool runs a stack in a few lines with [`Stack`]: build the spec in code
//! ([`StackSpec::builder`](core::spec::StackSpec::builder)) or load it from TOML, pick the
//! clouds ([`Stack::connect`] for real ones, [`Stack::simulated`] or [`Stack::new`] with
//! fakes or mocks for tests), and call `plan`, `apply`, `verify`, `doctor` or `destroy`,
//! receiving the engine's events as they happen ([`Stack::with_events`]):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use xefs::Stack;
//! use xefs::core::spec::StackSpec;
//!
//! let spec = StackSpec::builder("team-a", "us-east-2")
//!     .cluster("sts-cluster", "111111111111", "vpc-0a1b2c3d4e5f60718", "10.0.0.0/16")
//!     .storage("222222222222", "vpc-0f1e2d3c4b5a69788", "10.1.0.0/16")
//!     .set("storage_class.name", "efs-team-a")
//!     .build()?;
//! # let sim = xefs::simulate::Simulation::new(&spec)?;
//! # let dir = tempfile::tempdir()?;
//! # let state = dir.path();
//! // let stack = Stack::connect(spec, ".xefs").await?;   // real accounts and cluster
//! let stack = Stack::simulated(spec, state, &sim);         // or simulated ones
//! let (events, mut rx) = tokio::sync::mpsc::unbounded_channel();
//! let stack = stack.with_events(events);
//! tokio::spawn(async move { while let Some(e) = rx.recv().await { let _ = e; /* log it */ } });
//!
//! let report = stack.apply().await?;       // resumes where an earlier run stopped
//! assert!(report.is_success());
//! assert!(stack.doctor().await?.is_ok());  // every check of `xefs doctor`
//! stack.destroy(false).await?;             // only what xefs created; data kept unless asked
//! # Ok(())
//! # }
//! ```
//!
//! The repository's `examples/` show more: embedding with real providers (`embed`), a
//! platform tool's tests on simulated clouds (`platform_tool_test`), exact calls asserted on
//! the `mockall` ports (`mock_calls`), and many stacks at once (`fleet`).
//!
//! The facade re-exports the workspace's crates so a platform tool depends on one crate:
//!
//! * [`core`]: validated ids, the stack spec, IAM documents, the blueprint and its renderings;
//! * [`aws`]: the AWS provider (accounts A and B);
//! * [`k8s`]: the OpenShift provider;
//! * [`simulate`] (feature `simulate`, on by default): a simulated AWS and OpenShift for a
//!   stack, as `xefs --simulate` and `xefs demo` use them.
//!
//! ```
//! use xefs::core::blueprint::{Blueprint, render};
//! use xefs::core::spec::StackSpec;
//!
//! let toml = r#"
//! [stack]
//! name = "demo"
//! region = "us-east-2"
//! [cluster]
//! name = "sts-cluster"
//! account_id = "111111111111"
//! vpc_id = "vpc-0a1b2c3d4e5f60718"
//! vpc_cidr = "10.0.0.0/16"
//! [storage]
//! account_id = "222222222222"
//! vpc_id = "vpc-0f1e2d3c4b5a69788"
//! vpc_cidr = "10.1.0.0/16"
//! "#;
//! let env = std::collections::BTreeMap::new(); // no environment overrides
//! let spec = StackSpec::from_toml_str(toml, &env).expect("a valid spec");
//! let blueprint = Blueprint::build(&spec);
//! println!("{}", render::plan_table(&spec, &render::plan_rows(&blueprint)));
//! assert!(blueprint.step(&"storage.efs.file-system".parse().unwrap()).is_some());
//! ```

mod error;
mod stack;

pub use error::Error;
pub use stack::Stack;
pub use xefs_aws as aws;
pub use xefs_core as core;
pub use xefs_k8s as k8s;

#[cfg(feature = "simulate")]
pub mod simulate;

#[cfg(feature = "simulate")]
pub mod bench;
