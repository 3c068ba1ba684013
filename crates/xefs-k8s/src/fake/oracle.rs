//! The question the fake cluster cannot answer itself: would the EFS CSI driver really
//! provision an access point, and would a node really mount it? The answer depends on the AWS
//! side (the role chain, the policies, the routes, the security groups, a mount target in the
//! node's zone), which a [`MountOracle`] judges — [`AlwaysWorks`] by default, `doctor`'s
//! analysis over the fake AWS world in the composition.
//!
//! A failure carries what the driver itself returns (its gRPC status, as text); the cluster
//! wraps it exactly as the external-provisioner (`ProvisioningFailed`) and the kubelet
//! (`FailedMount`) do. The constructors on [`SimFailure`] give the driver's words for the usual
//! causes, so the composition never invents them.

use std::collections::BTreeMap;

use super::seed::NodeSeed;

/// Why the simulated driver failed, and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimFailure {
    /// A short name of the cause (`AccessDenied`, `ConnectionTimedOut`, …), for tests and
    /// diagnostics; the cluster does not show it.
    pub reason: String,
    /// The driver's error as the cluster shows it inside the event, e.g.
    /// `rpc error: code = Unauthenticated desc = Access Denied. …`.
    pub message: String,
}

/// A claim the CSI provisioner is about to create an access point for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionRequest {
    /// The StorageClass's name.
    pub storage_class: String,
    /// Its provisioner (`efs.csi.aws.com`).
    pub provisioner: String,
    /// Its parameters (`fileSystemId`, `provisioningMode`, `basePath`, …).
    pub parameters: BTreeMap<String, String>,
    /// Its mount options (`iam`, `tls`).
    pub mount_options: Vec<String>,
    /// The claim's namespace.
    pub claim_namespace: String,
    /// The claim's name.
    pub claim_name: String,
    /// The PersistentVolume that will be created (`pvc-<claim uid>`).
    pub volume_name: String,
    /// `awsRoleArn` of the provisioner secret the StorageClass names: the role in the
    /// storage account the controller assumes to create the access point.
    pub cross_account_role_arn: Option<String>,
    /// `role_arn` of Secret `aws-efs-cloud-credentials`: the role in the cluster account the
    /// controller assumes first, with its service-account token.
    pub credentials_role_arn: Option<String>,
}

impl ProvisionRequest {
    /// The `fileSystemId` parameter.
    pub fn file_system_id(&self) -> Option<&str> {
        self.parameters.get("fileSystemId").map(String::as_str)
    }
}

/// A node about to mount a volume for a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountRequest {
    /// The node (its instance, zone and zone id).
    pub node: NodeSeed,
    /// The pod's namespace.
    pub pod_namespace: String,
    /// The pod's name.
    pub pod_name: String,
    /// The PersistentVolume.
    pub volume_name: String,
    /// Its `csi.volumeHandle` (`fs-…::fsap-…`).
    pub volume_handle: String,
    /// The file system, from the handle.
    pub file_system_id: String,
    /// The access point, from the handle.
    pub access_point_id: Option<String>,
    /// The volume's mount options (`iam`, `tls`).
    pub mount_options: Vec<String>,
    /// Where the kubelet mounts it:
    /// `/var/lib/kubelet/pods/<pod uid>/volumes/kubernetes.io~csi/<volume>/mount`.
    pub target_path: String,
}

impl MountRequest {
    /// The region of the node's zone (`us-east-2a` → `us-east-2`).
    pub fn region(&self) -> &str {
        self.node
            .zone
            .strip_suffix(|c: char| c.is_ascii_lowercase())
            .unwrap_or(&self.node.zone)
    }

    /// The file system's DNS name in the node's region, which mount helpers resolve.
    pub fn dns_name(&self) -> String {
        format!(
            "{}.efs.{}.amazonaws.com",
            self.file_system_id,
            self.region()
        )
    }

    /// `-t efs -o <options> <fs>:/ <target>`: the arguments the driver runs `mount` with.
    fn mount_arguments(&self) -> String {
        let mut options: Vec<String> = Vec::new();
        if let Some(ap) = &self.access_point_id {
            options.push(format!("accesspoint={ap}"));
        }
        options.push("tls".to_owned());
        for o in &self.mount_options {
            if !options.contains(o) {
                options.push(o.clone());
            }
        }
        format!(
            "-t efs -o {} {}:/ {}",
            options.join(","),
            self.file_system_id,
            self.target_path
        )
    }
}

/// Decides whether the simulated EFS CSI driver can provision and mount.
///
/// Called with the cluster's lock held: an oracle must not call back into the
/// [`FakeCluster`](super::FakeCluster).
pub trait MountOracle: Send + Sync {
    /// Whether the controller can create the claim's access point.
    fn provision(&self, request: &ProvisionRequest) -> Result<(), SimFailure>;
    /// Whether the node can mount the volume.
    fn mount(&self, request: &MountRequest) -> Result<(), SimFailure>;
}

/// The oracle of a world where the AWS side is right.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysWorks;

impl MountOracle for AlwaysWorks {
    fn provision(&self, _request: &ProvisionRequest) -> Result<(), SimFailure> {
        Ok(())
    }

    fn mount(&self, _request: &MountRequest) -> Result<(), SimFailure> {
        Ok(())
    }
}

/// What `mount.nfs4` prints when nothing answers on TCP 2049 (a security group, a route or a
/// network ACL drops the traffic). Source: aws/efs-utils and kubernetes-sigs/aws-efs-csi-driver
/// issues (e.g. aws-efs-csi-driver#228, #262; kubernetes-csi/csi-driver-nfs#846).
pub const NFS_CONNECTION_TIMED_OUT: &str = "mount.nfs4: Connection timed out";

/// What `mount.nfs4` prints when the file-system policy (or a missing `iam` mount option)
/// refuses the client; EFS mounts through the local TLS tunnel, hence `127.0.0.1:/`. Source:
/// aws-efs-csi-driver#347, aws/efs-utils#132, awslabs/cdk-eks-blueprints#1052.
pub const NFS_ACCESS_DENIED: &str =
    "mount.nfs4: access denied by server while mounting 127.0.0.1:/";

/// The driver's answer when EFS refuses the controller's calls (its role cannot create access
/// points on the file system). Source: aws-efs-csi-driver#876 and #620 (OpenShift), which show
/// the whole event: `failed to provision volume with StorageClass "efs-sc": rpc error: code =
/// Unauthenticated desc = Access Denied. Please ensure you have the right AWS permissions:
/// Access denied`.
pub const PROVISIONING_ACCESS_DENIED: &str = "rpc error: code = Unauthenticated desc = Access Denied. Please ensure you have the right AWS permissions: Access denied";

/// The gRPC answer the kubelet gets when the driver's mount hangs past its deadline (the
/// usual first sign of blocked NFS traffic). Source: aws-efs-csi-driver#228 and #262.
pub const MOUNT_DEADLINE_EXCEEDED: &str =
    "rpc error: code = DeadlineExceeded desc = context deadline exceeded";

impl SimFailure {
    /// A failure with this cause and message.
    pub fn new(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            message: message.into(),
        }
    }

    /// EFS denied the controller's `CreateAccessPoint` (or `DescribeFileSystems`): the
    /// cross-account role lacks the permission, or its policy names another file system.
    pub fn provisioning_access_denied() -> Self {
        Self::new("AccessDenied", PROVISIONING_ACCESS_DENIED)
    }

    /// The controller could not assume a role: the web-identity trust of the cluster
    /// account's role (`detail` names the call, e.g. `sts:AssumeRoleWithWebIdentity`), or the
    /// storage account's role not trusting it (`sts:AssumeRole`). Source of the shape:
    /// aws-efs-csi-driver#392 (`Failed to fetch File System info: describe File System
    /// failed: WebIdentityErr: failed to retrieve credentials caused by: AccessDenied: Not
    /// authorized to perform sts:AssumeRoleWithWebIdentity`).
    pub fn assume_role_denied(action: &str) -> Self {
        Self::new(
            "AssumeRoleDenied",
            format!(
                "rpc error: code = Internal desc = Failed to fetch File System info: describe \
                 File System failed: WebIdentityErr: failed to retrieve credentials\ncaused by: \
                 AccessDenied: Not authorized to perform {action}"
            ),
        )
    }

    /// The node's mount ran past the kubelet's deadline (NFS traffic dropped on the way).
    pub fn mount_deadline_exceeded() -> Self {
        Self::new("DeadlineExceeded", MOUNT_DEADLINE_EXCEEDED)
    }

    /// `mount` failed with this output, as the driver's `NodePublishVolume` reports it
    /// (`Could not mount %q at %q: %v`, aws-efs-csi-driver `pkg/driver/node.go`, with the
    /// Kubernetes mount library's `mount failed: exit status 32 / Mounting command / Mounting
    /// arguments / Output` text).
    pub fn mount_failed(reason: &str, request: &MountRequest, output: &str) -> Self {
        Self::new(
            reason,
            format!(
                "rpc error: code = Internal desc = Could not mount \"{fs}:/\" at \"{target}\": \
                 mount failed: exit status 32\nMounting command: mount\nMounting arguments: \
                 {args}\nOutput: {output}",
                fs = request.file_system_id,
                target = request.target_path,
                args = request.mount_arguments(),
            ),
        )
    }

    /// Nothing answered on TCP 2049: [`NFS_CONNECTION_TIMED_OUT`].
    pub fn mount_connection_timed_out(request: &MountRequest) -> Self {
        Self::mount_failed("ConnectionTimedOut", request, NFS_CONNECTION_TIMED_OUT)
    }

    /// The file system's name did not resolve (no mount target in the node's zone, or a
    /// cross-account mount without a mount-target IP). The wording is efs-utils' (see
    /// aws/efs-utils#90 and the messages quoted in ydamni/cloud-is-free#3).
    pub fn mount_dns_failed(request: &MountRequest) -> Self {
        let output = format!(
            "Failed to resolve \"{}\" - check that your file system ID is correct, and ensure \
             that the VPC has an EFS mount target for this file system ID.\nSee \
             https://docs.aws.amazon.com/console/efs/mount-dns-name for more detail.",
            request.dns_name()
        );
        Self::mount_failed("DnsResolution", request, &output)
    }

    /// The file-system policy refused the client: [`NFS_ACCESS_DENIED`].
    pub fn mount_access_denied(request: &MountRequest) -> Self {
        Self::mount_failed("NfsAccessDenied", request, NFS_ACCESS_DENIED)
    }
}

#[cfg(test)]
mod tests {
    use xefs_core::ids::InstanceId;

    use super::*;

    fn request() -> MountRequest {
        MountRequest {
            node: NodeSeed {
                name: "worker-a".into(),
                instance_id: InstanceId::parse("i-0aaaaaaaaaaaaaaaa").expect("id"),
                zone: "us-east-2a".into(),
                az_id: None,
                worker: true,
            },
            pod_namespace: "ns".into(),
            pod_name: "p".into(),
            volume_name: "pvc-1".into(),
            volume_handle: "fs-0123456789abcdef0::fsap-0123456789abcdef0".into(),
            file_system_id: "fs-0123456789abcdef0".into(),
            access_point_id: Some("fsap-0123456789abcdef0".into()),
            mount_options: vec!["iam".into()],
            target_path: "/var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pvc-1/mount".into(),
        }
    }

    #[test]
    fn mount_failures_read_as_the_driver_reports_them() {
        let r = request();
        assert_eq!(r.region(), "us-east-2");
        let f = SimFailure::mount_connection_timed_out(&r);
        assert_eq!(f.reason, "ConnectionTimedOut");
        assert_eq!(
            f.message,
            "rpc error: code = Internal desc = Could not mount \"fs-0123456789abcdef0:/\" at \
             \"/var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pvc-1/mount\": mount failed: \
             exit status 32\nMounting command: mount\nMounting arguments: -t efs -o \
             accesspoint=fsap-0123456789abcdef0,tls,iam fs-0123456789abcdef0:/ \
             /var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pvc-1/mount\nOutput: \
             mount.nfs4: Connection timed out"
        );
        assert!(
            SimFailure::mount_dns_failed(&r)
                .message
                .contains("Failed to resolve \"fs-0123456789abcdef0.efs.us-east-2.amazonaws.com\"")
        );
        assert!(
            SimFailure::mount_access_denied(&r)
                .message
                .ends_with(NFS_ACCESS_DENIED)
        );
    }
}
