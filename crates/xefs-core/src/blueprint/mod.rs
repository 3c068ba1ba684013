//! The blueprint: a pure function from a [`crate::spec::StackSpec`] to the DAG of every step of
//! the corrected procedure, and its renderings (plan table, JSON, manual shell script).

mod address;
mod build;
mod caller;
mod graph;
pub mod manifests;
mod policies;
pub mod render;
pub mod steps;
mod value;

#[cfg(test)]
mod tests;

pub use address::{Address, AddressError, Target};
pub use build::{addr, driver, out};
pub use caller::{CallerPolicies, caller_policies, caller_policies_with};
pub use graph::{Blueprint, BlueprintStep, Phase};
pub use policies::PolicyTemplate;
pub use steps::StepSpec;
pub use value::{OutputRef, ResolveError, Resolver, ShellPlaceholders, Value};
