//! IAM breaks over the live documents: each is reported by its question alone.

use crate::doctor::fixture::{Case, correct, cross_account_role, csi_role, node_role, run};
use crate::doctor::{AttachedPolicy, CheckId, DoctorSnapshot, Status, diagnose};
use crate::iam::builders::{cross_account_trust, csi_driver_policy, csi_web_identity_trust};
use crate::iam::questions::CSI_SERVICE_ACCOUNTS;
use crate::ids::{AccountId, Arn, Partition};

const Q2: &str = "IAM role cross-account-efs-role in account 222222222222, assumed by IAM role \
                  sts-cluster-aws-efs-csi-operator in account 111111111111";

const CASES: &[Case] = &[
    Case {
        name: "B's policy built from A's file (the guide's mistake)",
        base: correct,
        breaks: |s| {
            let b = s.iam.cross_account_role.found.as_mut().expect("B's role");
            b.policies = vec![AttachedPolicy {
                arn: b.policies[0].arn.clone(),
                document: csi_driver_policy(&cross_account_role()),
            }];
        },
        expect: &[(
            CheckId::DriverPermissions,
            Status::Failed,
            "policies of IAM role cross-account-efs-role in account 222222222222",
        )],
        says: &[
            "calling `DescribeSubnets` is not allowed",
            "build B's cross-account policy from the cross-account document",
            // The calls it does allow, it allows on every file system: listed after.
            "allows it on every file system of the account",
        ],
    },
    Case {
        name: "B trusts A's root (works, broader than needed)",
        base: correct,
        breaks: |s| {
            let root = Arn::account_root(
                Partition::Aws,
                &AccountId::parse("111111111111").expect("account id"),
            );
            s.iam
                .cross_account_role
                .found
                .as_mut()
                .expect("B's role")
                .trust = cross_account_trust(&root);
        },
        expect: &[(CheckId::AssumeCrossAccountRole, Status::Warned, Q2)],
        says: &[
            "any principal of account 111111111111",
            "trust A's CSI role `arn:aws:iam::111111111111:role/sts-cluster-aws-efs-csi-operator` instead",
        ],
    },
    Case {
        name: "B trusts another role of A",
        base: correct,
        breaks: |s| {
            s.iam
                .cross_account_role
                .found
                .as_mut()
                .expect("B's role")
                .trust = cross_account_trust(&node_role());
        },
        expect: &[(CheckId::AssumeCrossAccountRole, Status::Failed, Q2)],
        says: &["let B's role trust allow `sts:AssumeRole` for AWS principal"],
    },
    Case {
        name: "A's policy without sts:AssumeRole",
        base: correct,
        breaks: |s| {
            for p in &mut s.iam.csi_role.found.as_mut().expect("A's role").policies {
                p.document
                    .statements
                    .retain(|st| st.sid.as_deref() != Some("AssumeCrossAccountRole"));
            }
        },
        expect: &[(CheckId::AssumeCrossAccountRole, Status::Failed, Q2)],
        says: &["add `sts:AssumeRole` on `arn:aws:iam::222222222222:role/cross-account-efs-role`"],
    },
    Case {
        name: "A's trust for the service accounts of another namespace",
        base: correct,
        breaks: |s| {
            let provider = s.oidc.clone().expect("oidc");
            let subjects: Vec<String> = CSI_SERVICE_ACCOUNTS
                .iter()
                .map(|sa| format!("system:serviceaccount:openshift-storage:{sa}"))
                .collect();
            s.iam.csi_role.found.as_mut().expect("A's role").trust =
                csi_web_identity_trust(&provider.arn, provider.provider.as_str(), &subjects);
        },
        expect: &[(
            CheckId::CsiTrust,
            Status::Failed,
            "trust policy of IAM role sts-cluster-aws-efs-csi-operator in account 111111111111",
        )],
        says: &["system:serviceaccount:openshift-cluster-csi-drivers:aws-efs-csi-driver-operator"],
    },
    Case {
        name: "A's CSI role missing after apply",
        base: correct,
        breaks: |s| s.iam.csi_role.found = None,
        expect: &[(
            CheckId::CsiRole,
            Status::Failed,
            "IAM role sts-cluster-aws-efs-csi-operator in account 111111111111",
        )],
        says: &[
            "the role does not exist in account 111111111111",
            "run `xefs apply`",
        ],
    },
    Case {
        name: "B's role missing after apply",
        base: correct,
        breaks: |s| s.iam.cross_account_role.found = None,
        expect: &[(
            CheckId::CrossAccountRole,
            Status::Failed,
            "IAM role cross-account-efs-role in account 222222222222",
        )],
        says: &["the role does not exist in account 222222222222"],
    },
];

#[test]
fn each_break_is_reported_by_its_question_and_nothing_else() {
    run(CASES);
}

#[test]
fn questions_without_their_inputs_are_skipped_saying_which() {
    /// A break, the check it makes skip, and a phrase of the skip message.
    type Skip = (fn(&mut DoctorSnapshot), CheckId, &'static str);
    let cases: [Skip; 5] = [
        (
            |s| s.iam.csi_role.found = None,
            CheckId::CsiTrust,
            "see `csi-role`",
        ),
        (
            |s| s.iam.csi_role.found = None,
            CheckId::AssumeCrossAccountRole,
            "see `csi-role`",
        ),
        (
            |s| s.iam.cross_account_role.found = None,
            CheckId::DriverPermissions,
            "see `cross-account-role`",
        ),
        (
            |s| s.file_system = None,
            CheckId::DriverPermissions,
            "see `file-system`",
        ),
        (|s| s.oidc = None, CheckId::CsiTrust, "see `oidc-provider`"),
    ];
    for (breaks, check, phrase) in cases {
        let mut s = correct();
        breaks(&mut s);
        let findings = diagnose(&s);
        let f = findings.iter().find(|f| f.check == check).expect("listed");
        assert_eq!(f.status, Status::Skipped, "{f:?}");
        assert!(f.message.contains(phrase), "{f:?}");
    }
}

#[test]
fn an_unknown_issuer_skips_only_the_trust_question() {
    let mut s = correct();
    s.oidc = None;
    let findings = diagnose(&s);
    for check in [
        CheckId::AssumeCrossAccountRole,
        CheckId::DriverPermissions,
        CheckId::FileSystemPolicy,
    ] {
        let f = findings.iter().find(|f| f.check == check).expect("listed");
        assert_eq!(f.status, Status::Passed, "{f:?}");
    }
    // The passed trust names the real roles, not a placeholder.
    let q2 = findings
        .iter()
        .find(|f| f.check == CheckId::AssumeCrossAccountRole)
        .expect("listed");
    assert!(q2.message.contains(csi_role().as_str()), "{q2:?}");
}
