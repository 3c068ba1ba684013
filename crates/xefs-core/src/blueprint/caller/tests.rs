//! The caller's documents: exact for the default stack, lint-clean for every option, and
//! following the spec's options.

use std::collections::BTreeMap;

use super::*;
use crate::blueprint::Phase;
use crate::iam::eval::{Request, evaluate};
use crate::iam::lint::{DocumentKind, lint};
use crate::spec::StackSpec;
use crate::spec::fixtures::{MINIMAL, MINIMAL_KNOWN};

fn parse(text: &str) -> StackSpec {
    match StackSpec::from_toml_str(text, &BTreeMap::new()) {
        Ok(s) => s,
        Err(e) => panic!("test spec is invalid: {e}"),
    }
}

/// The minimal config with whole sections appended.
fn with(extra: &str) -> StackSpec {
    parse(&format!("{MINIMAL}\n{extra}"))
}

/// The minimal config with lines added to its `[cluster]` or `[storage]` section (after the
/// section's `vpc_cidr`).
fn with_keys(section_cidr: &str, lines: &str) -> StackSpec {
    let anchor = format!("vpc_cidr = \"{section_cidr}\"\n");
    assert!(MINIMAL.contains(&anchor), "no {anchor:?} in the fixture");
    parse(&MINIMAL.replacen(&anchor, &format!("{anchor}{lines}\n"), 1))
}

fn policies(spec: &StackSpec) -> CallerPolicies {
    caller_policies_with(
        &Blueprint::build(spec),
        spec.storage.assume_role_arn.as_ref(),
    )
}

/// Every `(action, resources, conditional)` of a document.
fn grants(doc: &PolicyDocument) -> Vec<(String, Vec<String>, bool)> {
    doc.statements
        .iter()
        .flat_map(|st| {
            let resources: Vec<String> = st
                .resource
                .as_ref()
                .map(|r| r.values().iter().map(str::to_owned).collect())
                .unwrap_or_default();
            let conditional = st.condition.is_some();
            st.action
                .values()
                .iter()
                .map(move |a| (a.to_owned(), resources.clone(), conditional))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn actions(doc: &PolicyDocument) -> Vec<String> {
    let mut all: Vec<String> = grants(doc).into_iter().map(|(a, _, _)| a).collect();
    all.sort();
    all.dedup();
    all
}

fn grants_action(doc: &PolicyDocument, action: &str) -> bool {
    actions(doc).iter().any(|a| a == action)
}

#[test]
fn default_stack_documents() {
    let p = policies(&with(""));
    insta::assert_snapshot!("caller_account_a", p.cluster_account.to_json_pretty());
    insta::assert_snapshot!("caller_account_b", p.storage_account.to_json_pretty());
}

/// Specs exercising every option that changes the caller's permissions.
fn variants() -> Vec<(&'static str, StackSpec)> {
    vec![
        ("minimal", with("")),
        ("known", parse(MINIMAL_KNOWN)),
        ("dns", with("[network]\npeering_dns_resolution = true\n")),
        ("no-fs-policy", with("[efs]\nfile_system_policy = false\n")),
        (
            "kms-arn",
            with(
                "[efs]\nkms_key_id = \"arn:aws:kms:us-east-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab\"\n",
            ),
        ),
        ("kms-alias", with("[efs]\nkms_key_id = \"alias/efs\"\n")),
        ("one-zone", with("[efs]\none_zone_az_id = \"use2-az1\"\n")),
        (
            "node-roles",
            with_keys(
                "10.0.0.0/16",
                "node_role_arns = [\"arn:aws:iam::111111111111:role/sts-cluster-worker-role\"]",
            ),
        ),
        (
            "assume-role",
            with_keys(
                "10.1.0.0/16",
                "assume_role_arn = \"arn:aws:iam::222222222222:role/xefs-deployer\"",
            ),
        ),
        ("root-trust", with("[iam]\ntrust = \"account-root\"\n")),
    ]
}

#[test]
fn every_document_passes_the_linter() {
    for (name, spec) in variants() {
        let b = Blueprint::build(&spec);
        let phases = [
            b.clone(),
            b.select(&[Phase::Aws]),
            b.select(&[Phase::Cluster]),
            b.select(&[Phase::Verify]),
        ];
        for blueprint in phases {
            let p = caller_policies_with(&blueprint, spec.storage.assume_role_arn.as_ref());
            for (account, doc) in [("A", &p.cluster_account), ("B", &p.storage_account)] {
                let findings = lint(doc, DocumentKind::Identity);
                assert_eq!(
                    findings,
                    [],
                    "{name}, account {account}:\n{}",
                    doc.to_json_pretty()
                );
                let json = doc.to_json_pretty();
                assert_eq!(
                    PolicyDocument::parse(&json)
                        .map(|d| d.to_json_pretty())
                        .ok(),
                    Some(json.clone()),
                    "{name}, account {account}: does not round-trip"
                );
            }
        }
    }
}

#[test]
fn no_action_is_granted_twice_on_the_same_resources() {
    for (name, spec) in variants() {
        let p = policies(&spec);
        for doc in [&p.cluster_account, &p.storage_account] {
            let all = grants(doc);
            for (i, (action, resources, conditional)) in all.iter().enumerate() {
                for (other, other_resources, other_conditional) in &all[i + 1..] {
                    let set = |r: &[String]| r.iter().cloned().collect::<BTreeSet<_>>();
                    let overlapping = covers(&set(other_resources), &set(resources))
                        || covers(&set(resources), &set(other_resources));
                    assert!(
                        action != other || *conditional || *other_conditional || !overlapping,
                        "{name}: {action} twice on {resources:?} / {other_resources:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn each_account_names_only_its_own_resources() {
    for (name, spec) in variants() {
        let p = policies(&spec);
        let a = p.cluster_account.to_json_compact();
        let b = p.storage_account.to_json_compact();
        assert!(!b.contains("111111111111"), "{name}: B's document names A");
        if spec.storage.assume_role_arn.is_none() {
            assert!(!a.contains("222222222222"), "{name}: A's document names B");
        }
        // EFS lives in B only, and the peering is requested from A.
        assert!(!a.contains("elasticfilesystem:"), "{name}");
        assert!(!b.contains("CreateVpcPeeringConnection"), "{name}");
        assert!(!a.contains("AcceptVpcPeeringConnection"), "{name}");
    }
}

#[test]
fn turning_the_file_system_policy_off_removes_its_actions() {
    let on = policies(&with(""));
    let off = policies(&with("[efs]\nfile_system_policy = false\n"));
    for action in [
        "elasticfilesystem:PutFileSystemPolicy",
        "elasticfilesystem:DeleteFileSystemPolicy",
    ] {
        assert!(grants_action(&on.storage_account, action), "{action}");
        assert!(!grants_action(&off.storage_account, action), "{action}");
    }
    // Doctor still reads whatever policy the file system has.
    assert!(grants_action(
        &off.storage_account,
        "elasticfilesystem:DescribeFileSystemPolicy"
    ));
    assert_eq!(on.cluster_account, off.cluster_account);
}

#[test]
fn options_add_exactly_what_their_steps_call() {
    let base = policies(&with(""));
    assert!(!grants_action(
        &base.storage_account,
        "ec2:ModifyVpcPeeringConnectionOptions"
    ));
    let dns = policies(&with("[network]\npeering_dns_resolution = true\n"));
    assert!(grants_action(
        &dns.storage_account,
        "ec2:ModifyVpcPeeringConnectionOptions"
    ));

    assert!(!grants_action(&base.cluster_account, "sts:AssumeRole"));
    let assume = policies(&with_keys(
        "10.1.0.0/16",
        "assume_role_arn = \"arn:aws:iam::222222222222:role/xefs-deployer\"",
    ));
    let assume_grants: Vec<_> = grants(&assume.cluster_account)
        .into_iter()
        .filter(|(a, _, _)| a == "sts:AssumeRole")
        .collect();
    assert_eq!(
        assume_grants,
        [(
            "sts:AssumeRole".to_owned(),
            vec!["arn:aws:iam::222222222222:role/xefs-deployer".to_owned()],
            false
        )]
    );

    // Node roles read from the instance profiles: any role, but only the client-access
    // policy may be attached. Named in the spec: those roles only, and no profile reads.
    let a = base.cluster_account.to_json_compact();
    assert!(a.contains("iam:GetInstanceProfile"), "{a}");
    assert!(a.contains("arn:aws:iam::111111111111:role/*"), "{a}");
    assert!(a.contains("iam:PolicyARN"), "{a}");
    let named = policies(&with_keys(
        "10.0.0.0/16",
        "node_role_arns = [\"arn:aws:iam::111111111111:role/sts-cluster-worker-role\"]",
    ))
    .cluster_account
    .to_json_compact();
    assert!(!named.contains("role/*"), "{named}");
    assert!(!named.contains("iam:GetInstanceProfile"), "{named}");
    assert!(named.contains("role/sts-cluster-worker-role"), "{named}");

    assert!(!base.storage_account.to_json_compact().contains("kms:"));
    let kms = policies(&with(
        "[efs]\nkms_key_id = \"1234abcd-12ab-34cd-56ef-1234567890ab\"\n",
    ))
    .storage_account
    .to_json_compact();
    assert!(
        kms.contains("arn:aws:kms:us-east-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        "{kms}"
    );
    assert!(
        kms.contains("elasticfilesystem.us-east-2.amazonaws.com"),
        "{kms}"
    );
}

#[test]
fn a_cluster_only_selection_still_confirms_both_identities() {
    let spec = with("");
    let p = caller_policies(&Blueprint::build(&spec).select(&[Phase::Cluster]));
    for doc in [&p.cluster_account, &p.storage_account] {
        assert!(grants_action(doc, "sts:GetCallerIdentity"));
    }
}

/// A call a step or doctor makes, on a resource of the default stack, with the context keys
/// AWS sets for it.
fn call(action: &str, resource: &str) -> Request {
    Request::new(action, resource)
}

#[test]
fn the_default_stack_s_calls_are_allowed() {
    let p = policies(&with(""));
    let fs = "arn:aws:elasticfilesystem:us-east-2:222222222222:file-system/fs-0123456789abcdef0";
    let a_calls = [
        call("sts:GetCallerIdentity", "*"),
        call("ec2:DescribeInstances", "*"),
        call("iam:ListOpenIDConnectProviders", "*"),
        call(
            "iam:GetInstanceProfile",
            "arn:aws:iam::111111111111:instance-profile/worker-profile",
        ),
        call(
            "iam:GetPolicyVersion",
            "arn:aws:iam::111111111111:policy/sts-cluster-rosa-efs-csi",
        ),
        call(
            "iam:CreatePolicyVersion",
            "arn:aws:iam::111111111111:policy/sts-cluster-rosa-efs-csi",
        ),
        call(
            "iam:ListAttachedRolePolicies",
            "arn:aws:iam::111111111111:role/sts-cluster-aws-efs-csi-operator",
        ),
        call(
            "iam:UpdateAssumeRolePolicy",
            "arn:aws:iam::111111111111:role/sts-cluster-aws-efs-csi-operator",
        ),
        call(
            "iam:AttachRolePolicy",
            "arn:aws:iam::111111111111:role/worker-role",
        )
        .with(
            "iam:PolicyARN",
            "arn:aws:iam::111111111111:policy/sts-cluster-efs-client-access",
        ),
        call(
            "ec2:CreateVpcPeeringConnection",
            "arn:aws:ec2:us-east-2:111111111111:vpc/vpc-0a1b2c3d4e5f60718",
        ),
        call(
            "ec2:CreateTags",
            "arn:aws:ec2:us-east-2:111111111111:vpc-peering-connection/pcx-1",
        )
        .with("ec2:CreateAction", "CreateVpcPeeringConnection"),
        call(
            "ec2:CreateRoute",
            "arn:aws:ec2:us-east-2:111111111111:route-table/rtb-1",
        ),
    ];
    let b_calls = [
        call("sts:GetCallerIdentity", "*"),
        call("elasticfilesystem:DescribeMountTargetSecurityGroups", "*"),
        call(
            "iam:GetPolicy",
            "arn:aws:iam::aws:policy/AmazonElasticFileSystemClientFullAccess",
        ),
        call(
            "iam:DeletePolicyVersion",
            "arn:aws:iam::222222222222:policy/cross-account-rosa-efs-csi",
        ),
        call(
            "iam:CreateRole",
            "arn:aws:iam::222222222222:role/cross-account-efs-role",
        ),
        call(
            "ec2:AcceptVpcPeeringConnection",
            "arn:aws:ec2:us-east-2:111111111111:vpc-peering-connection/pcx-1",
        ),
        call(
            "ec2:CreateRoute",
            "arn:aws:ec2:us-east-2:222222222222:route-table/rtb-2",
        ),
        call(
            "ec2:AuthorizeSecurityGroupIngress",
            "arn:aws:ec2:us-east-2:222222222222:security-group/sg-1",
        )
        .with(
            "ec2:Vpc",
            "arn:aws:ec2:us-east-2:222222222222:vpc/vpc-0f1e2d3c4b5a69788",
        ),
        call("elasticfilesystem:CreateFileSystem", fs),
        call("elasticfilesystem:TagResource", fs)
            .with("elasticfilesystem:CreateAction", "CreateFileSystem"),
        call("elasticfilesystem:CreateMountTarget", fs),
        call(
            "ec2:CreateNetworkInterface",
            "arn:aws:ec2:us-east-2:222222222222:subnet/subnet-1",
        ),
        call("elasticfilesystem:PutFileSystemPolicy", fs),
    ];
    for (account, doc, calls) in [
        ("A", &p.cluster_account, &a_calls[..]),
        ("B", &p.storage_account, &b_calls[..]),
    ] {
        for request in calls {
            let decision = evaluate(&[("caller", doc)], request);
            assert!(
                decision.allowed,
                "account {account}: {} on {} is denied",
                request.action, request.resource
            );
        }
    }
    // And not more than the stack needs.
    let denied = [
        (
            &p.cluster_account,
            call(
                "iam:AttachRolePolicy",
                "arn:aws:iam::111111111111:role/worker-role",
            )
            .with(
                "iam:PolicyARN",
                "arn:aws:iam::aws:policy/AdministratorAccess",
            ),
        ),
        (
            &p.cluster_account,
            call(
                "iam:DeleteRole",
                "arn:aws:iam::111111111111:role/someone-else",
            ),
        ),
        (
            &p.storage_account,
            call(
                "ec2:DeleteSecurityGroup",
                "arn:aws:ec2:us-east-2:222222222222:security-group/sg-1",
            )
            .with(
                "ec2:Vpc",
                "arn:aws:ec2:us-east-2:222222222222:vpc/vpc-other",
            ),
        ),
        (
            &p.storage_account,
            call("elasticfilesystem:TagResource", fs),
        ),
        (
            &p.storage_account,
            call(
                "elasticfilesystem:DeleteFileSystem",
                "arn:aws:elasticfilesystem:eu-west-1:222222222222:file-system/fs-1",
            ),
        ),
    ];
    for (doc, request) in denied {
        assert!(
            !evaluate(&[("caller", doc)], &request).allowed,
            "{} on {} is allowed",
            request.action,
            request.resource
        );
    }
}
