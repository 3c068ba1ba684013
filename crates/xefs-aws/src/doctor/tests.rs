//! The reader over mockall mocks: what it reads in which case, and that a mock without an
//! expectation (every mutating call, every read it should skip) is never called.

use std::collections::BTreeMap;

use xefs_core::doctor::{IdentityFact, SecretFacts, StorageClassFacts};
use xefs_core::iam::PolicyDocument;
use xefs_core::ids::{
    AccountId, AzId, FileSystemId, IamName, InstanceId, Ipv4Cidr, MountTargetId, SecurityGroupId,
    SubnetId,
};
use xefs_core::spec::ThroughputMode;

use super::*;
use crate::ports::{
    CallerIdentity, FileSystem, LifeCycle, ManagedPolicy, MountTarget, NetworkAcl, NetworkAclEntry,
    Role, RouteTable, SecurityGroup, SecurityGroupRule, Subnet,
};
use crate::steps::fixtures::{VPC_A, VPC_B};
use crate::steps::test_support::{A, B, Mocks};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const OIDC: &str = "oidc.example.com/abc123";

/// A spec for A and B; `cluster_extra` is appended to `[cluster]`.
fn spec(cluster_extra: &str) -> StackSpec {
    let toml = format!(
        r#"
[stack]
name = "demo"
region = "us-east-1"

[cluster]
name = "demo-cluster"
account_id = "{A}"
vpc_id = "{VPC_A}"
vpc_cidr = "10.0.0.0/16"
{cluster_extra}

[storage]
account_id = "{B}"
vpc_id = "{VPC_B}"
vpc_cidr = "10.1.0.0/16"
"#
    );
    match StackSpec::from_toml_str(&toml, &BTreeMap::new()) {
        Ok(spec) => spec,
        Err(errors) => panic!("test spec is invalid: {errors:?}"),
    }
}

/// The spec before discovery could help: subnets and OIDC provider named.
fn named_spec() -> StackSpec {
    spec(&format!(
        "oidc_provider = \"{OIDC}\"\nworker_subnets = [\"subnet-000000a1\", \"subnet-000000a2\"]"
    ))
}

fn id(s: &str) -> AccountId {
    AccountId::parse(s).expect("test account id")
}

fn cidr(s: &str) -> Ipv4Cidr {
    Ipv4Cidr::parse(s).expect("test CIDR")
}

fn az(s: &str) -> AzId {
    AzId::parse(s).expect("test zone id")
}

fn subnet_id(s: &str) -> SubnetId {
    SubnetId::parse(s).expect("test subnet id")
}

fn sg(s: &str) -> SecurityGroupId {
    SecurityGroupId::parse(s).expect("test group id")
}

fn arn(s: &str) -> Arn {
    Arn::parse(s).expect("test ARN")
}

fn document(json: &str) -> PolicyDocument {
    PolicyDocument::parse(json).expect("test document")
}

fn identity(m: &mut Mocks, account: &'static str) {
    m.sts.expect_caller_identity().times(1).returning(move || {
        Ok(CallerIdentity {
            account: id(account),
            arn: arn(&format!("arn:aws:iam::{account}:user/admin")),
        })
    });
}

fn vpc(m: &mut Mocks, vpc: &'static str, block: &'static str, exists: bool) {
    m.ec2
        .expect_describe_vpc()
        .withf(move |v| v.as_str() == vpc)
        .times(1)
        .returning(move |v| {
            Ok(exists.then(|| Vpc {
                id: v.clone(),
                owner: id(A),
                cidr: cidr(block),
                cidrs: vec![cidr(block)],
            }))
        });
}

fn subnet(id: &str, vpc: &str, zone: &str, block: &str) -> Subnet {
    Subnet {
        id: subnet_id(id),
        vpc_id: VpcId::parse(vpc).expect("test VPC id"),
        az_name: "us-east-1a".into(),
        az_id: az(zone),
        cidr: cidr(block),
    }
}

/// A VPC's subnets, one main route table, and the default ACL allowing everything.
fn network(m: &mut Mocks, vpc: &'static str, subnets: Vec<Subnet>) {
    m.ec2
        .expect_subnets_in_vpc()
        .withf(move |v| v.as_str() == vpc)
        .times(1)
        .returning(move |_| Ok(subnets.clone()));
    m.ec2.expect_route_tables_in_vpc().times(1).returning(|v| {
        Ok(vec![RouteTable {
            id: xefs_core::ids::RouteTableId::parse("rtb-00000001").expect("table id"),
            vpc_id: v.clone(),
            main: true,
            subnets: Vec::new(),
            routes: Vec::new(),
        }])
    });
    m.ec2.expect_network_acls_in_vpc().times(1).returning(|v| {
        let all = |egress| NetworkAclEntry {
            rule_number: 100,
            egress,
            protocol: "-1".into(),
            port_range: None,
            cidr: cidr("0.0.0.0/0"),
            allow: true,
        };
        Ok(vec![NetworkAcl {
            id: "acl-00000001".into(),
            vpc_id: v.clone(),
            default: true,
            subnets: Vec::new(),
            entries: vec![all(true), all(false)],
        }])
    });
}

fn no_role(m: &mut Mocks) {
    m.iam.expect_get_role().times(1).returning(|_| Ok(None));
    m.iam
        .expect_attached_policies()
        .times(1)
        .returning(|_| Ok(Vec::new()));
}

fn no_peering(m: &mut Mocks) {
    m.ec2
        .expect_peerings_between()
        .times(2)
        .returning(|_, _| Ok(Vec::new()));
}

fn oidc_registered(m: &mut Mocks, providers: Vec<Arn>) {
    m.iam
        .expect_oidc_providers()
        .times(1)
        .returning(move || Ok(providers.clone()));
}

fn accounts(a: Mocks, b: Mocks) -> DoctorAccounts {
    DoctorAccounts {
        cluster: Ok(a.account(A)),
        storage: Ok(b.account(B)),
    }
}

#[tokio::test]
async fn credentials_of_another_account_in_b_leave_b_unread_and_a_read() -> TestResult {
    let spec = named_spec();
    let (mut a, mut b) = (Mocks::default(), Mocks::default());
    identity(&mut a, A);
    vpc(&mut a, VPC_A, "10.0.0.0/16", true);
    no_role(&mut a);
    oidc_registered(
        &mut a,
        vec![arn(&format!("arn:aws:iam::{A}:oidc-provider/{OIDC}"))],
    );
    // B's credentials act in a third account: only STS is asked there.
    identity(&mut b, "333333333333");

    let snapshot = read_snapshot(&spec, &accounts(a, b), None).await?;

    assert_eq!(
        snapshot.storage_account.identity,
        IdentityFact::WrongAccount {
            actual: id("333333333333"),
            caller: "arn:aws:iam::333333333333:user/admin".into(),
        }
    );
    assert_eq!(snapshot.storage_account.expected, id(B));
    assert_eq!(snapshot.storage_account.vpc.cidrs, None);
    assert_eq!(snapshot.iam.cross_account_role.found, None);
    assert_eq!(snapshot.file_system, None);
    assert_eq!(snapshot.network, None, "no network without B's VPC");

    assert!(matches!(
        snapshot.cluster_account.identity,
        IdentityFact::Verified { .. }
    ));
    assert_eq!(
        snapshot.cluster_account.vpc.cidrs,
        Some(vec![cidr("10.0.0.0/16")])
    );
    assert_eq!(snapshot.iam.csi_role.found, None);
    assert_eq!(snapshot.iam.csi_role.arn, spec.csi_role_arn());
    let oidc = snapshot.oidc.ok_or("A's OIDC provider was read")?;
    assert!(oidc.registered);
    assert_eq!(oidc.provider.as_str(), OIDC);
    Ok(())
}

#[tokio::test]
async fn an_account_that_did_not_connect_is_unavailable_with_the_reason() -> TestResult {
    let spec = named_spec();
    let mut b = Mocks::default();
    identity(&mut b, B);
    vpc(&mut b, VPC_B, "10.1.0.0/16", true);
    no_role(&mut b);
    b.efs
        .expect_file_system_by_token()
        .times(1)
        .returning(|_| Ok(None));
    let accounts = DoctorAccounts {
        cluster: Err(ProviderError::Config {
            role: AccountRole::Cluster,
            message: "profile `aws_account_a` is not in ~/.aws/config".into(),
        }),
        storage: Ok(b.account(B)),
    };

    let snapshot = read_snapshot(&spec, &accounts, None).await?;

    let IdentityFact::Unavailable { error } = &snapshot.cluster_account.identity else {
        return Err(format!("{:?}", snapshot.cluster_account.identity).into());
    };
    assert!(error.contains("aws_account_a"), "{error}");
    // Without A, its OIDC provider is unknown rather than "not registered".
    assert_eq!(snapshot.oidc, None);
    assert_eq!(snapshot.cluster_account.vpc.cidrs, None);
    assert!(matches!(
        snapshot.storage_account.identity,
        IdentityFact::Verified { .. }
    ));
    assert_eq!(
        snapshot.storage_account.vpc.cidrs,
        Some(vec![cidr("10.1.0.0/16")])
    );
    Ok(())
}

#[tokio::test]
async fn a_missing_vpc_is_a_fact_and_no_network_is_read() -> TestResult {
    let spec = named_spec();
    let (mut a, mut b) = (Mocks::default(), Mocks::default());
    identity(&mut a, A);
    identity(&mut b, B);
    vpc(&mut a, VPC_A, "10.0.0.0/16", false);
    vpc(&mut b, VPC_B, "10.1.0.0/16", true);
    no_role(&mut a);
    no_role(&mut b);
    oidc_registered(&mut a, Vec::new());
    b.efs
        .expect_file_system_by_token()
        .withf(|token| token == "demo")
        .times(1)
        .returning(|_| Ok(None));
    // No subnets, route tables, ACLs or peerings are asked for in either account.

    let snapshot = read_snapshot(&spec, &accounts(a, b), None).await?;

    assert_eq!(snapshot.cluster_account.vpc.cidrs, None);
    assert_eq!(snapshot.cluster_account.vpc.id.as_str(), VPC_A);
    assert_eq!(
        snapshot.cluster_account.vpc.expected_cidr,
        cidr("10.0.0.0/16")
    );
    assert_eq!(
        snapshot.storage_account.vpc.cidrs,
        Some(vec![cidr("10.1.0.0/16")])
    );
    assert_eq!(snapshot.network, None);
    assert_eq!(snapshot.oidc.map(|o| o.registered), Some(false));
    Ok(())
}

#[tokio::test]
async fn before_apply_the_network_is_read_and_nothing_of_xefs_is_found() -> TestResult {
    let spec = named_spec();
    let (mut a, mut b) = (Mocks::default(), Mocks::default());
    identity(&mut a, A);
    identity(&mut b, B);
    vpc(&mut a, VPC_A, "10.0.0.0/16", true);
    vpc(&mut b, VPC_B, "10.1.0.0/16", true);
    network(
        &mut a,
        VPC_A,
        vec![
            subnet("subnet-000000a1", VPC_A, "use1-az6", "10.0.1.0/24"),
            subnet("subnet-000000a2", VPC_A, "use1-az1", "10.0.2.0/24"),
        ],
    );
    network(
        &mut b,
        VPC_B,
        vec![subnet("subnet-000000b1", VPC_B, "use1-az6", "10.1.1.0/24")],
    );
    no_peering(&mut a);
    no_role(&mut a);
    no_role(&mut b);
    oidc_registered(&mut a, Vec::new());
    b.efs
        .expect_file_system_by_token()
        .times(1)
        .returning(|_| Ok(None));
    // The NFS group xefs would create, by the name its step uses.
    let group_name = Names::of(&spec)
        .nfs_group
        .ok_or("the blueprint names the group")?;
    b.ec2
        .expect_find_security_group()
        .withf(move |vpc, name| vpc.as_str() == VPC_B && name == group_name)
        .times(1)
        .returning(|_, _| Ok(None));

    let snapshot = read_snapshot(&spec, &accounts(a, b), None).await?;

    assert!(!snapshot.applied());
    assert_eq!(snapshot.file_system, None);
    assert_eq!(snapshot.iam.csi_role.found, None);
    assert_eq!(snapshot.iam.cross_account_role.found, None);
    assert_eq!(snapshot.iam.namespace, spec.operator.namespace.to_string());
    let network = snapshot.network.ok_or("both VPCs exist")?;
    assert_eq!(network.peering, None);
    assert!(network.mount_targets.is_empty());
    assert!(network.storage.security_groups.is_empty());
    assert_eq!(
        network
            .workers
            .iter()
            .map(|w| (w.subnet.as_str(), w.az_id.as_str()))
            .collect::<Vec<_>>(),
        [
            ("subnet-000000a1", "use1-az6"),
            ("subnet-000000a2", "use1-az1")
        ]
    );
    assert_eq!(network.cluster.account, id(A));
    assert_eq!(network.storage.cidr, cidr("10.1.0.0/16"));
    assert_eq!(network.storage.network_acls.len(), 1);
    Ok(())
}

fn cluster_facts(issuer: &str, instances: &[&str]) -> ClusterFacts {
    let secret = |name: &str| SecretFacts {
        namespace: "openshift-cluster-csi-drivers".into(),
        name: name.into(),
        found: false,
        role_arn: None,
    };
    ClusterFacts {
        cloud_credentials: secret("aws-efs-cloud-credentials"),
        cross_account_secret: secret("cross-account-arn"),
        storage_class: StorageClassFacts {
            name: "efs-sc".into(),
            found: false,
            provisioner: None,
            parameters: BTreeMap::new(),
        },
        csi_driver: false,
        service_account_issuer: Some(issuer.into()),
        worker_instances: instances
            .iter()
            .map(|i| InstanceId::parse(i).expect("test instance id"))
            .collect(),
    }
}

#[tokio::test]
async fn after_apply_the_cluster_facts_fill_what_the_spec_leaves_out() -> TestResult {
    // No OIDC provider, worker subnets or node roles in the spec: the cluster's facts say.
    let spec = spec("");
    let facts = cluster_facts(&format!("https://{OIDC}"), &["i-00000001", "i-00000002"]);
    let (mut a, mut b) = (Mocks::default(), Mocks::default());
    identity(&mut a, A);
    identity(&mut b, B);
    vpc(&mut a, VPC_A, "10.0.0.0/16", true);
    vpc(&mut b, VPC_B, "10.1.0.0/16", true);
    network(
        &mut a,
        VPC_A,
        vec![subnet("subnet-000000a1", VPC_A, "use1-az6", "10.0.1.0/24")],
    );
    network(
        &mut b,
        VPC_B,
        vec![subnet("subnet-000000b1", VPC_B, "use1-az6", "10.1.1.0/24")],
    );
    no_peering(&mut a);
    oidc_registered(&mut a, Vec::new());

    // The workers: one in A's VPC, one in a subnet of another VPC (found on its own).
    let profile = format!("arn:aws:iam::{A}:instance-profile/worker-profile");
    a.ec2
        .expect_describe_instances()
        .withf(|ids| ids.len() == 2)
        .times(1)
        .returning(move |ids| {
            Ok(ids
                .iter()
                .zip(["subnet-000000a1", "subnet-000000c1"])
                .map(|(i, s)| Instance {
                    id: i.clone(),
                    subnet_id: Some(subnet_id(s)),
                    vpc_id: None,
                    instance_profile_arn: Some(profile.clone()),
                })
                .collect())
        });
    a.ec2
        .expect_describe_subnets()
        .withf(|ids| ids == [subnet_id("subnet-000000c1")])
        .times(1)
        .returning(|_| {
            Ok(vec![subnet(
                "subnet-000000c1",
                "vpc-0000000c",
                "use1-az2",
                "172.16.0.0/24",
            )])
        });
    let worker_role = arn(&format!("arn:aws:iam::{A}:role/worker-role"));
    let role = worker_role.clone();
    a.iam
        .expect_instance_profile_roles()
        .withf(|p| p == "worker-profile")
        .times(1)
        .returning(move |_| Ok(vec![role.clone()]));

    // A's CSI role with one policy at its default version.
    let trust = document(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"x"},"Action":"sts:AssumeRoleWithWebIdentity"}]}"#,
    );
    let allow = document(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
    );
    let csi_arn = spec.csi_role_arn();
    let policy_arn = spec.csi_policy_arn();
    let (t, c) = (trust.clone(), csi_arn.clone());
    a.iam
        .expect_get_role()
        .withf(|n: &IamName| n.as_str() == "demo-cluster-aws-efs-csi-operator")
        .times(1)
        .returning(move |n| {
            Ok(Some(Role {
                name: n.clone(),
                arn: c.clone(),
                trust: t.clone(),
                description: None,
                tags: BTreeMap::new(),
            }))
        });
    let p = policy_arn.clone();
    a.iam
        .expect_attached_policies()
        .times(1)
        .returning(move |_| Ok(vec![p.clone()]));
    a.iam.expect_get_policy().times(1).returning(|arn| {
        Ok(Some(ManagedPolicy {
            arn: arn.clone(),
            default_version_id: "v3".into(),
            tags: BTreeMap::new(),
        }))
    });
    let d = allow.clone();
    a.iam
        .expect_get_policy_document()
        .withf(|_, version| version == "v3")
        .times(1)
        .returning(move |_, _| Ok(d.clone()));

    // B: no role yet, but a file system with one available mount target in the NFS group.
    no_role(&mut b);
    let fs_id = FileSystemId::parse("fs-0000000b")?;
    let fs = FileSystem {
        id: fs_id.clone(),
        creation_token: "demo".into(),
        life_cycle: LifeCycle::Available,
        performance_mode: xefs_core::spec::PerformanceMode::GeneralPurpose,
        throughput_mode: ThroughputMode::Elastic,
        provisioned_throughput_mibps: None,
        encrypted: true,
        kms_key_id: None,
        one_zone_az_id: None,
        size_bytes: 6144,
        mount_targets: 1,
        tags: BTreeMap::new(),
    };
    b.efs
        .expect_file_system_by_token()
        .times(1)
        .returning(move |_| Ok(Some(fs.clone())));
    b.efs
        .expect_file_system_policy()
        .times(1)
        .returning(|_| Ok(None));
    let target = MountTarget {
        id: MountTargetId::parse("fsmt-0000000b")?,
        file_system_id: fs_id.clone(),
        subnet_id: subnet_id("subnet-000000b1"),
        // EFS left these out: they come from the subnet.
        vpc_id: None,
        az_id: None,
        ip_address: Some("10.1.1.10".into()),
        life_cycle: LifeCycle::Available,
    };
    b.efs
        .expect_mount_targets()
        .times(1)
        .returning(move |_| Ok(vec![target.clone()]));
    b.efs
        .expect_mount_target_security_groups()
        .times(1)
        .returning(|_| Ok(vec![sg("sg-0000000b")]));
    let group = SecurityGroup {
        id: sg("sg-0000000b"),
        name: "demo-efs-mount-targets".into(),
        vpc_id: VpcId::parse(VPC_B)?,
        ingress: vec![SecurityGroupRule {
            protocol: "tcp".into(),
            from_port: Some(2049),
            to_port: Some(2049),
            cidrs: vec![cidr("10.0.0.0/16")],
        }],
        egress: Vec::new(),
        tags: BTreeMap::new(),
    };
    let g = group.clone();
    b.ec2
        .expect_describe_security_group()
        .times(1)
        .returning(move |_| Ok(Some(g.clone())));
    b.ec2
        .expect_find_security_group()
        .times(1)
        .returning(move |_, _| Ok(Some(group.clone())));

    let snapshot = read_snapshot(&spec, &accounts(a, b), Some(facts.clone())).await?;

    let oidc = snapshot
        .oidc
        .as_ref()
        .ok_or("the issuer names the provider")?;
    assert_eq!(oidc.provider.as_str(), OIDC);
    assert!(!oidc.registered);
    assert_eq!(snapshot.iam.node_roles, [worker_role]);
    let csi = snapshot
        .iam
        .csi_role
        .found
        .as_ref()
        .ok_or("CSI role found")?;
    assert_eq!(csi.trust, trust);
    assert_eq!(csi.policies.len(), 1);
    assert_eq!(csi.policies[0].arn, policy_arn);
    assert_eq!(csi.combined_policy(), allow);
    let fs = snapshot.file_system.as_ref().ok_or("file system found")?;
    assert_eq!(fs.id, fs_id);
    assert_eq!(fs.life_cycle, "available");
    assert_eq!(
        fs.arn.to_string(),
        format!("arn:aws:elasticfilesystem:us-east-1:{B}:file-system/fs-0000000b")
    );
    assert!(fs.policy_expected && fs.policy.is_none());
    let network = snapshot.network.as_ref().ok_or("both VPCs exist")?;
    assert_eq!(
        network
            .workers
            .iter()
            .map(|w| (w.subnet.as_str(), w.az_id.as_str()))
            .collect::<Vec<_>>(),
        [
            ("subnet-000000a1", "use1-az6"),
            ("subnet-000000c1", "use1-az2")
        ]
    );
    let [mt] = network.mount_targets.as_slice() else {
        return Err(format!("{:?}", network.mount_targets).into());
    };
    assert_eq!((mt.az_id.as_str(), mt.vpc.as_str()), ("use1-az6", VPC_B));
    assert_eq!(mt.security_groups, [sg("sg-0000000b")]);
    assert_eq!(mt.state, "available");
    // The group used by the mount target and found by name is listed once.
    assert_eq!(network.storage.security_groups.len(), 1);
    assert_eq!(
        network.storage.security_groups[0].ingress[0].from_port,
        Some(2049)
    );
    assert_eq!(snapshot.cluster, Some(facts));
    assert!(snapshot.applied());
    Ok(())
}
