//! The analysis behind `xefs doctor`: pure checks over a snapshot of live state that explain
//! why a cross-account mount would fail, each naming the exact resource (with its account) and
//! the fix.
//!
//! Providers read both accounts and the cluster into a [`DoctorSnapshot`] (`xefs_aws::doctor`,
//! `xefs_k8s::doctor`); [`diagnose`](fn@diagnose) turns it into [`Findings`]: a full
//! checklist, one [`Finding`] per check and resource, passed and skipped ones included, in a
//! stable order:
//!
//! 1. **preflight**, always: whose the credentials are, the spec's VPCs and CIDRs, the OIDC
//!    provider, the cluster's issuer, a subnet of B's VPC in each worker AZ id;
//! 2. **network** ([`check_network`]): peering, routes both ways, NFS ingress on the mount
//!    targets, ACLs both ways, zone alignment;
//! 3. **IAM**: the two roles, and the IAM questions ([`crate::iam::questions`]) over their
//!    live documents;
//! 4. **file system**: available, and a policy that admits the node roles over TLS only;
//! 5. **cluster**: the two Secrets, the `ClusterCSIDriver`, the StorageClass.
//!
//! Before the first `xefs apply` the checks of what apply creates are [`Status::Skipped`],
//! so doctor works as a preflight; a check reading an account whose credentials do not work
//! is skipped too, leaving one failure at the root cause. Failed findings decide the exit
//! code ([`Findings::is_ok`]); warnings flag what works but should not stay that way.
//!
//! The snapshot is also doctor's `--output json` and its fixture format:
//!
//! ```
//! use xefs_core::doctor::{diagnose, CheckId, DoctorSnapshot, Status};
//!
//! // Before apply, with B's credentials pointing at the wrong account.
//! let snapshot: DoctorSnapshot = serde_json::from_str(r#"{
//!   "cluster_account": {
//!     "expected": "111111111111",
//!     "identity": {"outcome": "verified",
//!                  "caller": "arn:aws:sts::111111111111:assumed-role/admin/me"},
//!     "vpc": {"id": "vpc-0a000001", "expected_cidr": "10.0.0.0/16", "cidrs": ["10.0.0.0/16"]}
//!   },
//!   "storage_account": {
//!     "expected": "222222222222",
//!     "identity": {"outcome": "wrong-account", "actual": "333333333333",
//!                  "caller": "arn:aws:sts::333333333333:assumed-role/admin/me"},
//!     "vpc": {"id": "vpc-0b000001", "expected_cidr": "10.1.0.0/16", "cidrs": null}
//!   },
//!   "network": null,
//!   "storage_subnets": [],
//!   "oidc": {"provider": "oidc.op1.openshiftapps.com/2abc",
//!            "arn": "arn:aws:iam::111111111111:oidc-provider/oidc.op1.openshiftapps.com/2abc",
//!            "registered": true},
//!   "iam": {
//!     "namespace": "openshift-cluster-csi-drivers",
//!     "csi_role": {"arn": "arn:aws:iam::111111111111:role/sts-cluster-aws-efs-csi-operator",
//!                  "found": null},
//!     "cross_account_role": {"arn": "arn:aws:iam::222222222222:role/cross-account-efs-role",
//!                            "found": null},
//!     "node_roles": []
//!   },
//!   "file_system": null,
//!   "cluster": null
//! }"#)?;
//!
//! let findings = diagnose(&snapshot);
//! assert!(!findings.is_ok());
//! // One failure, at the root cause; what B's credentials would have read is skipped.
//! let failed: Vec<_> = findings.failed().collect();
//! assert_eq!(failed.len(), 1);
//! assert_eq!(failed[0].check, CheckId::Credentials);
//! assert_eq!(failed[0].resource, "credentials for account 222222222222 (storage)");
//! assert!(failed[0].fix.as_deref().unwrap_or_default().contains("`storage.profile`"));
//! assert!(findings.iter().any(|f| f.check == CheckId::CsiRole && f.status == Status::Skipped));
//! # Ok::<(), serde_json::Error>(())
//! ```

mod cluster;
mod diagnose;
mod file_system;
mod finding;
#[cfg(test)]
mod fixture;
mod network;
mod preflight;
mod roles;
mod snapshot;
mod verdicts;

pub use diagnose::diagnose;
pub use finding::{CheckGroup, CheckId, Finding, Findings, Status};
pub use network::check_network;
pub use snapshot::{
    AccountFacts, AclEntry, AttachedPolicy, ClusterFacts, DoctorSnapshot, FileSystemFacts,
    IamFacts, IdentityFact, IngressState, MountTargetState, NetworkAclState, NetworkSnapshot,
    OidcFacts, PeeringState, RoleDocuments, RoleFacts, RouteState, RouteTableState,
    RouteTargetState, SecretFacts, SecurityGroupState, StorageClassFacts, SubnetState, VpcFact,
    VpcSide, WorkerPlacement,
};
