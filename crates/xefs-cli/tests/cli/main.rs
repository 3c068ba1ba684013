//! The `xefs` binary as users and their scripts see it: files, exit codes, messages, help.

#![allow(clippy::unwrap_used)] // a test helper may panic: that is the failure report

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

mod aws;
mod bench_moto;
mod simulate;

const EXAMPLE: &str = include_str!("../../../../examples/xefs.toml");

pub(crate) fn xefs() -> Command {
    let mut cmd = Command::cargo_bin("xefs").expect("the xefs binary is built");
    // The guide's variables would override the config: keep the tests hermetic.
    for var in [
        "CLUSTER_NAME",
        "AWS_REGION",
        "AWS_ACCOUNT_A_ID",
        "AWS_ACCOUNT_B_ID",
        "AWS_ACCOUNT_A_VPC_CIDR",
        "AWS_ACCOUNT_B_VPC_CIDR",
        "ACCOUNT_A_VPC_ID",
        "ACCOUNT_B_VPC_ID",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1").env("COLUMNS", "100");
    cmd
}

/// `xefs render --config CONFIG --out OUT`, ready for more environment.
fn render(config: &Path, out: &Path) -> Command {
    let mut cmd = xefs();
    cmd.args(["render", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out);
    cmd
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(
                    p.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    out.sort();
    out
}

#[test]
fn render_writes_documents_manifests_script_and_plan() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("xefs.toml");
    std::fs::write(&config, EXAMPLE).unwrap();
    let out = dir.path().join("rendered");
    let o = render(&config, &out).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let files = files_under(&out);
    for needed in [
        "plan.json",
        "procedure.sh",
        "iam/cluster.iam.csi-policy.json",
        "iam/cluster.iam.csi-role.trust.json",
        "iam/storage.iam.cross-account-policy.json",
        "iam/storage.iam.cross-account-role.trust.json",
        "iam/storage.efs.file-system-policy.json",
        "iam/caller-account-a.json",
        "iam/caller-account-b.json",
    ] {
        assert!(
            files.iter().any(|f| f == needed),
            "{needed} missing from {files:?}"
        );
    }
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("manifests/") && f.ends_with("storage-class.yaml"))
    );
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("plan.json")).unwrap()).unwrap();
    assert_eq!(plan["schema_version"], 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.join("procedure.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "procedure.sh is not executable");
    }
}

#[test]
fn bad_config_exits_2_names_every_key_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("xefs.toml");
    let bad = EXAMPLE
        .replacen(
            "vpc_cidr = \"10.1.0.0/16\"",
            "vpc_cidr = \"10.0.128.0/17\"",
            1,
        )
        .replacen("[storage]", "[storage]\nvpc_cdir = \"10.1.0.0/16\"", 1);
    assert_ne!(
        bad, EXAMPLE,
        "the example changed: update this test's edits"
    );
    std::fs::write(&config, bad).unwrap();
    let out = dir.path().join("rendered");
    let o = render(&config, &out)
        .env("AWS_ACCOUNT_A_ID", "12345")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("storage.vpc_cdir") && err.contains("did you mean `vpc_cidr`"),
        "{err}"
    );
    assert!(
        err.contains("cluster.account_id (from AWS_ACCOUNT_A_ID)"),
        "{err}"
    );
    assert!(err.contains("overlaps"), "{err}");
    assert!(!out.exists(), "a bad config must write nothing");
}

#[test]
fn missing_config_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = render(&dir.path().join("nope.toml"), dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope.toml"), "{}", stderr(&o));
}

#[test]
fn usage_errors_exit_2() {
    let o = xefs().args(["render"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn help_texts() {
    for args in [
        vec!["--help"],
        vec!["render", "--help"],
        vec!["plan", "--help"],
        vec!["apply", "--help"],
        vec!["destroy", "--help"],
        vec!["status", "--help"],
        vec!["doctor", "--help"],
        vec!["verify", "--help"],
        vec!["demo", "--help"],
        vec!["bench", "--help"],
        vec!["init", "--help"],
        vec!["completions", "--help"],
    ] {
        let o = xefs().args(&args).output().unwrap();
        assert!(o.status.success());
        let name = format!("help_{}", args.join("_").replace("--", ""));
        insta::assert_snapshot!(name, String::from_utf8_lossy(&o.stdout));
    }
}

/// Every subcommand, as `xefs --help` lists them.
const SUBCOMMANDS: &[&str] = &[
    "demo",
    "bench",
    "init",
    "render",
    "plan",
    "apply",
    "verify",
    "destroy",
    "status",
    "doctor",
    "completions",
];

#[test]
fn completions_cover_every_subcommand_in_every_shell() {
    let help = String::from_utf8_lossy(&xefs().arg("--help").output().unwrap().stdout).into_owned();
    for name in SUBCOMMANDS {
        assert!(
            help.contains(&format!("\n  {name} ")),
            "{name} missing from:\n{help}"
        );
    }
    let o = xefs().args(["completions", "bash"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bash = String::from_utf8_lossy(&o.stdout);
    assert!(bash.contains("complete -F _xefs"), "{bash}");
    // The first word offers every subcommand, and each has its own case.
    let first_words = bash
        .lines()
        .find(|l| l.trim_start().starts_with("opts=\"-"))
        .unwrap_or_default();
    for name in SUBCOMMANDS {
        assert!(
            first_words.contains(&format!(" {name} ")),
            "{name} missing from {first_words}"
        );
        assert!(
            bash.contains(&format!("xefs__subcmd__{name})")),
            "{name} missing from the bash completions"
        );
    }
    for flag in [
        "--show-commands",
        "--detailed-exitcode",
        "--delete-data",
        "--no-discover",
    ] {
        assert!(
            bash.contains(flag),
            "{flag} missing from the bash completions"
        );
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let o = xefs().args(["completions", shell]).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let script = String::from_utf8_lossy(&o.stdout);
        assert!(script.contains("show-commands"), "{shell}: {script}");
    }
    let bad = xefs().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// The guide's variables, every one set.
const GUIDE_VARIABLES: &[(&str, &str)] = &[
    ("CLUSTER_NAME", "prod-rosa"),
    ("AWS_REGION", "eu-west-1"),
    ("AWS_ACCOUNT_A_ID", "123456789012"),
    ("ACCOUNT_A_VPC_ID", "vpc-0123456789abcdef0"),
    ("AWS_ACCOUNT_A_VPC_CIDR", "10.20.0.0/16"),
    ("AWS_ACCOUNT_B_ID", "210987654321"),
    ("ACCOUNT_B_VPC_ID", "vpc-0fedcba9876543210"),
    ("AWS_ACCOUNT_B_VPC_CIDR", "10.30.0.0/16"),
];

#[test]
fn init_writes_the_guides_variables_into_a_config_that_loads() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("xefs.toml");
    let mut cmd = xefs();
    cmd.args(["init", "--no-discover", "--config"]).arg(&config);
    for (var, value) in GUIDE_VARIABLES {
        cmd.env(var, value);
    }
    let o = cmd.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Next: review it, then `xefs plan"), "{out}");
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("\naccount_id = \"210987654321\"  # from AWS_ACCOUNT_B_ID\n"),
        "{text}"
    );
    assert!(
        text.contains("\nname = \"prod-rosa\"  # from cluster.name\n"),
        "{text}"
    );
    assert!(!text.contains("# TODO:"), "{text}");
    // Every comment of the example is kept.
    for line in EXAMPLE.lines().filter(|l| l.starts_with('#')) {
        assert!(text.contains(line), "lost {line:?}");
    }
    // It loads on its own, without the variables.
    let env = std::collections::BTreeMap::<String, String>::new();
    let spec = xefs_core::spec::StackSpec::load(&config, &env).unwrap();
    assert_eq!(spec.storage.account_id.as_str(), "210987654321");
    assert_eq!(spec.region.as_str(), "eu-west-1");
    assert_eq!(spec.name.as_str(), "prod-rosa");

    // A second init refuses to overwrite it (exit 2), and --force replaces it.
    let again = xefs()
        .args(["init", "--no-discover", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
    let forced = xefs()
        .args(["init", "--no-discover", "--force", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    let todo = String::from_utf8_lossy(&forced.stdout);
    assert!(
        todo.contains("Still to fill in (marked `# TODO`, the example's values until then): stack.region, cluster.name, stack.name, cluster.account_id"),
        "{todo}"
    );
    assert!(
        std::fs::read_to_string(&config)
            .unwrap()
            .contains("# TODO: account B's 12-digit id")
    );
}

#[test]
fn apply_and_destroy_without_a_terminal_need_yes_before_any_call() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("xefs.toml");
    std::fs::write(&config, EXAMPLE).unwrap();
    for command in ["apply", "destroy"] {
        // No credentials and no endpoint: any AWS call would fail with exit 1, not 2.
        let o = xefs()
            .args([command, "--phase", "aws", "--config"])
            .arg(&config)
            .arg("--state")
            .arg(dir.path().join("state"))
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{command}: {}", stderr(&o));
        assert!(stderr(&o).contains("--yes"), "{command}: {}", stderr(&o));
        assert!(
            !dir.path().join("state").exists(),
            "{command} touched the state"
        );
    }
}

#[test]
fn doctor_without_a_kubeconfig_says_how_to_skip_the_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("xefs.toml");
    std::fs::write(&config, EXAMPLE).unwrap();
    let o = xefs()
        .args(["doctor", "--config"])
        .arg(&config)
        .env("KUBECONFIG", dir.path().join("no-such-kubeconfig"))
        .env("HOME", dir.path().join("home"))
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("oc login"), "{err}");
    assert!(err.contains("--phase aws"), "{err}");
}

#[test]
fn doctor_refuses_a_file_that_is_not_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("xefs.toml");
    std::fs::write(&config, EXAMPLE).unwrap();
    let bogus = dir.path().join("snapshot.json");
    std::fs::write(&bogus, "{\"cluster_account\": 1}").unwrap();
    let o = xefs()
        .args(["doctor", "--config"])
        .arg(&config)
        .arg("--from-snapshot")
        .arg(&bogus)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("is not a doctor snapshot"), "{err}");
    assert!(err.contains("--save-snapshot"), "{err}");
}
