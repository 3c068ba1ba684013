//! The simulated driver's judgement: `doctor`'s analysis over the fake AWS world decides
//! whether a claim can be provisioned and a node can mount, with the words a real cluster
//! would show.
//!
//! The fake cluster asks synchronously, holding its lock; the analysis needs async reads of
//! the AWS world and of the cluster. So [`Judge::refresh`] reads both before every cluster call
//! (see `super::cluster`) — unless neither changed since its last reading — and the oracle
//! only runs the pure analysis over the latest reading.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use xefs_aws::AwsAccounts;
use xefs_aws::doctor::{DoctorAccounts, read_snapshot};
use xefs_aws::fake::{FakeAws, FakeEc2};
use xefs_aws::ports::Ec2 as _;
use xefs_core::doctor::{CheckId, DoctorSnapshot, Findings, Status, diagnose};
use xefs_core::ids::{InstanceId, SubnetId};
use xefs_core::sim::SimTime;
use xefs_core::spec::StackSpec;
use xefs_k8s::doctor::read_cluster;
use xefs_k8s::fake::{FakeCluster, MountOracle, MountRequest, ProvisionRequest, SimFailure};

/// What the last reading found: the snapshot, and each worker instance's subnet.
#[derive(Debug, Clone)]
struct Reading {
    snapshot: DoctorSnapshot,
    subnets: HashMap<InstanceId, SubnetId>,
    /// The worlds it read.
    of: Worlds,
}

/// Which state of both worlds a reading is of: the AWS world is a function of its revision
/// and its time, the cluster's objects of its revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Worlds {
    aws: u64,
    at: SimTime,
    cluster: u64,
}

/// The latest reading of both worlds, shared by the refreshing cluster and the oracle.
#[derive(Clone)]
pub(super) struct Judge {
    spec: Arc<StackSpec>,
    /// The quiet view of the fake AWS the accounts read, for its revision.
    aws: FakeAws,
    /// Both accounts over a quiet view of the fake AWS (no latency, faults or call records:
    /// the driver's own calls are not xefs's).
    accounts: AwsAccounts,
    /// Account A's EC2, to place worker instances in their subnets.
    cluster_ec2: FakeEc2,
    latest: Arc<Mutex<Option<Reading>>>,
}

impl Judge {
    pub(super) fn new(
        spec: Arc<StackSpec>,
        aws: FakeAws,
        accounts: AwsAccounts,
        cluster_ec2: FakeEc2,
    ) -> Self {
        Self {
            spec,
            aws,
            accounts,
            cluster_ec2,
            latest: Arc::new(Mutex::new(None)),
        }
    }

    fn latest(&self) -> MutexGuard<'_, Option<Reading>> {
        self.latest.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the AWS world and the cluster's objects again, unless neither changed since the
    /// last reading (the reads cost far more than the calls they precede). A failed read
    /// leaves the previous reading: the fake worlds answer every read, so it can only be a
    /// bug, and judging on slightly old facts is what a real driver's cache does too.
    pub(super) async fn refresh(&self, cluster: &FakeCluster) {
        // Taken before reading: a change made while reading shows as a new state next time.
        let worlds = Worlds {
            aws: self.aws.revision(),
            at: self.aws.now(),
            cluster: cluster.revision(),
        };
        if self.latest().as_ref().is_some_and(|r| r.of == worlds) {
            return;
        }
        let Ok(facts) = read_cluster(cluster, &self.spec).await else {
            return;
        };
        let instances = facts.worker_instances.clone();
        let accounts = DoctorAccounts::from(self.accounts.clone());
        let Ok(snapshot) = read_snapshot(&self.spec, &accounts, Some(facts)).await else {
            return;
        };
        let subnets = match self.cluster_ec2.describe_instances(&instances).await {
            Ok(found) => found
                .into_iter()
                .filter_map(|i| i.subnet_id.map(|s| (i.id, s)))
                .collect(),
            Err(_) => HashMap::new(),
        };
        *self.latest() = Some(Reading {
            snapshot,
            subnets,
            of: worlds,
        });
    }
}

/// The checks whose failure stops the controller from creating an access point.
const PROVISIONING: [CheckId; 11] = [
    CheckId::OidcProvider,
    CheckId::ServiceAccountIssuer,
    CheckId::CsiRole,
    CheckId::CsiTrust,
    CheckId::CloudCredentialsSecret,
    CheckId::CrossAccountRole,
    CheckId::CrossAccountSecret,
    CheckId::AssumeCrossAccountRole,
    CheckId::DriverPermissions,
    CheckId::FileSystem,
    CheckId::StorageClass,
];

/// The oracle the simulated cluster asks.
pub(super) struct DoctorOracle(pub(super) Judge);

impl DoctorOracle {
    fn findings(&self, restrict_to: Option<&InstanceId>) -> Option<Findings> {
        let latest = self.0.latest();
        let reading = latest.as_ref()?;
        let mut snapshot = reading.snapshot.clone();
        if let (Some(instance), Some(network)) = (restrict_to, snapshot.network.as_mut())
            && let Some(subnet) = reading.subnets.get(instance)
        {
            network.workers.retain(|w| &w.subnet == subnet);
        }
        Some(diagnose(&snapshot))
    }
}

fn first_failed(findings: &Findings, checks: &[CheckId]) -> Option<CheckId> {
    findings
        .iter()
        .filter(|f| f.status == Status::Failed)
        .map(|f| f.check)
        .find(|c| checks.contains(c))
}

impl MountOracle for DoctorOracle {
    fn provision(&self, request: &ProvisionRequest) -> Result<(), SimFailure> {
        let Some(findings) = self.findings(None) else {
            return Ok(());
        };
        match first_failed(&findings, &PROVISIONING) {
            None => Ok(()),
            Some(
                CheckId::OidcProvider
                | CheckId::ServiceAccountIssuer
                | CheckId::CsiRole
                | CheckId::CsiTrust
                | CheckId::CloudCredentialsSecret,
            ) => Err(SimFailure::assume_role_denied(
                "sts:AssumeRoleWithWebIdentity",
            )),
            Some(CheckId::CrossAccountRole | CheckId::AssumeCrossAccountRole) => {
                Err(SimFailure::assume_role_denied("sts:AssumeRole"))
            }
            Some(CheckId::FileSystem | CheckId::StorageClass) => Err(SimFailure::new(
                "FileSystemNotFound",
                format!(
                    "rpc error: code = Internal desc = Failed to fetch File System info: \
                     Describe File System failed: FileSystemNotFound: File system '{}' does \
                     not exist.",
                    request.file_system_id().unwrap_or_default()
                ),
            )),
            Some(_) => Err(SimFailure::provisioning_access_denied()),
        }
    }

    fn mount(&self, request: &MountRequest) -> Result<(), SimFailure> {
        let Some(findings) = self.findings(Some(&request.node.instance_id)) else {
            return Ok(());
        };
        let no_mount_target = findings.iter().all(|f| f.check != CheckId::MountTargetVpc);
        if first_failed(&findings, &[CheckId::FileSystem]).is_some() || no_mount_target {
            return Err(SimFailure::mount_dns_failed(request));
        }
        let path = [
            CheckId::CidrOverlap,
            CheckId::PeeringActive,
            CheckId::MountTargetVpc,
            CheckId::MountTargetAvailable,
            CheckId::RouteToPeer,
            CheckId::RouteBack,
            CheckId::NfsIngress,
            CheckId::AclClusterSubnet,
            CheckId::AclStorageSubnet,
        ];
        if first_failed(&findings, &path).is_some() {
            return Err(SimFailure::mount_connection_timed_out(request));
        }
        if first_failed(&findings, &[CheckId::FileSystemPolicy]).is_some() {
            return Err(SimFailure::mount_access_denied(request));
        }
        Ok(())
    }
}
