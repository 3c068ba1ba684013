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
fn bench_prints_its_figures_as_json() {
    let o = xefs()
        .args(["bench", "--stacks", "3", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["format_version"], 1);
    for key in ["apply", "destroy"] {
        let e = v[key]["efficiency"].as_f64().unwrap();
        assert!(e > 0.0 && e <= 1.0, "{key}: {e}");
        assert!(v[key]["critical_path_seconds"].as_f64().unwrap() > 0.0);
        assert!(v[key]["guide_sequential_seconds"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(v["noop_apply"]["writes"], 0);
    assert_eq!(v["fleet"]["stacks"], 3);
    assert_eq!(v["fleet"]["failed_stacks"], 0);
    assert!(v["fleet"]["ratio_to_bound"].is_number());
    assert!(v["calls"]["fresh_apply"]["efs"]["writes"].as_u64().unwrap() > 0);
    assert!(v["calls"]["plan_applied"]["ec2"]["reads"].as_u64().unwrap() > 0);
}

#[test]
fn bench_refuses_a_fleet_of_zero() {
    for n in ["0", "129", "many"] {
        let o = xefs().args(["bench", "--stacks", n]).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("--stacks"), "{}", stderr(&o));
    }
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

/// `xefs <args> --config <dir>/xefs.toml --state <dir>/state --simulate`.
fn simulated(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    xefs()
        .args(args)
        .arg("--config")
        .arg(dir.join("xefs.toml"))
        .arg("--state")
        .arg(dir.join("state"))
        .arg("--simulate")
        .output()
        .unwrap()
}

/// Sets the simulated size of every file system in the saved world, as data written there
/// would.
fn fill_file_systems(world: &std::path::Path, bytes: u64) {
    fn walk(v: &mut Value, bytes: u64, found: &mut usize) {
        match v {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if k == "file_systems" {
                        for fs in v.as_object_mut().into_iter().flat_map(|m| m.values_mut()) {
                            fs["size_bytes"] = bytes.into();
                            *found += 1;
                        }
                    } else {
                        walk(v, bytes, found);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, bytes, found)),
            _ => {}
        }
    }
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(world).unwrap()).unwrap();
    let mut found = 0;
    walk(&mut saved, bytes, &mut found);
    assert_eq!(
        found, 1,
        "the saved world's layout changed: update this helper"
    );
    std::fs::write(world, saved.to_string()).unwrap();
}

#[test]
fn init_discovers_the_cluster_and_account_a_and_asks_only_for_b() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("xefs.toml");
    let init = |extra: &[(&str, &str)]| {
        let mut cmd = xefs();
        cmd.args(["init", "--simulate", "--force", "--config"])
            .arg(&config)
            .arg("--state")
            .arg(dir.path().join("state"));
        for (var, value) in extra {
            cmd.env(var, value);
        }
        cmd.output().unwrap()
    };

    // Without B's values: A's side is discovered, B's keys stay the example's, marked TODO.
    let o = init(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "discovery warned:\n{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    for expected in [
        "stack.region           us-east-2",
        "discovered: Infrastructure/cluster",
        "cluster.name           sts-cluster",
        "cluster.account_id     111111111111",
        "discovered: sts:GetCallerIdentity",
        "cluster.vpc_id         vpc-0a1b2c3d4e5f60718",
        "discovered: ec2:DescribeInstances of 4 worker instance(s)",
        "cluster.vpc_cidr       10.0.0.0/16",
        "cluster.oidc_provider  oidc.xefs-sim.example/",
        "Still to fill in (marked `# TODO`, the example's values until then): storage.account_id, storage.vpc_id, storage.vpc_cidr.",
    ] {
        assert!(out.contains(expected), "{expected:?} missing from:\n{out}");
    }
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("\naccount_id = \"222222222222\"  # TODO: account B's 12-digit id"),
        "{text}"
    );
    assert!(
        text.contains("\noidc_provider = \"oidc.xefs-sim.example/"),
        "{text}"
    );

    // With B's values from the guide's variables: nothing left to do, and the file loads.
    let o = init(&[
        ("AWS_ACCOUNT_B_ID", "333333333333"),
        ("ACCOUNT_B_VPC_ID", "vpc-0f1e2d3c4b5a69788"),
        ("AWS_ACCOUNT_B_VPC_CIDR", "10.1.0.0/16"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains("Next: review it, then `xefs plan"), "{out}");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(!text.contains("# TODO:"), "{text}");
    let env = std::collections::BTreeMap::<String, String>::new();
    let spec = xefs_core::spec::StackSpec::load(&config, &env).unwrap();
    assert_eq!(spec.name.as_str(), "sts-cluster");
    assert_eq!(spec.cluster.account_id.as_str(), "111111111111");
    assert_eq!(spec.storage.account_id.as_str(), "333333333333");
    assert!(spec.cluster.oidc_provider.is_some());

    // The written config plans on the simulated clouds.
    let plan = simulated(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(2), "{}", stderr(&plan));
}

#[test]
fn plan_shows_commands_documents_and_document_diffs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("xefs.toml"), EXAMPLE).unwrap();

    let o = simulated(dir.path(), &["plan", "--show-commands", "--show-documents"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    for expected in [
        "A=(--region us-east-2)  # account A 111111111111 (cluster sts-cluster)\n",
        "\n# cluster.network.peering — VPC peering request",
        "PEERING_ID=$(aws ec2 create-vpc-peering-connection \"${A[@]}\" --vpc-id vpc-0a1b2c3d4e5f60718",
        "\n# openshift.storage-class — StorageClass efs-sc",
        "oc apply -f - <<EOF\n",
        // B's policy before the file system exists: the document with what is not known yet.
        "       document:\n",
        "file-system/(known after apply)",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // In the order apply runs them: the cluster's discovery before account A's, which uses
    // the worker instances it found.
    let discovery = text.find("\n# openshift.discovery — ").unwrap();
    assert!(
        discovery < text.find("\n# cluster.discovery — ").unwrap(),
        "{text}"
    );

    let json = json(&simulated(
        dir.path(),
        &["plan", "--show-commands", "--output", "json"],
    ));
    assert!(
        json["commands"]["storage.efs.file-system"]
            .as_str()
            .unwrap()
            .contains("aws efs create-file-system"),
        "{json:#}"
    );
    assert!(json["account_arrays"].as_str().unwrap().starts_with("A=("));

    // After apply, a trust that no longer matches the config shows as a line diff.
    let apply = simulated(dir.path(), &["apply", "--yes"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    let root_trust = EXAMPLE.replacen("trust = \"csi-role\"", "trust = \"account-root\"", 1);
    assert_ne!(root_trust, EXAMPLE);
    std::fs::write(dir.path().join("xefs.toml"), root_trust).unwrap();
    let drift = simulated(
        dir.path(),
        &["plan", "--phase", "aws", "--detailed-exitcode"],
    );
    assert_eq!(drift.status.code(), Some(2), "{}", stderr(&drift));
    let text = String::from_utf8_lossy(&drift.stdout).into_owned();
    println!("{text}");
    for expected in [
        "  ~  storage.iam.cross-account-role  IAM role cross-account-efs-role",
        "       ~ trust (- live, + desired):\n",
        "           -         \"AWS\": \"arn:aws:iam::111111111111:role/sts-cluster-aws-efs-csi-operator\"\n",
        "           +         \"AWS\": \"arn:aws:iam::111111111111:root\"\n",
        "Plan: 0 to create, 1 to update,",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

#[test]
fn destroy_shows_what_it_deletes_and_keeps_a_file_system_with_data() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("xefs.toml"), EXAMPLE).unwrap();
    let apply = simulated(dir.path(), &["apply", "--yes"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    fill_file_systems(&dir.path().join("state/demo/simulation.json"), 50 << 20);

    // Without a terminal and without --yes: refused before anything is read or deleted.
    let refused = simulated(dir.path(), &["destroy"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("--yes"), "{}", stderr(&refused));

    let destroy = simulated(dir.path(), &["destroy", "--yes"]);
    assert_eq!(destroy.status.code(), Some(1), "{}", stderr(&destroy));
    let err = stderr(&destroy);
    // What goes, from the state, before anything is deleted.
    assert!(
        err.contains("  -  storage.efs.file-system  EFS file system"),
        "{err}"
    );
    assert!(err.contains("Destroy: 22 to delete.\n"), "{err}");
    // The file system's refusal is known before anything is deleted: nothing is.
    assert!(!err.contains("deleted ("), "{err}");
    let out = String::from_utf8_lossy(&destroy.stdout).into_owned();
    println!("{out}");
    for expected in [
        "Destroy incomplete: 0 deleted, 0 kept (not created by xefs), 1 failed, 21 not run",
        "xefs::FileSystemNotEmpty",
        "× `storage.efs.file-system` failed:",
        "help: copy out what you need, then `xefs destroy --delete-data`",
    ] {
        assert!(out.contains(expected), "{expected:?} missing from:\n{out}");
    }
    let status = json(
        &xefs()
            .args(["status", "--output", "json", "--config"])
            .arg(dir.path().join("xefs.toml"))
            .arg("--state")
            .arg(dir.path().join("state"))
            .output()
            .unwrap(),
    );
    assert_eq!(
        status["resources"]["storage.efs.file-system"]["removed"], false,
        "{status:#}"
    );

    // Again, for scripts: the failure carries its diagnostic code and the fix.
    let again = simulated(dir.path(), &["destroy", "--yes", "--output", "json"]);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    let failure = &json(&again)["failures"][0];
    assert_eq!(failure["address"], "storage.efs.file-system", "{failure:#}");
    assert_eq!(failure["code"], "FileSystemNotEmpty", "{failure:#}");
    assert_eq!(
        failure["diagnostic"], "xefs::FileSystemNotEmpty",
        "{failure:#}"
    );
    assert!(
        failure["help"].as_str().unwrap().contains("--delete-data"),
        "{failure:#}"
    );

    // --delete-data lets it go.
    let delete = simulated(
        dir.path(),
        &["destroy", "--yes", "--delete-data", "--output", "json"],
    );
    assert_eq!(delete.status.code(), Some(0), "{}", stderr(&delete));
    let report = json(&delete);
    assert_eq!(report["summary"]["deleted"], 22, "{report:#}");
    assert_eq!(report["failures"], serde_json::json!([]));
}
