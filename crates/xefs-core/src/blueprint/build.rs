//! `StackSpec -> Blueprint`: the corrected procedure as data. Pure; no I/O.

use std::collections::BTreeMap;

use super::steps::*;
use super::{Address, Blueprint, BlueprintStep, OutputRef, Phase, PolicyTemplate, Target, Value};
use crate::ids::{Arn, IamName, K8sName};
use crate::spec::{StackSpec, TrustMode};

/// Step addresses, stable across versions: the keys of plans and of the state journal.
pub mod addr {
    #![allow(missing_docs)]
    pub const OPENSHIFT_DISCOVERY: &str = "openshift.discovery";
    pub const CLUSTER_DISCOVERY: &str = "cluster.discovery";
    pub const STORAGE_DISCOVERY: &str = "storage.discovery";
    pub const PREFLIGHT: &str = "preflight";
    pub const CSI_POLICY: &str = "cluster.iam.csi-policy";
    pub const CSI_ROLE: &str = "cluster.iam.csi-role";
    pub const CSI_ATTACHMENT: &str = "cluster.iam.csi-role-policy";
    pub const EFS_CLIENT_ACCESS: &str = "cluster.iam.efs-client-access";
    pub const PEERING: &str = "cluster.network.peering";
    pub const CLUSTER_ROUTES: &str = "cluster.network.routes";
    pub const PEERING_ACCEPT: &str = "storage.network.peering-accept";
    pub const PEERING_DNS: &str = "storage.network.peering-dns";
    pub const STORAGE_ROUTES: &str = "storage.network.routes";
    pub const SECURITY_GROUP: &str = "storage.network.security-group";
    pub const CROSS_ACCOUNT_POLICY: &str = "storage.iam.cross-account-policy";
    pub const CROSS_ACCOUNT_ROLE: &str = "storage.iam.cross-account-role";
    pub const CROSS_ACCOUNT_ATTACHMENT: &str = "storage.iam.cross-account-role-policy";
    pub const FILE_SYSTEM: &str = "storage.efs.file-system";
    pub const MOUNT_TARGETS: &str = "storage.efs.mount-targets";
    pub const FILE_SYSTEM_POLICY: &str = "storage.efs.file-system-policy";
    pub const CLOUD_CREDENTIALS: &str = "openshift.operator.cloud-credentials";
    pub const OPERATOR_GROUP: &str = "openshift.operator.operator-group";
    pub const SUBSCRIPTION: &str = "openshift.operator.subscription";
    pub const CSI_DRIVER: &str = "openshift.driver.cluster-csi-driver";
    pub const CROSS_ACCOUNT_SECRET: &str = "openshift.driver.cross-account-secret";
    pub const SECRET_READER: &str = "openshift.driver.secret-reader-rbac";
    pub const STORAGE_CLASS: &str = "openshift.storage-class";
    pub const VERIFY: &str = "verify.read-write";
}

/// Names fixed by the OpenShift EFS driver and its operator.
pub mod driver {
    /// The CSI driver's name, also the `ClusterCSIDriver`'s.
    pub const NAME: &str = "efs.csi.aws.com";
    /// The operator's package, Subscription and Deployment name.
    pub const OPERATOR: &str = "aws-efs-csi-driver-operator";
    /// The controller Deployment.
    pub const CONTROLLER: &str = "aws-efs-csi-driver-controller";
    /// The node DaemonSet.
    pub const NODE: &str = "aws-efs-csi-driver-node";
    /// The controller's service account.
    pub const CONTROLLER_SA: &str = "aws-efs-csi-driver-controller-sa";
    /// Secret the operator reads its AWS credentials from.
    pub const CLOUD_CREDENTIALS_SECRET: &str = "aws-efs-cloud-credentials";
    /// Where OpenShift projects the bound service-account token.
    pub const TOKEN_FILE: &str = "/var/run/secrets/openshift/serviceaccount/token";
    /// Secret holding B's role for the provisioner (`awsRoleArn`).
    pub const CROSS_ACCOUNT_SECRET: &str = "cross-account-arn";
    /// The label that selects worker nodes, whose subnets NFS traffic starts from.
    pub const WORKER_SELECTOR: &str = "node-role.kubernetes.io/worker";
}

/// Output names. Each is unique in the blueprint so that its shell variable is too.
pub mod out {
    #![allow(missing_docs)]
    pub const OIDC_PROVIDER: &str = "oidc_provider";
    pub const WORKER_INSTANCE_IDS: &str = "worker_instance_ids";
    pub const WORKER_SUBNETS: &str = "worker_subnets";
    pub const WORKER_AZ_IDS: &str = "worker_az_ids";
    pub const CLUSTER_ROUTE_TABLES: &str = "cluster_route_tables";
    pub const NODE_ROLE_ARNS: &str = "node_role_arns";
    pub const MOUNT_TARGET_SUBNETS: &str = "mount_target_subnets";
    pub const STORAGE_ROUTE_TABLES: &str = "storage_route_tables";
    pub const PEERING_ID: &str = "peering_id";
    pub const SECURITY_GROUP_ID: &str = "security_group_id";
    pub const FILE_SYSTEM_ID: &str = "file_system_id";
    pub const MOUNT_TARGETS: &str = "mount_targets";
}

fn a(s: &'static str) -> Address {
    Address::from_static(s)
}

fn r(step: &'static str, output: &'static str) -> OutputRef {
    OutputRef::new(&a(step), output)
}

fn k8s(s: &'static str) -> K8sName {
    match K8sName::parse(s) {
        Ok(n) => n,
        Err(e) => panic!("invalid built-in Kubernetes name: {e}"),
    }
}

/// Steps the spec can leave out of the blueprint.
const OPTIONAL_STEPS: [&str; 3] = [
    addr::OPENSHIFT_DISCOVERY,
    addr::PEERING_DNS,
    addr::FILE_SYSTEM_POLICY,
];

struct Builder {
    steps: Vec<BlueprintStep>,
}

impl Builder {
    fn add(
        &mut self,
        address: &'static str,
        target: Target,
        phase: Phase,
        deps: &[&'static str],
        description: String,
        spec: StepSpec,
    ) {
        // A dependency on an optional step the spec left out is dropped; any other missing
        // dependency is a mistake in this file.
        let known: Vec<Address> = deps
            .iter()
            .filter(|d| {
                let present = self.steps.iter().any(|s| s.address.as_str() == **d);
                debug_assert!(
                    present || OPTIONAL_STEPS.contains(d),
                    "{address} depends on unknown step {d}"
                );
                present
            })
            .map(|d| a(d))
            .collect();
        self.steps.push(BlueprintStep {
            address: a(address),
            target,
            phase,
            depends_on: known,
            description,
            spec,
        });
    }
}

impl Blueprint {
    /// The whole corrected procedure for a stack, in a topological order. Dependencies on
    /// steps the spec makes unnecessary (e.g. cluster discovery when the spec names the OIDC
    /// provider and worker subnets) are left out.
    pub fn build(spec: &StackSpec) -> Blueprint {
        let mut b = Builder { steps: Vec::new() };
        let tags = spec.resource_tags();
        let region = &spec.region;
        let a_id = &spec.cluster.account_id;
        let b_id = &spec.storage.account_id;
        let ns = spec.operator.namespace.clone();
        let fs_id: Value<_> = Value::After(r(addr::FILE_SYSTEM, out::FILE_SYSTEM_ID));
        let peering: Value<_> = Value::After(r(addr::PEERING, out::PEERING_ID));

        // Discovery.
        let need_oidc = spec.cluster.oidc_provider.is_none();
        let need_workers = spec.cluster.worker_subnets.is_empty();
        if need_oidc || need_workers {
            b.add(
                addr::OPENSHIFT_DISCOVERY,
                Target::Cluster,
                Phase::Cluster,
                &[],
                "read the OIDC issuer and the worker nodes".into(),
                StepSpec::DiscoverCluster(DiscoverCluster {
                    oidc_provider: need_oidc,
                    worker_instances: need_workers,
                    worker_selector: driver::WORKER_SELECTOR.into(),
                }),
            );
        }
        let oidc = match &spec.cluster.oidc_provider {
            Some(p) => Value::Known(p.clone()),
            None => Value::After(r(addr::OPENSHIFT_DISCOVERY, out::OIDC_PROVIDER)),
        };
        b.add(
            addr::CLUSTER_DISCOVERY,
            Target::ClusterAccount,
            Phase::Aws,
            &[addr::OPENSHIFT_DISCOVERY],
            "read worker subnets, zone ids, route tables (main-table fallback) and node roles"
                .into(),
            StepSpec::DiscoverClusterAccount(DiscoverClusterAccount {
                vpc_id: spec.cluster.vpc_id.clone(),
                workers: if need_workers {
                    WorkerSource::Instances(r(addr::OPENSHIFT_DISCOVERY, out::WORKER_INSTANCE_IDS))
                } else {
                    WorkerSource::Subnets(spec.cluster.worker_subnets.clone())
                },
                node_role_arns: spec.cluster.node_role_arns.clone(),
            }),
        );
        b.add(
            addr::STORAGE_DISCOVERY,
            Target::StorageAccount,
            Phase::Aws,
            &[addr::CLUSTER_DISCOVERY],
            "choose one subnet of B's VPC per worker zone id, and read their route tables".into(),
            StepSpec::DiscoverStorageAccount(DiscoverStorageAccount {
                vpc_id: spec.storage.vpc_id.clone(),
                subnets: spec.storage.subnets.clone(),
                worker_az_ids: r(addr::CLUSTER_DISCOVERY, out::WORKER_AZ_IDS),
                one_zone_az_id: spec.efs.one_zone_az_id.clone(),
            }),
        );
        b.add(
            addr::PREFLIGHT,
            Target::BothAccounts,
            Phase::Aws,
            &[
                addr::OPENSHIFT_DISCOVERY,
                addr::CLUSTER_DISCOVERY,
                addr::STORAGE_DISCOVERY,
            ],
            "check caller identities, VPC CIDRs, the OIDC provider and zone coverage".into(),
            StepSpec::Preflight(Preflight {
                cluster_account: a_id.clone(),
                storage_account: b_id.clone(),
                cluster_vpc: (spec.cluster.vpc_id.clone(), spec.cluster.vpc_cidr),
                storage_vpc: (spec.storage.vpc_id.clone(), spec.storage.vpc_cidr),
                oidc_provider: oidc.clone(),
                worker_az_ids: r(addr::CLUSTER_DISCOVERY, out::WORKER_AZ_IDS),
                mount_target_subnets: r(addr::STORAGE_DISCOVERY, out::MOUNT_TARGET_SUBNETS),
            }),
        );

        // IAM in A.
        let csi_role_arn = spec.csi_role_arn();
        b.add(
            addr::CSI_POLICY,
            Target::ClusterAccount,
            Phase::Aws,
            &[addr::PREFLIGHT],
            format!("IAM policy {}", spec.iam.csi_policy_name),
            StepSpec::IamPolicy(IamPolicy {
                account: a_id.clone(),
                name: spec.iam.csi_policy_name.clone(),
                arn: spec.csi_policy_arn(),
                document: PolicyTemplate::CsiDriver {
                    cross_account_role: spec.cross_account_role_arn(),
                },
                tags: tags.clone(),
            }),
        );
        let subjects = [driver::OPERATOR, driver::CONTROLLER_SA]
            .iter()
            .map(|sa| format!("system:serviceaccount:{ns}:{sa}"))
            .collect();
        b.add(
            addr::CSI_ROLE,
            Target::ClusterAccount,
            Phase::Aws,
            &[addr::OPENSHIFT_DISCOVERY, addr::PREFLIGHT],
            format!(
                "IAM role {} (web identity for the CSI operator and controller)",
                spec.iam.csi_role_name
            ),
            StepSpec::IamRole(IamRole {
                account: a_id.clone(),
                name: spec.iam.csi_role_name.clone(),
                arn: csi_role_arn.clone(),
                trust: PolicyTemplate::CsiWebIdentityTrust {
                    account: a_id.clone(),
                    partition: spec.partition(),
                    oidc_provider: oidc,
                    subjects,
                },
                description: format!(
                    "EFS CSI driver of cluster {} (xefs stack {})",
                    spec.cluster.name, spec.name
                ),
                tags: tags.clone(),
            }),
        );
        b.add(
            addr::CSI_ATTACHMENT,
            Target::ClusterAccount,
            Phase::Aws,
            &[addr::CSI_POLICY, addr::CSI_ROLE],
            format!(
                "attach {} to {}",
                spec.iam.csi_policy_name, spec.iam.csi_role_name
            ),
            StepSpec::IamRolePolicyAttachment(IamRolePolicyAttachment {
                account: a_id.clone(),
                role: spec.iam.csi_role_name.clone(),
                policy: spec.csi_policy_arn(),
            }),
        );

        // Network.
        b.add(
            addr::PEERING,
            Target::ClusterAccount,
            Phase::Aws,
            &[addr::PREFLIGHT],
            format!(
                "VPC peering request {} → {} (account {})",
                spec.cluster.vpc_id, spec.storage.vpc_id, b_id
            ),
            StepSpec::PeeringRequest(PeeringRequest {
                requester_vpc: spec.cluster.vpc_id.clone(),
                accepter_vpc: spec.storage.vpc_id.clone(),
                accepter_account: b_id.clone(),
                accepter_region: region.clone(),
                tags: tags.clone(),
            }),
        );
        b.add(
            addr::PEERING_ACCEPT,
            Target::StorageAccount,
            Phase::Aws,
            &[addr::PEERING],
            "accept the peering with B's credentials and wait until it is active".into(),
            StepSpec::PeeringAccept(PeeringAccept {
                peering: peering.clone(),
            }),
        );
        if spec.network.peering_dns_resolution {
            b.add(
                addr::PEERING_DNS,
                Target::StorageAccount,
                Phase::Aws,
                &[addr::PEERING, addr::PEERING_ACCEPT],
                "allow DNS resolution from the remote VPC".into(),
                StepSpec::PeeringDnsResolution(PeeringDnsResolution {
                    peering: peering.clone(),
                }),
            );
        }
        b.add(
            addr::CLUSTER_ROUTES,
            Target::ClusterAccount,
            Phase::Aws,
            &[addr::PEERING, addr::PEERING_ACCEPT, addr::CLUSTER_DISCOVERY],
            format!(
                "route {} through the peering in every worker route table",
                spec.storage.vpc_cidr
            ),
            StepSpec::PeerRoutes(PeerRoutes {
                account: a_id.clone(),
                route_tables: r(addr::CLUSTER_DISCOVERY, out::CLUSTER_ROUTE_TABLES),
                destination: spec.storage.vpc_cidr,
                peering: peering.clone(),
            }),
        );
        b.add(
            addr::STORAGE_ROUTES,
            Target::StorageAccount,
            Phase::Aws,
            &[addr::PEERING, addr::PEERING_ACCEPT, addr::STORAGE_DISCOVERY],
            format!(
                "route {} through the peering in every mount-target route table",
                spec.cluster.vpc_cidr
            ),
            StepSpec::PeerRoutes(PeerRoutes {
                account: b_id.clone(),
                route_tables: r(addr::STORAGE_DISCOVERY, out::STORAGE_ROUTE_TABLES),
                destination: spec.cluster.vpc_cidr,
                peering,
            }),
        );
        let sg_name = format!("{}-efs-mount-targets", spec.name);
        b.add(
            addr::SECURITY_GROUP,
            Target::StorageAccount,
            Phase::Aws,
            &[addr::PREFLIGHT],
            format!(
                "security group {sg_name}: NFS (TCP 2049) from {}",
                spec.cluster.vpc_cidr
            ),
            StepSpec::MountTargetSecurityGroup(MountTargetSecurityGroup {
                vpc_id: spec.storage.vpc_id.clone(),
                name: sg_name,
                description: format!(
                    "NFS from cluster {} to EFS (xefs stack {})",
                    spec.cluster.name, spec.name
                ),
                nfs_source: spec.cluster.vpc_cidr,
                tags: tags.clone(),
            }),
        );

        // EFS in B.
        b.add(
            addr::FILE_SYSTEM,
            Target::StorageAccount,
            Phase::Aws,
            &[addr::PREFLIGHT],
            format!(
                "EFS file system (creation token {}, {}{})",
                spec.creation_token(),
                if spec.efs.encrypted {
                    "encrypted"
                } else {
                    "unencrypted"
                },
                spec.efs
                    .one_zone_az_id
                    .as_ref()
                    .map(|z| format!(", One Zone in {z}"))
                    .unwrap_or_default()
            ),
            StepSpec::FileSystem(FileSystem {
                vpc_id: spec.storage.vpc_id.clone(),
                creation_token: spec.creation_token().to_owned(),
                performance_mode: spec.efs.performance_mode,
                throughput_mode: spec.efs.throughput_mode,
                provisioned_throughput_mibps: spec.efs.provisioned_throughput_mibps,
                encrypted: spec.efs.encrypted,
                kms_key_id: spec.efs.kms_key_id.clone(),
                one_zone_az_id: spec.efs.one_zone_az_id.clone(),
                tags: tags.clone(),
            }),
        );
        b.add(
            addr::MOUNT_TARGETS,
            Target::StorageAccount,
            Phase::Aws,
            &[
                addr::FILE_SYSTEM,
                addr::SECURITY_GROUP,
                addr::STORAGE_DISCOVERY,
            ],
            "one mount target per worker zone id, in the security group; wait until available"
                .into(),
            StepSpec::MountTargets(MountTargets {
                file_system: fs_id.clone(),
                subnets: r(addr::STORAGE_DISCOVERY, out::MOUNT_TARGET_SUBNETS),
                security_group: Value::After(r(addr::SECURITY_GROUP, out::SECURITY_GROUP_ID)),
            }),
        );

        // IAM in B.
        b.add(
            addr::CROSS_ACCOUNT_POLICY,
            Target::StorageAccount,
            Phase::Aws,
            &[addr::FILE_SYSTEM],
            format!(
                "IAM policy {} scoped to the file system",
                spec.iam.cross_account_policy_name
            ),
            StepSpec::IamPolicy(IamPolicy {
                account: b_id.clone(),
                name: spec.iam.cross_account_policy_name.clone(),
                arn: spec.cross_account_policy_arn(),
                document: PolicyTemplate::CrossAccount {
                    region: region.clone(),
                    account: b_id.clone(),
                    file_system: fs_id.clone(),
                },
                tags: tags.clone(),
            }),
        );
        let trusted = match spec.iam.trust {
            TrustMode::CsiRole => csi_role_arn.clone(),
            TrustMode::AccountRoot => Arn::account_root(spec.partition(), a_id),
        };
        b.add(
            addr::CROSS_ACCOUNT_ROLE,
            Target::StorageAccount,
            Phase::Aws,
            // IAM rejects a trust policy naming a principal that does not exist yet.
            &[addr::PREFLIGHT, addr::CSI_ROLE],
            format!(
                "IAM role {} trusting {trusted}",
                spec.iam.cross_account_role_name
            ),
            StepSpec::IamRole(IamRole {
                account: b_id.clone(),
                name: spec.iam.cross_account_role_name.clone(),
                arn: spec.cross_account_role_arn(),
                trust: PolicyTemplate::CrossAccountTrust { principal: trusted },
                description: format!(
                    "EFS access for cluster {} in account {a_id} (xefs stack {})",
                    spec.cluster.name, spec.name
                ),
                tags: tags.clone(),
            }),
        );
        b.add(
            addr::CROSS_ACCOUNT_ATTACHMENT,
            Target::StorageAccount,
            Phase::Aws,
            &[addr::CROSS_ACCOUNT_POLICY, addr::CROSS_ACCOUNT_ROLE],
            format!(
                "attach {} to {}",
                spec.iam.cross_account_policy_name, spec.iam.cross_account_role_name
            ),
            StepSpec::IamRolePolicyAttachment(IamRolePolicyAttachment {
                account: b_id.clone(),
                role: spec.iam.cross_account_role_name.clone(),
                policy: spec.cross_account_policy_arn(),
            }),
        );
        if spec.efs.file_system_policy {
            b.add(
                addr::FILE_SYSTEM_POLICY,
                Target::StorageAccount,
                Phase::Aws,
                &[addr::FILE_SYSTEM, addr::CROSS_ACCOUNT_ROLE],
                format!("file-system policy: account {a_id} may mount, over TLS only"),
                StepSpec::FileSystemPolicy(FileSystemPolicy {
                    file_system: fs_id.clone(),
                    document: PolicyTemplate::FileSystem {
                        region: region.clone(),
                        account: b_id.clone(),
                        file_system: fs_id.clone(),
                        // Nodes mount (with the `iam` option) as their own roles in account A,
                        // which the EFS client-access step allows on their side; B's role only
                        // calls the EFS API and never mounts.
                        principals: vec![Arn::account_root(spec.partition(), a_id)],
                    },
                }),
            );
        }
        let client_policy = client_access_policy_name(spec);
        b.add(
            addr::EFS_CLIENT_ACCESS,
            Target::ClusterAccount,
            Phase::Aws,
            &[addr::CLUSTER_DISCOVERY, addr::FILE_SYSTEM],
            format!("IAM policy {client_policy} (EFS client access) on the worker node roles"),
            StepSpec::EfsClientAccess(EfsClientAccess {
                account: a_id.clone(),
                policy_arn: Arn::iam_policy(spec.partition(), a_id, &client_policy),
                policy_name: client_policy,
                document: PolicyTemplate::EfsClientAccess {
                    region: region.clone(),
                    account: b_id.clone(),
                    file_system: fs_id.clone(),
                },
                node_role_arns: if spec.cluster.node_role_arns.is_empty() {
                    Value::After(r(addr::CLUSTER_DISCOVERY, out::NODE_ROLE_ARNS))
                } else {
                    Value::Known(spec.cluster.node_role_arns.clone())
                },
                tags: tags.clone(),
            }),
        );

        // The cluster. Its install runs alongside the AWS steps; only the StorageClass waits
        // for both sides.
        b.add(
            addr::CLOUD_CREDENTIALS,
            Target::Cluster,
            Phase::Cluster,
            &[addr::OPENSHIFT_DISCOVERY, addr::PREFLIGHT],
            format!(
                "Secret {ns}/{} (assume {csi_role_arn})",
                driver::CLOUD_CREDENTIALS_SECRET
            ),
            StepSpec::CloudCredentialsSecret(CloudCredentialsSecret {
                namespace: ns.clone(),
                name: k8s(driver::CLOUD_CREDENTIALS_SECRET),
                role_arn: csi_role_arn,
                web_identity_token_file: driver::TOKEN_FILE.into(),
            }),
        );
        b.add(
            addr::OPERATOR_GROUP,
            Target::Cluster,
            Phase::Cluster,
            &[addr::OPENSHIFT_DISCOVERY, addr::PREFLIGHT],
            format!("OperatorGroup in {ns} (an existing one is reused)"),
            StepSpec::OperatorGroup(OperatorGroup {
                namespace: ns.clone(),
                name: ns.clone(),
            }),
        );
        b.add(
            addr::SUBSCRIPTION,
            Target::Cluster,
            Phase::Cluster,
            &[addr::CLOUD_CREDENTIALS, addr::OPERATOR_GROUP],
            format!(
                "Subscription {} ({} from {}); wait for the operator",
                driver::OPERATOR,
                spec.operator.channel,
                spec.operator.source
            ),
            StepSpec::Subscription(Subscription {
                namespace: ns.clone(),
                name: k8s(driver::OPERATOR),
                channel: spec.operator.channel.clone(),
                source: spec.operator.source.clone(),
                source_namespace: spec.operator.source_namespace.clone(),
                approval: spec.operator.approval,
                approve_install_plan: spec.operator.approve_install_plan,
                operator_deployment: k8s(driver::OPERATOR),
            }),
        );
        b.add(
            addr::CSI_DRIVER,
            Target::Cluster,
            Phase::Cluster,
            &[addr::SUBSCRIPTION],
            format!(
                "ClusterCSIDriver {} (Managed); wait for controller and node DaemonSet",
                driver::NAME
            ),
            StepSpec::ClusterCsiDriver(ClusterCsiDriver {
                name: k8s(driver::NAME),
                namespace: ns.clone(),
                controller_deployment: k8s(driver::CONTROLLER),
                node_daemonset: k8s(driver::NODE),
            }),
        );
        b.add(
            addr::CROSS_ACCOUNT_SECRET,
            Target::Cluster,
            Phase::Cluster,
            &[addr::OPENSHIFT_DISCOVERY, addr::PREFLIGHT],
            format!(
                "Secret {ns}/{} (awsRoleArn {})",
                driver::CROSS_ACCOUNT_SECRET,
                spec.cross_account_role_arn()
            ),
            StepSpec::CrossAccountSecret(CrossAccountSecret {
                namespace: ns.clone(),
                name: k8s(driver::CROSS_ACCOUNT_SECRET),
                role_arn: spec.cross_account_role_arn(),
            }),
        );
        b.add(
            addr::SECRET_READER,
            Target::Cluster,
            Phase::Cluster,
            &[addr::CROSS_ACCOUNT_SECRET],
            format!(
                "Role and RoleBinding: {} may get Secret {}",
                driver::CONTROLLER_SA,
                driver::CROSS_ACCOUNT_SECRET
            ),
            StepSpec::SecretReaderRbac(SecretReaderRbac {
                namespace: ns.clone(),
                role: k8s("xefs-cross-account-secret-reader"),
                binding: k8s("xefs-cross-account-secret-reader"),
                secret: k8s(driver::CROSS_ACCOUNT_SECRET),
                service_account: k8s(driver::CONTROLLER_SA),
            }),
        );
        let sc = &spec.storage_class;
        b.add(
            addr::STORAGE_CLASS,
            Target::Cluster,
            Phase::Cluster,
            &[
                addr::CSI_DRIVER,
                addr::SECRET_READER,
                addr::FILE_SYSTEM,
                addr::MOUNT_TARGETS,
                addr::CSI_ATTACHMENT,
                addr::CROSS_ACCOUNT_ATTACHMENT,
                addr::FILE_SYSTEM_POLICY,
                addr::EFS_CLIENT_ACCESS,
                addr::CLUSTER_ROUTES,
                addr::STORAGE_ROUTES,
                addr::PEERING_DNS,
            ],
            format!("StorageClass {} for the file system", sc.name),
            StepSpec::StorageClass(StorageClass {
                name: sc.name.clone(),
                provisioner: driver::NAME.into(),
                parameters: storage_class_parameters(spec, fs_id),
                mount_options: if spec.efs.file_system_policy {
                    vec!["iam".into()]
                } else {
                    Vec::new()
                },
                reclaim_policy: sc.reclaim_policy,
                default_class: sc.default_class,
            }),
        );
        b.add(
            addr::VERIFY,
            Target::Cluster,
            Phase::Verify,
            &[addr::STORAGE_CLASS],
            format!(
                "write on one node, read on another, through a claim of StorageClass {}",
                sc.name
            ),
            StepSpec::Verify(Verify {
                namespace: spec.verify.namespace.clone(),
                storage_class: sc.name.clone(),
                image: spec.verify.image.clone(),
                keep: spec.verify.keep,
                timeout_seconds: spec.verify.timeout_seconds,
            }),
        );
        Blueprint {
            stack: spec.name.clone(),
            steps: b.steps,
        }
    }
}

/// A's policy granting EFS client access to the node roles: `<cluster>-efs-client-access`.
fn client_access_policy_name(spec: &StackSpec) -> IamName {
    // Cluster names are Kubernetes names (a subset of IAM's characters) and the spec bounds
    // their length through the IAM names derived from them, so this parses; the stack-named
    // fallback (always short and valid) only guards against that rule changing.
    IamName::parse(&format!("{}-efs-client-access", spec.cluster.name))
        .or_else(|_| IamName::parse(&format!("{}-efs-client-access", spec.name)))
        .unwrap_or_else(|_| spec.iam.csi_policy_name.clone())
}

/// The StorageClass parameters, only those the OpenShift EFS driver accepts.
fn storage_class_parameters(
    spec: &StackSpec,
    fs: Value<crate::ids::FileSystemId>,
) -> BTreeMap<String, Value<String>> {
    let sc = &spec.storage_class;
    let mut p = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        p.insert(k.to_owned(), Value::Known(v));
    };
    put("provisioningMode", "efs-ap".into());
    put("directoryPerms", sc.directory_perms.clone());
    match (sc.uid, sc.gid) {
        (None, None) => {
            put("gidRangeStart", sc.gid_range_start.to_string());
            put("gidRangeEnd", sc.gid_range_end.to_string());
        }
        (uid, gid) => {
            if let Some(uid) = uid {
                put("uid", uid.to_string());
            }
            if let Some(gid) = gid {
                put("gid", gid.to_string());
            }
        }
    }
    put("basePath", sc.base_path.clone());
    if let Some(v) = &sc.sub_path_pattern {
        put("subPathPattern", v.clone());
    }
    if let Some(v) = sc.ensure_unique_directory {
        put("ensureUniqueDirectory", v.to_string());
    }
    if let Some(v) = sc.reuse_access_point {
        put("reuseAccessPoint", v.to_string());
    }
    if let Some(v) = &sc.az {
        put("az", v.clone());
    }
    put(
        "csi.storage.k8s.io/provisioner-secret-name",
        driver::CROSS_ACCOUNT_SECRET.into(),
    );
    put(
        "csi.storage.k8s.io/provisioner-secret-namespace",
        spec.operator.namespace.to_string(),
    );
    let fs = match fs {
        Value::Known(id) => Value::Known(id.to_string()),
        Value::After(r) => Value::After(r),
    };
    p.insert("fileSystemId".into(), fs);
    p
}
