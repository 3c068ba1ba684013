use super::{ParseIdError, string_id};

/// An availability-zone **id** such as `use2-az1`.
///
/// Zone *names* (`us-east-2a`) are shuffled per account, so two accounts can call different
/// physical zones by the same name. Cross-account placement must compare ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AzId(String);

impl AzId {
    /// Parses a zone id: dash-separated lowercase words ending in `az<digits>`.
    pub fn parse(s: &str) -> Result<Self, ParseIdError> {
        let mut parts = s.split('-');
        let first = parts.next().unwrap_or_default();
        let last = s.rsplit('-').next().unwrap_or_default();
        let words_ok = s.split('-').count() >= 2
            && s.split('-').all(|w| {
                !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        let last_ok = last
            .strip_prefix("az")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if words_ok && last_ok && first.len() >= 3 {
            Ok(Self(s.to_owned()))
        } else {
            Err(ParseIdError::new(
                "availability zone id",
                s,
                "use the zone id (like `use2-az1`, from `aws ec2 describe-availability-zones --query 'AvailabilityZones[].ZoneId'`), not the zone name",
            ))
        }
    }
}

string_id!(
    AzId,
    "An availability zone id such as use2-az1 (not a zone name)"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_zone_ids_and_rejects_names() {
        assert!(AzId::parse("use2-az1").is_ok());
        assert!(AzId::parse("usw2-lax1-az1").is_ok());
        for bad in [
            "us-east-2a",
            "use2",
            "use2-az",
            "az1",
            "USE2-AZ1",
            "use2--az1",
        ] {
            assert!(AzId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
