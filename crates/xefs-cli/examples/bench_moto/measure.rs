//! Times the `xefs` binary against moto, each command a process of its own (start to exit),
//! with the peak memory it reports. Shared by the `bench_moto` example and a test of the CLI,
//! which runs it once so it cannot rot (xefs-cli has no library to put it in).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::{Map, Value, json};
use xefs::bench::{PEAK_RSS_ENV, PEAK_RSS_LINE};
use xefs_core::spec::ENV_OVERRIDES;
use xefs_moto::TwoAccountWorld;

/// The sequence run on each fresh stack: label, arguments. Each runs in the stack's directory,
/// so the defaults `--config xefs.toml --state .xefs` apply. The AWS commands print JSON only
/// to report their call counts; printing costs the same either way. The first run's AWS
/// commands also pay for moto loading a service on its first request: the median discounts it.
const SEQUENCE: [(&str, &[&str]); 5] = [
    (
        "xefs render --out rendered",
        &["render", "--out", "rendered"],
    ),
    (
        "xefs plan --phase aws (before apply)",
        &["plan", "--phase", "aws", "--output", "json"],
    ),
    (
        "xefs apply --phase aws --yes",
        &["apply", "--phase", "aws", "--yes", "--output", "json"],
    ),
    (
        "xefs plan --phase aws (applied)",
        &["plan", "--phase", "aws", "--output", "json"],
    ),
    (
        "xefs destroy --phase aws --yes",
        &["destroy", "--phase", "aws", "--yes", "--output", "json"],
    ),
];

/// One command's figures over every run.
#[derive(Debug, Clone)]
pub struct Summary {
    /// What ran (the arguments as users type them).
    pub label: &'static str,
    /// Median wall time, start to exit.
    pub median_wall_seconds: f64,
    /// Slowest wall time.
    pub max_wall_seconds: f64,
    /// Highest peak resident set size of any run (`None` where the OS does not report it).
    pub peak_rss_bytes: Option<u64>,
    /// Most AWS calls (reads and writes) of any run; `None` for commands that make none.
    pub aws_calls: Option<u64>,
}

/// What [`measure`] found.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// moto's version, when Python can tell.
    pub moto_version: Option<String>,
    /// How many times the sequence ran.
    pub runs: usize,
    /// Per command, in the order they ran.
    pub commands: Vec<Summary>,
}

/// Runs the sequence `runs` times, each on a fresh two-account world and a fresh stack.
/// Fails with the command's stderr when one does not exit 0, keeping its stack's directory.
pub fn measure(xefs: &Path, runs: usize) -> Result<Measurement, String> {
    if runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("start a tokio runtime: {e}"))?;
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); SEQUENCE.len()];
    for run in 1..=runs {
        let world = rt.block_on(TwoAccountWorld::build());
        let dir = stack_dir(&world, &format!("bench-moto-{run}"))?;
        for ((label, args), samples) in SEQUENCE.iter().zip(&mut samples) {
            match run_one(xefs, &world, dir.path(), args) {
                Ok(sample) => samples.push(sample),
                // The directory is kept, so its config and journal can be looked at.
                Err(e) => {
                    let dir = dir.keep();
                    return Err(format!(
                        "`{label}` failed (run {run}, directory {} kept): {e}",
                        dir.display()
                    ));
                }
            }
        }
    }
    let commands = SEQUENCE
        .iter()
        .zip(samples)
        .map(|((label, _), samples)| summarize(label, &samples))
        .collect();
    Ok(Measurement {
        moto_version: moto_version(),
        runs,
        commands,
    })
}

/// The measurement as `{"moto_version", "runs", "commands": {label: figures}}`.
pub fn to_json(m: &Measurement) -> Value {
    let commands: Map<String, Value> = m
        .commands
        .iter()
        .map(|c| {
            let mut figures = json!({
                "median_wall_seconds": c.median_wall_seconds,
                "max_wall_seconds": c.max_wall_seconds,
                "peak_rss_bytes": c.peak_rss_bytes,
            });
            if let Some(calls) = c.aws_calls {
                figures["aws_calls"] = calls.into();
            }
            (c.label.to_owned(), figures)
        })
        .collect();
    let mut out = Map::new();
    if let Some(v) = &m.moto_version {
        out.insert("moto_version".into(), v.as_str().into());
    }
    out.insert("runs".into(), m.runs.into());
    out.insert("commands".into(), commands.into());
    out.into()
}

/// The measurement as an aligned table.
pub fn to_text(m: &Measurement) -> String {
    let moto = m.moto_version.as_deref().unwrap_or("version unknown");
    let mut out = format!(
        "xefs against moto {moto} (real time, {} run{}; moto answers at once, so this is xefs's \
         own cost, not AWS's latency)\n\n",
        m.runs,
        if m.runs == 1 { "" } else { "s" }
    );
    let width = m.commands.iter().map(|c| c.label.len()).max().unwrap_or(0);
    out += &format!(
        "{:<width$}  {:>9}  {:>9}  {:>9}  {:>9}\n",
        "command", "median s", "max s", "peak RSS", "AWS calls"
    );
    for c in &m.commands {
        let rss = c.peak_rss_bytes.map_or_else(
            || "n/a".into(),
            |b| format!("{:.1} MiB", b as f64 / 1_048_576.0),
        );
        let calls = c.aws_calls.map_or_else(|| "-".into(), |n| n.to_string());
        out += &format!(
            "{:<width$}  {:>9.3}  {:>9.3}  {rss:>9}  {calls:>9}\n",
            c.label, c.median_wall_seconds, c.max_wall_seconds
        );
    }
    out
}

/// One run of one command.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall_seconds: f64,
    peak_rss_bytes: Option<u64>,
    aws_calls: Option<u64>,
}

/// A directory with the world's config and credentials. moto answers DeleteFileSystemPolicy
/// with HTTP 500, so the file system policy is left out (as the CLI's moto tests do).
fn stack_dir(world: &TwoAccountWorld, stack: &str) -> Result<tempfile::TempDir, String> {
    let io = |e: std::io::Error| format!("prepare the stack's directory: {e}");
    let dir = tempfile::Builder::new()
        .prefix("xefs-bench-moto-")
        .tempdir()
        .map_err(io)?;
    let config = world.spec_toml(stack) + "\n[efs]\nfile_system_policy = false\n";
    std::fs::write(dir.path().join("xefs.toml"), config).map_err(io)?;
    std::fs::write(dir.path().join("credentials"), world.credentials_file()).map_err(io)?;
    std::fs::write(dir.path().join("config"), "").map_err(io)?;
    Ok(dir)
}

/// Runs `xefs args` in `dir` against the world's moto, with nothing from the caller's AWS
/// setup or the guide's variables leaking in.
fn run_one(
    xefs: &Path,
    world: &TwoAccountWorld,
    dir: &Path,
    args: &[&str],
) -> Result<Sample, String> {
    let mut cmd = Command::new(xefs);
    cmd.args(args)
        .current_dir(dir)
        .env(PEAK_RSS_ENV, "1")
        .env("AWS_ENDPOINT_URL", world.endpoint())
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
        .env("AWS_CONFIG_FILE", dir.join("config"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for var in [
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ]
    .into_iter()
    .chain(ENV_OVERRIDES.iter().map(|(_, var)| *var))
    {
        cmd.env_remove(var);
    }
    let started = Instant::now();
    let o = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", xefs.display()))?;
    let wall_seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&o.stderr);
    if !o.status.success() {
        return Err(format!("{}; its stderr:\n{stderr}", o.status));
    }
    let peak_rss_bytes = stderr
        .lines()
        .find_map(|l| l.strip_prefix(PEAK_RSS_LINE)?.trim().parse().ok());
    let aws_calls = serde_json::from_slice::<Value>(&o.stdout)
        .ok()
        .and_then(|v| Some(v["calls"]["reads"].as_u64()? + v["calls"]["writes"].as_u64()?));
    Ok(Sample {
        wall_seconds,
        peak_rss_bytes,
        aws_calls,
    })
}

fn summarize(label: &'static str, samples: &[Sample]) -> Summary {
    let mut walls: Vec<f64> = samples.iter().map(|s| s.wall_seconds).collect();
    walls.sort_by(f64::total_cmp);
    let mid = walls.len() / 2;
    let median = if walls.len().is_multiple_of(2) {
        (walls[mid - 1] + walls[mid]) / 2.0
    } else {
        walls[mid]
    };
    Summary {
        label,
        median_wall_seconds: median,
        max_wall_seconds: walls.last().copied().unwrap_or_default(),
        peak_rss_bytes: samples.iter().filter_map(|s| s.peak_rss_bytes).max(),
        aws_calls: samples.iter().filter_map(|s| s.aws_calls).max(),
    }
}

/// moto's version from the Python that has it installed (about 0.4 s), if any.
fn moto_version() -> Option<String> {
    let o = Command::new("python3")
        .args(["-c", "import moto; print(moto.__version__)"])
        .output()
        .ok()?;
    let version = String::from_utf8(o.stdout).ok()?.trim().to_owned();
    (o.status.success() && !version.is_empty()).then_some(version)
}
