//! Validated identifiers: every id, name and address xefs handles is parsed once into one of
//! these types, so the rest of the code never sees a malformed value.
//!
//! Each type implements `FromStr`, `Display`, serde (as a plain string) and `JsonSchema`, and
//! its parse error says what was expected.

mod account;
mod arn;
mod az;
mod cidr;
mod name;
mod oidc;
mod region;
mod resource;

pub use account::AccountId;
pub use arn::Arn;
pub use az::AzId;
pub use cidr::Ipv4Cidr;
pub use name::{IamName, K8sName, StackName};
pub use oidc::OidcProvider;
pub use region::{Partition, Region};
pub use resource::{
    AccessPointId, FileSystemId, InstanceId, MountTargetId, PeeringId, RouteTableId,
    SecurityGroupId, SubnetId, VpcId,
};

/// A value that does not parse as the identifier it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {what}: {expected}")]
pub struct ParseIdError {
    /// The kind of identifier, e.g. "AWS account id".
    pub what: &'static str,
    /// The rejected input.
    pub value: String,
    /// What a valid value looks like, phrased as a fix.
    pub expected: String,
}

impl ParseIdError {
    pub(crate) fn new(what: &'static str, value: &str, expected: impl Into<String>) -> Self {
        // Long inputs are cut so an error never echoes a whole pasted document.
        let value: String = value.chars().take(120).collect();
        Self {
            what,
            value,
            expected: expected.into(),
        }
    }
}

/// Implements `Display`, `FromStr` (via `parse`), `AsRef<str>`, serde and `JsonSchema` for a
/// newtype over `String` whose constructor is `fn parse(&str) -> Result<Self, ParseIdError>`.
macro_rules! string_id {
    ($ty:ident, $schema_desc:expr) => {
        impl $ty {
            /// The identifier as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl ::std::str::FromStr for $ty {
            type Err = $crate::ids::ParseIdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                Self::parse(&s).map_err(::serde::de::Error::custom)
            }
        }
        impl ::schemars::JsonSchema for $ty {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }
            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!({ "type": "string", "description": $schema_desc })
            }
        }
    };
}
pub(crate) use string_id;

#[cfg(test)]
mod proptests;
