use super::{ParseIdError, string_id};

/// A 12-digit AWS account id. Leading zeros are significant, so it is kept as text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(String);

impl AccountId {
    /// Parses an account id: exactly twelve ASCII digits.
    pub fn parse(s: &str) -> Result<Self, ParseIdError> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ParseIdError::new(
                "AWS account id",
                s,
                "use the 12 digits `aws sts get-caller-identity --query Account` prints, leading zeros included",
            ))
        }
    }
}

string_id!(AccountId, "A 12-digit AWS account id");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_twelve_digits_with_leading_zeros() {
        assert_eq!(
            AccountId::parse("000123456789").unwrap().to_string(),
            "000123456789"
        );
    }

    #[test]
    fn rejects_other_lengths_and_letters() {
        for bad in [
            "",
            "12345678901",
            "1234567890123",
            "12345678901a",
            " 123456789012",
        ] {
            assert!(AccountId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
