//! Preflight breaks: each is reported on its resource, and what it makes unreadable is
//! skipped rather than failed again.

use crate::doctor::fixture::{Case, before_apply, correct, run};
use crate::doctor::network::tests::id;
use crate::doctor::{CheckId, IdentityFact, Status, diagnose};

const CASES: &[Case] = &[
    Case {
        name: "B's credentials act in another account",
        base: correct,
        breaks: |s| {
            s.storage_account.identity = IdentityFact::WrongAccount {
                actual: id("333333333333"),
                caller: "arn:aws:sts::333333333333:assumed-role/admin/doctor".to_owned(),
            };
        },
        expect: &[(
            CheckId::Credentials,
            Status::Failed,
            "credentials for account 222222222222 (storage)",
        )],
        says: &[
            "they act in account 333333333333 as arn:aws:sts::333333333333:assumed-role/admin/doctor, not in account 222222222222",
            "`storage.profile` or `storage.assume_role_arn`",
            "set `storage.account_id = \"333333333333\"`",
        ],
    },
    Case {
        name: "A's credentials act in another account",
        base: correct,
        breaks: |s| {
            s.cluster_account.identity = IdentityFact::WrongAccount {
                actual: id("222222222222"),
                caller: "arn:aws:sts::222222222222:assumed-role/admin/doctor".to_owned(),
            };
        },
        expect: &[(
            CheckId::Credentials,
            Status::Failed,
            "credentials for account 111111111111 (cluster)",
        )],
        says: &["`cluster.profile`", "`cluster.account_id"],
    },
    Case {
        name: "A's credentials unavailable, and nothing of A readable",
        base: correct,
        breaks: |s| {
            s.cluster_account.identity = IdentityFact::Unavailable {
                error: "the SSO session has expired".to_owned(),
            };
            s.cluster_account.vpc.cidrs = None;
            s.network = None;
            s.iam.csi_role.found = None;
        },
        expect: &[(
            CheckId::Credentials,
            Status::Failed,
            "credentials for account 111111111111 (cluster)",
        )],
        says: &[
            "no usable credentials: the SSO session has expired",
            "`aws sts get-caller-identity`",
        ],
    },
    Case {
        name: "B's VPC holds another block than storage.vpc_cidr",
        base: correct,
        breaks: |s| s.storage_account.vpc.cidrs = Some(vec![id("10.2.0.0/16")]),
        expect: &[(
            CheckId::VpcCidr,
            Status::Failed,
            "VPC vpc-0b000001 in account 222222222222",
        )],
        says: &[
            "its CIDR blocks are 10.2.0.0/16, not `storage.vpc_cidr` 10.1.0.0/16",
            "set `storage.vpc_cidr = \"10.2.0.0/16\"`",
        ],
    },
    Case {
        name: "a secondary block holding the spec's CIDR is fine",
        base: correct,
        breaks: |s| {
            s.cluster_account.vpc.cidrs = Some(vec![id("100.64.0.0/16"), id("10.0.0.0/16")])
        },
        expect: &[],
        says: &[],
    },
    Case {
        name: "the spec's CIDRs overlap",
        base: correct,
        breaks: |s| {
            s.cluster_account.vpc.expected_cidr = id("10.0.0.0/15");
            s.cluster_account.vpc.cidrs = Some(vec![id("10.0.0.0/15")]);
        },
        expect: &[(
            CheckId::CidrOverlap,
            Status::Failed,
            "VPC vpc-0a000001 (10.0.0.0/15) in account 111111111111 and VPC vpc-0b000001 (10.1.0.0/16) in account 222222222222",
        )],
        says: &["overlap", "`storage.vpc_cidr`"],
    },
    Case {
        name: "OIDC provider not registered in A",
        base: correct,
        breaks: |s| {
            if let Some(o) = &mut s.oidc {
                o.registered = false;
            }
        },
        expect: &[(
            CheckId::OidcProvider,
            Status::Failed,
            "IAM OIDC provider oidc.op1.openshiftapps.com/2abc in account 111111111111",
        )],
        says: &[
            "rosa create oidc-provider",
            "aws iam create-open-id-connect-provider --url https://oidc.op1.openshiftapps.com/2abc",
        ],
    },
    Case {
        name: "issuer unknown (--phase aws, no cluster.oidc_provider)",
        base: correct,
        breaks: |s| {
            s.oidc = None;
            s.cluster = None;
        },
        expect: &[(
            CheckId::OidcProvider,
            Status::Warned,
            "IAM OIDC provider in account 111111111111",
        )],
        says: &["set `cluster.oidc_provider`"],
    },
    Case {
        name: "not an STS cluster",
        base: correct,
        breaks: |s| {
            s.oidc = None;
            if let Some(c) = &mut s.cluster {
                c.service_account_issuer = Some("https://kubernetes.default.svc".to_owned());
            }
        },
        expect: &[(
            CheckId::ServiceAccountIssuer,
            Status::Failed,
            "Authentication/cluster (spec.serviceAccountIssuer)",
        )],
        says: &["not an STS cluster", "--sts"],
    },
    Case {
        name: "no issuer at all",
        base: before_apply,
        breaks: |s| {
            if let Some(c) = &mut s.cluster {
                c.service_account_issuer = Some(String::new());
            }
        },
        expect: &[(
            CheckId::ServiceAccountIssuer,
            Status::Failed,
            "Authentication/cluster (spec.serviceAccountIssuer)",
        )],
        says: &["no issuer set"],
    },
    Case {
        name: "the cluster's issuer is not the provider xefs used",
        base: correct,
        breaks: |s| {
            if let Some(c) = &mut s.cluster {
                c.service_account_issuer =
                    Some("https://oidc.op1.openshiftapps.com/3def".to_owned());
            }
        },
        expect: &[(
            CheckId::ServiceAccountIssuer,
            Status::Failed,
            "Authentication/cluster (spec.serviceAccountIssuer)",
        )],
        says: &["set `cluster.oidc_provider = \"oidc.op1.openshiftapps.com/3def\"`"],
    },
    Case {
        name: "storage.subnets leaves out a worker AZ id that B's VPC has",
        base: correct,
        breaks: |s| s.storage_subnets = vec![id("subnet-0b000001"), id("subnet-0b000002")],
        expect: &[(
            CheckId::StorageZones,
            Status::Failed,
            "AZ id use1-az4 in VPC vpc-0b000001 (account 222222222222)",
        )],
        says: &["add subnet-0b000004 (AZ id use1-az4) to `storage.subnets`"],
    },
    Case {
        name: "B's VPC has no subnet in a worker AZ id",
        base: before_apply,
        breaks: |s| {
            s.network
                .as_mut()
                .expect("network")
                .storage
                .subnets
                .retain(|sn| sn.az_id.as_str() != "use1-az2");
        },
        expect: &[(
            CheckId::StorageZones,
            Status::Failed,
            "AZ id use1-az2 in VPC vpc-0b000001 (account 222222222222)",
        )],
        says: &[
            "no subnet of VPC vpc-0b000001 is in AZ id use1-az2",
            "aws ec2 create-subnet --vpc-id vpc-0b000001 --availability-zone-id use1-az2 --cidr-block <a free block of 10.1.0.0/16>",
        ],
    },
    Case {
        name: "no workers known",
        base: before_apply,
        breaks: |s| s.network.as_mut().expect("network").workers.clear(),
        expect: &[(
            CheckId::StorageZones,
            Status::Warned,
            "subnets of VPC vpc-0b000001 in account 222222222222",
        )],
        says: &["set `cluster.worker_subnets`", "without `--phase aws`"],
    },
];

#[test]
fn each_break_is_reported_on_its_resource_and_nothing_else() {
    run(CASES);
}

#[test]
fn what_unusable_credentials_would_read_is_skipped_naming_them() {
    let mut s = correct();
    s.storage_account.identity = IdentityFact::Unavailable {
        error: "profile aws_account_b not found".to_owned(),
    };
    let findings = diagnose(&s);
    let skipped: Vec<CheckId> = findings.skipped().map(|f| f.check).collect();
    for check in [
        CheckId::VpcCidr,
        CheckId::StorageZones,
        CheckId::PeeringActive,
        CheckId::CrossAccountRole,
        CheckId::AssumeCrossAccountRole,
        CheckId::DriverPermissions,
        CheckId::FileSystem,
        CheckId::FileSystemPolicy,
    ] {
        assert!(
            skipped.contains(&check),
            "{check} not skipped: {findings:#?}"
        );
    }
    // A's own checks still run.
    for check in [CheckId::OidcProvider, CheckId::CsiRole, CheckId::CsiTrust] {
        assert!(!skipped.contains(&check), "{check} skipped");
    }
    assert!(findings.skipped().all(|f| f.message
        == "not checked: the credentials for account 222222222222 do not work (see `credentials`)"));
}
