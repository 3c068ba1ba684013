//! The entry points: a TOML text or file plus the environment in, a validated [`StackSpec`] or
//! every problem out.

use std::path::Path;

use super::env::EnvSource;
use super::error::{SpecError, SpecErrors, ValueSource};
use super::fields::Fields;
use super::model::StackSpec;
use super::{raw, validate};

impl StackSpec {
    /// Parses and validates a spec from TOML text, with the guide's environment variables
    /// overriding the file. Reports every problem at once.
    pub fn from_toml_str(text: &str, env: &dyn EnvSource) -> Result<StackSpec, SpecErrors> {
        let (file, shape_errors) = raw::parse(text).map_err(SpecErrors)?;
        let mut fields = Fields::new(&file, env, shape_errors);
        match validate::build(&mut fields) {
            Some(spec) if fields.errors.is_empty() => Ok(spec),
            _ if fields.errors.is_empty() => Err(SpecError::new(
                "",
                ValueSource::File,
                "the spec is incomplete, but no single key was blamed",
            )
            .with_help("please report this as a bug in xefs, with the file")
            .into()),
            _ => Err(SpecErrors(fields.errors)),
        }
    }

    /// Reads `path` and parses it with [`StackSpec::from_toml_str`]. A file that cannot be
    /// read is an error with an empty key.
    pub fn load(path: &Path, env: &dyn EnvSource) -> Result<StackSpec, SpecErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            let help = if e.kind() == std::io::ErrorKind::NotFound {
                "create it (examples/xefs.toml shows every key), or point xefs at another file"
            } else {
                "check that it is a readable UTF-8 text file"
            };
            SpecErrors::from(
                SpecError::new(
                    "",
                    ValueSource::File,
                    format!("cannot read {}: {e}", path.display()),
                )
                .with_help(help),
            )
        })?;
        Self::from_toml_str(&text, env)
    }
}
