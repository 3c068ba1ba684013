//! xefs: cross-account Amazon EFS on Red Hat OpenShift Service on AWS (ROSA), as a typed,
//! planned, idempotent, resumable and exactly undoable operation.
//!
//! This facade re-exports the workspace's crates so a platform tool depends on one crate:
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

pub use xefs_aws as aws;
pub use xefs_core as core;
pub use xefs_k8s as k8s;

#[cfg(feature = "simulate")]
pub mod simulate;
