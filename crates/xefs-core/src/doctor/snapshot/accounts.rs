//! Facts about each account: whose credentials answered, and whether its VPC is the one the
//! spec describes.

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, Arn, Ipv4Cidr, OidcProvider, VpcId};

/// One account as doctor found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFacts {
    /// The account id the spec names (`cluster.account_id` or `storage.account_id`).
    pub expected: AccountId,
    /// Who the credentials for this account turned out to be.
    pub identity: IdentityFact,
    /// The VPC the spec names in this account.
    pub vpc: VpcFact,
}

/// The answer to `sts:GetCallerIdentity` with the credentials xefs was given for an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum IdentityFact {
    /// The credentials act in the expected account, as `caller`.
    Verified {
        /// The caller's ARN.
        caller: String,
    },
    /// The credentials act in another account.
    WrongAccount {
        /// The account they act in.
        actual: AccountId,
        /// The caller's ARN.
        caller: String,
    },
    /// No identity: missing or expired credentials, an unknown profile, a refused
    /// `AssumeRole`…; the error as the SDK or xefs gave it.
    Unavailable {
        /// The error.
        error: String,
    },
}

/// The VPC the spec names, as found in its account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcFact {
    /// The VPC id from the spec.
    pub id: VpcId,
    /// The CIDR the spec gives for it (`*.vpc_cidr`); routes and rules are built from it.
    pub expected_cidr: Ipv4Cidr,
    /// Its IPv4 CIDR blocks, primary first; `None` when the VPC does not exist or could not
    /// be read.
    pub cidrs: Option<Vec<Ipv4Cidr>>,
}

/// A's IAM OIDC provider for the cluster's service-account issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcFacts {
    /// The issuer without its scheme.
    pub provider: OidcProvider,
    /// The provider's ARN in account A.
    pub arn: Arn,
    /// Whether A's IAM lists that provider (`ListOpenIDConnectProviders`).
    pub registered: bool,
}
