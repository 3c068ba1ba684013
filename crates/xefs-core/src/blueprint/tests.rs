//! Blueprint tests: structure of the DAG, and snapshots of its three renderings.

use std::collections::{BTreeMap, BTreeSet};

use super::render::{
    PlanJson, bundle, inputs_known_after_apply, plan_rows, plan_table, shell_script,
};
use super::*;
use crate::spec::StackSpec;

use crate::spec::fixtures::{MINIMAL, MINIMAL_KNOWN};

fn spec_with(extra: &str) -> StackSpec {
    // `extra` holds whole sections only, so appending it is enough.
    let text = format!("{MINIMAL}\n{extra}");
    match StackSpec::from_toml_str(&text, &BTreeMap::new()) {
        Ok(s) => s,
        Err(e) => panic!("test spec is invalid: {e}"),
    }
}

fn minimal() -> StackSpec {
    spec_with("")
}

/// Everything known up front: no cluster discovery.
fn known() -> StackSpec {
    match StackSpec::from_toml_str(MINIMAL_KNOWN, &BTreeMap::new()) {
        Ok(s) => s,
        Err(e) => panic!("test spec is invalid: {e}"),
    }
}

fn addresses(b: &Blueprint) -> Vec<&str> {
    b.steps.iter().map(|s| s.address.as_str()).collect()
}

#[test]
fn every_dependency_comes_first_and_addresses_are_unique() {
    for spec in [minimal(), known()] {
        let b = Blueprint::build(&spec);
        let mut seen = BTreeSet::new();
        for step in &b.steps {
            for dep in &step.depends_on {
                assert!(
                    seen.contains(dep),
                    "{} depends on {dep}, which is not before it",
                    step.address
                );
            }
            assert!(
                seen.insert(step.address.clone()),
                "duplicate {}",
                step.address
            );
        }
    }
}

/// The transitive dependencies of a step.
fn ancestors(b: &Blueprint, address: &Address) -> BTreeSet<Address> {
    let mut out = BTreeSet::new();
    let mut todo = vec![address.clone()];
    while let Some(a) = todo.pop() {
        if let Some(s) = b.step(&a) {
            for d in &s.depends_on {
                if out.insert(d.clone()) {
                    todo.push(d.clone());
                }
            }
        }
    }
    out
}

#[test]
fn every_input_known_after_apply_comes_from_a_direct_dependency() {
    // The engine hands a step the outputs of its direct dependencies only.
    for spec in [minimal(), known()] {
        let b = Blueprint::build(&spec);
        let mut producers: BTreeMap<String, Address> = BTreeMap::new();
        for step in &b.steps {
            for r in inputs_known_after_apply(&step.spec) {
                assert!(
                    step.depends_on.contains(&r.step),
                    "{} reads {r} but does not depend on {} directly",
                    step.address,
                    r.step
                );
                // One producer per output name, so shell variables never collide.
                let prev = producers.insert(r.output.clone(), r.step.clone());
                assert!(
                    prev.is_none_or(|p| p == r.step),
                    "output name {} has two producers",
                    r.output
                );
            }
        }
    }
}

#[test]
fn nothing_is_written_before_preflight() {
    let b = Blueprint::build(&minimal());
    let preflight = Address::parse(addr::PREFLIGHT).unwrap();
    for step in b.steps.iter().filter(|s| !s.spec.read_only()) {
        assert!(
            ancestors(&b, &step.address).contains(&preflight),
            "{} can write before preflight",
            step.address
        );
    }
}

#[test]
fn the_storage_class_waits_for_both_sides() {
    let b = Blueprint::build(&minimal());
    let sc = Address::parse(addr::STORAGE_CLASS).unwrap();
    let anc = ancestors(&b, &sc);
    for needed in [
        addr::MOUNT_TARGETS,
        addr::CSI_DRIVER,
        addr::CROSS_ACCOUNT_ATTACHMENT,
        addr::CLUSTER_ROUTES,
        addr::STORAGE_ROUTES,
        addr::SECRET_READER,
    ] {
        assert!(
            anc.contains(&Address::parse(needed).unwrap()),
            "StorageClass does not wait for {needed}"
        );
    }
    // The operator install does not wait for AWS: it runs alongside.
    let sub = Address::parse(addr::SUBSCRIPTION).unwrap();
    assert!(!ancestors(&b, &sub).contains(&Address::parse(addr::FILE_SYSTEM).unwrap()));
}

#[test]
fn destroy_reverses_apply_and_skips_reads() {
    let b = Blueprint::build(&minimal());
    let order: Vec<&Address> = b.destroy_order().map(|s| &s.address).collect();
    assert_eq!(order.first().map(|a| a.as_str()), Some(addr::VERIFY));
    assert!(order.iter().all(|a| !b.step(a).unwrap().spec.read_only()));
    for (i, a) in order.iter().enumerate() {
        // Every step that depends on `a` is removed before it.
        for dependent in b.steps.iter().filter(|s| s.depends_on.contains(a)) {
            if let Some(j) = order.iter().position(|x| **x == dependent.address) {
                assert!(
                    j < i,
                    "{} is removed after its dependency {a}",
                    dependent.address
                );
            }
        }
    }
}

#[test]
fn cluster_discovery_only_when_the_spec_lacks_its_answers() {
    assert!(addresses(&Blueprint::build(&minimal())).contains(&addr::OPENSHIFT_DISCOVERY));
    assert!(!addresses(&Blueprint::build(&known())).contains(&addr::OPENSHIFT_DISCOVERY));
}

#[test]
fn options_add_and_remove_steps() {
    let b = Blueprint::build(&spec_with(
        "[network]\npeering_dns_resolution = true\n[efs]\nfile_system_policy = false\n",
    ));
    let a = addresses(&b);
    assert!(a.contains(&addr::PEERING_DNS));
    assert!(!a.contains(&addr::FILE_SYSTEM_POLICY));
    let plain_blueprint = Blueprint::build(&minimal());
    let plain = addresses(&plain_blueprint);
    assert!(!plain.contains(&addr::PEERING_DNS));
    assert!(plain.contains(&addr::FILE_SYSTEM_POLICY));
}

#[test]
fn trust_mode_picks_the_principal() {
    let principal = |spec: &StackSpec| {
        let b = Blueprint::build(spec);
        match &b
            .step(&Address::parse(addr::CROSS_ACCOUNT_ROLE).unwrap())
            .unwrap()
            .spec
        {
            StepSpec::IamRole(IamRole {
                trust: PolicyTemplate::CrossAccountTrust { principal },
                ..
            }) => principal.to_string(),
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(
        principal(&minimal()),
        "arn:aws:iam::111111111111:role/sts-cluster-aws-efs-csi-operator"
    );
    assert_eq!(
        principal(&spec_with("[iam]\ntrust = \"account-root\"\n")),
        "arn:aws:iam::111111111111:root"
    );
}

#[test]
fn phases_select_their_steps_and_what_they_need() {
    let b = Blueprint::build(&minimal());
    let aws = b.select(&[Phase::Aws]);
    let a = addresses(&aws);
    assert!(a.contains(&addr::FILE_SYSTEM));
    assert!(!a.contains(&addr::STORAGE_CLASS));
    // The OIDC issuer comes from the cluster, so the AWS phase still reads it.
    assert!(a.contains(&addr::OPENSHIFT_DISCOVERY));
    let cluster = b.select(&[Phase::Cluster]);
    assert!(addresses(&cluster).contains(&addr::STORAGE_CLASS));
    assert!(!addresses(&cluster).contains(&addr::VERIFY));
}

use steps::IamRole;

#[test]
fn plan_table_snapshot() {
    let spec = minimal();
    insta::assert_snapshot!(plan_table(&spec, &plan_rows(&Blueprint::build(&spec))));
}

#[test]
fn plan_json_snapshot() {
    let spec = minimal();
    insta::assert_json_snapshot!(PlanJson::new(&spec, &Blueprint::build(&spec)));
}

#[test]
fn plan_json_schema_snapshot() {
    insta::assert_json_snapshot!(PlanJson::schema());
}

#[test]
fn plan_json_round_trips() {
    let spec = known();
    let plan = PlanJson::new(&spec, &Blueprint::build(&spec));
    let text = serde_json::to_string(&plan).unwrap();
    assert_eq!(serde_json::from_str::<PlanJson>(&text).unwrap(), plan);
}

#[test]
fn shell_script_snapshot() {
    let spec = minimal();
    insta::assert_snapshot!(shell_script(&spec, &Blueprint::build(&spec)));
}

#[test]
fn shell_script_is_valid_bash() {
    for spec in [
        minimal(),
        known(),
        spec_with(
            "[network]\npeering_dns_resolution = true\n[operator]\napproval = \"Manual\"\napprove_install_plan = true\n",
        ),
    ] {
        let script = shell_script(&spec, &Blueprint::build(&spec));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("procedure.sh");
        std::fs::write(&path, &script).unwrap();
        let out = std::process::Command::new("bash")
            .arg("-n")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "bash -n failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn bundle_lists_every_document_and_manifest() {
    let spec = minimal();
    let files = bundle(&spec, &Blueprint::build(&spec));
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    insta::assert_debug_snapshot!(paths);
    for f in files.iter().filter(|f| f.path.ends_with(".json")) {
        serde_json::from_str::<serde_json::Value>(&f.contents)
            .unwrap_or_else(|e| panic!("{}: {e}", f.path));
    }
}
