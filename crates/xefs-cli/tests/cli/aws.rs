//! `plan`, `apply`, `destroy`, `status` and `doctor` against moto, as a script runs them: the real
//! binary, credentials from profiles in a shared credentials file, the endpoint from
//! `AWS_ENDPOINT_URL`.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;
use xefs_moto::TwoAccountWorld;

use super::{stderr, xefs};

/// A world, its config on disk, and a state directory.
struct Stack {
    world: TwoAccountWorld,
    dir: TempDir,
}

impl Stack {
    async fn new(name: &str) -> Stack {
        let world = TwoAccountWorld::build().await;
        let dir = TempDir::new().unwrap();
        // moto answers DeleteFileSystemPolicy with HTTP 500: leave the policy out here.
        let config = world.spec_toml(name) + "\n[efs]\nfile_system_policy = false\n";
        std::fs::write(dir.path().join("xefs.toml"), config).unwrap();
        std::fs::write(dir.path().join("credentials"), world.credentials_file()).unwrap();
        std::fs::write(dir.path().join("config"), "").unwrap();
        Stack { world, dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `xefs <args> --config … --state …` with the world's credentials and endpoint.
    fn xefs(&self, args: &[&str]) -> Command {
        let mut cmd = self.stateless(args);
        cmd.arg("--state").arg(self.path("state"));
        cmd
    }

    /// `xefs <args> --config …` (for `doctor`, which keeps no state).
    fn stateless(&self, args: &[&str]) -> Command {
        let mut cmd = xefs();
        cmd.current_dir(self.dir.path())
            .args(args)
            .arg("--config")
            .arg(self.path("xefs.toml"))
            .env("AWS_ENDPOINT_URL", self.world.endpoint())
            .env("AWS_SHARED_CREDENTIALS_FILE", self.path("credentials"))
            .env("AWS_CONFIG_FILE", self.path("config"))
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.xefs(args).output().unwrap()
    }
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&o.stdout),
            stderr(o)
        )
    })
}

fn file_systems(world: &TwoAccountWorld, token: &str) -> usize {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        world
            .storage
            .efs()
            .describe_file_systems()
            .creation_token(token)
            .send()
            .await
            .unwrap()
            .file_systems()
            .len()
    })
}

fn world(name: &str) -> Stack {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(Stack::new(name))
}

#[test]
fn plan_apply_noop_status_destroy_through_the_binary() {
    let stack = world("cli-flow");

    // A pending plan: --detailed-exitcode says so with 2.
    let plan = stack.run(&[
        "plan",
        "--phase",
        "aws",
        "--detailed-exitcode",
        "--output",
        "json",
    ]);
    assert_eq!(plan.status.code(), Some(2), "{}", stderr(&plan));
    let planned = json(&plan);
    assert_eq!(planned["has_changes"], true);
    assert_eq!(planned["summary"]["created"], 13, "{planned:#}");
    assert_eq!(planned["summary"]["not_applicable"], 1, "{planned:#}");
    assert_eq!(planned["calls"]["writes"], 0);

    // The same plan for people: grouped by account, Terraform's markers, the skipped step's
    // reason.
    let text = stack.run(&["plan", "--phase", "aws"]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    println!("{text}");
    for expected in [
        "AWS account A (cluster)\n",
        "AWS account B (storage)\n",
        "  <= cluster.discovery  ",
        "  +  storage.efs.file-system  ",
        "  /  cluster.iam.efs-client-access  ",
        "skipped: no worker-node role is known",
        "Plan: 13 to create, 0 to update, 0 to adopt, 0 unchanged, 3 to read, 1 not applicable.",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }

    // Without a terminal, apply refuses without --yes, before any call.
    let refused = stack.run(&["apply", "--phase", "aws"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("--yes"), "{}", stderr(&refused));

    let apply = stack.run(&["apply", "--phase", "aws", "--yes", "--output", "json"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    let applied = json(&apply);
    assert_eq!(applied["success"], true);
    assert_eq!(applied["summary"]["created"], 13, "{applied:#}");
    assert_eq!(applied["summary"]["not_applicable"], 1);
    assert!(applied["calls"]["writes"].as_u64().unwrap() > 0);
    assert_eq!(file_systems(&stack.world, "cli-flow"), 1);
    // Progress went to stderr, one line per step.
    assert!(
        stderr(&apply).contains("✓ storage.efs.file-system: created"),
        "{}",
        stderr(&apply)
    );

    // A second apply: nothing to change, no write.
    let again = json(&stack.run(&["apply", "--phase", "aws", "--yes", "--output", "json"]));
    assert_eq!(again["summary"]["created"], 0, "{again:#}");
    assert_eq!(again["summary"]["updated"], 0);
    assert_eq!(again["calls"]["writes"], 0, "{again:#}");
    let plan = stack.run(&["plan", "--phase", "aws", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    assert!(String::from_utf8_lossy(&plan.stdout).contains("No changes"));

    // Status reads the journal only.
    let status = Command::cargo_bin("xefs")
        .unwrap()
        .args(["status", "--output", "json", "--config"])
        .arg(stack.path("xefs.toml"))
        .arg("--state")
        .arg(stack.path("state"))
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
    let recorded = json(&status);
    assert_eq!(
        recorded["resources"]["storage.efs.file-system"]["ownership"],
        "created"
    );

    let destroy = stack.run(&["destroy", "--phase", "aws", "--yes", "--output", "json"]);
    assert_eq!(destroy.status.code(), Some(0), "{}", stderr(&destroy));
    let destroyed = json(&destroy);
    assert_eq!(destroyed["summary"]["deleted"], 13, "{destroyed:#}");
    assert_eq!(file_systems(&stack.world, "cli-flow"), 0);
}

#[test]
fn a_wrong_account_is_refused_with_both_ids_and_nothing_is_written() {
    let stack = world("cli-wrong");
    let config = std::fs::read_to_string(stack.path("xefs.toml"))
        .unwrap()
        .replacen(
            &format!("account_id = \"{}\"", stack.world.storage.id),
            "account_id = \"999999999999\"",
            1,
        );
    std::fs::write(stack.path("xefs.toml"), config).unwrap();
    let o = stack.run(&["apply", "--phase", "aws", "--yes"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("999999999999") && err.contains(stack.world.storage.id.as_str()),
        "{err}"
    );
    assert_eq!(file_systems(&stack.world, "cli-wrong"), 0);
    assert!(
        !Path::new(&stack.path("state").join("cli-wrong").join("journal.jsonl")).exists()
            || std::fs::read_to_string(stack.path("state").join("cli-wrong").join("journal.jsonl"))
                .unwrap()
                .is_empty()
    );
}

#[test]
fn the_cluster_phases_need_a_kubeconfig_and_say_how_to_get_one() {
    let stack = world("cli-phase");
    let o = stack
        .xefs(&["plan"])
        .env("KUBECONFIG", stack.path("no-such-kubeconfig"))
        .env("HOME", stack.path("home"))
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("oc login"), "{err}");
    // --phase aws needs no cluster: the same config plans fine.
    let aws = stack.run(&["plan", "--phase", "aws"]);
    assert_eq!(aws.status.code(), Some(0), "{}", stderr(&aws));
}

/// The checks a doctor report failed, as `(check, resource)`.
fn failed_checks(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "failed")
        .map(|f| {
            (
                f["check"].as_str().unwrap().to_owned(),
                f["resource"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn doctor_passes_before_and_after_apply_and_names_a_deleted_route() {
    let stack = world("cli-doctor");
    let doctor = |extra: &[&str]| {
        let mut args = vec!["doctor", "--phase", "aws"];
        args.extend_from_slice(extra);
        stack.stateless(&args).output().unwrap()
    };

    // Before apply: a preflight. Nothing fails; what apply creates is skipped, not failed.
    let before = doctor(&["--output", "json"]);
    assert_eq!(before.status.code(), Some(0), "{}", stderr(&before));
    let report = json(&before);
    assert_eq!(report["ok"], true, "{report:#}");
    assert!(
        report["summary"]["skipped"].as_u64().unwrap() > 0,
        "{report:#}"
    );
    assert!(
        report["summary"]["passed"].as_u64().unwrap() > 0,
        "{report:#}"
    );
    assert_eq!(report["calls"]["writes"], 0);

    let apply = stack.run(&["apply", "--phase", "aws", "--yes"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));

    // After apply: the full path and IAM checks pass, with no write.
    let snapshot = stack.path("snapshot.json");
    let after = doctor(&[
        "--output",
        "json",
        "--save-snapshot",
        snapshot.to_str().unwrap(),
    ]);
    assert_eq!(after.status.code(), Some(0), "{}", stderr(&after));
    let report = json(&after);
    assert!(failed_checks(&report).is_empty(), "{report:#}");
    // `--phase aws`: only the cluster's checks are skipped.
    for f in report["findings"].as_array().unwrap() {
        if f["status"] == "skipped" {
            assert!(
                f["message"].as_str().unwrap().contains("--phase aws"),
                "{f:#}"
            );
        }
    }
    assert_eq!(report["calls"]["writes"], 0);
    for check in [
        "route-to-peer",
        "route-back",
        "nfs-ingress",
        "assume-cross-account-role",
    ] {
        assert!(
            report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["check"] == check && f["status"] == "passed"),
            "{check} did not pass: {report:#}"
        );
    }

    // Behind xefs's back, A's route to B goes: doctor names that route table, and only it.
    let table = stack.world.cluster.main_route_table.to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        stack
            .world
            .cluster
            .ec2()
            .delete_route()
            .route_table_id(&table)
            .destination_cidr_block(stack.world.storage.vpc_cidr.to_string())
            .send()
            .await
            .unwrap();
    });
    let broken = doctor(&[]);
    assert_eq!(broken.status.code(), Some(1), "{}", stderr(&broken));
    let text = String::from_utf8_lossy(&broken.stdout).into_owned();
    println!("{text}");
    assert!(text.contains("FAIL  route-to-peer"), "{text}");
    assert!(text.contains(&table), "{text}");
    assert!(text.contains("fix: "), "{text}");
    let report = json(&doctor(&["--output", "json"]));
    let failed = failed_checks(&report);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "route-to-peer");
    assert!(failed[0].1.contains(&table), "{failed:?}");

    // The snapshot saved while it worked still passes offline: no credentials needed.
    let offline = xefs()
        .args(["doctor", "--from-snapshot"])
        .arg(&snapshot)
        .arg("--config")
        .arg(stack.path("xefs.toml"))
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    assert_eq!(offline.status.code(), Some(0), "{}", stderr(&offline));

    let destroy = stack.run(&["destroy", "--phase", "aws", "--yes"]);
    assert_eq!(destroy.status.code(), Some(0), "{}", stderr(&destroy));
}

#[test]
fn init_reads_account_a_from_the_default_credentials_and_warns_without_a_cluster() {
    let stack = world("cli-init");
    let config = stack.path("init.toml");
    let o = xefs()
        .args(["init", "--config"])
        .arg(&config)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", stack.world.endpoint())
        .env("AWS_SHARED_CREDENTIALS_FILE", stack.path("credentials"))
        .env("AWS_CONFIG_FILE", stack.path("config"))
        // The default chain, through account A's profile of the world's credentials file.
        .env("AWS_PROFILE", "xefs-cluster")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("KUBECONFIG", stack.path("no-such-kubeconfig"))
        .env("HOME", stack.path("home"))
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let account = stack.world.cluster.id.to_string();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        out.contains(&format!("cluster.account_id  {account}")),
        "{out}"
    );
    assert!(out.contains("discovered: sts:GetCallerIdentity"), "{out}");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains(&format!(
            "\naccount_id = \"{account}\"  # discovered: sts:GetCallerIdentity"
        )),
        "{text}"
    );
    // No cluster: a warning naming what could not be discovered and how to fix it, not an error.
    let err = stderr(&o);
    assert!(
        err.contains("warning: cluster.name, stack.region, cluster.oidc_provider"),
        "{err}"
    );
    assert!(err.contains("oc login"), "{err}");
    assert!(out.contains("Still to fill in"), "{out}");
    assert!(out.contains("cluster.vpc_id"), "{out}");
}
