//! The whole checklist: a correct snapshot passes everything, a snapshot before apply passes or
//! skips everything, network breaks surface through `diagnose` alone, and the formats are
//! stable.

use crate::doctor::fixture::{Case, before_apply, check_invariants, correct, run};
use crate::doctor::network::tests::{id, peer, table, tcp};
use crate::doctor::{
    CheckGroup, CheckId, DoctorSnapshot, Finding, Findings, RouteTargetState, Status, diagnose,
};

const CASES: &[Case] = &[
    Case {
        name: "correct snapshot",
        base: correct,
        breaks: |_| {},
        expect: &[],
        says: &[],
    },
    Case {
        name: "NFS opened on A's side, none on the mount targets' group",
        base: correct,
        breaks: |s| {
            let n = s.network.as_mut().expect("fixture has a network");
            n.storage.security_groups[1].ingress.clear();
            n.cluster.security_groups[0]
                .ingress
                .push(tcp(2049, 2049, "10.1.0.0/16"));
        },
        expect: &[(
            CheckId::NfsIngress,
            Status::Failed,
            "security group sg-0b000001 in account 222222222222",
        )],
        says: &["2049 is opened on A's group sg-0a000001 instead"],
    },
    Case {
        name: "mount target in B's default VPC",
        base: correct,
        breaks: |s| {
            let mt = &mut s.network.as_mut().expect("network").mount_targets[1];
            mt.vpc = id("vpc-0d000001");
            mt.subnet = id("subnet-0d000002");
        },
        expect: &[(
            CheckId::MountTargetVpc,
            Status::Failed,
            "mount target fsmt-0b000002 in account 222222222222",
        )],
        says: &["not in the peered VPC vpc-0b000001"],
    },
    Case {
        name: "no route from A to B",
        base: correct,
        breaks: |s| {
            let n = s.network.as_mut().expect("network");
            table(&mut n.cluster, "rtb-0a000001")
                .routes
                .retain(|r| r.target != peer());
        },
        expect: &[(
            CheckId::RouteToPeer,
            Status::Failed,
            "route table rtb-0a000001 in account 111111111111",
        )],
        says: &["--destination-cidr-block 10.1.0.0/16 --vpc-peering-connection-id pcx-0c000001"],
    },
    Case {
        name: "no route back from B to A",
        base: correct,
        breaks: |s| {
            let n = s.network.as_mut().expect("network");
            table(&mut n.storage, "rtb-0b000000")
                .routes
                .retain(|r| r.target != peer());
        },
        expect: &[(
            CheckId::RouteBack,
            Status::Failed,
            "route table rtb-0b000000 in account 222222222222",
        )],
        says: &["--destination-cidr-block 10.0.0.0/16 --vpc-peering-connection-id pcx-0c000001"],
    },
    Case {
        name: "peering pending acceptance",
        base: correct,
        breaks: |s| {
            if let Some(p) = &mut s.network.as_mut().expect("network").peering {
                p.status = "pending-acceptance".to_owned();
            }
        },
        expect: &[(
            CheckId::PeeringActive,
            Status::Failed,
            "VPC peering pcx-0c000001",
        )],
        says: &["accept-vpc-peering-connection --vpc-peering-connection-id pcx-0c000001"],
    },
    Case {
        name: "a worker AZ id without a mount target",
        base: correct,
        breaks: |s| {
            s.network
                .as_mut()
                .expect("network")
                .mount_targets
                .retain(|mt| mt.az_id.as_str() != "use1-az4");
        },
        expect: &[(CheckId::AzAlignment, Status::Warned, "AZ id use1-az4")],
        says: &["--subnet-id subnet-0b000004"],
    },
    Case {
        name: "after apply, the network could not be read: skipped, the VPC fails",
        base: correct,
        breaks: |s| {
            s.network = None;
            s.storage_account.vpc.cidrs = None;
        },
        expect: &[(
            CheckId::VpcCidr,
            Status::Failed,
            "VPC vpc-0b000001 in account 222222222222",
        )],
        says: &["`storage.vpc_id`"],
    },
    Case {
        name: "before apply, nothing apply creates is failed",
        base: before_apply,
        breaks: |_| {},
        expect: &[],
        says: &[],
    },
];

#[test]
fn each_break_is_reported_on_its_resource_and_nothing_else() {
    run(CASES);
}

#[test]
fn the_correct_snapshot_passes_every_check_without_skipping_any() {
    let findings = diagnose(&correct());
    check_invariants("correct", &findings);
    let not_passed: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.status != Status::Passed)
        .collect();
    assert_eq!(not_passed, Vec::<&Finding>::new());
    // Every check but worker-subnet (which only fails) appears.
    for check in CheckId::ALL {
        let n = findings.iter().filter(|f| f.check == check).count();
        assert_eq!(
            n > 0,
            check != CheckId::WorkerSubnet,
            "{check}: {findings:#?}"
        );
    }
    let count = |check: CheckId| findings.iter().filter(|f| f.check == check).count();
    let table: &[(CheckId, usize)] = &[
        (CheckId::Credentials, 2),
        (CheckId::VpcCidr, 2),
        (CheckId::CidrOverlap, 1),
        (CheckId::OidcProvider, 1),
        (CheckId::ServiceAccountIssuer, 1),
        (CheckId::StorageZones, 3),
        (CheckId::CsiRole, 1),
        (CheckId::CrossAccountRole, 1),
        (CheckId::CsiTrust, 1),
        (CheckId::AssumeCrossAccountRole, 1),
        (CheckId::DriverPermissions, 1),
        (CheckId::FileSystem, 1),
        (CheckId::FileSystemPolicy, 1),
        (CheckId::CloudCredentialsSecret, 1),
        (CheckId::CsiDriver, 1),
        (CheckId::CrossAccountSecret, 1),
        (CheckId::StorageClass, 1),
    ];
    for &(check, n) in table {
        assert_eq!(count(check), n, "{check}: {findings:#?}");
    }
}

#[test]
fn before_apply_every_post_apply_check_is_skipped_once_and_preflight_runs() {
    let findings = diagnose(&before_apply());
    assert!(findings.is_ok());
    assert_eq!(findings.warned().count(), 0, "{findings:#?}");
    for f in &findings {
        let preflight = f.check.group() == CheckGroup::Preflight;
        let want = if preflight {
            Status::Passed
        } else {
            Status::Skipped
        };
        assert_eq!(f.status, want, "{f:?}");
        if !preflight {
            assert!(f.message.contains("`xefs apply`"), "{f:?}");
        }
    }
    // One skipped finding per post-apply check, each check once.
    let skipped: Vec<CheckId> = findings.skipped().map(|f| f.check).collect();
    let post_apply: Vec<CheckId> = CheckId::ALL
        .into_iter()
        .filter(|c| c.group() != CheckGroup::Preflight)
        .collect();
    assert_eq!(skipped, post_apply);
    let skipped_role = findings
        .iter()
        .find(|f| f.check == CheckId::CsiRole)
        .expect("csi-role listed");
    assert_eq!(
        skipped_role.resource,
        "IAM role sts-cluster-aws-efs-csi-operator in account 111111111111"
    );
    assert_eq!(
        skipped_role.message,
        "not created yet: `xefs apply` creates it"
    );
}

#[test]
fn without_the_cluster_its_checks_are_skipped_and_the_rest_runs() {
    let mut s = correct();
    s.cluster = None;
    let findings = diagnose(&s);
    let skipped: Vec<CheckId> = findings.skipped().map(|f| f.check).collect();
    assert_eq!(
        skipped,
        [
            CheckId::ServiceAccountIssuer,
            CheckId::CloudCredentialsSecret,
            CheckId::CsiDriver,
            CheckId::CrossAccountSecret,
            CheckId::StorageClass,
        ]
    );
    assert!(
        findings
            .skipped()
            .all(|f| f.message.contains("`--phase aws`"))
    );
    assert_eq!(findings.failed().count() + findings.warned().count(), 0);
}

#[test]
fn status_orders_and_serializes_as_documented() {
    let all = [
        Status::Passed,
        Status::Skipped,
        Status::Warned,
        Status::Failed,
    ];
    assert!(all.is_sorted());
    for (status, name) in all
        .into_iter()
        .zip(["passed", "skipped", "warned", "failed"])
    {
        assert_eq!(status.to_string(), name);
        assert_eq!(serde_json::to_value(status).expect("serializes"), name);
    }
    let findings = Findings::from(vec![Finding::skipped(
        CheckId::FileSystem,
        "EFS file system of the stack in account 222222222222",
        "not created yet: `xefs apply` creates it",
    )]);
    assert!(findings.is_ok(), "a skip is not a failure");
    assert_eq!(findings.skipped().count(), 1);
}

#[test]
fn check_ids_are_unique_kebab_case_and_serialize_as_their_names() {
    let mut names: Vec<&str> = CheckId::ALL.iter().map(|c| c.as_str()).collect();
    for check in CheckId::ALL {
        assert_eq!(
            serde_json::to_value(check).expect("serializes"),
            check.as_str()
        );
        assert!(
            check
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{check}"
        );
    }
    // `ALL` is in declaration (= checklist) order and groups are contiguous.
    assert!(CheckId::ALL.is_sorted());
    assert!(CheckId::ALL.map(CheckId::group).is_sorted());
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CheckId::ALL.len());
}

#[test]
fn the_snapshot_and_the_findings_round_trip_through_json() {
    for snapshot in [correct(), before_apply()] {
        let json = serde_json::to_string_pretty(&snapshot).expect("serializes");
        let back: DoctorSnapshot = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, snapshot);
        let findings = diagnose(&snapshot);
        let json = serde_json::to_string(&findings).expect("serializes");
        let back: Findings = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, findings);
    }
    // The documented shape of one finding.
    let f = Finding::skipped(CheckId::CsiTrust, "r", "m");
    assert_eq!(
        serde_json::to_value(&f).expect("serializes"),
        serde_json::json!({
            "check": "csi-trust", "status": "skipped", "resource": "r", "message": "m", "fix": null
        })
    );
}

#[test]
fn a_route_to_another_peering_fails_after_apply() {
    // Routes are checked against the peering found, not any peering.
    let mut s = correct();
    let n = s.network.as_mut().expect("network");
    table(&mut n.cluster, "rtb-0a000000").routes[1].target =
        RouteTargetState::Peering(id("pcx-0e000001"));
    let findings = diagnose(&s);
    let failed: Vec<&Finding> = findings.failed().collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0].check, CheckId::RouteToPeer);
}
