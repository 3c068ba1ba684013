//! Exit codes, part of the CLI's interface: scripts depend on them.

/// Everything went as asked.
pub const SUCCESS: u8 = 0;
/// A command failed (a cloud call, a check, a write).
pub const FAILURE: u8 = 1;
/// Bad arguments or a bad config: nothing was done.
pub const USAGE: u8 = 2;
/// `plan --detailed-exitcode`: the plan succeeded and changes are pending.
pub const CHANGES_PENDING: u8 = 2;
