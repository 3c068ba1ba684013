//! The file as written: TOML parsed with spans, every key checked against the known-key table
//! and every value against its key's type, before any value is interpreted. Problems are
//! collected, not returned early, so the user sees all of them at once.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{SpecError, ValueSource};
use super::keys::{self, Keys, Kind};

/// A value of the type its key requires.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawValue {
    /// A string (also a [`Kind::Choice`] already checked against its names).
    Str(String),
    /// A boolean.
    Bool(bool),
    /// A whole number within its key's range.
    Int(u64),
    /// A number.
    Float(f64),
    /// Strings, each with its span.
    List(Vec<(String, Range<usize>)>),
}

/// One value of the file and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawEntry {
    /// The value.
    pub value: RawValue,
    /// Its byte range in the text.
    pub span: Range<usize>,
}

/// One `[tags]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawTag {
    /// The tag key.
    pub key: String,
    /// The key's byte range.
    pub key_span: Range<usize>,
    /// The tag value.
    pub value: String,
    /// The value's byte range.
    pub value_span: Range<usize>,
}

/// The file's well-typed values by dotted key, and where things are.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RawFile {
    values: BTreeMap<String, RawEntry>,
    /// Keys the file sets with a value of the wrong type (already reported).
    ill_typed: BTreeSet<String>,
    /// The span of each section's header.
    sections: BTreeMap<String, Range<usize>>,
    /// The `[tags]` entries with string values.
    pub tags: Vec<RawTag>,
}

impl RawFile {
    /// The well-typed value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&RawEntry> {
        self.values.get(key)
    }

    /// Whether the file sets `key` at all, well-typed or not.
    pub(crate) fn sets(&self, key: &str) -> bool {
        self.values.contains_key(key) || self.ill_typed.contains(key)
    }

    /// The span of a section's header, where a missing key belongs.
    pub(crate) fn section_span(&self, section: &str) -> Option<Range<usize>> {
        self.sections.get(section).cloned()
    }
}

/// Parses `text`. Syntax errors are fatal (`Err`, all of them); unknown keys and wrong types
/// are returned beside the well-typed values, so validation can go on and find more.
pub(crate) fn parse(text: &str) -> Result<(RawFile, Vec<SpecError>), Vec<SpecError>> {
    let (root, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        return Err(syntax
            .iter()
            .map(|e| {
                let span = e.span();
                let at = span
                    .as_ref()
                    .map(|s| line_col(text, s.start))
                    .map(|(l, c)| format!(" at line {l}, column {c}"))
                    .unwrap_or_default();
                SpecError::new(
                    "",
                    ValueSource::File,
                    format!("invalid TOML{at}: {}", e.message()),
                )
                .with_span(span)
            })
            .collect());
    }
    let mut walker = Walker {
        text,
        raw: RawFile::default(),
        errors: Vec::new(),
    };
    for (key, value) in root.get_ref().iter() {
        walker.top_level(key, value);
    }
    let Walker {
        raw, mut errors, ..
    } = walker;
    errors.sort_by_key(|e| e.span.as_ref().map_or(0, |s| s.start));
    Ok((raw, errors))
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

/// `section.key`, quoting the key when TOML needs it (`tags."aws:owner"`).
pub(crate) fn key_path(section: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        format!("{section}.{key}")
    } else {
        format!("{section}.{key:?}")
    }
}

/// "a string", "an integer", …
fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

type Key<'i> = Spanned<std::borrow::Cow<'i, str>>;
type Value<'i> = Spanned<DeValue<'i>>;

struct Walker<'t> {
    text: &'t str,
    raw: RawFile,
    errors: Vec<SpecError>,
}

impl Walker<'_> {
    fn error(&mut self, key: String, span: Range<usize>, message: String, help: String) {
        self.errors.push(
            SpecError::new(key, ValueSource::File, message)
                .with_help(help)
                .with_span(Some(span)),
        );
    }

    fn top_level(&mut self, key: &Key<'_>, value: &Value<'_>) {
        let name = key.get_ref().as_ref();
        let section_names = keys::SECTIONS.iter().map(|(s, _)| *s);
        let Some(section) = keys::section(name) else {
            if let DeValue::Table(_) = value.get_ref() {
                let help = match keys::suggest(name, section_names) {
                    Some(s) => format!("did you mean `[{s}]`?"),
                    None => format!("the sections are {}", all_sections()),
                };
                self.error(
                    name.to_owned(),
                    key.span(),
                    format!("unknown section `[{name}]`"),
                    help,
                );
            } else {
                let help = match keys::section_holding(name) {
                    Some(s) => format!("did you mean `{s}.{name}`? put it under `[{s}]`"),
                    None => format!("every key belongs in a section: {}", all_sections()),
                };
                self.error(
                    name.to_owned(),
                    key.span(),
                    format!("unknown key `{name}` outside any section"),
                    help,
                );
            }
            return;
        };
        let DeValue::Table(table) = value.get_ref() else {
            self.error(
                name.to_owned(),
                value.span(),
                format!("expected a table, found {}", type_name(value.get_ref())),
                format!("write it as a section: a `[{name}]` line followed by its keys"),
            );
            return;
        };
        self.raw.sections.insert(name.to_owned(), value.span());
        for (k, v) in table.iter() {
            match section {
                Keys::Fixed(known) => self.fixed_key(name, known, k, v),
                Keys::AnyString => self.tag(k, v),
            }
        }
    }

    fn fixed_key(
        &mut self,
        section: &str,
        known: &[(&'static str, Kind)],
        key: &Key<'_>,
        value: &Value<'_>,
    ) {
        let name = key.get_ref().as_ref();
        let dotted = key_path(section, name);
        let Some(kind) = known.iter().find(|(k, _)| *k == name).map(|(_, k)| *k) else {
            let elsewhere = keys::section_holding(name).filter(|s| *s != section);
            let help = match (
                keys::suggest(name, known.iter().map(|(k, _)| *k)),
                elsewhere,
            ) {
                (Some(k), _) => format!("did you mean `{k}`?"),
                (None, None) if keys::section(name).is_some() => {
                    format!("`{name}` is a section: start it with a `[{name}]` line")
                }
                (None, Some(s)) => format!("did you mean `{s}.{name}`? put it under `[{s}]`"),
                (None, None) => {
                    let names: Vec<&str> = known.iter().map(|(k, _)| *k).collect();
                    format!("`[{section}]` takes {}", names.join(", "))
                }
            };
            self.error(dotted, key.span(), format!("unknown key `{name}`"), help);
            return;
        };
        match self.typed(&dotted, name, kind, value) {
            Some(v) => {
                let entry = RawEntry {
                    value: v,
                    span: value.span(),
                };
                self.raw.values.insert(dotted, entry);
            }
            None => {
                self.raw.ill_typed.insert(dotted);
            }
        }
    }

    fn tag(&mut self, key: &Key<'_>, value: &Value<'_>) {
        let name = key.get_ref().as_ref();
        if let DeValue::String(s) = value.get_ref() {
            self.raw.tags.push(RawTag {
                key: name.to_owned(),
                key_span: key.span(),
                value: s.as_ref().to_owned(),
                value_span: value.span(),
            });
        } else {
            let help = self.quote_help(name, value);
            self.error(
                key_path("tags", name),
                value.span(),
                format!(
                    "tag values must be strings, found {}",
                    type_name(value.get_ref())
                ),
                help,
            );
        }
    }

    /// The value of `kind`, or `None` after reporting why not.
    fn typed(
        &mut self,
        dotted: &str,
        name: &str,
        kind: Kind,
        value: &Value<'_>,
    ) -> Option<RawValue> {
        let source = self.text.get(value.span()).unwrap_or("").trim();
        let wrong = |help: String| {
            (
                format!(
                    "expected {}, found {}",
                    kind.describe(),
                    type_name(value.get_ref())
                ),
                help,
            )
        };
        let generic = format!("write {} here", kind.describe());
        let result = match (kind, value.get_ref()) {
            (Kind::Str, DeValue::String(s)) => Ok(RawValue::Str(s.as_ref().to_owned())),
            (Kind::Str, DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_)) => {
                Err(wrong(self.quote_help(name, value)))
            }
            (Kind::Bool, DeValue::Boolean(b)) => Ok(RawValue::Bool(*b)),
            (Kind::Bool, DeValue::String(s)) if matches!(s.as_ref(), "true" | "false") => {
                Err(wrong(format!("write it without quotes: `{name} = {s}`")))
            }
            (Kind::U32 | Kind::U64, DeValue::Integer(i)) => {
                let max = if kind == Kind::U32 {
                    u64::from(u32::MAX)
                } else {
                    u64::MAX
                };
                match i128::from_str_radix(i.as_str(), i.radix()) {
                    Ok(n) if (0..=i128::from(max)).contains(&n) => u64::try_from(n)
                        .map(RawValue::Int)
                        .map_err(|_| wrong(generic)),
                    _ => Err((
                        format!("{source} is out of range"),
                        format!("use a whole number from 0 to {max}"),
                    )),
                }
            }
            (Kind::U32 | Kind::U64, DeValue::String(s))
                if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Err(wrong(format!("write it without quotes: `{name} = {s}`")))
            }
            (Kind::Float, DeValue::Integer(i)) => i128::from_str_radix(i.as_str(), i.radix())
                .map(|n| RawValue::Float(n as f64))
                .map_err(|_| wrong(generic)),
            (Kind::Float, DeValue::Float(f)) => f
                .as_str()
                .parse::<f64>()
                .map(RawValue::Float)
                .map_err(|_| wrong(generic)),
            (Kind::Float, DeValue::String(s)) if s.trim().parse::<f64>().is_ok() => {
                Err(wrong(format!("write it without quotes: `{name} = {s}`")))
            }
            (Kind::Choice(names), DeValue::String(s)) => {
                if names.contains(&s.as_ref()) {
                    Ok(RawValue::Str(s.as_ref().to_owned()))
                } else {
                    let help = match keys::suggest(s, names.iter().copied()) {
                        Some(n) => format!("did you mean \"{n}\"?"),
                        None => format!("use {}", keys::quoted_list(names)),
                    };
                    Err((format!("{s:?} is not {}", kind.describe()), help))
                }
            }
            (Kind::StrList, DeValue::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    if let DeValue::String(s) = item.get_ref() {
                        out.push((s.as_ref().to_owned(), item.span()));
                    } else {
                        ok = false;
                        let text = self.text.get(item.span()).unwrap_or("").trim();
                        self.error(
                            dotted.to_owned(),
                            item.span(),
                            format!(
                                "item {} is {}, expected a string",
                                i + 1,
                                type_name(item.get_ref())
                            ),
                            format!("quote it: \"{text}\""),
                        );
                    }
                }
                return ok.then_some(RawValue::List(out));
            }
            (Kind::StrList, DeValue::String(s)) => {
                Err(wrong(format!("make it a list: `{name} = [{s:?}]`")))
            }
            _ => Err(wrong(generic)),
        };
        match result {
            Ok(v) => Some(v),
            Err((message, help)) => {
                self.error(dotted.to_owned(), value.span(), message, help);
                None
            }
        }
    }

    /// "quote it: `name = "…"`", from the value's own text.
    fn quote_help(&self, name: &str, value: &Value<'_>) -> String {
        let text = self.text.get(value.span()).unwrap_or("").trim();
        match value.get_ref() {
            DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_) => {
                format!("quote it: `{name} = \"{text}\"`")
            }
            _ => "write a quoted string here".to_owned(),
        }
    }
}

/// `[stack]`, `[cluster]`, … for help text.
fn all_sections() -> String {
    let names: Vec<String> = keys::SECTIONS
        .iter()
        .map(|(s, _)| format!("`[{s}]`"))
        .collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_well_typed_values_with_spans() {
        let text = "[cluster]\nvpc_cidr = \"10.0.0.0/16\"\nworker_subnets = [\"a\", \"b\"]\n";
        let (raw, errors) = parse(text).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        let cidr = raw.get("cluster.vpc_cidr").unwrap();
        assert_eq!(&text[cidr.span.clone()], "\"10.0.0.0/16\"");
        assert!(matches!(
            &raw.get("cluster.worker_subnets").unwrap().value,
            RawValue::List(items) if items.len() == 2
        ));
        assert!(raw.section_span("cluster").is_some());
    }

    #[test]
    fn syntax_errors_carry_line_and_span() {
        let errors = parse("[stack]\nname = \n").unwrap_err();
        assert!(errors[0].message.contains("line 2"), "{errors:?}");
        assert!(errors[0].span.is_some());
    }

    #[test]
    fn wrong_types_are_reported_and_remembered() {
        let text = "[storage_class]\nuid = \"1000\"\ndirectory_perms = 700\ngid = -1\n";
        let (raw, errors) = parse(text).unwrap();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(raw.sets("storage_class.uid") && raw.get("storage_class.uid").is_none());
        let perms = errors
            .iter()
            .find(|e| e.key == "storage_class.directory_perms")
            .unwrap();
        assert_eq!(
            perms.help.as_deref(),
            Some("quote it: `directory_perms = \"700\"`")
        );
    }

    #[test]
    fn quotes_odd_keys() {
        assert_eq!(key_path("tags", "team"), "tags.team");
        assert_eq!(key_path("tags", "aws:owner"), "tags.\"aws:owner\"");
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncé d", 7), (2, 4));
    }
}
