use super::{ParseIdError, string_id};

/// An OIDC provider as IAM names it: the issuer URL without `https://`, e.g.
/// `oidc.op1.openshiftapps.com/2abc`. This form is used in IAM trust conditions
/// (`<provider>:sub`) and in the provider's ARN.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OidcProvider(String);

impl OidcProvider {
    /// Parses an issuer host and optional path, with or without `https://` and a trailing slash.
    pub fn parse(s: &str) -> Result<Self, ParseIdError> {
        let bare = s.trim();
        let bare = bare.strip_prefix("https://").unwrap_or(bare);
        let bare = bare.trim_end_matches('/');
        let err = |why: &str| ParseIdError::new("OIDC provider", s, why.to_owned());
        if bare.contains("://") {
            return Err(err(
                "the issuer must use https; write it as `host/path`, e.g. `oidc.op1.openshiftapps.com/2abc`",
            ));
        }
        let (host, path) = bare.split_once('/').unwrap_or((bare, ""));
        let host_ok = host.contains('.')
            && host.len() <= 253
            && host.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !host_ok {
            return Err(err(
                "expected a DNS host name, optionally followed by a path, e.g. `oidc.op1.openshiftapps.com/2abc`",
            ));
        }
        let path_ok = path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b));
        if !path_ok || bare.contains("//") {
            return Err(err(
                "the path may hold only letters, digits, `-._~` and single slashes",
            ));
        }
        // Host names are case-insensitive, paths are not: lower-case only the host.
        Ok(Self(format!(
            "{}{}",
            host.to_ascii_lowercase(),
            &bare[host.len()..]
        )))
    }

    /// Wraps a value the caller knows to be valid (a constant), like `Arn::from_trusted`.
    pub(crate) fn from_trusted(s: String) -> Self {
        Self(s)
    }

    /// The issuer URL (`https://…`), as the cluster's `Authentication` object holds it.
    pub fn issuer_url(&self) -> String {
        format!("https://{}", self.0)
    }
}

string_id!(
    OidcProvider,
    "An OIDC issuer host and path without the scheme"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_scheme_and_trailing_slash() {
        let p = OidcProvider::parse("https://OIDC.example.com/abc/").unwrap();
        assert_eq!(p.as_str(), "oidc.example.com/abc");
        assert_eq!(p.issuer_url(), "https://oidc.example.com/abc");
        assert_eq!(
            OidcProvider::parse("oidc.example.com").unwrap().as_str(),
            "oidc.example.com"
        );
    }

    #[test]
    fn rejects_http_and_junk() {
        for bad in [
            "http://oidc.example.com/x",
            "",
            "localhost",
            "oidc..example.com",
            "oidc.example.com/a b",
            "oidc.example.com//x",
        ] {
            assert!(OidcProvider::parse(bad).is_err(), "{bad:?}");
        }
    }
}
