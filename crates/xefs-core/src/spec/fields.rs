//! Reading one key at a time: the environment's override or the file's value or the default,
//! remembering where each value came from so that any later error can point there.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use serde::de::{DeserializeOwned, IntoDeserializer};

use super::env::{self, EnvSource};
use super::error::{SpecError, ValueSource};
use super::keys;
use super::raw::{RawFile, RawValue};
use crate::ids::ParseIdError;

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    /// File, environment or default.
    pub source: ValueSource,
    /// The value's span when it is in the file.
    pub span: Option<Range<usize>>,
}

/// The file and environment being read, and the errors found so far.
pub(crate) struct Fields<'a> {
    raw: &'a RawFile,
    env: &'a dyn EnvSource,
    origins: BTreeMap<&'static str, Origin>,
    /// Every problem found, in order.
    pub errors: Vec<SpecError>,
}

impl<'a> Fields<'a> {
    /// Starts reading; `errors` are the file's shape errors found while parsing.
    pub(crate) fn new(raw: &'a RawFile, env: &'a dyn EnvSource, errors: Vec<SpecError>) -> Self {
        Self {
            raw,
            env,
            origins: BTreeMap::new(),
            errors,
        }
    }

    /// The file being read.
    pub(crate) fn raw(&self) -> &RawFile {
        self.raw
    }

    /// Where `key`'s value came from; the default when it was never read or not set.
    pub(crate) fn origin(&self, key: &str) -> Origin {
        self.origins.get(key).cloned().unwrap_or(Origin {
            source: ValueSource::Default,
            span: None,
        })
    }

    /// Whether the file or the environment set `key` (as opposed to a default).
    pub(crate) fn is_set(&self, key: &str) -> bool {
        self.origin(key).source != ValueSource::Default || self.raw.sets(key)
    }

    /// Reports a problem with `key`, pointing where its value came from.
    pub(crate) fn error(&mut self, key: &str, message: impl Into<String>, help: impl Into<String>) {
        let origin = self.origin(key);
        self.errors.push(
            SpecError::new(key, origin.source, message)
                .with_help(help)
                .with_span(origin.span),
        );
    }

    /// Reports that `key`'s value does not parse.
    pub(crate) fn parse_error(&mut self, key: &str, err: ParseIdError) {
        let origin = self.origin(key);
        self.errors
            .push(SpecError::from_parse(key, origin.source, err).with_span(origin.span));
    }

    /// The file's well-typed value of `key`, recording its origin.
    fn file_value(&mut self, key: &'static str) -> Option<&'a RawValue> {
        debug_assert!(keys::kind_of(key).is_some(), "unknown key {key}");
        let entry = self.raw.get(key)?;
        self.origins.insert(
            key,
            Origin {
                source: ValueSource::File,
                span: Some(entry.span.clone()),
            },
        );
        Some(&entry.value)
    }

    /// A string key: the environment's override, else the file's value.
    pub(crate) fn text(&mut self, key: &'static str) -> Option<String> {
        if let Some((value, var)) = env::override_for(self.env, key) {
            let origin = Origin {
                source: ValueSource::Env(var),
                span: None,
            };
            self.origins.insert(key, origin);
            return Some(value);
        }
        match self.file_value(key)? {
            RawValue::Str(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// A string key's value when it parses, without reporting anything: for rules that relate
    /// keys whose own errors are reported where they are read.
    pub(crate) fn peek<T>(
        &mut self,
        key: &'static str,
        parse: impl Fn(&str) -> Result<T, ParseIdError>,
    ) -> Option<T> {
        self.text(key).and_then(|v| parse(&v).ok())
    }

    /// `key`, with the variable it came from: `cluster.vpc_cidr (from AWS_ACCOUNT_A_VPC_CIDR)`.
    pub(crate) fn described(&self, key: &str) -> String {
        match self.origin(key).source {
            ValueSource::Env(var) => format!("{key} (from {var})"),
            _ => key.to_owned(),
        }
    }

    /// A string key that may be absent but not empty.
    pub(crate) fn optional_text(
        &mut self,
        key: &'static str,
        absent_means: &str,
    ) -> Option<String> {
        let value = self.text(key)?;
        if value.trim().is_empty() {
            self.error(
                key,
                "is empty",
                format!("remove the key to use {absent_means}, or give it a value"),
            );
            return None;
        }
        Some(value)
    }

    /// A string key with a default.
    pub(crate) fn text_or(&mut self, key: &'static str, default: &str) -> String {
        match self.text(key) {
            Some(value) if value.trim().is_empty() => {
                self.error(
                    key,
                    "is empty",
                    format!("remove the key to use the default \"{default}\""),
                );
                default.to_owned()
            }
            Some(value) => value,
            None => default.to_owned(),
        }
    }

    /// A string key parsed with `parse`; `None` when absent or invalid (reported).
    pub(crate) fn parsed<T>(
        &mut self,
        key: &'static str,
        parse: impl Fn(&str) -> Result<T, ParseIdError>,
    ) -> Option<T> {
        let value = self.text(key)?;
        parse(&value).map_err(|e| self.parse_error(key, e)).ok()
    }

    /// A required string key parsed with `parse`; reports it missing.
    pub(crate) fn required<T>(
        &mut self,
        key: &'static str,
        parse: impl Fn(&str) -> Result<T, ParseIdError>,
    ) -> Option<T> {
        if self.text(key).is_none() {
            self.missing(key);
            return None;
        }
        self.parsed(key, parse)
    }

    /// A string key parsed with `parse`, with a default that must parse too.
    pub(crate) fn parsed_or<T>(
        &mut self,
        key: &'static str,
        parse: impl Fn(&str) -> Result<T, ParseIdError>,
        default: &str,
    ) -> Option<T> {
        match self.text(key) {
            Some(value) => parse(&value).map_err(|e| self.parse_error(key, e)).ok(),
            None => parse(default).map_err(|e| self.parse_error(key, e)).ok(),
        }
    }

    /// Reports a required key as missing, unless the file set it with the wrong type (which
    /// is reported already).
    fn missing(&mut self, key: &'static str) {
        if self.raw.sets(key) {
            return;
        }
        let (section, name) = key.split_once('.').unwrap_or(("", key));
        let mut help = format!("add `{name} = {}` under `[{section}]`", keys::example(key));
        if let Some(var) = env::var_for(key) {
            help.push_str(&format!(", or set {var}"));
        }
        self.errors.push(
            SpecError::new(key, ValueSource::File, "is required but not set")
                .with_help(help)
                .with_span(self.raw.section_span(section)),
        );
    }

    /// A boolean key.
    pub(crate) fn flag(&mut self, key: &'static str) -> Option<bool> {
        match self.file_value(key)? {
            RawValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A whole-number key (its range was checked with its type).
    pub(crate) fn number(&mut self, key: &'static str) -> Option<u64> {
        match self.file_value(key)? {
            RawValue::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// A `u32` key.
    pub(crate) fn number32(&mut self, key: &'static str) -> Option<u32> {
        self.number(key).and_then(|n| u32::try_from(n).ok())
    }

    /// A number key.
    pub(crate) fn float(&mut self, key: &'static str) -> Option<f64> {
        match self.file_value(key)? {
            RawValue::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// A choice key, as the model's enum (its serde names are the table's names).
    pub(crate) fn choice<T: DeserializeOwned + Default>(&mut self, key: &'static str) -> T {
        let Some(RawValue::Str(name)) = self.file_value(key) else {
            return T::default();
        };
        let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            name.as_str().into_deserializer();
        T::deserialize(de).unwrap_or_else(|e| {
            self.error(
                key,
                format!("{name:?} is not accepted: {e}"),
                "see examples/xefs.toml",
            );
            T::default()
        })
    }

    /// A list of strings, each parsed with `parse`; duplicates are reported.
    pub(crate) fn list<T>(
        &mut self,
        key: &'static str,
        parse: impl Fn(&str) -> Result<T, ParseIdError>,
    ) -> Vec<T> {
        let Some(RawValue::List(items)) = self.file_value(key) else {
            return Vec::new();
        };
        let mut seen = BTreeSet::new();
        let mut out = Vec::with_capacity(items.len());
        for (i, (item, span)) in items.iter().enumerate() {
            let at = |e: SpecError| e.with_span(Some(span.clone()));
            match parse(item) {
                Ok(v) if seen.insert(item.as_str()) => out.push(v),
                Ok(_) => self.errors.push(at(SpecError::new(
                    key,
                    ValueSource::File,
                    format!("item {} repeats {item:?}", i + 1),
                )
                .with_help("list each one once"))),
                Err(e) => {
                    let mut err = SpecError::from_parse(key, ValueSource::File, e);
                    err.message = format!("item {}: {}", i + 1, err.message);
                    self.errors.push(at(err));
                }
            }
        }
        out
    }
}
