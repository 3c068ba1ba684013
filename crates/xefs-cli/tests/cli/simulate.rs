//! `--simulate` and `xefs demo` through the binary: the commands a user runs, on the simulated
//! clouds kept in the state directory between them.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{EXAMPLE, stderr, xefs};

fn json(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&o.stdout),
            stderr(o)
        )
    })
}

#[test]
fn demo_runs_the_whole_procedure_in_seconds() {
    let started = Instant::now();
    let o = xefs().arg("demo").output().unwrap();
    let elapsed = started.elapsed();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for expected in [
        "==> xefs plan --simulate",
        "==> xefs apply --simulate --yes",
        "Apply complete: 22 created",
        "==> xefs verify --simulate",
        "Verify: a pod wrote to the volume and another read it back.",
        "==> xefs doctor --simulate",
        "0 failed, 0 warned",
        "==> xefs destroy --simulate --yes",
        "Destroy complete: 22 deleted",
        "Demo complete: ",
    ] {
        assert!(out.contains(expected), "{expected:?} missing from:\n{out}");
    }
    // The bound is 15 s; the simulated clock makes it far less.
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    // Progress went to stderr, with the simulated durations.
    assert!(
        stderr(&o).contains("✓ storage.efs.mount-targets: created"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn simulated_commands_share_one_world_through_the_state_directory() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("xefs.toml");
    std::fs::write(&config, EXAMPLE).unwrap();
    let run = |args: &[&str]| {
        xefs()
            .args(args)
            .arg("--config")
            .arg(&config)
            .arg("--state")
            .arg(dir.path().join("state"))
            .arg("--simulate")
            .output()
            .unwrap()
    };

    let plan = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(2), "{}", stderr(&plan));

    let apply = run(&["apply", "--yes", "--output", "json"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    let applied = json(&apply);
    assert_eq!(applied["summary"]["created"], 22, "{applied:#}");
    assert!(applied["calls"]["writes"].as_u64().unwrap() > 0);
    let world = dir.path().join("state/demo/simulation.json");
    assert!(world.exists());

    // The next commands see what apply made.
    let plan = run(&["plan", "--phase", "aws,cluster", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let verify = run(&["verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
    assert!(String::from_utf8_lossy(&verify.stdout).contains("claim bound"));
    let doctor = run(&["doctor", "--output", "json"]);
    assert_eq!(doctor.status.code(), Some(0), "{}", stderr(&doctor));
    let report = json(&doctor);
    assert_eq!(report["ok"], true);
    assert_eq!(report["summary"]["failed"], 0, "{report:#}");
    assert_eq!(report["summary"]["skipped"], 0, "{report:#}");
    let status = run(&["status"]);
    assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("Simulated world at t+"), "{text}");
    assert!(text.contains("OpenShift cluster: "), "{text}");

    let destroy = run(&["destroy", "--yes", "--output", "json"]);
    assert_eq!(destroy.status.code(), Some(0), "{}", stderr(&destroy));
    assert_eq!(json(&destroy)["summary"]["deleted"], 22);

    // A damaged world is a clear error naming the file and the way out, not a new world.
    std::fs::write(&world, "{}").unwrap();
    let broken = run(&["plan"]);
    assert_eq!(broken.status.code(), Some(1), "{}", stderr(&broken));
    assert!(
        stderr(&broken).contains("simulation.json"),
        "{}",
        stderr(&broken)
    );
    assert!(stderr(&broken).contains("delete it"), "{}", stderr(&broken));
}
