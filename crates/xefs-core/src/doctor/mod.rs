//! The analysis behind `xefs doctor`: pure checks over a snapshot of live state that explain
//! why a cross-account mount would fail, each naming the exact resource and the fix.
//!
//! Providers read the live state into a [`NetworkSnapshot`]; [`check_network`] walks the NFS
//! path from every worker subnet to the mount target its AZ id would use and returns one
//! [`Finding`] per check, passed ones included, so the CLI can print a checklist.
//!
//! ```
//! use xefs_core::doctor::{CheckId, Finding, Findings};
//!
//! let findings = Findings::from(vec![
//!     Finding::passed(CheckId::CidrOverlap, "VPC vpc-1 and VPC vpc-2", "10.0.0.0/16 and 10.1.0.0/16 are disjoint"),
//!     Finding::warned(CheckId::AzAlignment, "AZ id use1-az6", "no mount target in this AZ id", None),
//! ]);
//! assert!(findings.is_ok()); // warnings do not fail doctor
//! assert_eq!(findings.failed().count(), 0);
//! assert_eq!(CheckId::RouteToPeer.as_str(), "route-to-peer");
//! ```

mod finding;
mod network;
mod snapshot;

pub use finding::{CheckId, Finding, Findings, Status};
pub use network::check_network;
pub use snapshot::{
    AccountFacts, AclEntry, AttachedPolicy, ClusterFacts, DoctorSnapshot, FileSystemFacts,
    IamFacts, IdentityFact, IngressState, MountTargetState, NetworkAclState, NetworkSnapshot,
    OidcFacts, PeeringState, RoleDocuments, RoleFacts, RouteState, RouteTableState,
    RouteTargetState, SecretFacts, SecurityGroupState, StorageClassFacts, SubnetState, VpcFact,
    VpcSide, WorkerPlacement,
};
