//! A last line of defence against credentials reaching the journal.

use crate::step::StepOutputs;

/// Output names that only ever hold secrets.
const SECRET_NAMES: &[&str] = &[
    "password",
    "secret_access_key",
    "secretaccesskey",
    "session_token",
    "sessiontoken",
    "private_key",
    "privatekey",
    "client_secret",
];

/// The name of the first output that looks like a credential: a secret-bearing name, or an
/// AWS access key id (`AKIA…`/`ASIA…`) anywhere in the values.
pub(crate) fn find_secret(outputs: &StepOutputs) -> Option<String> {
    outputs.iter().find_map(|(name, value)| {
        let lowered = name.to_ascii_lowercase().replace('-', "_");
        (SECRET_NAMES.iter().any(|s| lowered.contains(s)) || holds_access_key(value))
            .then(|| name.to_owned())
    })
}

fn holds_access_key(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => is_access_key_id(s),
        serde_json::Value::Array(items) => items.iter().any(holds_access_key),
        serde_json::Value::Object(map) => map.values().any(holds_access_key),
        _ => false,
    }
}

fn is_access_key_id(s: &str) -> bool {
    s.len() == 20
        && (s.starts_with("AKIA") || s.starts_with("ASIA"))
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step::StepError;

    #[test]
    fn flags_credentials_and_passes_ordinary_outputs() -> Result<(), StepError> {
        let fine = StepOutputs::new()
            .with("role_arn", "arn:aws:iam::111111111111:role/x")?
            .with("creation_token", "prod-efs")?;
        assert_eq!(find_secret(&fine), None);
        let named = StepOutputs::new().with("Session-Token", "x")?;
        assert_eq!(find_secret(&named).as_deref(), Some("Session-Token"));
        let key = StepOutputs::new().with("creds", ["AKIAIOSFODNN7EXAMPLE"])?;
        assert_eq!(find_secret(&key).as_deref(), Some("creds"));
        Ok(())
    }
}
