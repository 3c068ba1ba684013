//! The stack spec: what the user wants, loaded from `xefs.toml` and the guide's environment
//! variables, validated once.

mod model;

pub use model::*;
