use std::fmt;
use std::str::FromStr;

use ipnet::Ipv4Net;

use super::ParseIdError;

/// An IPv4 CIDR block in canonical form (`10.0.0.0/16`, host bits zero).
///
/// A block with host bits set (`10.0.1.7/16`) is rejected rather than silently truncated:
/// AWS rejects such routes, and the user most likely mistyped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Cidr(Ipv4Net);

impl Ipv4Cidr {
    /// Parses a canonical IPv4 CIDR block.
    pub fn parse(s: &str) -> Result<Self, ParseIdError> {
        let net: Ipv4Net = s.parse().map_err(|_| {
            ParseIdError::new(
                "IPv4 CIDR block",
                s,
                "write an address and a prefix length, like `10.0.0.0/16`",
            )
        })?;
        if net.trunc() != net {
            return Err(ParseIdError::new(
                "IPv4 CIDR block",
                s,
                format!("host bits are set; did you mean `{}`?", net.trunc()),
            ));
        }
        Ok(Self(net))
    }

    /// The underlying network.
    pub fn net(&self) -> Ipv4Net {
        self.0
    }

    /// Whether two blocks share any address. Peered VPCs must not overlap.
    pub fn overlaps(&self, other: &Ipv4Cidr) -> bool {
        self.0.contains(&other.0.network()) || other.0.contains(&self.0.network())
    }

    /// Whether `other` lies entirely within this block.
    pub fn contains(&self, other: &Ipv4Cidr) -> bool {
        self.0.contains(&other.0)
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Ipv4Cidr {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<Ipv4Net> for Ipv4Cidr {
    fn from(net: Ipv4Net) -> Self {
        Self(net.trunc())
    }
}

impl serde::Serialize for Ipv4Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Ipv4Cidr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Ipv4Cidr {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Ipv4Cidr".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "description": "An IPv4 CIDR block such as 10.0.0.0/16" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Ipv4Cidr {
        Ipv4Cidr::parse(s).unwrap()
    }

    #[test]
    fn rejects_host_bits_with_a_suggestion() {
        let err = Ipv4Cidr::parse("10.0.1.7/16").unwrap_err();
        assert!(
            err.to_string().contains("did you mean `10.0.0.0/16`"),
            "{err}"
        );
    }

    #[test]
    fn overlap_is_symmetric_and_exact() {
        assert!(c("10.0.0.0/16").overlaps(&c("10.0.128.0/17")));
        assert!(c("10.0.128.0/17").overlaps(&c("10.0.0.0/16")));
        assert!(!c("10.0.0.0/16").overlaps(&c("10.1.0.0/16")));
        assert!(c("0.0.0.0/0").overlaps(&c("192.168.0.0/24")));
    }
}
