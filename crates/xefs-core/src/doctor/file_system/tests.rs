//! File-system breaks: the file system's state, and its policy against A's node roles.

use crate::doctor::fixture::{Case, correct, csi_role, file_system_arn, node_role, run};
use crate::doctor::{CheckId, Status};
use crate::iam::builders::file_system_policy;
use crate::iam::{Principal, PrincipalKind, Statement};

const POLICY: &str = "file-system policy of fs-0f000001 in account 222222222222";

const CASES: &[Case] = &[
    Case {
        name: "a Deny for A's node role in the file-system policy",
        base: correct,
        breaks: |s| {
            let fs = s.file_system.as_mut().expect("file system");
            fs.policy.as_mut().expect("policy").statements.push(
                Statement::deny(["elasticfilesystem:ClientMount"])
                    .with_sid("NoNodes")
                    .with_principal(Principal::of(PrincipalKind::Aws, [node_role().as_str()]))
                    .with_resources([file_system_arn().as_str()]),
            );
        },
        expect: &[(CheckId::FileSystemPolicy, Status::Failed, POLICY)],
        says: &[
            "is denied explicitly by the file-system policy statement 2 (Sid `NoNodes`)",
            "remove or narrow the file-system policy statement 2",
        ],
    },
    Case {
        name: "mounts without TLS allowed (works, but should not)",
        base: correct,
        breaks: |s| {
            let fs = s.file_system.as_mut().expect("file system");
            fs.policy
                .as_mut()
                .expect("policy")
                .statements
                .retain(|st| st.sid.as_deref() != Some("DenyUnencryptedTransport"));
        },
        expect: &[(CheckId::FileSystemPolicy, Status::Warned, POLICY)],
        says: &[
            "mounting without TLS is allowed",
            "`aws:SecureTransport` = `false`",
        ],
    },
    Case {
        name: "the node role left out of the policy",
        base: correct,
        breaks: |s| {
            let fs = s.file_system.as_mut().expect("file system");
            fs.policy = Some(file_system_policy(&file_system_arn(), &[csi_role()]));
        },
        expect: &[(CheckId::FileSystemPolicy, Status::Failed, POLICY)],
        says: &[
            "add `arn:aws:iam::111111111111:role/sts-cluster-worker-role` to the AWS principals",
        ],
    },
    Case {
        name: "no policy though efs.file_system_policy is on",
        base: correct,
        breaks: |s| s.file_system.as_mut().expect("file system").policy = None,
        expect: &[(CheckId::FileSystemPolicy, Status::Failed, POLICY)],
        says: &[
            "without TLS",
            "`efs.file_system_policy` is on",
            "run `xefs apply`",
        ],
    },
    Case {
        name: "no policy, as the spec asks",
        base: correct,
        breaks: |s| {
            let fs = s.file_system.as_mut().expect("file system");
            fs.policy = None;
            fs.policy_expected = false;
        },
        expect: &[(CheckId::FileSystemPolicy, Status::Warned, POLICY)],
        says: &["set `efs.file_system_policy = true`"],
    },
    Case {
        name: "node roles unknown",
        base: correct,
        breaks: |s| s.iam.node_roles.clear(),
        expect: &[(CheckId::FileSystemPolicy, Status::Warned, POLICY)],
        says: &["set `cluster.node_role_arns`"],
    },
    Case {
        name: "file system still creating",
        base: correct,
        breaks: |s| s.file_system.as_mut().expect("file system").life_cycle = "creating".to_owned(),
        expect: &[(
            CheckId::FileSystem,
            Status::Failed,
            "EFS file system fs-0f000001 in account 222222222222",
        )],
        says: &[
            "`creating`",
            "aws efs describe-file-systems --file-system-id fs-0f000001",
        ],
    },
    Case {
        name: "file system missing after apply: its dependants are skipped",
        base: correct,
        breaks: |s| s.file_system = None,
        expect: &[(
            CheckId::FileSystem,
            Status::Failed,
            "EFS file system of the stack in account 222222222222",
        )],
        says: &["no file system of the stack exists in account 222222222222"],
    },
];

#[test]
fn each_break_is_reported_on_its_resource_and_nothing_else() {
    run(CASES);
}
