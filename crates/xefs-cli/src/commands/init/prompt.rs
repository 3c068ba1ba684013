//! Asking on a terminal for what neither the variables nor discovery found.

use super::*;

/// Asks for each required value still unknown; an empty answer (or the end of input) leaves
/// it to fill in later. Returns how many were answered.
pub(crate) fn ask_missing(
    found: &mut Found,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> std::io::Result<usize> {
    let mut answered = 0;
    for k in KEYS.iter().filter(|k| !k.optional) {
        if found.has(k.dotted) {
            continue;
        }
        if k.dotted == "stack.name" {
            derive(found);
            if found.has(k.dotted) {
                continue;
            }
        }
        if let Some(value) = ask(input, out, k)? {
            found.values.insert(k.dotted, (value, Source::Answered));
            answered += 1;
        }
    }
    Ok(answered)
}

/// One question, asked again (at most three times) while the answer does not parse.
pub(super) fn ask(
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    k: &Key,
) -> std::io::Result<Option<String>> {
    for _ in 0..3 {
        write!(out, "{} — {}; empty to fill in later: ", k.dotted, k.what)?;
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            writeln!(out)?;
            return Ok(None);
        }
        let answer = line.trim();
        if answer.is_empty() {
            return Ok(None);
        }
        match (k.check)(answer) {
            Ok(value) => return Ok(Some(value)),
            Err(e) => writeln!(out, "  {e}")?,
        }
    }
    Ok(None)
}
