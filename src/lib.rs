//! xefs
