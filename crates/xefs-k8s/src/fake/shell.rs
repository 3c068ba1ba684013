//! A container's `sh -c` script, run against the simulated volumes: just enough shell for the
//! commands xefs's verify pods run (`echo '…' >> file`, `until grep -q '…' file; do sleep N;
//! done`, `cat file`, `sleep N`), so the reader's log shows what the writer really wrote to the
//! shared volume. Anything else is "not found", as in a shell without that program.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One simple command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Command {
    /// `echo words` (to the log), `echo words >> file` or `echo words > file`.
    Echo {
        text: String,
        redirect: Option<Redirect>,
    },
    /// `cat file`.
    Cat { path: String },
    /// `sleep N` (`None`: `sleep infinity`).
    Sleep { millis: Option<u64> },
    /// `until grep -q pattern file; do sleep N; done`.
    UntilGrep {
        pattern: String,
        path: String,
        interval_millis: u64,
    },
    /// A command this shell does not know.
    Unknown { name: String },
}

/// Where `echo` writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Redirect {
    pub path: String,
    pub append: bool,
}

/// A command and whether the next one runs only if it succeeded (`&&`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Step {
    command: Command,
    and_then: bool,
}

/// The files a process sees: its volumes and its own filesystem.
pub(super) trait Files {
    /// The content of a file, `None` when it does not exist.
    fn read(&self, path: &str) -> Option<String>;
    /// Writes (or appends to) a file.
    fn write(&mut self, path: &str, text: &str, append: bool);
}

/// A running script: its commands and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Process {
    steps: Vec<Step>,
    next: usize,
}

/// What a process does after a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// It sleeps this long (`None`: forever) and must be run again then.
    Sleeps(Option<Duration>),
    /// It exited with this status.
    Exited(i32),
}

impl Process {
    /// The process of a container's `command` and `args`: a `sh -c` script is interpreted;
    /// any other entrypoint runs forever without touching a volume (a server, say).
    pub fn of_container(command: &[String], args: &[String]) -> Self {
        let argv: Vec<&String> = command.iter().chain(args).collect();
        let script = match argv.as_slice() {
            [sh, flag, script, ..]
                if matches!(sh.as_str(), "sh" | "/bin/sh" | "bash" | "/bin/bash")
                    && flag.as_str() == "-c" =>
            {
                Some(script.as_str())
            }
            _ => None,
        };
        match script {
            Some(script) => Self {
                steps: parse(script),
                next: 0,
            },
            None => Self {
                steps: vec![Step {
                    command: Command::Sleep { millis: None },
                    and_then: false,
                }],
                next: 0,
            },
        }
    }

    /// Runs until the process sleeps or exits, appending its output to `log`.
    pub fn run(&mut self, files: &mut dyn Files, log: &mut String) -> Outcome {
        let mut status = 0;
        while let Some(step) = self.steps.get(self.next).cloned() {
            if let Command::UntilGrep {
                interval_millis, ..
            } = step.command
                && step_blocks(&step.command, &*files)
            {
                return Outcome::Sleeps(Some(Duration::from_millis(interval_millis)));
            }
            self.next += 1;
            status = execute(&step.command, files, log);
            if let Command::Sleep { millis } = step.command {
                return Outcome::Sleeps(millis.map(Duration::from_millis));
            }
            if status != 0 && step.and_then {
                return Outcome::Exited(status);
            }
        }
        Outcome::Exited(status)
    }
}

/// Whether the command cannot finish yet (an `until` whose condition is false).
fn step_blocks(command: &Command, files: &dyn Files) -> bool {
    match command {
        Command::UntilGrep { pattern, path, .. } => !files
            .read(path)
            .is_some_and(|c| c.contains(pattern.as_str())),
        _ => false,
    }
}

/// Runs one command that does not block; its exit status.
fn execute(command: &Command, files: &mut dyn Files, log: &mut String) -> i32 {
    match command {
        Command::Echo { text, redirect } => {
            let line = format!("{text}\n");
            match redirect {
                Some(r) => files.write(&r.path, &line, r.append),
                None => log.push_str(&line),
            }
            0
        }
        Command::Cat { path } => match files.read(path) {
            Some(content) => {
                log.push_str(&content);
                0
            }
            None => {
                log.push_str(&format!("cat: {path}: No such file or directory\n"));
                1
            }
        },
        Command::Sleep { .. } | Command::UntilGrep { .. } => 0,
        Command::Unknown { name } => {
            log.push_str(&format!("sh: {name}: not found\n"));
            127
        }
    }
}

/// The script's commands. Separators are `;`, `&&` and newlines outside quotes; an `until`
/// takes its `do` and `done` from the following parts.
fn parse(script: &str) -> Vec<Step> {
    let parts = split(script);
    let mut steps = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let (text, and_then) = &parts[i];
        let argv = words(text);
        i += 1;
        let command = match argv.first().map(String::as_str) {
            None => continue,
            Some("until") => {
                // `until <grep>` `do <sleep>` `done`
                let body = parts.get(i).map(|(t, _)| words(t)).unwrap_or_default();
                let done = parts.get(i + 1).is_some_and(|(t, _)| t.trim() == "done");
                match (grep_q(&argv[1..]), body.as_slice(), done) {
                    (Some((pattern, path)), [d, sleep, n], true)
                        if d == "do" && sleep == "sleep" =>
                    {
                        i += 2;
                        Command::UntilGrep {
                            pattern,
                            path,
                            interval_millis: seconds(n).unwrap_or(1000),
                        }
                    }
                    _ => Command::Unknown {
                        name: "until".to_owned(),
                    },
                }
            }
            Some(_) => simple(&argv),
        };
        steps.push(Step {
            command,
            and_then: *and_then,
        });
    }
    steps
}

/// `grep -q pattern file [2>/dev/null]` → `(pattern, file)`.
fn grep_q(words: &[String]) -> Option<(String, String)> {
    let words: Vec<&String> = words.iter().filter(|w| !w.starts_with("2>")).collect();
    match words.as_slice() {
        [grep, q, pattern, path] if grep.as_str() == "grep" && q.as_str() == "-q" => {
            Some(((*pattern).clone(), (*path).clone()))
        }
        _ => None,
    }
}

/// One simple command from its words.
fn simple(words: &[String]) -> Command {
    let name = words[0].as_str();
    let args = &words[1..];
    match name {
        "echo" => {
            let (text, redirect) = match args.iter().position(|w| w == ">>" || w == ">") {
                Some(at) => (
                    args[..at].join(" "),
                    args.get(at + 1).map(|path| Redirect {
                        path: path.clone(),
                        append: args[at] == ">>",
                    }),
                ),
                None => (args.join(" "), None),
            };
            Command::Echo { text, redirect }
        }
        "cat" if args.len() == 1 => Command::Cat {
            path: args[0].clone(),
        },
        "sleep" if args.len() == 1 => Command::Sleep {
            millis: if args[0] == "infinity" {
                None
            } else {
                Some(seconds(&args[0]).unwrap_or(0))
            },
        },
        _ => Command::Unknown {
            name: name.to_owned(),
        },
    }
}

/// `3600` or `0.5` seconds in milliseconds.
fn seconds(text: &str) -> Option<u64> {
    let s: f64 = text.parse().ok()?;
    (s >= 0.0).then(|| (s * 1000.0).round() as u64)
}

/// The script split at `;`, `&&` and newlines outside quotes; each part says whether it was
/// followed by `&&`.
fn split(script: &str) -> Vec<(String, bool)> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                current.push(c);
            }
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                current.push(c);
            }
            (None, ';' | '\n') => parts.push((std::mem::take(&mut current), false)),
            (None, '&') if chars.peek() == Some(&'&') => {
                chars.next();
                parts.push((std::mem::take(&mut current), true));
            }
            (None, c) => current.push(c),
        }
    }
    parts.push((current, false));
    parts
        .into_iter()
        .filter(|(p, _)| !p.trim().is_empty())
        .collect()
}

/// A command's words, with quotes removed and a leading `>>`/`>` split off as a word of its
/// own (`>>/f` → `>>`, `/f`).
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
        .into_iter()
        .flat_map(|w| {
            for op in [">>", ">"] {
                if let Some(rest) = w.strip_prefix(op)
                    && !rest.is_empty()
                    && !rest.starts_with('>')
                {
                    return vec![op.to_owned(), rest.to_owned()];
                }
            }
            vec![w]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use xefs_core::blueprint::manifests::verify_names::LINE;

    use super::*;

    #[derive(Default)]
    struct Mem(BTreeMap<String, String>);

    impl Files for Mem {
        fn read(&self, path: &str) -> Option<String> {
            self.0.get(path).cloned()
        }
        fn write(&mut self, path: &str, text: &str, append: bool) {
            let f = self.0.entry(path.to_owned()).or_default();
            if !append {
                f.clear();
            }
            f.push_str(text);
        }
    }

    fn sh(script: &str) -> Process {
        Process::of_container(&["/bin/sh".into(), "-c".into()], &[script.into()])
    }

    #[test]
    fn the_verify_writer_appends_its_line_then_sleeps() {
        let mut p = sh(&format!("echo '{LINE}' >> /mnt/efs/verify && sleep 3600"));
        let (mut files, mut log) = (Mem::default(), String::new());
        assert_eq!(
            p.run(&mut files, &mut log),
            Outcome::Sleeps(Some(Duration::from_secs(3600)))
        );
        assert_eq!(files.0["/mnt/efs/verify"], format!("{LINE}\n"));
        assert_eq!(log, "");
        assert_eq!(p.run(&mut files, &mut log), Outcome::Exited(0));
    }

    #[test]
    fn the_verify_reader_waits_for_the_line_then_shows_the_file() {
        let mut p = sh(&format!(
            "until grep -q '{LINE}' /mnt/efs/verify 2>/dev/null; do sleep 2; done; cat /mnt/efs/verify; sleep 3600"
        ));
        let (mut files, mut log) = (Mem::default(), String::new());
        assert_eq!(
            p.run(&mut files, &mut log),
            Outcome::Sleeps(Some(Duration::from_secs(2)))
        );
        files.write("/mnt/efs/verify", "other\n", true);
        assert_eq!(
            p.run(&mut files, &mut log),
            Outcome::Sleeps(Some(Duration::from_secs(2)))
        );
        files.write("/mnt/efs/verify", &format!("{LINE}\n"), true);
        assert_eq!(
            p.run(&mut files, &mut log),
            Outcome::Sleeps(Some(Duration::from_secs(3600)))
        );
        assert_eq!(log, format!("other\n{LINE}\n"));
    }

    #[test]
    fn failures_stop_an_and_chain_and_unknown_commands_are_not_found() {
        let (mut files, mut log) = (Mem::default(), String::new());
        assert_eq!(
            sh("cat /nope && echo never").run(&mut files, &mut log),
            Outcome::Exited(1)
        );
        assert_eq!(log, "cat: /nope: No such file or directory\n");
        let mut log = String::new();
        assert_eq!(
            sh("echo a; curl x").run(&mut files, &mut log),
            Outcome::Exited(127)
        );
        assert_eq!(log, "a\nsh: curl: not found\n");
        let server = Process::of_container(&["/usr/bin/server".into()], &[]);
        let mut server = server;
        assert_eq!(
            server.run(&mut files, &mut String::new()),
            Outcome::Sleeps(None)
        );
    }

    #[test]
    fn words_keep_quoted_separators_and_split_redirections() {
        assert_eq!(
            words("echo 'a; b' >>/f"),
            ["echo", "a; b", ">>", "/f"].map(String::from)
        );
        assert_eq!(
            words("grep -q x /f 2>/dev/null"),
            ["grep", "-q", "x", "/f", "2>/dev/null"].map(String::from)
        );
        assert_eq!(split("a 'x;y'; b && c").len(), 3);
    }
}
