//! `xefs bench`: runs [`xefs::bench::run_bench`] on the paused clock and prints its figures.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use xefs::bench::{
    BenchOptions, BenchReport, CallsByService, CommandFigures, CriticalPath, run_bench,
};
use xefs::simulate::EXAMPLE_CONFIG;

use crate::cli::{BenchArgs, OutputFormat};
use crate::diagnostics::CliError;
use crate::exit;

pub use xefs::bench::{PEAK_RSS_ENV, PEAK_RSS_LINE};

pub async fn run(args: &BenchArgs) -> Result<u8, CliError> {
    let mut report = run_bench(&BenchOptions {
        stacks: args.stacks,
    })
    .await
    .map_err(CliError::Bench)?;
    report.real.commands = real_commands()?;
    match args.output {
        OutputFormat::Json => {
            let text = serde_json::to_string_pretty(&report).map_err(|e| CliError::Io {
                what: "encode the bench report".into(),
                source: e.into(),
            })?;
            println!("{text}");
        }
        OutputFormat::Text => print!("{}", text(&report)),
    }
    Ok(if report.fleet.failed_stacks == 0 {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}

/// `xefs render` and `xefs plan --simulate` / `apply --simulate --yes` on the example stack,
/// each a process of its own, start to exit.
fn real_commands() -> Result<BTreeMap<String, CommandFigures>, CliError> {
    let io = |what: &str| {
        let what = what.to_owned();
        move |source| CliError::Io { what, source }
    };
    let exe = std::env::current_exe().map_err(io("find the xefs binary"))?;
    let dir = tempfile::Builder::new()
        .prefix("xefs-bench-")
        .tempdir()
        .map_err(io("create a temporary directory"))?;
    std::fs::write(dir.path().join("xefs.toml"), EXAMPLE_CONFIG)
        .map_err(io("write the example config"))?;
    let mut out = BTreeMap::new();
    for args in [
        &["render", "--out", "rendered"][..],
        &["plan", "--simulate"],
        &["apply", "--simulate", "--yes"],
    ] {
        let started = Instant::now();
        let o = std::process::Command::new(&exe)
            .args(args)
            .current_dir(dir.path())
            .env(PEAK_RSS_ENV, "1")
            .output()
            .map_err(io("run xefs"))?;
        let wall_seconds = started.elapsed().as_secs_f64();
        let peak_rss_bytes = String::from_utf8_lossy(&o.stderr)
            .lines()
            .find_map(|l| l.strip_prefix(PEAK_RSS_LINE)?.trim().parse().ok());
        out.insert(
            format!("xefs {}", args.join(" ")),
            CommandFigures {
                wall_seconds,
                peak_rss_bytes,
                success: o.status.success(),
            },
        );
    }
    Ok(out)
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || "n/a".into(),
        |b| format!("{:.0} MiB", b as f64 / 1048576.0),
    )
}

fn text(r: &BenchReport) -> String {
    let mut out = String::from("xefs bench (simulated time, realistic AWS latencies)\n\n");
    let path = |out: &mut String, name: &str, c: &CriticalPath| {
        let _ = writeln!(
            out,
            "{name:<8} {:>8.1} s   critical path {:>7.1} s   efficiency {:.2}   guide's sequential order {:>7.1} s",
            c.simulated_seconds, c.critical_path_seconds, c.efficiency, c.guide_sequential_seconds
        );
    };
    path(&mut out, "apply", &r.apply);
    path(&mut out, "destroy", &r.destroy);
    let _ = writeln!(out, "\nAWS calls (reads/writes)");
    let _ = writeln!(
        out,
        "{:<14} {:>10} {:>10} {:>10} {:>10}",
        "operation", "ec2", "efs", "iam", "sts"
    );
    let row = |out: &mut String, name: &str, c: &CallsByService| {
        let cell = |s: &str| {
            c.get(s)
                .map_or("0/0".into(), |n| format!("{}/{}", n.reads, n.writes))
        };
        let _ = writeln!(
            out,
            "{name:<14} {:>10} {:>10} {:>10} {:>10}",
            cell("ec2"),
            cell("efs"),
            cell("iam"),
            cell("sts")
        );
    };
    row(&mut out, "fresh apply", &r.calls.fresh_apply);
    row(&mut out, "no-op apply", &r.calls.noop_apply);
    row(&mut out, "plan (applied)", &r.calls.plan_applied);
    row(&mut out, "destroy", &r.calls.destroy);
    let _ = writeln!(
        out,
        "no-op apply: {} writes, {} reads over {} steps ({:.1} per step)",
        r.noop_apply.writes,
        r.noop_apply.reads,
        r.noop_apply.resources,
        r.noop_apply.reads_per_resource
    );
    let f = &r.fleet;
    let _ = writeln!(
        out,
        "\nfleet: {} stacks at once under AWS-like rate limits: {:.1} s, bound {:.1} s by {} (ratio \
         {:.2}; rate limits alone {:.1} s by {}, one stack alone {:.1} s), {} throttled, {} \
         failed, peak RSS {}",
        f.stacks,
        f.simulated_seconds,
        f.bound_seconds,
        f.bound_by,
        f.ratio_to_bound,
        f.rate_limit_bound_seconds,
        f.rate_limit_bound_by,
        f.one_stack_seconds,
        f.throttled,
        f.failed_stacks,
        mib(f.peak_rss_bytes)
    );
    if let Some(failure) = &f.first_failure {
        let _ = writeln!(out, "first failure: {failure}");
    }
    let u = &f.unshared_limits;
    let _ = writeln!(
        out,
        "       without client-side limits shared between the stacks: {:.1} s, {} throttled, {} failed",
        u.simulated_seconds, u.throttled, u.failed_stacks
    );
    if let Some(failure) = &u.first_failure {
        let _ = writeln!(out, "       first failure: {failure}");
    }
    let _ = writeln!(
        out,
        "real: the bench took {:.1} s, peak RSS {}",
        r.real.bench_wall_seconds,
        mib(r.real.peak_rss_bytes)
    );
    for (command, c) in &r.real.commands {
        let _ = writeln!(
            out,
            "real: `{command}` {:.3} s, peak RSS {}{}",
            c.wall_seconds,
            mib(c.peak_rss_bytes),
            if c.success { "" } else { " (failed)" }
        );
    }
    out
}
