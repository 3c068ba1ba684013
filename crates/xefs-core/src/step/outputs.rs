//! What a step produces (its outputs) and what it is given (its dependencies' outputs).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::StepError;
use crate::blueprint::{Address, OutputRef, ResolveError, Resolver, Value};

/// The named values a step produces (a file-system id, a role ARN), for the steps that depend
/// on it and for `destroy`, which needs them to find what to remove.
///
/// Outputs are written to the state journal in plain text: never put a secret in them (the
/// journal refuses values that look like credentials).
///
/// ```
/// use xefs_core::step::StepOutputs;
///
/// let out = StepOutputs::new().with("file_system_id", "fs-0123")?.with("mount_targets", 3)?;
/// let id: String = out.get("file_system_id")?;
/// assert_eq!(id, "fs-0123");
/// assert_eq!(out.get::<u32>("mount_targets")?, 3);
/// # Ok::<(), xefs_core::step::StepError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
#[schemars(description = "A step's outputs by name (ids, ARNs; never secrets).")]
pub struct StepOutputs(BTreeMap<String, serde_json::Value>);

impl StepOutputs {
    /// No outputs.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an output, builder style; fails only if `value` cannot be represented as JSON.
    pub fn with<T: Serialize>(mut self, name: &str, value: T) -> Result<Self, StepError> {
        self.insert(name, value)?;
        Ok(self)
    }

    /// Adds or replaces an output.
    pub fn insert<T: Serialize>(&mut self, name: &str, value: T) -> Result<(), StepError> {
        let value = serde_json::to_value(value).map_err(|e| {
            StepError::permanent(format!("output `{name}` cannot be serialized: {e}"))
        })?;
        self.0.insert(name.to_owned(), value);
        Ok(())
    }

    /// Reads an output as `T`; a missing or mistyped output is a permanent error, since it is a
    /// bug in the step that produced it.
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Result<T, StepError> {
        let value = self
            .0
            .get(name)
            .ok_or_else(|| StepError::permanent(format!("output `{name}` is missing")))?;
        T::deserialize(value).map_err(|e| {
            StepError::permanent(format!("output `{name}` has an unexpected type: {e}"))
        })
    }

    /// The raw JSON value of an output.
    pub fn value(&self, name: &str) -> Option<&serde_json::Value> {
        self.0.get(name)
    }

    /// Every output, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &serde_json::Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// True when the step produced nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of outputs.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl FromIterator<(String, serde_json::Value)> for StepOutputs {
    fn from_iter<I: IntoIterator<Item = (String, serde_json::Value)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// The outputs of the steps a step depends on, by address: how a step learns values only
/// known after apply (the file system's id, the peer role's ARN).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs(BTreeMap<Address, StepOutputs>);

impl Inputs {
    /// No inputs (a step without dependencies).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a dependency's outputs, builder style (for provider unit tests).
    #[must_use]
    pub fn with(mut self, address: Address, outputs: StepOutputs) -> Self {
        self.0.insert(address, outputs);
        self
    }

    /// Adds or replaces a dependency's outputs.
    pub fn insert(&mut self, address: Address, outputs: StepOutputs) {
        self.0.insert(address, outputs);
    }

    /// The outputs of one dependency, if it is one.
    pub fn outputs(&self, address: &Address) -> Option<&StepOutputs> {
        self.0.get(address)
    }

    /// Reads output `name` of dependency `address` as `T`. Asking for a step that is not a
    /// declared dependency is a permanent error: the blueprint and the step disagree.
    pub fn get<T: DeserializeOwned>(&self, address: &Address, name: &str) -> Result<T, StepError> {
        self.outputs(address)
            .ok_or_else(|| {
                StepError::permanent(format!(
                    "`{address}` is not a dependency of this step, or has no outputs"
                ))
            })?
            .get(name)
            .map_err(|e| StepError::permanent(format!("{address}: {}", e.message())))
    }

    /// Every dependency's outputs.
    pub fn iter(&self) -> impl Iterator<Item = (&Address, &StepOutputs)> {
        self.0.iter()
    }
}

/// Templates rendered during apply read other steps' outputs from the inputs: a string output
/// as itself, anything else as its JSON text.
impl Resolver for Inputs {
    fn resolve(&self, output: &OutputRef) -> Result<String, ResolveError> {
        match self
            .outputs(&output.step)
            .and_then(|o| o.value(&output.output))
        {
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            Some(other) => Ok(other.to_string()),
            None => Err(ResolveError(output.clone())),
        }
    }
}

impl<T: Clone + DeserializeOwned> Value<T> {
    /// The value: the spec's, or the producing step's output read from `inputs`.
    ///
    /// ```
    /// use xefs_core::blueprint::{Address, OutputRef, Value};
    /// use xefs_core::step::{Inputs, StepOutputs};
    ///
    /// let fs = Address::parse("storage.efs.file-system")?;
    /// let inputs = Inputs::new().with(fs.clone(), StepOutputs::new().with("file_system_id", "fs-1")?);
    /// let v: Value<String> = Value::After(OutputRef { step: fs, output: "file_system_id".into() });
    /// assert_eq!(v.get(&inputs)?, "fs-1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, inputs: &Inputs) -> Result<T, StepError> {
        match self {
            Value::Known(v) => Ok(v.clone()),
            Value::After(r) => inputs.get(&r.step, &r.output),
        }
    }
}

impl OutputRef {
    /// Reads this output from `inputs` as `T`.
    pub fn get<T: DeserializeOwned>(&self, inputs: &Inputs) -> Result<T, StepError> {
        inputs.get(&self.step, &self.output)
    }
}

impl FromIterator<(Address, StepOutputs)> for Inputs {
    fn from_iter<I: IntoIterator<Item = (Address, StepOutputs)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_get_reports_missing_and_mistyped() -> Result<(), StepError> {
        let out = StepOutputs::new().with("id", "fs-1")?;
        assert!(out.get::<String>("nope").is_err());
        let err = out.get::<u32>("id").err().map(|e| e.to_string());
        assert!(err.is_some_and(|m| m.contains("unexpected type")));
        Ok(())
    }

    #[test]
    fn inputs_by_address() -> Result<(), Box<dyn std::error::Error>> {
        let a = Address::parse("storage.efs.file-system")?;
        let inputs = Inputs::new().with(a.clone(), StepOutputs::new().with("id", "fs-1")?);
        assert_eq!(inputs.get::<String>(&a, "id")?, "fs-1");
        let other = Address::parse("storage.other")?;
        assert!(inputs.get::<String>(&other, "id").is_err());
        Ok(())
    }
}
