use super::{ParseIdError, string_id};

/// An AWS region code such as `us-east-2`, `us-gov-west-1` or `cn-north-1`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region(String);

/// The AWS partition a region belongs to; ARNs and service principals depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Partition {
    /// Commercial regions (`aws`).
    Aws,
    /// China regions (`aws-cn`).
    AwsCn,
    /// GovCloud regions (`aws-us-gov`).
    AwsUsGov,
}

impl Partition {
    /// The partition as it appears in ARNs.
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }

    /// Parses the partition field of an ARN.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "aws" => Some(Partition::Aws),
            "aws-cn" => Some(Partition::AwsCn),
            "aws-us-gov" => Some(Partition::AwsUsGov),
            _ => None,
        }
    }
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Region {
    /// Parses a region code: `<area>[-gov]-<direction>-<number>` in lower case.
    pub fn parse(s: &str) -> Result<Self, ParseIdError> {
        let err = || {
            ParseIdError::new(
                "AWS region",
                s,
                "use a region code such as `us-east-2` (not an availability zone like `us-east-2a`)",
            )
        };
        let parts: Vec<&str> = s.split('-').collect();
        if !(3..=4).contains(&parts.len()) {
            return Err(err());
        }
        let (last, words) = parts.split_last().ok_or_else(err)?;
        let number_ok = !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit());
        let words_ok = words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()));
        if number_ok && words_ok && words[0].len() == 2 {
            Ok(Self(s.to_owned()))
        } else {
            Err(err())
        }
    }

    /// The partition of this region.
    pub fn partition(&self) -> Partition {
        if self.0.starts_with("cn-") {
            Partition::AwsCn
        } else if self.0.starts_with("us-gov-") {
            Partition::AwsUsGov
        } else {
            Partition::Aws
        }
    }
}

string_id!(Region, "An AWS region code such as us-east-2");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_regions_and_their_partitions() {
        for (r, p) in [
            ("us-east-2", Partition::Aws),
            ("ap-southeast-4", Partition::Aws),
            ("us-gov-west-1", Partition::AwsUsGov),
            ("cn-north-1", Partition::AwsCn),
        ] {
            assert_eq!(Region::parse(r).unwrap().partition(), p);
        }
    }

    #[test]
    fn rejects_zones_and_garbage() {
        for bad in [
            "us-east-2a",
            "US-EAST-2",
            "useast2",
            "us-east-",
            "-east-1",
            "u-east-1",
            "",
        ] {
            assert!(Region::parse(bad).is_err(), "{bad:?}");
        }
    }
}
