//! The I/O-free core of xefs.
//!
//! It decides *what* a cross-account EFS stack consists of; providers (`xefs-aws`, `xefs-k8s`)
//! decide *how*. Nothing here calls a cloud: the only I/O is reading the config file and the
//! state journal.
//!
//! ```
//! use xefs_core::ids::{AccountId, Ipv4Cidr};
//!
//! let account: AccountId = "111111111111".parse()?;
//! let a: Ipv4Cidr = "10.0.0.0/16".parse()?;
//! let b: Ipv4Cidr = "10.1.0.0/16".parse()?;
//! assert!(!a.overlaps(&b));
//! assert_eq!(account.to_string(), "111111111111");
//! # Ok::<(), xefs_core::ids::ParseIdError>(())
//! ```

pub mod blueprint;
pub mod doctor;
pub mod engine;
pub mod iam;
pub mod ids;
pub mod sim;
pub mod spec;
pub mod state;
pub mod step;
