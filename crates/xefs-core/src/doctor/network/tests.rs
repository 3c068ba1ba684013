//! Table-driven tests: a correct snapshot passes, and each single break is reported on the
//! right resource with nothing else failed or warned.

use super::check_network;
use crate::doctor::{
    AclEntry, CheckId, Finding, Findings, IngressState, MountTargetState, NetworkAclState,
    NetworkSnapshot, PeeringState, RouteState, RouteTableState, RouteTargetState,
    SecurityGroupState, Status, SubnetState, VpcSide, WorkerPlacement,
};
use std::str::FromStr;

pub(in crate::doctor) fn id<T: FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().expect("valid test id")
}

const A: &str = "111111111111";
const B: &str = "222222222222";
const PCX: &str = "pcx-0c000001";

fn route(dest: &str, target: RouteTargetState) -> RouteState {
    RouteState {
        destination: id(dest),
        target,
        blackhole: false,
    }
}

pub(in crate::doctor) fn peer() -> RouteTargetState {
    RouteTargetState::Peering(id(PCX))
}

fn local() -> RouteTargetState {
    RouteTargetState::Other("local".to_owned())
}

fn subnet(s: &str, az: &str, cidr: &str) -> SubnetState {
    SubnetState {
        id: id(s),
        az_id: id(az),
        cidr: id(cidr),
    }
}

fn acl_entry(
    rule_number: u16,
    egress: bool,
    protocol: &str,
    ports: Option<(u16, u16)>,
    allow: bool,
) -> AclEntry {
    AclEntry {
        rule_number,
        egress,
        protocol: protocol.to_owned(),
        port_range: ports,
        cidr: id("0.0.0.0/0"),
        allow,
    }
}

/// AWS's default ACL: allow everything both ways, then the `*` deny.
fn default_acl(acl: &str) -> NetworkAclState {
    NetworkAclState {
        id: acl.to_owned(),
        subnets: vec![],
        default: true,
        entries: vec![
            acl_entry(100, false, "-1", None, true),
            acl_entry(100, true, "-1", None, true),
            acl_entry(32767, false, "-1", None, false),
            acl_entry(32767, true, "-1", None, false),
        ],
    }
}

pub(in crate::doctor) fn tcp(from: u16, to: u16, cidr: &str) -> IngressState {
    IngressState {
        protocol: "tcp".to_owned(),
        from_port: Some(from),
        to_port: Some(to),
        cidrs: vec![id(cidr)],
    }
}

fn mount_target(mt: &str, sn: &str, az: &str) -> MountTargetState {
    MountTargetState {
        id: id(mt),
        file_system: id("fs-0f000001"),
        subnet: id(sn),
        az_id: id(az),
        vpc: id("vpc-0b000001"),
        security_groups: vec![id("sg-0b000001")],
        state: "available".to_owned(),
    }
}

/// A correct stack: three worker AZ ids (use1-az1 with two subnets), subnet-0a000003 on an
/// explicit route table and the others on the main one, a mount target per AZ id in B's VPC
/// behind a group admitting 2049 from A's CIDR, default ACLs everywhere.
pub(in crate::doctor) fn correct() -> NetworkSnapshot {
    NetworkSnapshot {
        cluster: VpcSide {
            account: id(A),
            vpc: id("vpc-0a000001"),
            cidr: id("10.0.0.0/16"),
            subnets: vec![
                subnet("subnet-0a000001", "use1-az1", "10.0.1.0/24"),
                subnet("subnet-0a000002", "use1-az1", "10.0.2.0/24"),
                subnet("subnet-0a000003", "use1-az2", "10.0.3.0/24"),
                subnet("subnet-0a000004", "use1-az4", "10.0.4.0/24"),
            ],
            route_tables: vec![
                RouteTableState {
                    id: id("rtb-0a000000"),
                    main: true,
                    subnets: vec![],
                    routes: vec![
                        route("10.0.0.0/16", local()),
                        route("10.1.0.0/16", peer()),
                        route(
                            "0.0.0.0/0",
                            RouteTargetState::Other("nat-0a000001".to_owned()),
                        ),
                    ],
                },
                RouteTableState {
                    id: id("rtb-0a000001"),
                    main: false,
                    subnets: vec![id("subnet-0a000003")],
                    routes: vec![route("10.0.0.0/16", local()), route("10.1.0.0/16", peer())],
                },
            ],
            security_groups: vec![SecurityGroupState {
                id: id("sg-0a000001"),
                vpc: id("vpc-0a000001"),
                ingress: vec![tcp(443, 443, "10.0.0.0/16")],
                egress: vec![],
            }],
            network_acls: vec![default_acl("acl-0a000000")],
        },
        storage: VpcSide {
            account: id(B),
            vpc: id("vpc-0b000001"),
            cidr: id("10.1.0.0/16"),
            subnets: vec![
                subnet("subnet-0b000001", "use1-az1", "10.1.1.0/24"),
                subnet("subnet-0b000002", "use1-az2", "10.1.2.0/24"),
                subnet("subnet-0b000004", "use1-az4", "10.1.4.0/24"),
            ],
            route_tables: vec![RouteTableState {
                id: id("rtb-0b000000"),
                main: true,
                subnets: vec![],
                routes: vec![route("10.1.0.0/16", local()), route("10.0.0.0/16", peer())],
            }],
            security_groups: vec![
                SecurityGroupState {
                    id: id("sg-0b000000"),
                    vpc: id("vpc-0b000001"),
                    ingress: vec![],
                    egress: vec![],
                },
                SecurityGroupState {
                    id: id("sg-0b000001"),
                    vpc: id("vpc-0b000001"),
                    ingress: vec![tcp(2049, 2049, "10.0.0.0/16")],
                    egress: vec![],
                },
            ],
            network_acls: vec![default_acl("acl-0b000000")],
        },
        peering: Some(PeeringState {
            id: id(PCX),
            requester_vpc: id("vpc-0a000001"),
            accepter_vpc: id("vpc-0b000001"),
            status: "active".to_owned(),
        }),
        workers: vec![
            WorkerPlacement {
                subnet: id("subnet-0a000001"),
                az_id: id("use1-az1"),
            },
            WorkerPlacement {
                subnet: id("subnet-0a000002"),
                az_id: id("use1-az1"),
            },
            WorkerPlacement {
                subnet: id("subnet-0a000003"),
                az_id: id("use1-az2"),
            },
            WorkerPlacement {
                subnet: id("subnet-0a000004"),
                az_id: id("use1-az4"),
            },
        ],
        mount_targets: vec![
            mount_target("fsmt-0b000001", "subnet-0b000001", "use1-az1"),
            mount_target("fsmt-0b000002", "subnet-0b000002", "use1-az2"),
            mount_target("fsmt-0b000004", "subnet-0b000004", "use1-az4"),
        ],
    }
}

pub(in crate::doctor) fn table<'s>(side: &'s mut VpcSide, rtb: &str) -> &'s mut RouteTableState {
    let rtb: crate::ids::RouteTableId = id(rtb);
    side.route_tables
        .iter_mut()
        .find(|t| t.id == rtb)
        .expect("route table in the fixture")
}

struct Case {
    name: &'static str,
    breaks: fn(&mut NetworkSnapshot),
    /// The only findings that may be non-passed: (check, status, exact resource).
    expect: &'static [(CheckId, Status, &'static str)],
    /// A phrase the (single) reported finding's message or fix must contain.
    says: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "correct snapshot",
        breaks: |_| {},
        expect: &[],
        says: "",
    },
    Case {
        name: "NFS opened on A's side, not on the mount targets' group",
        breaks: |s| {
            s.storage.security_groups[1].ingress.clear();
            s.cluster.security_groups[0]
                .ingress
                .push(tcp(2049, 2049, "10.1.0.0/16"));
        },
        expect: &[(
            CheckId::NfsIngress,
            Status::Failed,
            "security group sg-0b000001 in account 222222222222",
        )],
        says: "2049 is opened on A's group sg-0a000001 instead",
    },
    Case {
        name: "mount targets on B's default group",
        breaks: |s| {
            for mt in &mut s.mount_targets {
                mt.security_groups = vec![id("sg-0b000000")];
            }
        },
        expect: &[(
            CheckId::NfsIngress,
            Status::Failed,
            "security group sg-0b000000 in account 222222222222",
        )],
        says: "authorize-security-group-ingress --group-id sg-0b000000 --protocol tcp --port 2049 --cidr 10.0.0.0/16",
    },
    Case {
        name: "mount target in B's default VPC",
        breaks: |s| {
            let mt = &mut s.mount_targets[1];
            mt.vpc = id("vpc-0d000001");
            mt.subnet = id("subnet-0d000002");
        },
        expect: &[(
            CheckId::MountTargetVpc,
            Status::Failed,
            "mount target fsmt-0b000002 in account 222222222222",
        )],
        says: "--subnet-id subnet-0b000002",
    },
    Case {
        name: "missing route in A's explicit table",
        breaks: |s| {
            table(&mut s.cluster, "rtb-0a000001")
                .routes
                .retain(|r| r.target != peer())
        },
        expect: &[(
            CheckId::RouteToPeer,
            Status::Failed,
            "route table rtb-0a000001 in account 111111111111",
        )],
        says: "create-route --route-table-id rtb-0a000001 --destination-cidr-block 10.1.0.0/16 --vpc-peering-connection-id pcx-0c000001",
    },
    Case {
        name: "missing route back in B",
        breaks: |s| {
            table(&mut s.storage, "rtb-0b000000")
                .routes
                .retain(|r| r.target != peer())
        },
        expect: &[(
            CheckId::RouteBack,
            Status::Failed,
            "route table rtb-0b000000 in account 222222222222",
        )],
        says: "--destination-cidr-block 10.0.0.0/16",
    },
    Case {
        name: "route to another target",
        breaks: |s| {
            table(&mut s.cluster, "rtb-0a000000").routes[1].target =
                RouteTargetState::Other("tgw-0123456789abcdef0".to_owned());
        },
        expect: &[(
            CheckId::RouteToPeer,
            Status::Failed,
            "route table rtb-0a000000 in account 111111111111",
        )],
        says: "goes to tgw-0123456789abcdef0",
    },
    Case {
        name: "blackhole route to a deleted peering",
        breaks: |s| {
            let r = &mut table(&mut s.cluster, "rtb-0a000000").routes[1];
            r.target = RouteTargetState::Peering(id("pcx-0dead000"));
            r.blackhole = true;
        },
        expect: &[(
            CheckId::RouteToPeer,
            Status::Failed,
            "route table rtb-0a000000 in account 111111111111",
        )],
        says: "blackhole: it points at pcx-0dead000, a deleted peering",
    },
    Case {
        name: "peering pending acceptance",
        breaks: |s| {
            if let Some(p) = &mut s.peering {
                p.status = "pending-acceptance".to_owned();
            }
        },
        expect: &[(
            CheckId::PeeringActive,
            Status::Failed,
            "VPC peering pcx-0c000001",
        )],
        says: "accept-vpc-peering-connection --vpc-peering-connection-id pcx-0c000001",
    },
    Case {
        name: "no peering at all",
        breaks: |s| s.peering = None,
        expect: &[(
            CheckId::PeeringActive,
            Status::Failed,
            "VPC peering between vpc-0a000001 and vpc-0b000001",
        )],
        says: "create-vpc-peering-connection",
    },
    Case {
        name: "worker AZ id without mount target (warned: works, cross-AZ, single point of failure)",
        breaks: |s| s.mount_targets.retain(|mt| mt.az_id.as_str() != "use1-az4"),
        expect: &[(CheckId::AzAlignment, Status::Warned, "AZ id use1-az4")],
        says: "--subnet-id subnet-0b000004",
    },
    Case {
        name: "ACL in B denying 2049 before the allow-all",
        breaks: |s| {
            s.storage.network_acls[0].entries.push(AclEntry {
                cidr: id("10.0.0.0/8"),
                ..acl_entry(50, false, "6", Some((2049, 2049)), false)
            });
        },
        expect: &[(
            CheckId::AclStorageSubnet,
            Status::Failed,
            "network ACL acl-0b000000 in account 222222222222",
        )],
        says: "denied by rule 50",
    },
    Case {
        name: "a deny after the allow-all changes nothing",
        breaks: |s| {
            s.storage.network_acls[0].entries.push(acl_entry(
                200,
                false,
                "6",
                Some((2049, 2049)),
                false,
            ));
        },
        expect: &[],
        says: "",
    },
    Case {
        name: "explicit ACL on a worker subnet without the return path",
        breaks: |s| {
            s.cluster.network_acls.push(NetworkAclState {
                id: "acl-0a000004".to_owned(),
                subnets: vec![id("subnet-0a000004")],
                default: false,
                entries: vec![
                    acl_entry(100, true, "6", Some((2049, 2049)), true),
                    acl_entry(100, false, "6", Some((443, 443)), true),
                ],
            });
        },
        expect: &[(
            CheckId::AclClusterSubnet,
            Status::Failed,
            "network ACL acl-0a000004 in account 111111111111",
        )],
        says: "implicit final deny",
    },
    Case {
        name: "overlapping CIDRs",
        breaks: |s| s.cluster.cidr = id("10.0.0.0/15"),
        expect: &[(
            CheckId::CidrOverlap,
            Status::Failed,
            "VPC vpc-0a000001 (10.0.0.0/15) in account 111111111111 and VPC vpc-0b000001 (10.1.0.0/16) in account 222222222222",
        )],
        says: "overlap",
    },
    Case {
        name: "mount target still creating",
        breaks: |s| s.mount_targets[0].state = "creating".to_owned(),
        expect: &[(
            CheckId::MountTargetAvailable,
            Status::Failed,
            "mount target fsmt-0b000001 in account 222222222222",
        )],
        says: "`creating`",
    },
];

#[test]
fn each_break_is_reported_on_its_resource_and_nothing_else() {
    for case in CASES {
        let mut snapshot = correct();
        (case.breaks)(&mut snapshot);
        let findings = check_network(&snapshot);
        let reported: Vec<(CheckId, Status, &str)> = findings
            .iter()
            .filter(|f| f.status != Status::Passed)
            .map(|f| (f.check, f.status, f.resource.as_str()))
            .collect();
        assert_eq!(reported, case.expect, "case {:?}: {findings:#?}", case.name);
        for f in findings.iter().filter(|f| f.status != Status::Passed) {
            let text = format!("{} {}", f.message, f.fix.as_deref().unwrap_or_default());
            assert!(
                text.contains(case.says),
                "case {:?}: {text:?} lacks {:?}",
                case.name,
                case.says
            );
            if f.status == Status::Failed {
                assert!(
                    f.fix.is_some(),
                    "case {:?}: a failure without a fix",
                    case.name
                );
            }
        }
        assert_eq!(
            Findings::from(findings).is_ok(),
            !case.expect.iter().any(|(_, s, _)| *s == Status::Failed),
            "case {:?}",
            case.name
        );
    }
}

#[test]
fn passed_checks_form_a_deduplicated_checklist() {
    let findings = check_network(&correct());
    let count = |check: CheckId| findings.iter().filter(|f| f.check == check).count();
    let table: &[(CheckId, usize)] = &[
        (CheckId::CidrOverlap, 1),
        (CheckId::PeeringActive, 1),
        (CheckId::MountTargetVpc, 3),
        (CheckId::MountTargetAvailable, 3),
        (CheckId::AzAlignment, 3),
        (CheckId::RouteToPeer, 2), // the main table and the explicit one
        (CheckId::RouteBack, 1),
        (CheckId::NfsIngress, 1),
        (CheckId::AclClusterSubnet, 1),
        (CheckId::AclStorageSubnet, 1),
    ];
    for &(check, n) in table {
        assert_eq!(count(check), n, "{check}: {findings:#?}");
    }
    assert_eq!(findings.len(), table.iter().map(|(_, n)| n).sum::<usize>());
    assert!(
        findings
            .iter()
            .all(|f| f.status == Status::Passed && f.fix.is_none())
    );
}

#[test]
fn a_worker_subnet_outside_the_cluster_vpc_is_named() {
    let mut s = correct();
    s.workers.push(WorkerPlacement {
        subnet: id("subnet-0e000001"),
        az_id: id("use1-az1"),
    });
    let failed: Vec<Finding> = check_network(&s)
        .into_iter()
        .filter(|f| f.status == Status::Failed)
        .collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0].check, CheckId::WorkerSubnet);
    assert_eq!(
        failed[0].resource,
        "subnet subnet-0e000001 in account 111111111111"
    );
}

#[test]
fn check_ids_serialize_as_their_stable_names() {
    for check in [
        CheckId::CidrOverlap,
        CheckId::PeeringActive,
        CheckId::WorkerSubnet,
        CheckId::MountTargetVpc,
        CheckId::MountTargetAvailable,
        CheckId::AzAlignment,
        CheckId::RouteToPeer,
        CheckId::RouteBack,
        CheckId::NfsIngress,
        CheckId::AclClusterSubnet,
        CheckId::AclStorageSubnet,
    ] {
        assert_eq!(
            serde_json::to_value(check).expect("serializes"),
            check.as_str()
        );
    }
}

#[test]
fn the_snapshot_round_trips_through_json() {
    let s = correct();
    let json = serde_json::to_string(&s).expect("serializes");
    let back: NetworkSnapshot = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, s);
}
