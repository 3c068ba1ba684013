//! Writing the found values into the commented example, and the summary of what is left.

use super::*;

/// A TOML basic string.
pub(super) fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The example's text with every found value in place, each line saying where its value came
/// from, and `# TODO` on each required key still holding the example's value. Every comment
/// of the example stays.
pub(crate) fn fill(template: &str, found: &Found) -> String {
    let mut out = String::from(
        "# Written by `xefs init`. Values marked `# from …` or `# discovered: …` were filled in\n\
         # for this machine; those marked `# TODO` still hold the example's placeholder.\n\
         #\n",
    );
    let mut section = "";
    let mut done: Vec<&str> = Vec::new();
    for line in template.lines() {
        if let Some(rest) = line.strip_prefix('[') {
            section = rest.split(']').next().unwrap_or_default();
        }
        let bare = line.strip_prefix("# ").unwrap_or(line);
        let target = KEYS.iter().find(|k| {
            let (s, name) = k.dotted.split_once('.').unwrap_or_default();
            s == section && !done.contains(&k.dotted) && bare.starts_with(&format!("{name} = "))
        });
        let Some(k) = target else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        done.push(k.dotted);
        let name = k.dotted.split_once('.').map_or(k.dotted, |(_, n)| n);
        match found.values.get(k.dotted) {
            Some((value, source)) => {
                out.push_str(&format!("{name} = {}  # {source}\n", toml_string(value)));
            }
            None if k.optional => {
                out.push_str(line);
                out.push('\n');
            }
            None => {
                out.push_str(&format!("{bare}  # TODO: {}\n", k.what));
            }
        }
    }
    out
}

/// The keys that still hold the example's placeholder.
pub(super) fn missing(found: &Found) -> Vec<&'static str> {
    KEYS.iter()
        .filter(|k| !k.optional && !found.has(k.dotted))
        .map(|k| k.dotted)
        .collect()
}

/// What was written, for people.
pub(super) fn summary(path: &Path, found: &Found) -> String {
    let mut out = format!("Wrote {}", path.display());
    if found.values.is_empty() {
        out.push_str(": the example, nothing filled in.\n");
    } else {
        out.push_str(":\n");
        let width = found.values.keys().map(|k| k.len()).max().unwrap_or(0);
        let value_width = found
            .values
            .values()
            .map(|(v, _)| v.len())
            .max()
            .unwrap_or(0);
        for k in KEYS {
            if let Some((value, source)) = found.values.get(k.dotted) {
                out.push_str(&format!(
                    "  {:<width$}  {value:<value_width$}  {source}\n",
                    k.dotted
                ));
            }
        }
    }
    let missing = missing(found);
    if missing.is_empty() {
        out.push_str(&format!(
            "Next: review it, then `xefs plan --config {}`.\n",
            path.display()
        ));
    } else {
        out.push_str(&format!(
            "Still to fill in (marked `# TODO`, the example's values until then): {}.\n",
            missing.join(", ")
        ));
    }
    out
}
