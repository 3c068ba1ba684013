//! The AWS steps of the blueprint, each an implementation of [`xefs_core::step::Step`] over the
//! ports of one account (or both, for preflight).

mod guard;
#[cfg(test)]
mod test_support;

pub use guard::require_stack_tag;
