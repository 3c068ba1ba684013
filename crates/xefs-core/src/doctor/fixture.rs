//! The test fixture: a correct, applied snapshot built with xefs's own document builders, and
//! the runner of the table-driven tests beside each group ("each single break is reported on
//! its resource, and nothing else fails or warns").

use std::collections::BTreeMap;

use super::network::tests::{correct as correct_network, id};
use super::{
    AccountFacts, AttachedPolicy, CheckId, ClusterFacts, DoctorSnapshot, FileSystemFacts, Findings,
    IamFacts, IdentityFact, OidcFacts, RoleDocuments, RoleFacts, SecretFacts, Status,
    StorageClassFacts, VpcFact, diagnose,
};
use crate::iam::builders::{
    cross_account_policy, cross_account_trust, csi_driver_policy, csi_web_identity_trust,
    efs_client_access_policy, file_system_policy,
};
use crate::iam::questions::CSI_SERVICE_ACCOUNTS;
use crate::ids::{AccountId, Arn, IamName, OidcProvider, Partition, Region};

pub(super) const A: &str = "111111111111";
pub(super) const B: &str = "222222222222";
pub(super) const NS: &str = "openshift-cluster-csi-drivers";
pub(super) const PROVIDER: &str = "oidc.op1.openshiftapps.com/2abc";
pub(super) const FS: &str = "fs-0f000001";

pub(super) fn account(s: &str) -> AccountId {
    id(s)
}

pub(super) fn role(account_id: &str, name: &str) -> Arn {
    Arn::iam_role(Partition::Aws, &account(account_id), &id::<IamName>(name))
}

fn policy_arn(account_id: &str, name: &str) -> Arn {
    Arn::iam_policy(Partition::Aws, &account(account_id), &id::<IamName>(name))
}

pub(super) fn csi_role() -> Arn {
    role(A, "sts-cluster-aws-efs-csi-operator")
}

pub(super) fn cross_account_role() -> Arn {
    role(B, "cross-account-efs-role")
}

pub(super) fn node_role() -> Arn {
    role(A, "sts-cluster-worker-role")
}

pub(super) fn file_system_arn() -> Arn {
    Arn::efs_file_system(&id::<Region>("us-east-1"), &account(B), &id(FS))
}

fn provider() -> OidcProvider {
    id(PROVIDER)
}

fn account_facts(account_id: &str, vpc: &str, cidr: &str) -> AccountFacts {
    AccountFacts {
        expected: account(account_id),
        identity: IdentityFact::Verified {
            caller: format!("arn:aws:sts::{account_id}:assumed-role/admin/doctor"),
        },
        vpc: VpcFact {
            id: id(vpc),
            expected_cidr: id(cidr),
            cidrs: Some(vec![id(cidr)]),
        },
    }
}

fn secret(name: &str, role_arn: &Arn) -> SecretFacts {
    SecretFacts {
        namespace: NS.to_owned(),
        name: name.to_owned(),
        found: true,
        role_arn: Some(role_arn.to_string()),
    }
}

/// A correct stack after apply: the network of `network::tests::correct` (three worker AZ
/// ids, a mount target in each, active peering, routes both ways, NFS open on the mount
/// targets' group), the roles with the documents xefs writes, B's file system with its
/// policy, and the cluster's objects.
pub(super) fn correct() -> DoctorSnapshot {
    let provider = provider();
    let provider_arn = Arn::oidc_provider(Partition::Aws, &account(A), &provider);
    let subjects: Vec<String> = CSI_SERVICE_ACCOUNTS
        .iter()
        .map(|sa| format!("system:serviceaccount:{NS}:{sa}"))
        .collect();
    let fs = file_system_arn();
    let access_points = Arn::efs_access_points(&id::<Region>("us-east-1"), &account(B));
    let storage_class = StorageClassFacts {
        name: "efs-sc".to_owned(),
        found: true,
        provisioner: Some("efs.csi.aws.com".to_owned()),
        parameters: BTreeMap::from(
            [
                ("provisioningMode", "efs-ap"),
                ("fileSystemId", FS),
                ("directoryPerms", "700"),
                (
                    "csi.storage.k8s.io/provisioner-secret-name",
                    "cross-account-arn",
                ),
                ("csi.storage.k8s.io/provisioner-secret-namespace", NS),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        ),
    };
    DoctorSnapshot {
        cluster_account: account_facts(A, "vpc-0a000001", "10.0.0.0/16"),
        storage_account: account_facts(B, "vpc-0b000001", "10.1.0.0/16"),
        network: Some(correct_network()),
        storage_subnets: vec![],
        oidc: Some(OidcFacts {
            arn: provider_arn.clone(),
            provider: provider.clone(),
            registered: true,
        }),
        iam: IamFacts {
            namespace: NS.to_owned(),
            csi_role: RoleFacts {
                arn: csi_role(),
                found: Some(RoleDocuments {
                    trust: csi_web_identity_trust(&provider_arn, provider.as_str(), &subjects),
                    policies: vec![
                        AttachedPolicy {
                            arn: policy_arn(A, "sts-cluster-rosa-efs-csi"),
                            document: csi_driver_policy(&cross_account_role()),
                        },
                        AttachedPolicy {
                            arn: policy_arn(A, "sts-cluster-efs-client"),
                            document: efs_client_access_policy(&fs),
                        },
                    ],
                }),
            },
            cross_account_role: RoleFacts {
                arn: cross_account_role(),
                found: Some(RoleDocuments {
                    trust: cross_account_trust(&csi_role()),
                    policies: vec![AttachedPolicy {
                        arn: policy_arn(B, "cross-account-rosa-efs-csi"),
                        document: cross_account_policy(&fs, &access_points),
                    }],
                }),
            },
            node_roles: vec![node_role()],
        },
        file_system: Some(FileSystemFacts {
            id: id(FS),
            arn: fs.clone(),
            life_cycle: "available".to_owned(),
            policy: Some(file_system_policy(&fs, &[node_role(), csi_role()])),
            policy_expected: true,
        }),
        cluster: Some(ClusterFacts {
            cloud_credentials: secret("aws-efs-cloud-credentials", &csi_role()),
            cross_account_secret: secret("cross-account-arn", &cross_account_role()),
            storage_class,
            csi_driver: true,
            service_account_issuer: Some(format!("https://{PROVIDER}")),
            worker_instances: vec![id("i-0a000001"), id("i-0a000002")],
        }),
    }
}

/// The same account and VPCs before the first `xefs apply`: no roles, file system, peering
/// (nor routes to it), mount targets or cluster objects yet.
pub(super) fn before_apply() -> DoctorSnapshot {
    let mut s = correct();
    s.iam.csi_role.found = None;
    s.iam.cross_account_role.found = None;
    s.file_system = None;
    if let Some(n) = &mut s.network {
        n.peering = None;
        n.mount_targets.clear();
        for side in [&mut n.cluster, &mut n.storage] {
            for table in &mut side.route_tables {
                table
                    .routes
                    .retain(|r| !matches!(r.target, super::RouteTargetState::Peering(_)));
            }
            side.security_groups
                .retain(|g| g.ingress.iter().all(|r| r.from_port != Some(2049)));
        }
    }
    if let Some(c) = &mut s.cluster {
        for secret in [&mut c.cloud_credentials, &mut c.cross_account_secret] {
            secret.found = false;
            secret.role_arn = None;
        }
        c.storage_class.found = false;
        c.storage_class.provisioner = None;
        c.storage_class.parameters.clear();
        c.csi_driver = false;
    }
    s
}

/// One break of a snapshot and what doctor must report for it.
pub(super) struct Case {
    /// What the case breaks.
    pub(super) name: &'static str,
    /// The snapshot the case starts from.
    pub(super) base: fn() -> DoctorSnapshot,
    /// The break.
    pub(super) breaks: fn(&mut DoctorSnapshot),
    /// Every warned or failed finding, in order: (check, status, exact resource).
    pub(super) expect: &'static [(CheckId, Status, &'static str)],
    /// Phrases the reported findings' messages and fixes must contain, between them.
    pub(super) says: &'static [&'static str],
}

/// Runs each case through [`diagnose`] and checks it reports exactly `expect`, says `says`,
/// gives every failure a fix, and keeps the checklist in group order.
pub(super) fn run(cases: &[Case]) {
    for case in cases {
        let mut snapshot = (case.base)();
        (case.breaks)(&mut snapshot);
        let findings = diagnose(&snapshot);
        let reported: Vec<(CheckId, Status, &str)> = findings
            .iter()
            .filter(|f| f.status >= Status::Warned)
            .map(|f| (f.check, f.status, f.resource.as_str()))
            .collect();
        assert_eq!(reported, case.expect, "case {:?}: {findings:#?}", case.name);
        let text: String = findings
            .iter()
            .filter(|f| f.status >= Status::Warned)
            .map(|f| format!("{} {}\n", f.message, f.fix.as_deref().unwrap_or_default()))
            .collect();
        for phrase in case.says {
            assert!(
                text.contains(phrase),
                "case {:?}: {phrase:?} not in\n{text}",
                case.name
            );
        }
        check_invariants(case.name, &findings);
        assert_eq!(
            findings.is_ok(),
            !case.expect.iter().any(|(_, s, _)| *s == Status::Failed),
            "case {:?}",
            case.name
        );
    }
}

/// What holds of every checklist: groups in order, a fix on every failure and none on a pass,
/// a resource and a message on everything.
pub(super) fn check_invariants(name: &str, findings: &Findings) {
    let groups: Vec<_> = findings.iter().map(|f| f.check.group()).collect();
    assert!(
        groups.is_sorted(),
        "case {name:?}: groups out of order: {groups:?}"
    );
    for f in findings {
        assert!(
            !f.resource.is_empty() && !f.message.is_empty(),
            "case {name:?}: {f:?}"
        );
        match f.status {
            Status::Failed => assert!(
                f.fix.as_deref().is_some_and(|fix| !fix.is_empty()),
                "case {name:?}: a failure without a fix: {f:?}"
            ),
            Status::Passed | Status::Skipped => {
                assert_eq!(f.fix, None, "case {name:?}: {f:?}");
            }
            Status::Warned => {}
        }
    }
}
