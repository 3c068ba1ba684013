//! The permissions of whoever runs xefs: the IAM identity policy the person or CI principal
//! needs in each account, derived from the blueprint's steps.
//!
//! Each [`StepSpec`] is mapped to the AWS actions its provider step calls (observe, ensure and
//! remove: `plan`, `apply` and `destroy` need the same principal), plus the reads `xefs
//! doctor` makes and `sts:GetCallerIdentity`, which every command uses to confirm the account.
//! Resources are scoped wherever IAM allows it: xefs's own roles and policies by name, EC2 and
//! EFS writes to the stack's region and account (and VPC where a condition key exists);
//! `Describe*`/`List*` calls that IAM cannot scope keep `Resource: "*"`. Steps the spec leaves
//! out ask for nothing: without a file-system policy there is no
//! `elasticfilesystem:PutFileSystemPolicy`.
//!
//! ```
//! use std::collections::BTreeMap;
//! use xefs_core::blueprint::{Blueprint, caller_policies};
//! use xefs_core::spec::StackSpec;
//!
//! let toml = r#"
//! [stack]
//! name = "demo"
//! region = "us-east-2"
//! [cluster]
//! name = "sts-cluster"
//! account_id = "111111111111"
//! vpc_id = "vpc-0a1b2c3d4e5f60718"
//! vpc_cidr = "10.0.0.0/16"
//! [storage]
//! account_id = "222222222222"
//! vpc_id = "vpc-0f1e2d3c4b5a69788"
//! vpc_cidr = "10.1.0.0/16"
//! "#;
//! let spec = StackSpec::from_toml_str(toml, &BTreeMap::new())?;
//! let policies = caller_policies(&Blueprint::build(&spec));
//! let b = policies.storage_account.to_json_compact();
//! assert!(b.contains("elasticfilesystem:PutFileSystemPolicy"));
//! assert!(!policies.cluster_account.to_json_compact().contains("elasticfilesystem:"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};

use super::steps::{StepSpec, WorkerSource};
use super::{Blueprint, PolicyTemplate, Target, Value};
use crate::iam::eval::wildcard_match;
use crate::iam::{PolicyDocument, Statement};
use crate::ids::{Arn, VpcId};

/// The identity policies the caller of xefs needs: attach each to the principal xefs acts as
/// in that account (the profile's user or role, or the role `storage.assume_role_arn` names
/// for account B).
#[derive(Debug, Clone, PartialEq)]
pub struct CallerPolicies {
    /// For the principal acting in account A (the cluster account).
    pub cluster_account: PolicyDocument,
    /// For the principal acting in account B (the storage account).
    pub storage_account: PolicyDocument,
}

/// The caller's permissions for `blueprint`, in both accounts.
///
/// Credentials for account B that come from assuming `storage.assume_role_arn` with account
/// A's credentials also need `sts:AssumeRole` on that role in A's document: use
/// [`caller_policies_with`] for that.
pub fn caller_policies(blueprint: &Blueprint) -> CallerPolicies {
    caller_policies_with(blueprint, None)
}

/// Like [`caller_policies`], with `sts:AssumeRole` on `storage_assume_role` in account A's
/// document when xefs reaches account B by assuming that role (`storage.assume_role_arn`).
pub fn caller_policies_with(
    blueprint: &Blueprint,
    storage_assume_role: Option<&Arn>,
) -> CallerPolicies {
    let scope = Scope::of(blueprint);
    let mut a = Grants::default();
    let mut b = Grants::default();
    // Every command confirms both accounts' identities before anything else.
    for grants in [&mut a, &mut b] {
        grants.allow("CallerIdentity", &["sts:GetCallerIdentity"], ["*".into()]);
    }
    let on = |target: Target| blueprint.steps.iter().any(|s| s.target == target);
    if on(Target::ClusterAccount) || on(Target::BothAccounts) {
        doctor_reads(Side::Cluster, &mut a);
    }
    if on(Target::StorageAccount) || on(Target::BothAccounts) {
        doctor_reads(Side::Storage, &mut b);
    }
    for step in &blueprint.steps {
        let (side, grants) = match step.target {
            Target::ClusterAccount => (Side::Cluster, &mut a),
            Target::StorageAccount => (Side::Storage, &mut b),
            Target::BothAccounts => {
                if let StepSpec::Preflight(_) = &step.spec {
                    a.allow("DescribeNetwork", &["ec2:DescribeVpcs"], ["*".into()]);
                    a.allow(
                        "ListOidcProviders",
                        &["iam:ListOpenIDConnectProviders"],
                        ["*".into()],
                    );
                    b.allow("DescribeNetwork", &["ec2:DescribeVpcs"], ["*".into()]);
                }
                continue;
            }
            Target::Cluster => continue,
        };
        step_grants(&step.spec, side, &scope, grants);
    }
    if let Some(role) = storage_assume_role {
        a.allow(
            "AssumeStorageAccountRole",
            &["sts:AssumeRole"],
            [role.to_string()],
        );
    }
    CallerPolicies {
        cluster_account: a.document(),
        storage_account: b.document(),
    }
}

/// Which account a grant is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Cluster,
    Storage,
}

/// What the blueprint says about where the stack lives, for building resource ARNs. A value
/// the blueprint does not hold (a selection without the step that names it) becomes `*`.
struct Scope {
    partition: String,
    region: String,
    cluster_account: String,
    storage_account: String,
    cluster_vpc: Option<VpcId>,
    storage_vpc: Option<VpcId>,
}

impl Scope {
    fn of(blueprint: &Blueprint) -> Scope {
        let mut partition: Option<String> = None;
        let mut region = None;
        let mut accounts: [Option<String>; 2] = [None, None];
        let mut vpcs: [Option<VpcId>; 2] = [None, None];
        let set = |slot: &mut Option<String>, value: String| {
            slot.get_or_insert(value);
        };
        for step in &blueprint.steps {
            let side = match step.target {
                Target::ClusterAccount => Some(0),
                Target::StorageAccount => Some(1),
                _ => None,
            };
            let mut arn_seen = |arn: &Arn| {
                set(&mut partition, arn.partition().to_owned());
                if let (Some(i), Some(account)) = (side, arn.account()) {
                    set(&mut accounts[i], account.to_string());
                }
            };
            match &step.spec {
                StepSpec::Preflight(p) => {
                    set(&mut accounts[0], p.cluster_account.to_string());
                    set(&mut accounts[1], p.storage_account.to_string());
                    vpcs[0].get_or_insert_with(|| p.cluster_vpc.0.clone());
                    vpcs[1].get_or_insert_with(|| p.storage_vpc.0.clone());
                }
                StepSpec::PeeringRequest(p) => {
                    region.get_or_insert_with(|| p.accepter_region.clone());
                    set(&mut accounts[1], p.accepter_account.to_string());
                    vpcs[0].get_or_insert_with(|| p.requester_vpc.clone());
                    vpcs[1].get_or_insert_with(|| p.accepter_vpc.clone());
                }
                StepSpec::DiscoverClusterAccount(d) => {
                    vpcs[0].get_or_insert_with(|| d.vpc_id.clone());
                }
                StepSpec::DiscoverStorageAccount(d) => {
                    vpcs[1].get_or_insert_with(|| d.vpc_id.clone());
                }
                StepSpec::FileSystem(f) => {
                    vpcs[1].get_or_insert_with(|| f.vpc_id.clone());
                }
                StepSpec::MountTargetSecurityGroup(g) => {
                    vpcs[1].get_or_insert_with(|| g.vpc_id.clone());
                }
                StepSpec::IamPolicy(p) => {
                    arn_seen(&p.arn);
                    if let Some(r) = template_region(&p.document) {
                        region.get_or_insert_with(|| r.clone());
                    }
                }
                StepSpec::IamRole(r) => arn_seen(&r.arn),
                StepSpec::IamRolePolicyAttachment(at) => arn_seen(&at.policy),
                StepSpec::EfsClientAccess(e) => {
                    arn_seen(&e.policy_arn);
                    if let Some(r) = template_region(&e.document) {
                        region.get_or_insert_with(|| r.clone());
                    }
                }
                StepSpec::FileSystemPolicy(p) => {
                    if let Some(r) = template_region(&p.document) {
                        region.get_or_insert_with(|| r.clone());
                    }
                }
                _ => {}
            }
        }
        let partition = partition
            .or_else(|| region.as_ref().map(|r| r.partition().as_str().to_owned()))
            .unwrap_or_else(|| "aws".to_owned());
        let [cluster_account, storage_account] = accounts.map(|a| a.unwrap_or_else(star));
        let [cluster_vpc, storage_vpc] = vpcs;
        Scope {
            partition,
            region: region.map_or_else(star, |r| r.to_string()),
            cluster_account,
            storage_account,
            cluster_vpc,
            storage_vpc,
        }
    }

    fn account(&self, side: Side) -> &str {
        match side {
            Side::Cluster => &self.cluster_account,
            Side::Storage => &self.storage_account,
        }
    }

    /// `arn:<p>:iam::<account>:<resource>`.
    fn iam(&self, side: Side, resource: &str) -> String {
        format!(
            "arn:{}:iam::{}:{resource}",
            self.partition,
            self.account(side)
        )
    }

    /// `arn:<p>:ec2:<region>:<account>:<resource>`.
    fn ec2(&self, side: Side, resource: &str) -> String {
        format!(
            "arn:{}:ec2:{}:{}:{resource}",
            self.partition,
            self.region,
            self.account(side)
        )
    }

    /// The stack's VPC in that account, or every VPC of the account when it is not known.
    fn vpc(&self, side: Side) -> String {
        let vpc = match side {
            Side::Cluster => &self.cluster_vpc,
            Side::Storage => &self.storage_vpc,
        };
        self.ec2(
            side,
            &vpc.as_ref().map_or("vpc/*".into(), |v| format!("vpc/{v}")),
        )
    }

    /// VPC peering connections in that account's view. Account B acts on a peering that
    /// account A requested, so B's side names no account.
    fn peerings(&self, side: Side) -> String {
        match side {
            Side::Cluster => self.ec2(side, "vpc-peering-connection/*"),
            Side::Storage => format!(
                "arn:{}:ec2:{}:*:vpc-peering-connection/*",
                self.partition, self.region
            ),
        }
    }

    /// `arn:<p>:elasticfilesystem:<region>:<B>:<resource>`.
    fn efs(&self, resource: &str) -> String {
        format!(
            "arn:{}:elasticfilesystem:{}:{}:{resource}",
            self.partition, self.region, self.storage_account
        )
    }

    /// The KMS key a file system is encrypted with: its ARN as given, or built from a key id;
    /// an alias cannot name a key in a policy, so it becomes every key of account B.
    fn kms_key(&self, key: &str) -> String {
        if key.starts_with("arn:") && key.contains(":key/") {
            return key.to_owned();
        }
        let key = if key.is_empty() || key.contains(':') || key.starts_with("alias/") {
            "*"
        } else {
            key
        };
        format!(
            "arn:{}:kms:{}:{}:key/{key}",
            self.partition, self.region, self.storage_account
        )
    }
}

fn star() -> String {
    "*".to_owned()
}

fn template_region(t: &PolicyTemplate) -> Option<&crate::ids::Region> {
    match t {
        PolicyTemplate::CrossAccount { region, .. }
        | PolicyTemplate::FileSystem { region, .. }
        | PolicyTemplate::EfsClientAccess { region, .. } => Some(region),
        PolicyTemplate::CsiDriver { .. }
        | PolicyTemplate::CsiWebIdentityTrust { .. }
        | PolicyTemplate::CrossAccountTrust { .. } => None,
    }
}

/// What `xefs doctor` reads in an account with any step in it (`xefs_aws::doctor`): the VPC,
/// its subnets, route tables and network ACLs; in A the peering, the worker instances and the
/// OIDC providers; in B the security groups and the file system with its policy and mount
/// targets. The roles and their attached policies come with the role steps.
fn doctor_reads(side: Side, grants: &mut Grants) {
    let mut network = vec![
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
    ];
    match side {
        Side::Cluster => {
            network.extend(["ec2:DescribeInstances", "ec2:DescribeVpcPeeringConnections"]);
            grants.allow(
                "ListOidcProviders",
                &["iam:ListOpenIDConnectProviders"],
                ["*".into()],
            );
        }
        Side::Storage => {
            // DescribeMountTargetSecurityGroups reads the mount target's network interface.
            network.extend([
                "ec2:DescribeNetworkInterfaceAttribute",
                "ec2:DescribeSecurityGroups",
            ]);
            grants.allow(
                "DescribeFileSystems",
                &[
                    "elasticfilesystem:DescribeFileSystemPolicy",
                    "elasticfilesystem:DescribeFileSystems",
                    "elasticfilesystem:DescribeMountTargetSecurityGroups",
                    "elasticfilesystem:DescribeMountTargets",
                ],
                ["*".into()],
            );
        }
    }
    grants.allow("DescribeNetwork", &network, ["*".into()]);
}

/// The actions of one step's observe, ensure and remove, on its account's resources.
fn step_grants(spec: &StepSpec, side: Side, scope: &Scope, g: &mut Grants) {
    let describe = |g: &mut Grants, actions: &[&str]| {
        g.allow("DescribeNetwork", actions, ["*".into()]);
    };
    match spec {
        StepSpec::DiscoverClusterAccount(d) => {
            describe(g, &["ec2:DescribeRouteTables", "ec2:DescribeSubnets"]);
            if let WorkerSource::Instances(_) = d.workers {
                describe(g, &["ec2:DescribeInstances"]);
            }
            if d.node_role_arns.is_empty() {
                // The node roles come from the worker instances' profiles.
                g.allow(
                    "ReadInstanceProfiles",
                    &["iam:GetInstanceProfile"],
                    [scope.iam(side, "instance-profile/*")],
                );
            }
        }
        StepSpec::DiscoverStorageAccount(_) => {
            describe(g, &["ec2:DescribeRouteTables", "ec2:DescribeSubnets"]);
        }
        StepSpec::IamPolicy(p) => manage_policy(g, &p.arn),
        StepSpec::IamRole(r) => {
            g.allow(
                "ManageRoles",
                &[
                    "iam:CreateRole",
                    "iam:DeleteRole",
                    "iam:GetRole",
                    "iam:ListAttachedRolePolicies",
                    "iam:TagRole",
                    "iam:UpdateAssumeRolePolicy",
                ],
                [r.arn.to_string()],
            );
            // Doctor reads every policy attached to the role, AWS-managed ones included.
            g.allow(
                "ReadAttachedPolicies",
                &["iam:GetPolicy", "iam:GetPolicyVersion"],
                [
                    scope.iam(side, "policy/*"),
                    format!("arn:{}:iam::aws:policy/*", scope.partition),
                ],
            );
        }
        StepSpec::IamRolePolicyAttachment(at) => {
            g.allow(
                "ManageRoles",
                &[
                    "iam:AttachRolePolicy",
                    "iam:DetachRolePolicy",
                    "iam:ListAttachedRolePolicies",
                ],
                [scope.iam(side, &format!("role/{}", at.role))],
            );
        }
        StepSpec::EfsClientAccess(e) => {
            manage_policy(g, &e.policy_arn);
            let roles: Vec<String> = match &e.node_role_arns {
                Value::Known(arns) if !arns.is_empty() => {
                    arns.iter().map(ToString::to_string).collect()
                }
                // Discovered from the instance profiles: any role, but only this policy.
                _ => vec![scope.iam(side, "role/*")],
            };
            g.allow(
                "ReadNodeRoles",
                &["iam:ListAttachedRolePolicies"],
                roles.clone(),
            );
            g.allow_if(
                "AttachClientAccessToNodeRoles",
                &["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
                roles,
                ("ArnEquals", "iam:PolicyARN", e.policy_arn.to_string()),
            );
        }
        StepSpec::PeeringRequest(_) => {
            describe(g, &["ec2:DescribeVpcPeeringConnections"]);
            g.allow(
                "RequestPeering",
                &["ec2:CreateVpcPeeringConnection"],
                [scope.vpc(side), scope.peerings(side)],
            );
            g.allow_if(
                "TagPeeringOnCreate",
                &["ec2:CreateTags"],
                [scope.peerings(side)],
                (
                    "StringEquals",
                    "ec2:CreateAction",
                    "CreateVpcPeeringConnection".into(),
                ),
            );
            g.allow(
                "DeletePeering",
                &["ec2:DeleteVpcPeeringConnection"],
                [scope.peerings(side)],
            );
        }
        StepSpec::PeeringAccept(_) => {
            describe(g, &["ec2:DescribeVpcPeeringConnections"]);
            g.allow(
                "AcceptPeering",
                &["ec2:AcceptVpcPeeringConnection"],
                [scope.vpc(side), scope.peerings(side)],
            );
        }
        StepSpec::PeeringDnsResolution(_) => {
            describe(g, &["ec2:DescribeVpcPeeringConnections"]);
            g.allow(
                "AcceptPeering",
                &["ec2:ModifyVpcPeeringConnectionOptions"],
                [scope.peerings(side)],
            );
        }
        StepSpec::PeerRoutes(_) => {
            describe(g, &["ec2:DescribeRouteTables"]);
            g.allow(
                "ManageRoutes",
                &["ec2:CreateRoute", "ec2:DeleteRoute"],
                [scope.ec2(side, "route-table/*"), scope.peerings(side)],
            );
        }
        StepSpec::MountTargetSecurityGroup(_) => {
            describe(g, &["ec2:DescribeSecurityGroups"]);
            g.allow(
                "CreateSecurityGroup",
                &["ec2:CreateSecurityGroup"],
                [scope.vpc(side), scope.ec2(side, "security-group/*")],
            );
            g.allow_if(
                "TagSecurityGroupOnCreate",
                &["ec2:CreateTags"],
                [scope.ec2(side, "security-group/*")],
                (
                    "StringEquals",
                    "ec2:CreateAction",
                    "CreateSecurityGroup".into(),
                ),
            );
            let rules = [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ];
            let groups = [scope.ec2(side, "security-group/*")];
            if scope.storage_vpc.is_some() {
                g.allow_if(
                    "ManageSecurityGroupInVpc",
                    &rules,
                    groups,
                    ("ArnEquals", "ec2:Vpc", scope.vpc(side)),
                );
            } else {
                g.allow("ManageSecurityGroupInVpc", &rules, groups);
            }
        }
        StepSpec::FileSystem(f) => {
            g.allow(
                "DescribeFileSystems",
                &["elasticfilesystem:DescribeFileSystems"],
                ["*".into()],
            );
            g.allow(
                "ManageFileSystem",
                &[
                    "elasticfilesystem:CreateFileSystem",
                    "elasticfilesystem:DeleteFileSystem",
                    "elasticfilesystem:UpdateFileSystem",
                ],
                [scope.efs("file-system/*")],
            );
            g.allow_if(
                "TagFileSystemOnCreate",
                &["elasticfilesystem:TagResource"],
                [scope.efs("file-system/*")],
                (
                    "StringEquals",
                    "elasticfilesystem:CreateAction",
                    "CreateFileSystem".into(),
                ),
            );
            if f.one_zone_az_id.is_some() {
                // The zone *name* CreateFileSystem wants is read from B's subnets.
                describe(g, &["ec2:DescribeSubnets"]);
            }
            if let Some(key) = &f.kms_key_id {
                // EFS uses the key on the caller's behalf when it creates the file system.
                g.allow_if(
                    "UseKmsKeyThroughEfs",
                    &[
                        "kms:CreateGrant",
                        "kms:Decrypt",
                        "kms:DescribeKey",
                        "kms:GenerateDataKeyWithoutPlaintext",
                    ],
                    [scope.kms_key(key)],
                    (
                        "StringEquals",
                        "kms:ViaService",
                        format!("elasticfilesystem.{}.amazonaws.com", scope.region),
                    ),
                );
            }
        }
        StepSpec::MountTargets(_) => {
            g.allow(
                "DescribeFileSystems",
                &[
                    "elasticfilesystem:DescribeMountTargetSecurityGroups",
                    "elasticfilesystem:DescribeMountTargets",
                ],
                ["*".into()],
            );
            describe(
                g,
                &[
                    "ec2:DescribeNetworkInterfaceAttribute",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSubnets",
                ],
            );
            g.allow(
                "ManageFileSystem",
                &[
                    "elasticfilesystem:CreateMountTarget",
                    "elasticfilesystem:DeleteMountTarget",
                    "elasticfilesystem:ModifyMountTargetSecurityGroups",
                ],
                [scope.efs("file-system/*")],
            );
            // EFS makes, changes and deletes each mount target's network interface with the
            // caller's permissions.
            g.allow(
                "MountTargetNetworkInterfaces",
                &[
                    "ec2:CreateNetworkInterface",
                    "ec2:DeleteNetworkInterface",
                    "ec2:ModifyNetworkInterfaceAttribute",
                ],
                [
                    scope.ec2(side, "network-interface/*"),
                    scope.ec2(side, "security-group/*"),
                    scope.ec2(side, "subnet/*"),
                ],
            );
        }
        StepSpec::FileSystemPolicy(_) => {
            g.allow(
                "DescribeFileSystems",
                &["elasticfilesystem:DescribeFileSystemPolicy"],
                ["*".into()],
            );
            g.allow(
                "ManageFileSystem",
                &[
                    "elasticfilesystem:DeleteFileSystemPolicy",
                    "elasticfilesystem:PutFileSystemPolicy",
                ],
                [scope.efs("file-system/*")],
            );
        }
        StepSpec::DiscoverCluster(_)
        | StepSpec::Preflight(_)
        | StepSpec::CloudCredentialsSecret(_)
        | StepSpec::OperatorGroup(_)
        | StepSpec::Subscription(_)
        | StepSpec::ClusterCsiDriver(_)
        | StepSpec::CrossAccountSecret(_)
        | StepSpec::SecretReaderRbac(_)
        | StepSpec::StorageClass(_)
        | StepSpec::Verify(_) => {}
    }
}

/// A customer-managed policy's life: read, create (tagged), new default versions with the
/// oldest pruned at IAM's limit, delete with every version.
fn manage_policy(g: &mut Grants, arn: &Arn) {
    g.allow(
        "ManagePolicies",
        &[
            "iam:CreatePolicy",
            "iam:CreatePolicyVersion",
            "iam:DeletePolicy",
            "iam:DeletePolicyVersion",
            "iam:GetPolicy",
            "iam:GetPolicyVersion",
            "iam:ListPolicyVersions",
            "iam:TagPolicy",
        ],
        [arn.to_string()],
    );
}

/// One statement in the making.
#[derive(Debug, Default)]
struct Grant {
    actions: BTreeSet<String>,
    resources: BTreeSet<String>,
    condition: Option<(&'static str, &'static str, String)>,
}

/// Statements by `Sid`: a grant under an existing `Sid` adds its actions and resources to it.
#[derive(Debug, Default)]
struct Grants(BTreeMap<&'static str, Grant>);

impl Grants {
    fn allow(
        &mut self,
        sid: &'static str,
        actions: &[&str],
        resources: impl IntoIterator<Item = String>,
    ) {
        let grant = self.0.entry(sid).or_default();
        grant
            .actions
            .extend(actions.iter().map(|a| (*a).to_owned()));
        grant.resources.extend(resources);
    }

    fn allow_if(
        &mut self,
        sid: &'static str,
        actions: &[&str],
        resources: impl IntoIterator<Item = String>,
        condition: (&'static str, &'static str, String),
    ) {
        self.allow(sid, actions, resources);
        if let Some(grant) = self.0.get_mut(sid) {
            grant.condition = Some(condition);
        }
    }

    /// The document: statements sorted by `Sid`, actions and resources sorted and unique, and
    /// an action left out of a statement when another, unconditional statement already grants
    /// it on every resource this one names (IAM's own policy reads, say, are covered by the
    /// reads of every attached policy).
    fn document(mut self) -> PolicyDocument {
        let sids: Vec<&'static str> = self.0.keys().copied().collect();
        for (i, sid) in sids.iter().enumerate() {
            let covered: Vec<String> = self.0[sid]
                .actions
                .iter()
                .filter(|action| {
                    sids.iter().enumerate().any(|(j, other)| {
                        let (this, that) = (&self.0[sid], &self.0[other]);
                        j != i
                            && that.condition.is_none()
                            && that.actions.contains(*action)
                            && covers(&that.resources, &this.resources)
                            // Of two statements naming the same resources, the first keeps it.
                            && !(j > i && covers(&this.resources, &that.resources))
                    })
                })
                .cloned()
                .collect();
            if let Some(grant) = self.0.get_mut(sid) {
                for action in covered {
                    grant.actions.remove(&action);
                }
            }
        }
        PolicyDocument::new(
            self.0
                .into_iter()
                .filter(|(_, g)| !g.actions.is_empty())
                .map(|(sid, g)| {
                    let statement = Statement::allow(g.actions)
                        .with_sid(sid)
                        .with_resources(g.resources);
                    match g.condition {
                        Some((op, key, value)) => statement.with_condition(op, key, [value]),
                        None => statement,
                    }
                })
                .collect(),
        )
    }
}

/// Whether every resource in `these` matches one of the `patterns` (IAM's `*` and `?`).
fn covers(patterns: &BTreeSet<String>, these: &BTreeSet<String>) -> bool {
    these
        .iter()
        .all(|r| patterns.iter().any(|p| wildcard_match(p, r, false)))
}

#[cfg(test)]
mod tests;
