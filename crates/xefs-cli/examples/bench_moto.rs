//! Real wall time and peak memory of the `xefs` binary against moto, process start to exit:
//! `render`, `plan --phase aws` before apply, a full `apply --phase aws --yes`, `plan` on the
//! applied stack and `destroy --phase aws --yes`, each run on fresh stacks in fresh accounts.
//! `xefs bench` times only the simulated commands; this covers the real AWS path.
//!
//! ```text
//! cargo build -p xefs-cli && cargo run -p xefs-cli --example bench_moto -- [--runs N] [--output json]
//! ```
//!
//! It runs the `xefs` built beside it (`target/debug/xefs`), and needs `moto_server` on `PATH`.

// A crate root resolves modules beside it; the test of the CLI includes the same file.
#[path = "bench_moto/measure.rs"]
mod measure;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: bench_moto [--runs N (default 3)] [--output text|json]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_moto: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut runs = 3;
    let mut json = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--runs", Some(n)) => runs = n.parse().map_err(|_| format!("--runs {n}: {USAGE}"))?,
            ("--output", Some(f)) if f == "json" || f == "text" => json = f == "json",
            _ => return Err(USAGE.into()),
        }
    }
    let m = measure::measure(&xefs_binary()?, runs)?;
    if json {
        println!("{:#}", measure::to_json(&m));
    } else {
        print!("{}", measure::to_text(&m));
    }
    Ok(())
}

/// The `xefs` of the same build: examples live in `target/<profile>/examples/`, binaries one
/// level up. Not built on demand, so what is timed is the binary, not cargo.
fn xefs_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate this example: {e}"))?;
    let xefs = exe
        .parent()
        .and_then(|examples| examples.parent())
        .map(|profile| profile.join(format!("xefs{}", std::env::consts::EXE_SUFFIX)))
        .ok_or("cannot locate the target directory")?;
    if xefs.is_file() {
        Ok(xefs)
    } else {
        Err(format!(
            "{} not found: run `cargo build -p xefs-cli` first",
            xefs.display()
        ))
    }
}
