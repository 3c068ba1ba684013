//! Errors as diagnostics: what failed, where, and a help line with the likely fix.

use std::path::{Path, PathBuf};

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};
use xefs_core::spec::{SpecError, SpecErrors, ValueSource};

use crate::exit;

/// Every error the CLI reports.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The config is invalid: nothing was done.
    #[error("{} in {}", count(.errors.len()), .path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// Its text, for snippets.
        source_text: NamedSource<String>,
        /// Each problem.
        errors: Vec<ConfigProblem>,
    },
    /// A file could not be written.
    #[error("could not write {}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 problem".into()
    } else {
        format!("{n} problems")
    }
}

impl CliError {
    pub fn config(path: &Path, text: String, errors: SpecErrors) -> Self {
        let name = path.display().to_string();
        CliError::Config {
            path: path.to_owned(),
            source_text: NamedSource::new(name.clone(), text.clone()),
            errors: errors
                .0
                .into_iter()
                .map(|e| ConfigProblem::new(e, NamedSource::new(name.clone(), text.clone())))
                .collect(),
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Config { .. } => exit::USAGE,
            CliError::Write { .. } => exit::FAILURE,
        }
    }
}

impl Diagnostic for CliError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(match self {
            CliError::Config { .. } => "xefs::config",
            CliError::Write { .. } => "xefs::io",
        }))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        match self {
            CliError::Config { .. } => Some(Box::new(
                "fix the keys named above; nothing was created or written",
            )),
            CliError::Write { .. } => Some(Box::new("check that the directory is writable")),
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        match self {
            CliError::Config { errors, .. } => {
                Some(Box::new(errors.iter().map(|e| e as &dyn Diagnostic)))
            }
            CliError::Write { .. } => None,
        }
    }
}

/// One config problem, with a snippet of the file where the value came from it.
#[derive(Debug)]
pub struct ConfigProblem {
    error: SpecError,
    source_text: NamedSource<String>,
}

impl ConfigProblem {
    fn new(error: SpecError, source_text: NamedSource<String>) -> Self {
        Self { error, source_text }
    }
}

/// The key, where its value came from, and what is wrong; the fix goes in the help line.
impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = &self.error;
        match (&e.source, e.key.is_empty()) {
            (_, true) => f.write_str(&e.message),
            (ValueSource::Env(var), false) => write!(f, "{} (from {var}): {}", e.key, e.message),
            _ => write!(f, "{}: {}", e.key, e.message),
        }
    }
}

impl std::error::Error for ConfigProblem {}

impl Diagnostic for ConfigProblem {
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.error
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        match (&self.error.source, &self.error.span) {
            (ValueSource::File, Some(_)) => Some(&self.source_text),
            _ => None,
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.error.span.clone()?;
        if !matches!(self.error.source, ValueSource::File) {
            return None;
        }
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(self.error.key.clone()),
            span,
        ))))
    }
}
