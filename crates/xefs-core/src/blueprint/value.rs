//! Values that are only known after apply, as typed references to another step's output.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Address;

/// A named output of a step, e.g. `storage.efs.file-system` → `file_system_id`.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct OutputRef {
    /// The step that produces the value.
    pub step: Address,
    /// The output's name within that step.
    pub output: String,
}

impl OutputRef {
    pub(crate) fn new(step: &Address, output: &str) -> Self {
        Self {
            step: step.clone(),
            output: output.to_owned(),
        }
    }

    /// The shell variable that holds this value in the rendered manual procedure, e.g.
    /// `FILE_SYSTEM_ID`. Output names are unique across the blueprint, so this is too.
    pub fn shell_var(&self) -> String {
        self.output.to_ascii_uppercase()
    }
}

impl fmt::Display for OutputRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.step, self.output)
    }
}

/// A value the blueprint knows now, or one that another step produces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Value<T> {
    /// Known from the spec.
    Known(T),
    /// Produced by another step; shown as "(known after apply)".
    After(OutputRef),
}

impl<T: fmt::Display> fmt::Display for Value<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Known(v) => v.fmt(f),
            Value::After(_) => f.write_str("(known after apply)"),
        }
    }
}

impl<T> Value<T> {
    /// The reference, when the value is not known yet.
    pub fn output_ref(&self) -> Option<&OutputRef> {
        match self {
            Value::Known(_) => None,
            Value::After(r) => Some(r),
        }
    }
}

impl<T: fmt::Display> Value<T> {
    /// The value as a string, asking `resolver` for outputs of other steps.
    pub fn resolve(&self, resolver: &dyn Resolver) -> Result<String, ResolveError> {
        match self {
            Value::Known(v) => Ok(v.to_string()),
            Value::After(r) => resolver.resolve(r),
        }
    }
}

/// Supplies the outputs of other steps: real values during apply, shell variables when
/// rendering the manual procedure.
pub trait Resolver {
    /// The output's value as a string.
    fn resolve(&self, output: &OutputRef) -> Result<String, ResolveError>;
}

/// An output that is not available (its step has not run, or did not produce it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("output `{0}` is not available yet: its step has not completed")]
pub struct ResolveError(pub OutputRef);

/// Resolves every output to its shell variable (`${FILE_SYSTEM_ID}`), for templates.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShellPlaceholders;

impl Resolver for ShellPlaceholders {
    fn resolve(&self, output: &OutputRef) -> Result<String, ResolveError> {
        Ok(format!("${{{}}}", output.shell_var()))
    }
}
