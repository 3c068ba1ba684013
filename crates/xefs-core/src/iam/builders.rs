//! The policy documents the procedure needs, built from typed ARNs so that no code formats a
//! policy by hand. Each corrects the guide where the guide is wrong (see the function docs);
//! every document here lints without errors or warnings.
//!
//! Lists are sorted and deduplicated, and every statement has a `Sid`, so that a document is
//! the same whatever order the caller passes things in and plan diffs stay readable.

use super::document::{PolicyDocument, Principal, PrincipalKind, Statement};
use crate::ids::Arn;

/// The tag the EFS CSI driver puts on every access point it creates (`efs.csi.aws.com/cluster`
/// = `true`); conditions on it confine the driver to its own access points.
const DRIVER_TAG_KEY: &str = "efs.csi.aws.com/cluster";
const DRIVER_TAG_VALUE: &str = "true";

/// The audience of ROSA's service-account tokens.
const ROSA_AUDIENCE: &str = "openshift";

const EFS_DESCRIBE: [&str; 3] = [
    "elasticfilesystem:DescribeAccessPoints",
    "elasticfilesystem:DescribeFileSystems",
    "elasticfilesystem:DescribeMountTargets",
];
const EFS_CLIENT: [&str; 3] = [
    "elasticfilesystem:ClientMount",
    "elasticfilesystem:ClientRootAccess",
    "elasticfilesystem:ClientWrite",
];
const CREATE_ACCESS_POINT: &str = "elasticfilesystem:CreateAccessPoint";
const DELETE_ACCESS_POINT: &str = "elasticfilesystem:DeleteAccessPoint";
const TAG_RESOURCE: &str = "elasticfilesystem:TagResource";

/// `CreateAccessPoint` only for access points that carry the driver's tag.
fn create_tagged_access_points(resources: &[&str]) -> Statement {
    Statement::allow([CREATE_ACCESS_POINT])
        .with_sid("CreateTaggedAccessPoints")
        .with_resources(resources.iter().copied())
        .with_condition(
            "StringLike",
            &format!("aws:RequestTag/{DRIVER_TAG_KEY}"),
            [DRIVER_TAG_VALUE],
        )
}

/// `TagResource`, which EFS authorizes separately when `CreateAccessPoint` passes tags, only
/// as part of creating a driver-tagged access point (not to retag existing resources).
fn tag_access_points_on_create(resources: &[&str]) -> Statement {
    Statement::allow([TAG_RESOURCE])
        .with_sid("TagAccessPointsOnCreate")
        .with_resources(resources.iter().copied())
        .with_condition(
            "StringEquals",
            "elasticfilesystem:CreateAction",
            ["CreateAccessPoint"],
        )
        .with_condition(
            "StringLike",
            &format!("aws:RequestTag/{DRIVER_TAG_KEY}"),
            [DRIVER_TAG_VALUE],
        )
}

/// `DeleteAccessPoint` only for access points that carry the driver's tag.
fn delete_tagged_access_points(resources: &[&str]) -> Statement {
    Statement::allow([DELETE_ACCESS_POINT])
        .with_sid("DeleteTaggedAccessPoints")
        .with_resources(resources.iter().copied())
        .with_condition(
            "StringEquals",
            &format!("aws:ResourceTag/{DRIVER_TAG_KEY}"),
            [DRIVER_TAG_VALUE],
        )
}

fn sorted<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = items.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// A's CSI driver identity policy: the EFS actions the driver needs (deduplicated, with the
/// guide's tag conditions on CreateAccessPoint / DeleteAccessPoint) and sts:AssumeRole on B's
/// role ARN only.
///
/// The EFS statements keep `Resource: "*"` because the role is account A's general driver role
/// (it also serves file systems in A); the describe calls cannot be scoped usefully and the
/// writes are confined by the driver's tag. Over the guide it drops the duplicate
/// `DescribeMountTargets`, confines `TagResource` to tagging on creation, and leaves out the
/// `Client*` mount actions: this role is only assumed by the operator and the controller,
/// whose EFS calls for B go through B's role; NFS client access is granted by
/// [`efs_client_access_policy`], scoped to B's file system.
pub fn csi_driver_policy(cross_account_role: &Arn) -> PolicyDocument {
    let describe = sorted(
        EFS_DESCRIBE
            .into_iter()
            .chain(["ec2:DescribeAvailabilityZones"]),
    );
    PolicyDocument::new(vec![
        Statement::allow(describe)
            .with_sid("DescribeFileSystemsAndZones")
            .with_resources(["*"]),
        create_tagged_access_points(&["*"]),
        tag_access_points_on_create(&["*"]),
        delete_tagged_access_points(&["*"]),
        Statement::allow(["sts:AssumeRole"])
            .with_sid("AssumeCrossAccountRole")
            .with_resources([cross_account_role.as_str()]),
    ])
}

/// A's web-identity trust: Federated principal = the OIDC provider ARN,
/// sts:AssumeRoleWithWebIdentity, StringEquals on `<provider>:sub` = the given subjects and
/// `<provider>:aud` = "openshift".
///
/// `provider` is the issuer without scheme, as a `&str` so that a rendered template can pass
/// `"${OIDC_PROVIDER}"`; a leading `https://` or trailing `/` is removed all the same, since
/// IAM would otherwise compare against a key no token carries. Subjects are sorted and
/// deduplicated. An empty `subjects` yields an empty list, which the linter reports (a trust
/// without subjects is a caller bug, not something to paper over).
pub fn csi_web_identity_trust(
    provider_arn: &Arn,
    provider: &str,
    subjects: &[String],
) -> PolicyDocument {
    let provider = provider.strip_prefix("https://").unwrap_or(provider);
    let provider = provider.trim_end_matches('/');
    let subjects = sorted(subjects.iter().map(String::as_str));
    PolicyDocument::new(vec![
        Statement::allow(["sts:AssumeRoleWithWebIdentity"])
            .with_sid("CsiDriverServiceAccounts")
            .with_principal(Principal::of(
                PrincipalKind::Federated,
                [provider_arn.as_str()],
            ))
            .with_condition("StringEquals", &format!("{provider}:aud"), [ROSA_AUDIENCE])
            .with_condition("StringEquals", &format!("{provider}:sub"), subjects),
    ])
}

/// B's cross-account identity policy: the document B's role really needs (NOT A's document,
/// which the guide mistakenly reuses), with EFS resources scoped to the file system ARN and the
/// access-point ARN pattern.
///
/// The controller uses this role only for EFS API calls (the upstream driver builds its EFS
/// client from the assumed role and nothing else), so it gets the describe calls, creating
/// and deleting its own tagged access points, and `TagResource` on creation, but no `Client*`
/// mount actions: mounting happens with A's credentials. `ec2:DescribeNetworkInterfaces` and
/// `ec2:DescribeSubnets` are kept from the guide (the upstream cross-account example asks for
/// them to describe mount targets); EC2 describe calls have no resource-level permissions, so
/// their `Resource` is `*`.
pub fn cross_account_policy(file_system: &Arn, access_points: &Arn) -> PolicyDocument {
    let fs = file_system.as_str();
    let aps = access_points.as_str();
    let both = sorted([fs, aps]);
    PolicyDocument::new(vec![
        Statement::allow(["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"])
            .with_sid("DescribeMountTargetNetwork")
            .with_resources(["*"]),
        Statement::allow(EFS_DESCRIBE)
            .with_sid("DescribeFileSystem")
            .with_resources(both.iter().copied()),
        create_tagged_access_points(&[fs]),
        // Tag-on-create is authorized against the new access point; the file system is
        // listed too so the grant holds whichever ARN EFS evaluates.
        tag_access_points_on_create(&both),
        delete_tagged_access_points(&[aps]),
    ])
}

/// B's role trust: sts:AssumeRole for exactly one AWS principal (A's CSI role ARN by default;
/// A's root only when the spec's `TrustMode` says so — the caller picks the ARN). A root
/// principal makes the linter warn (`trust-account-root`), on purpose.
pub fn cross_account_trust(principal: &Arn) -> PolicyDocument {
    PolicyDocument::new(vec![
        Statement::allow(["sts:AssumeRole"])
            .with_sid("ClusterAccountCsiDriver")
            .with_principal(Principal::of(PrincipalKind::Aws, [principal.as_str()])),
    ])
}

/// The EFS file-system policy: the given principals may ClientMount/ClientWrite/
/// ClientRootAccess on this file system through a mount target, and every non-TLS access is
/// denied (aws:SecureTransport false → Deny).
///
/// Once a file-system policy exists EFS no longer lets anonymous (non-IAM) NFS clients in: the
/// mounts must use the `iam` mount option, and the principals must be the identities the
/// mounts authenticate as (the node roles, as well as the CSI role if it mounts). Principals
/// are sorted and deduplicated.
pub fn file_system_policy(file_system: &Arn, principals: &[Arn]) -> PolicyDocument {
    let principals = sorted(principals.iter().map(Arn::as_str));
    PolicyDocument::new(vec![
        Statement::allow(EFS_CLIENT)
            .with_sid("ClusterAccountMountsViaMountTarget")
            .with_principal(Principal::of(PrincipalKind::Aws, principals))
            .with_resources([file_system.as_str()])
            .with_condition("Bool", "elasticfilesystem:AccessedViaMountTarget", ["true"]),
        Statement::deny(["*"])
            .with_sid("DenyUnencryptedTransport")
            .with_principal(Principal::of(PrincipalKind::Aws, ["*"]))
            .with_resources([file_system.as_str()])
            .with_condition("Bool", "aws:SecureTransport", ["false"]),
    ])
}

/// Identity policy for A's worker-node roles / controller so the controller's delete-time
/// mount (OpenShift runs it with delete-access-point-root-dir=true) may mount B's file system.
///
/// That mount uses `tls,iam` and the mount target's IP, authenticating as the node's instance
/// role; Red Hat's procedure attaches `AmazonElasticFileSystemClientFullAccess` (all file
/// systems) for it, this grants the same client actions on B's file system only. Cross-account,
/// the file-system policy must also name the role ([`file_system_policy`]).
pub fn efs_client_access_policy(file_system: &Arn) -> PolicyDocument {
    PolicyDocument::new(vec![
        Statement::allow(EFS_CLIENT)
            .with_sid("MountCrossAccountFileSystem")
            .with_resources([file_system.as_str()]),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::lint::{DocumentKind, Severity, lint};
    use crate::ids::{AccountId, FileSystemId, IamName, OidcProvider, Partition, Region};

    struct Sample {
        csi_role: Arn,
        cross_account_role: Arn,
        provider_arn: Arn,
        provider: OidcProvider,
        file_system: Arn,
        access_points: Arn,
        node_role: Arn,
        subjects: Vec<String>,
    }

    fn sample() -> Sample {
        let a = AccountId::parse("111111111111").unwrap();
        let b = AccountId::parse("222222222222").unwrap();
        let region = Region::parse("us-east-2").unwrap();
        let provider = OidcProvider::parse("oidc.op1.openshiftapps.com/2abc").unwrap();
        let fs = FileSystemId::parse("fs-0123456789abcdef0").unwrap();
        let role = |account: &AccountId, name: &str| {
            Arn::iam_role(Partition::Aws, account, &IamName::parse(name).unwrap())
        };
        Sample {
            csi_role: role(&a, "sts-cluster-aws-efs-csi-operator"),
            cross_account_role: role(&b, "cross-account-efs-role"),
            provider_arn: Arn::oidc_provider(Partition::Aws, &a, &provider),
            provider,
            file_system: Arn::efs_file_system(&region, &b, &fs),
            access_points: Arn::efs_access_points(&region, &b),
            node_role: role(&a, "sts-cluster-worker-role"),
            subjects: vec![
                "system:serviceaccount:openshift-cluster-csi-drivers:aws-efs-csi-driver-operator"
                    .to_owned(),
                "system:serviceaccount:openshift-cluster-csi-drivers:aws-efs-csi-driver-controller-sa"
                    .to_owned(),
            ],
        }
    }

    /// Every builder's document with its kind, under a stable name.
    fn documents(s: &Sample) -> Vec<(&'static str, PolicyDocument, DocumentKind)> {
        vec![
            (
                "csi_driver_policy",
                csi_driver_policy(&s.cross_account_role),
                DocumentKind::Identity,
            ),
            (
                "csi_web_identity_trust",
                csi_web_identity_trust(&s.provider_arn, s.provider.as_str(), &s.subjects),
                DocumentKind::Trust,
            ),
            (
                "cross_account_policy",
                cross_account_policy(&s.file_system, &s.access_points),
                DocumentKind::Identity,
            ),
            (
                "cross_account_trust",
                cross_account_trust(&s.csi_role),
                DocumentKind::Trust,
            ),
            (
                "file_system_policy",
                file_system_policy(&s.file_system, &[s.node_role.clone(), s.csi_role.clone()]),
                DocumentKind::Resource,
            ),
            (
                "efs_client_access_policy",
                efs_client_access_policy(&s.file_system),
                DocumentKind::Identity,
            ),
        ]
    }

    #[test]
    fn snapshots() {
        for (name, doc, _) in documents(&sample()) {
            insta::assert_snapshot!(name, doc.to_json_pretty());
        }
    }

    #[test]
    fn every_builder_document_lints_clean() {
        for (name, doc, kind) in documents(&sample()) {
            let findings = lint(&doc, kind);
            assert_eq!(findings, [], "{name}: {findings:#?}");
        }
    }

    #[test]
    fn every_builder_document_round_trips() {
        for (name, doc, _) in documents(&sample()) {
            let rendered = doc.to_json_pretty();
            let parsed = PolicyDocument::parse(&rendered).unwrap();
            assert_eq!(parsed, doc, "{name}");
            assert_eq!(parsed.to_json_pretty(), rendered, "{name}");
            assert!(doc.equivalent(&doc.normalized()), "{name}");
        }
    }

    #[test]
    fn root_trust_is_possible_but_flagged() {
        let root = Arn::account_root(Partition::Aws, &AccountId::parse("111111111111").unwrap());
        let findings = lint(&cross_account_trust(&root), DocumentKind::Trust);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].code, "trust-account-root");
        assert_eq!(findings[0].severity, Severity::Warning);
    }

    #[test]
    fn web_identity_trust_is_stable_and_takes_a_template_variable() {
        let s = sample();
        let mut reversed = s.subjects.clone();
        reversed.reverse();
        reversed.push(reversed[0].clone());
        assert_eq!(
            csi_web_identity_trust(&s.provider_arn, s.provider.as_str(), &reversed),
            csi_web_identity_trust(&s.provider_arn, s.provider.as_str(), &s.subjects),
        );
        let with_scheme = format!("https://{}/", s.provider);
        assert_eq!(
            csi_web_identity_trust(&s.provider_arn, &with_scheme, &s.subjects),
            csi_web_identity_trust(&s.provider_arn, s.provider.as_str(), &s.subjects),
        );
        let template = csi_web_identity_trust(&s.provider_arn, "${OIDC_PROVIDER}", &s.subjects);
        let json = template.to_json_pretty();
        assert!(json.contains("\"${OIDC_PROVIDER}:sub\""), "{json}");
        assert!(
            json.contains("\"${OIDC_PROVIDER}:aud\": \"openshift\""),
            "{json}"
        );
    }

    #[test]
    fn empty_inputs_are_reported_not_hidden() {
        let s = sample();
        let trust = csi_web_identity_trust(&s.provider_arn, s.provider.as_str(), &[]);
        assert!(
            lint(&trust, DocumentKind::Trust)
                .iter()
                .any(|f| f.code == "empty-condition-values" && f.severity == Severity::Error)
        );
        let fsp = file_system_policy(&s.file_system, &[]);
        assert!(
            lint(&fsp, DocumentKind::Resource)
                .iter()
                .any(|f| f.code == "empty-list" && f.severity == Severity::Error)
        );
    }

    #[test]
    fn b_policy_is_not_a_policy() {
        // The guide creates B's policy from A's file; ours differs from A's and from the guide's.
        let s = sample();
        let b = cross_account_policy(&s.file_system, &s.access_points);
        assert!(!b.equivalent(&csi_driver_policy(&s.cross_account_role)));
        let json = b.to_json_compact();
        assert!(!json.contains("sts:AssumeRole"));
        assert!(!json.contains("Client"));
        assert!(json.contains(s.file_system.as_str()));
    }
}
