//! IAM documents as the blueprint knows them: which builder, with which inputs. A template is
//! rendered into a [`PolicyDocument`] once its inputs are known (at apply), or with shell
//! placeholders for the manual procedure.

use serde::{Deserialize, Serialize};

use super::{ResolveError, Resolver, Value};
use crate::iam::{PolicyDocument, builders};
use crate::ids::{AccountId, Arn, FileSystemId, OidcProvider, Partition, Region};

/// An IAM document the procedure needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "document", rename_all = "kebab-case")]
pub enum PolicyTemplate {
    /// A's CSI driver identity policy.
    CsiDriver {
        /// B's role, the only one A's driver may assume.
        cross_account_role: Arn,
    },
    /// A's CSI role trust: web identity for the operator's and controller's service accounts.
    CsiWebIdentityTrust {
        /// Account A, which registers the OIDC provider.
        account: AccountId,
        /// The partition of the ARNs.
        #[schemars(with = "String")]
        #[serde(with = "partition_serde")]
        partition: Partition,
        /// The cluster's OIDC provider.
        oidc_provider: Value<OidcProvider>,
        /// `system:serviceaccount:<namespace>:<name>` of each trusted service account.
        subjects: Vec<String>,
    },
    /// B's identity policy, scoped to the file system.
    CrossAccount {
        /// B's region.
        region: Region,
        /// Account B.
        account: AccountId,
        /// The file system.
        file_system: Value<FileSystemId>,
    },
    /// B's role trust: one principal of account A.
    CrossAccountTrust {
        /// A's CSI role (default) or A's root.
        principal: Arn,
    },
    /// The EFS file-system policy: these principals may mount over TLS.
    FileSystem {
        /// B's region.
        region: Region,
        /// Account B.
        account: AccountId,
        /// The file system.
        file_system: Value<FileSystemId>,
        /// Who may mount.
        principals: Vec<Arn>,
    },
    /// EFS client access for A's principals that mount (the controller's delete-time mount).
    EfsClientAccess {
        /// B's region.
        region: Region,
        /// Account B.
        account: AccountId,
        /// The file system.
        file_system: Value<FileSystemId>,
    },
}

mod partition_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::ids::Partition;

    pub fn serialize<S: Serializer>(p: &Partition, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(p.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Partition, D::Error> {
        let s = String::deserialize(d)?;
        Partition::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown partition {s:?}")))
    }
}

impl PolicyTemplate {
    /// Renders the document, resolving values other steps produce through `resolver`.
    pub fn render(&self, resolver: &dyn Resolver) -> Result<PolicyDocument, ResolveError> {
        Ok(match self {
            PolicyTemplate::CsiDriver { cross_account_role } => {
                builders::csi_driver_policy(cross_account_role)
            }
            PolicyTemplate::CsiWebIdentityTrust {
                account,
                partition,
                oidc_provider,
                subjects,
            } => {
                let provider = oidc_provider.resolve(resolver)?;
                let arn = raw_arn(&format!(
                    "arn:{partition}:iam::{account}:oidc-provider/{provider}"
                ));
                builders::csi_web_identity_trust(&arn, &provider, subjects)
            }
            PolicyTemplate::CrossAccount {
                region,
                account,
                file_system,
            } => {
                let fs = Arn::efs_file_system_raw(region, account, &file_system.resolve(resolver)?);
                builders::cross_account_policy(&fs, &Arn::efs_access_points(region, account))
            }
            PolicyTemplate::CrossAccountTrust { principal } => {
                builders::cross_account_trust(principal)
            }
            PolicyTemplate::FileSystem {
                region,
                account,
                file_system,
                principals,
            } => {
                let fs = Arn::efs_file_system_raw(region, account, &file_system.resolve(resolver)?);
                builders::file_system_policy(&fs, principals)
            }
            PolicyTemplate::EfsClientAccess {
                region,
                account,
                file_system,
            } => {
                let fs = Arn::efs_file_system_raw(region, account, &file_system.resolve(resolver)?);
                builders::efs_client_access_policy(&fs)
            }
        })
    }

    /// A short name for the document, used as its file name by `xefs render`.
    pub fn kind(&self) -> &'static str {
        match self {
            PolicyTemplate::CsiDriver { .. } => "csi-driver-policy",
            PolicyTemplate::CsiWebIdentityTrust { .. } => "csi-role-trust",
            PolicyTemplate::CrossAccount { .. } => "cross-account-policy",
            PolicyTemplate::CrossAccountTrust { .. } => "cross-account-role-trust",
            PolicyTemplate::FileSystem { .. } => "file-system-policy",
            PolicyTemplate::EfsClientAccess { .. } => "efs-client-access-policy",
        }
    }
}

/// Builds an ARN from parts that were validated separately (a resolved output or a shell
/// placeholder may not parse as an id, but the ARN's structure is ours).
fn raw_arn(s: &str) -> Arn {
    Arn::parse(s).unwrap_or_else(|_| Arn::from_trusted(s.to_owned()))
}
