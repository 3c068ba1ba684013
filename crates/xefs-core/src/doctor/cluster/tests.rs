//! Cluster breaks: the Secrets, the driver and the StorageClass.

use crate::doctor::fixture::{Case, correct, run};
use crate::doctor::{CheckId, Status, diagnose};

const CROSS_ACCOUNT: &str = "Secret openshift-cluster-csi-drivers/cross-account-arn";
const CLOUD_CREDENTIALS: &str = "Secret openshift-cluster-csi-drivers/aws-efs-cloud-credentials";

const CASES: &[Case] = &[
    Case {
        name: "cross-account Secret naming the role in A's account",
        base: correct,
        breaks: |s| {
            s.cluster
                .as_mut()
                .expect("cluster")
                .cross_account_secret
                .role_arn =
                Some("arn:aws:iam::111111111111:role/cross-account-efs-role".to_owned());
        },
        expect: &[(CheckId::CrossAccountSecret, Status::Failed, CROSS_ACCOUNT)],
        says: &[
            "it names arn:aws:iam::111111111111:role/cross-account-efs-role (a role in account 111111111111, not 222222222222), not B's cross-account role arn:aws:iam::222222222222:role/cross-account-efs-role",
            "oc -n openshift-cluster-csi-drivers set data secret/cross-account-arn awsRoleArn=arn:aws:iam::222222222222:role/cross-account-efs-role",
        ],
    },
    Case {
        name: "cloud-credentials Secret naming another role",
        base: correct,
        breaks: |s| {
            s.cluster
                .as_mut()
                .expect("cluster")
                .cloud_credentials
                .role_arn = Some(
                "arn:aws:iam::111111111111:role/sts-cluster-openshift-cluster-csi-drivers-ebs"
                    .to_owned(),
            );
        },
        expect: &[(
            CheckId::CloudCredentialsSecret,
            Status::Failed,
            CLOUD_CREDENTIALS,
        )],
        says: &[
            "not A's CSI role",
            "`role_arn = arn:aws:iam::111111111111:role/sts-cluster-aws-efs-csi-operator`",
        ],
    },
    Case {
        name: "cloud-credentials Secret missing",
        base: correct,
        breaks: |s| {
            let c = &mut s.cluster.as_mut().expect("cluster").cloud_credentials;
            c.found = false;
            c.role_arn = None;
        },
        expect: &[(
            CheckId::CloudCredentialsSecret,
            Status::Failed,
            CLOUD_CREDENTIALS,
        )],
        says: &["it does not exist", "run `xefs apply`"],
    },
    Case {
        name: "cross-account Secret without awsRoleArn",
        base: correct,
        breaks: |s| {
            s.cluster
                .as_mut()
                .expect("cluster")
                .cross_account_secret
                .role_arn = None
        },
        expect: &[(CheckId::CrossAccountSecret, Status::Failed, CROSS_ACCOUNT)],
        says: &["it holds no role ARN (`awsRoleArn`)"],
    },
    Case {
        name: "StorageClass with another fileSystemId",
        base: correct,
        breaks: |s| {
            s.cluster
                .as_mut()
                .expect("cluster")
                .storage_class
                .parameters
                .insert("fileSystemId".to_owned(), "fs-0e000001".to_owned());
        },
        expect: &[(CheckId::StorageClass, Status::Failed, "StorageClass efs-sc")],
        says: &[
            "its `fileSystemId` is `fs-0e000001`, not the stack's file system fs-0f000001 in account 222222222222",
            "`oc delete storageclass efs-sc`, then run `xefs apply`",
        ],
    },
    Case {
        name: "StorageClass of another provisioner, without the provisioner Secret",
        base: correct,
        breaks: |s| {
            let sc = &mut s.cluster.as_mut().expect("cluster").storage_class;
            sc.provisioner = Some("ebs.csi.aws.com".to_owned());
            sc.parameters
                .retain(|k, _| !k.starts_with("csi.storage.k8s.io/"));
        },
        expect: &[(CheckId::StorageClass, Status::Failed, "StorageClass efs-sc")],
        says: &[
            "its provisioner is `ebs.csi.aws.com`, not `efs.csi.aws.com`; its provisioner Secret is `<unset>/<unset>`, not `openshift-cluster-csi-drivers/cross-account-arn`",
        ],
    },
    Case {
        name: "StorageClass missing",
        base: correct,
        breaks: |s| s.cluster.as_mut().expect("cluster").storage_class.found = false,
        expect: &[(CheckId::StorageClass, Status::Failed, "StorageClass efs-sc")],
        says: &["it does not exist"],
    },
    Case {
        name: "ClusterCSIDriver missing",
        base: correct,
        breaks: |s| s.cluster.as_mut().expect("cluster").csi_driver = false,
        expect: &[(
            CheckId::CsiDriver,
            Status::Failed,
            "ClusterCSIDriver efs.csi.aws.com",
        )],
        says: &["`spec.managementState: Managed`"],
    },
];

#[test]
fn each_break_is_reported_on_its_object_and_nothing_else() {
    run(CASES);
}

#[test]
fn without_a_file_system_the_storage_class_id_is_skipped_not_failed() {
    let mut s = correct();
    s.file_system = None;
    let findings = diagnose(&s);
    let sc = findings
        .iter()
        .find(|f| f.check == CheckId::StorageClass)
        .expect("listed");
    assert_eq!(sc.status, Status::Skipped, "{sc:?}");
    assert!(sc.message.contains("see `file-system`"), "{sc:?}");
}
