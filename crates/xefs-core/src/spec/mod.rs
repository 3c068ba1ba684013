//! The stack spec: what the user wants, loaded from `xefs.toml` and the guide's environment
//! variables, validated once.
//!
//! ```
//! use std::collections::BTreeMap;
//! use xefs_core::spec::StackSpec;
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
//! "#;
//! // The guide's variable supplies what the file leaves out.
//! let env = BTreeMap::from([("AWS_ACCOUNT_B_VPC_CIDR".to_owned(), "10.1.0.0/16".to_owned())]);
//! let spec = StackSpec::from_toml_str(toml, &env)?;
//! assert_eq!(spec.storage.vpc_cidr.to_string(), "10.1.0.0/16");
//! assert_eq!(spec.iam.csi_role_name.as_str(), "sts-cluster-aws-efs-csi-operator");
//! # Ok::<(), xefs_core::spec::SpecErrors>(())
//! ```

mod builder;
mod env;
mod error;
mod fields;
mod keys;
mod load;
mod model;
mod raw;
mod rules;
mod validate;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use builder::StackSpecBuilder;
pub use env::{ENV_OVERRIDES, EnvSource, ProcessEnv};
pub use error::{SpecError, SpecErrors, ValueSource};
pub use model::*;
