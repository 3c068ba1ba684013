//! The blueprint: a pure function from a [`crate::spec::StackSpec`] to the DAG of every step of
//! the corrected procedure.

mod address;

pub use address::{Address, AddressError, Target};
