//! The rule that keeps `destroy` exact: nothing without this stack's tag is ever deleted.

use std::collections::BTreeMap;

use xefs_core::spec::STACK_TAG;
use xefs_core::step::StepError;

/// Fails unless `live` carries the `xefs:stack` tag with the value `desired` gives it.
///
/// `destroy` calls this before deleting a taggable resource: a resource whose tag was removed,
/// or which another stack owns, is left alone with an error that says so.
pub fn require_stack_tag(
    what: &str,
    live: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), StepError> {
    let want = desired.get(STACK_TAG);
    match (want, live.get(STACK_TAG)) {
        (Some(w), Some(l)) if w == l => Ok(()),
        (Some(w), l) => Err(StepError::permanent(format!(
            "refusing to delete {what}: it is not tagged {STACK_TAG}={w} ({}), so xefs may not own it",
            match l {
                Some(other) => format!("its tag says {other}"),
                None => "it has no such tag".to_owned(),
            }
        ))
        .with_code("NotOwned")),
        (None, _) => Err(StepError::permanent(format!(
            "refusing to delete {what}: the step has no {STACK_TAG} tag to check ownership with"
        ))
        .with_code("NotOwned")),
    }
}

/// Whether `live` carries the `xefs:stack` tag with the value `desired` gives it: the resource
/// was made by xefs for this stack.
///
/// A create that meets "already exists" uses it to tell its own earlier write (an answer lost
/// on the way back, the SDK's retry then finding the resource) from someone else's resource:
/// the former is claimed as created, so `destroy` removes it; the latter is adopted.
pub(crate) fn is_ours(live: &BTreeMap<String, String>, desired: &BTreeMap<String, String>) -> bool {
    desired
        .get(STACK_TAG)
        .is_some_and(|want| live.get(STACK_TAG) == Some(want))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(v: Option<&str>) -> BTreeMap<String, String> {
        v.map(|v| (STACK_TAG.to_owned(), v.to_owned()))
            .into_iter()
            .collect()
    }

    #[test]
    fn only_this_stacks_tag_allows_a_delete() {
        assert!(require_stack_tag("x", &tags(Some("a")), &tags(Some("a"))).is_ok());
        let other = require_stack_tag("fs-1", &tags(Some("b")), &tags(Some("a")));
        assert!(other.is_err_and(|e| e.message().contains("its tag says b")));
        assert!(require_stack_tag("x", &tags(None), &tags(Some("a"))).is_err());
        assert!(require_stack_tag("x", &tags(Some("a")), &tags(None)).is_err());
    }
}
