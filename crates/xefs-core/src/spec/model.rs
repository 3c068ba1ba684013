//! The validated desired state of one stack. Every value here has passed validation: code that
//! holds a [`StackSpec`] never re-checks it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ids::{
    AccountId, Arn, AzId, IamName, Ipv4Cidr, K8sName, OidcProvider, Partition, Region, StackName,
    SubnetId, VpcId,
};

/// The tag key that marks every AWS resource xefs creates; its value is the stack name.
pub const STACK_TAG: &str = "xefs:stack";

/// Everything xefs needs to know to wire an OpenShift cluster in account A to an EFS file
/// system in account B.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackSpec {
    /// The stack's name: names, the `xefs:stack` tag and the EFS creation token derive from it.
    pub name: StackName,
    /// The region both VPCs are in (VPC peering for EFS is same-region here).
    pub region: Region,
    /// Account A and its cluster.
    pub cluster: ClusterSpec,
    /// Account B, which holds the file system.
    pub storage: StorageSpec,
    /// The file system's options.
    pub efs: EfsOptions,
    /// The StorageClass the cluster gets.
    pub storage_class: StorageClassOptions,
    /// IAM names and trust.
    pub iam: IamOptions,
    /// VPC peering options.
    pub network: NetworkOptions,
    /// How the EFS CSI driver operator is installed.
    pub operator: OperatorOptions,
    /// The end-to-end check after apply.
    pub verify: VerifyOptions,
    /// Extra tags for every AWS resource, besides `xefs:stack`.
    pub tags: BTreeMap<String, String>,
}

/// Account A: the OpenShift (ROSA) cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterSpec {
    /// The cluster's name (the guide's `CLUSTER_NAME`); A's IAM names derive from it.
    pub name: K8sName,
    /// Account A's id.
    pub account_id: AccountId,
    /// AWS profile for account A; the default credential chain when absent.
    pub profile: Option<String>,
    /// The cluster's VPC.
    pub vpc_id: VpcId,
    /// The cluster VPC's CIDR block.
    pub vpc_cidr: Ipv4Cidr,
    /// The cluster's OIDC provider; discovered from the cluster when absent.
    pub oidc_provider: Option<OidcProvider>,
    /// The subnets of the worker nodes; discovered from the cluster's nodes when empty.
    pub worker_subnets: Vec<SubnetId>,
    /// IAM roles of the worker nodes, granted EFS client access for the controller's
    /// delete-time mount; discovered from the nodes' instance profiles when empty.
    pub node_role_arns: Vec<Arn>,
    /// kubeconfig context to use; the current context when absent.
    pub kube_context: Option<String>,
}

/// Account B: the EFS file system.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StorageSpec {
    /// Account B's id.
    pub account_id: AccountId,
    /// AWS profile for account B; the default credential chain when absent.
    pub profile: Option<String>,
    /// A role in B to assume with A's credentials, instead of a profile of B's own.
    pub assume_role_arn: Option<Arn>,
    /// The VPC that holds the mount targets.
    pub vpc_id: VpcId,
    /// That VPC's CIDR block.
    pub vpc_cidr: Ipv4Cidr,
    /// Subnets for the mount targets; when empty, one subnet of B's VPC per worker AZ id.
    pub subnets: Vec<SubnetId>,
}

/// EFS performance mode. Fixed at creation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum PerformanceMode {
    /// `generalPurpose`, right for nearly every workload.
    #[default]
    GeneralPurpose,
    /// `maxIO`, for thousands of clients; not with One Zone or elastic throughput.
    MaxIo,
}

/// EFS throughput mode.
#[derive(
    Debug, Clone, Copy, PartialEq, Default, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ThroughputMode {
    /// Scales with use; AWS's recommended default.
    #[default]
    Elastic,
    /// Scales with the amount stored.
    Bursting,
    /// A fixed throughput, in MiB/s.
    Provisioned,
}

/// The file system's options.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EfsOptions {
    /// Performance mode.
    pub performance_mode: PerformanceMode,
    /// Throughput mode.
    pub throughput_mode: ThroughputMode,
    /// MiB/s, with [`ThroughputMode::Provisioned`] only.
    pub provisioned_throughput_mibps: Option<f64>,
    /// Encryption at rest (on by default, as the guide's `--encrypted`).
    pub encrypted: bool,
    /// A KMS key for encryption; AWS's managed key when absent.
    pub kms_key_id: Option<String>,
    /// One Zone storage in this zone id of account B; regional when absent.
    pub one_zone_az_id: Option<AzId>,
    /// Attach a file-system policy that lets A's principals mount over TLS only.
    pub file_system_policy: bool,
}

/// How B's cross-account role trusts account A.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum TrustMode {
    /// Trust only A's CSI driver role: the narrowest grant that works.
    #[default]
    CsiRole,
    /// Trust A's account root (the guide's choice): any principal A allows may assume B's role.
    AccountRoot,
}

/// IAM names and trust.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IamOptions {
    /// Who B's role trusts.
    pub trust: TrustMode,
    /// A's CSI driver policy (guide: `<cluster>-rosa-efs-csi`).
    pub csi_policy_name: IamName,
    /// A's CSI driver role (guide: `<cluster>-aws-efs-csi-operator`).
    pub csi_role_name: IamName,
    /// B's policy (guide: `cross-account-rosa-efs-csi`).
    pub cross_account_policy_name: IamName,
    /// B's role (guide: `cross-account-efs-role`).
    pub cross_account_role_name: IamName,
}

/// VPC peering options.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkOptions {
    /// Set `AllowDnsResolutionFromRemoteVpc` on the peering. Off by default: it does not make
    /// EFS DNS names resolvable across accounts, and the OpenShift driver mounts by IP anyway.
    pub peering_dns_resolution: bool,
}

/// OLM install plan approval.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub enum InstallPlanApproval {
    /// OLM installs and upgrades on its own.
    #[default]
    Automatic,
    /// An InstallPlan waits for approval.
    Manual,
}

/// How the EFS CSI driver operator is installed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperatorOptions {
    /// Namespace of the operator and driver.
    pub namespace: K8sName,
    /// Subscription channel.
    pub channel: String,
    /// CatalogSource name.
    pub source: K8sName,
    /// CatalogSource namespace.
    pub source_namespace: K8sName,
    /// InstallPlan approval.
    pub approval: InstallPlanApproval,
    /// With Manual approval, approve the operator's InstallPlan.
    pub approve_install_plan: bool,
}

/// The StorageClass, with parameters the OpenShift EFS driver accepts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StorageClassOptions {
    /// StorageClass name (guide: `efs-sc`).
    pub name: K8sName,
    /// `directoryPerms`: octal permissions of each volume's directory.
    pub directory_perms: String,
    /// `uid`: fixed owner of each access point, instead of the GID range.
    pub uid: Option<u32>,
    /// `gid`: fixed group of each access point, instead of the GID range.
    pub gid: Option<u32>,
    /// `gidRangeStart`.
    pub gid_range_start: u32,
    /// `gidRangeEnd`.
    pub gid_range_end: u32,
    /// `basePath`: the directory under which volumes are created.
    pub base_path: String,
    /// `subPathPattern`, e.g. `${.PVC.namespace}/${.PVC.name}`.
    pub sub_path_pattern: Option<String>,
    /// `ensureUniqueDirectory`.
    pub ensure_unique_directory: Option<bool>,
    /// `reuseAccessPoint`.
    pub reuse_access_point: Option<bool>,
    /// `az`: the zone name whose mount target volumes use; a random one per volume otherwise.
    pub az: Option<String>,
    /// Make it the cluster's default StorageClass.
    pub default_class: bool,
    /// `reclaimPolicy`: `Delete` or `Retain`.
    pub reclaim_policy: ReclaimPolicy,
}

/// What happens to a volume's access point when its claim is deleted.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub enum ReclaimPolicy {
    /// The access point (and, on OpenShift, its directory) is deleted.
    #[default]
    Delete,
    /// The access point is kept.
    Retain,
}

/// The end-to-end check: a writer and a reader pod sharing a volume.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyOptions {
    /// Namespace created for the check.
    pub namespace: K8sName,
    /// Image of the writer and reader pods.
    pub image: String,
    /// Keep the check's namespace and pods after it succeeds.
    pub keep: bool,
    /// Bound on each wait of the check, in seconds.
    pub timeout_seconds: u64,
}

impl StackSpec {
    /// The AWS partition of the stack's region.
    pub fn partition(&self) -> Partition {
        self.region.partition()
    }

    /// A's CSI driver role ARN (known before apply: IAM ARNs are derived from names).
    pub fn csi_role_arn(&self) -> Arn {
        Arn::iam_role(
            self.partition(),
            &self.cluster.account_id,
            &self.iam.csi_role_name,
        )
    }

    /// A's CSI driver policy ARN.
    pub fn csi_policy_arn(&self) -> Arn {
        Arn::iam_policy(
            self.partition(),
            &self.cluster.account_id,
            &self.iam.csi_policy_name,
        )
    }

    /// B's cross-account role ARN.
    pub fn cross_account_role_arn(&self) -> Arn {
        Arn::iam_role(
            self.partition(),
            &self.storage.account_id,
            &self.iam.cross_account_role_name,
        )
    }

    /// B's cross-account policy ARN.
    pub fn cross_account_policy_arn(&self) -> Arn {
        Arn::iam_policy(
            self.partition(),
            &self.storage.account_id,
            &self.iam.cross_account_policy_name,
        )
    }

    /// The EFS creation token: the stack name, which makes creation idempotent.
    pub fn creation_token(&self) -> &str {
        self.name.as_str()
    }

    /// Every tag xefs puts on the stack's AWS resources: the user's, then `xefs:stack`.
    pub fn resource_tags(&self) -> BTreeMap<String, String> {
        let mut tags = self.tags.clone();
        tags.insert(STACK_TAG.to_owned(), self.name.to_string());
        tags
    }
}
