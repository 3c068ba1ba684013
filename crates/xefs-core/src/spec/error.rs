//! What went wrong while loading a stack spec: one [`SpecError`] per problem, all of them
//! gathered in [`SpecErrors`] so the user fixes everything in one pass.

use std::fmt;
use std::ops::Range;

use crate::ids::ParseIdError;

/// Where a value came from, so an error can point at the place to fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueSource {
    /// The TOML file (or the file is where a missing key belongs).
    File,
    /// This environment variable, which overrides the file.
    Env(&'static str),
    /// xefs's default, used because neither the file nor the environment set it.
    Default,
}

/// One problem with the spec: which key, where its value came from, what is wrong and how to
/// fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The dotted key, e.g. `cluster.vpc_cidr`; empty when the problem is the file itself.
    pub key: String,
    /// Where the offending value came from.
    pub source: ValueSource,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Byte range in the TOML text, when the value (or the place it belongs) is in the file;
    /// lets the CLI show a source snippet.
    pub span: Option<Range<usize>>,
}

impl SpecError {
    /// An error about `key` without help or span; add them with the `with_*` methods.
    pub fn new(key: impl Into<String>, source: ValueSource, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            source,
            message: message.into(),
            help: None,
            span: None,
        }
    }

    /// An error for a value that does not parse as the id it should be: the id parser's
    /// explanation becomes the help.
    pub fn from_parse(key: impl Into<String>, source: ValueSource, err: ParseIdError) -> Self {
        Self::new(
            key,
            source,
            format!("{:?} is not a valid {}", err.value, err.what),
        )
        .with_help(err.expected)
    }

    /// Adds how to fix it.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds the byte range in the TOML text.
    #[must_use]
    pub fn with_span(mut self, span: Option<Range<usize>>) -> Self {
        self.span = span;
        self
    }
}

/// One line: `key (from VAR): message: help`.
impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.key.is_empty() {
            f.write_str(&self.key)?;
            if let ValueSource::Env(var) = self.source {
                write!(f, " (from {var})")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, ": {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecError {}

/// Every problem found in a spec, in the order they were found. Never empty when returned as
/// an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecErrors(pub Vec<SpecError>);

impl SpecErrors {
    /// The first error about `key`, if any: handy in tests and for tools that fix one key.
    pub fn for_key(&self, key: &str) -> Option<&SpecError> {
        self.0.iter().find(|e| e.key == key)
    }
}

impl From<SpecError> for SpecErrors {
    fn from(err: SpecError) -> Self {
        Self(vec![err])
    }
}

impl<'a> IntoIterator for &'a SpecErrors {
    type Item = &'a SpecError;
    type IntoIter = std::slice::Iter<'a, SpecError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The count first, then each error on its own line.
impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} problem{} in the stack spec:",
            if n == 1 { "" } else { "s" }
        )?;
        for err in &self.0 {
            write!(f, "\n- {err}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Ipv4Cidr;

    #[test]
    fn display_names_the_key_and_the_variable() {
        let err = SpecError::from_parse(
            "cluster.vpc_cidr",
            ValueSource::Env("AWS_ACCOUNT_A_VPC_CIDR"),
            Ipv4Cidr::parse("10.0.1.7/16").unwrap_err(),
        );
        assert_eq!(
            err.to_string(),
            "cluster.vpc_cidr (from AWS_ACCOUNT_A_VPC_CIDR): \"10.0.1.7/16\" is not a valid IPv4 CIDR block: host bits are set; did you mean `10.0.0.0/16`?"
        );
    }

    #[test]
    fn display_counts_then_lists() {
        let errs = SpecErrors(vec![
            SpecError::new("stack.name", ValueSource::File, "is missing"),
            SpecError::new("", ValueSource::File, "cannot read xefs.toml").with_help("create it"),
        ]);
        assert_eq!(
            errs.to_string(),
            "2 problems in the stack spec:\n- stack.name: is missing\n- cannot read xefs.toml: create it"
        );
    }
}
