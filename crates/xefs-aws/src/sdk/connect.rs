//! Credentials and clients for the two accounts of a stack.
//!
//! Configuration goes through aws-config's standard loader
//! (`aws_config::defaults(BehaviorVersion::latest())`), so everything the AWS CLI honours works
//! here too: `AWS_PROFILE`, `AWS_REGION`, the config and credentials files, SSO, web identity,
//! IMDS, and — unless [`ConnectOptions::with_endpoint_url`] overrides them — the endpoint
//! variables `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` (e.g. `AWS_ENDPOINT_URL_EC2`)
//! and `endpoint_url` in a profile. The region is always the spec's.
//!
//! Named profiles are checked before anything else: a profile that is in neither file is a
//! [`ProviderError::Config`] naming it. Credentials themselves (an expired SSO session, an
//! empty default chain, a role that cannot be assumed) are resolved lazily by the SDK, so
//! their problems surface at the first call — in practice `verify_identities`, which runs
//! before any write.

use std::fmt;
use std::sync::Arc;

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_credential_types::Credentials;
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};
use xefs_core::ids::{AccountId, Arn, Region};
use xefs_core::spec::StackSpec;

use super::{SdkEc2, SdkEfs, SdkIam, SdkSts};
use crate::{Account, AccountRole, AwsAccounts, CallStats, ProviderError};

/// The role session name xefs uses when it assumes a role, as CloudTrail shows it.
pub const SESSION_NAME: &str = "xefs";

/// Where the credentials of one account come from.
#[derive(Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// The SDK's default chain: environment, profile (`AWS_PROFILE` or `default`), web
    /// identity, SSO, container and instance metadata.
    DefaultChain,
    /// A named profile of `~/.aws/config` / `~/.aws/credentials`.
    Profile(String),
    /// A role assumed with the credentials of another source: account B's role, assumed with
    /// account A's credentials.
    AssumeRole {
        /// The role to assume.
        role_arn: Arn,
        /// Whose credentials call `sts:AssumeRole`.
        from: Box<CredentialSource>,
    },
    /// Fixed keys, for tests and for embedders that manage credentials themselves. Its `Debug`
    /// and `Display` never show the secret or the session token.
    Static {
        /// The access key id (not secret; shown in logs as CloudTrail shows it).
        access_key_id: String,
        /// The secret access key.
        secret_access_key: String,
        /// The session token of temporary credentials.
        session_token: Option<String>,
    },
}

impl CredentialSource {
    /// The source for account A: `cluster.profile`, else the default chain.
    pub fn for_cluster(spec: &StackSpec) -> Self {
        match &spec.cluster.profile {
            Some(p) => CredentialSource::Profile(p.clone()),
            None => CredentialSource::DefaultChain,
        }
    }

    /// The source for account B: `storage.assume_role_arn` assumed with account A's
    /// credentials, else `storage.profile`, else the default chain.
    pub fn for_storage(spec: &StackSpec) -> Self {
        match (&spec.storage.assume_role_arn, &spec.storage.profile) {
            (Some(role_arn), _) => CredentialSource::AssumeRole {
                role_arn: role_arn.clone(),
                from: Box::new(Self::for_cluster(spec)),
            },
            (None, Some(p)) => CredentialSource::Profile(p.clone()),
            (None, None) => CredentialSource::DefaultChain,
        }
    }
}

impl fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::DefaultChain => f.write_str("DefaultChain"),
            CredentialSource::Profile(p) => f.debug_tuple("Profile").field(p).finish(),
            CredentialSource::AssumeRole { role_arn, from } => f
                .debug_struct("AssumeRole")
                .field("role_arn", role_arn)
                .field("from", from)
                .finish(),
            CredentialSource::Static {
                access_key_id,
                session_token,
                ..
            } => f
                .debug_struct("Static")
                .field("access_key_id", access_key_id)
                .field("secret_access_key", &"** redacted **")
                .field(
                    "session_token",
                    &session_token.as_ref().map(|_| "** redacted **"),
                )
                .finish(),
        }
    }
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::DefaultChain => f.write_str("the default credential chain"),
            CredentialSource::Profile(p) => write!(f, "profile `{p}`"),
            CredentialSource::AssumeRole { role_arn, from } => {
                write!(f, "role {role_arn} assumed with {from}")
            }
            CredentialSource::Static { access_key_id, .. } => {
                write!(f, "static keys {access_key_id}")
            }
        }
    }
}

/// How to reach AWS, beyond the credentials: for tests (an emulator's endpoint), for embedders
/// (their own profile files, retry budget), and the shared call counter.
#[derive(Clone, Default)]
pub struct ConnectOptions {
    endpoint_url: Option<String>,
    stats: CallStats,
    profile_files: Option<EnvConfigFiles>,
    max_attempts: Option<u32>,
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Profile files given by content may hold keys: say only whether there are any.
        f.debug_struct("ConnectOptions")
            .field("endpoint_url", &self.endpoint_url)
            .field("stats", &self.stats)
            .field("profile_files", &self.profile_files.is_some())
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

impl ConnectOptions {
    /// The defaults: endpoints from the environment, a fresh call counter, the standard profile
    /// files, the SDK's standard retries (3 attempts).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends every service's calls to this URL (an emulator such as moto, or a proxy),
    /// overriding `AWS_ENDPOINT_URL*` and profile settings.
    #[must_use]
    pub fn with_endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Counts calls in this counter (share one between both accounts, or with the caller).
    #[must_use]
    pub fn with_stats(mut self, stats: CallStats) -> Self {
        self.stats = stats;
        self
    }

    /// Reads profiles from these files instead of `~/.aws/config` and `~/.aws/credentials`
    /// (and `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`).
    #[must_use]
    pub fn with_profile_files(mut self, files: EnvConfigFiles) -> Self {
        self.profile_files = Some(files);
        self
    }

    /// Lets the SDK try each request up to `attempts` times (its own retries, for throttling
    /// and transient errors, below the engine's). `1` disables them.
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    /// The endpoint override, if any.
    pub fn endpoint_url(&self) -> Option<&str> {
        self.endpoint_url.as_deref()
    }

    /// The call counter the adapters record into.
    pub fn stats(&self) -> &CallStats {
        &self.stats
    }

    fn loader(&self, region: &Region) -> ConfigLoader {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(aws_config::Region::new(region.as_str().to_owned()));
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(files) = &self.profile_files {
            loader = loader.profile_files(files.clone());
        }
        if let Some(attempts) = self.max_attempts {
            loader = loader.retry_config(RetryConfig::standard().with_max_attempts(attempts));
        }
        loader
    }
}

/// Loads the SDK configuration for one account: the region of the spec, credentials from
/// `source`, and the options' endpoint, profile files and retries.
///
/// Exposed for tools that need clients xefs has no port for (and for tests that build a world
/// with raw clients); [`connect_account`] is the usual entry point.
pub async fn load_sdk_config(
    role: AccountRole,
    region: &Region,
    source: &CredentialSource,
    options: &ConnectOptions,
) -> Result<SdkConfig, ProviderError> {
    match source {
        CredentialSource::DefaultChain => Ok(options.loader(region).load().await),
        CredentialSource::Profile(name) => {
            check_profile(role, name, options).await?;
            Ok(options.loader(region).profile_name(name).load().await)
        }
        CredentialSource::Static {
            access_key_id,
            secret_access_key,
            session_token,
        } => {
            let credentials = Credentials::new(
                access_key_id,
                secret_access_key,
                session_token.clone(),
                None,
                "xefs-static",
            );
            Ok(options
                .loader(region)
                .credentials_provider(credentials)
                .load()
                .await)
        }
        CredentialSource::AssumeRole { role_arn, from } => {
            let base = Box::pin(load_sdk_config(role, region, from, options)).await?;
            let provider = AssumeRoleProvider::builder(role_arn.as_str())
                .session_name(SESSION_NAME)
                .configure(&base)
                .build()
                .await;
            Ok(options
                .loader(region)
                .credentials_provider(provider)
                .load()
                .await)
        }
    }
}

/// Fails early, naming the profile and the fix, when `name` is in neither profile file.
async fn check_profile(
    role: AccountRole,
    name: &str,
    options: &ConnectOptions,
) -> Result<(), ProviderError> {
    let files = options.profile_files.clone().unwrap_or_default();
    let profiles = aws_config::profile::load(&Fs::real(), &Env::real(), &files, None)
        .await
        .map_err(|e| ProviderError::Config {
            role,
            message: format!("cannot read the AWS profile files to find profile `{name}`: {e}"),
        })?;
    if profiles.get_profile(name).is_some() {
        return Ok(());
    }
    let mut known: Vec<&str> = profiles.profiles().collect();
    known.sort_unstable();
    let known = if known.is_empty() {
        "there are none".to_owned()
    } else {
        format!("known profiles: {}", known.join(", "))
    };
    Err(ProviderError::Config {
        role,
        message: format!(
            "AWS profile `{name}` is not defined in ~/.aws/config or ~/.aws/credentials \
             (or the files AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE name); {known}. \
             Create it with `aws configure --profile {name}` (or `aws configure sso --profile {name}`), \
             or fix the profile name in the stack spec"
        ),
    })
}

/// Connects one account: its SDK configuration, then the four adapters over it.
///
/// `role` only labels errors (which account of the stack could not be configured).
pub async fn connect_account(
    role: AccountRole,
    id: AccountId,
    region: &Region,
    source: &CredentialSource,
    options: &ConnectOptions,
) -> Result<Account, ProviderError> {
    let config = load_sdk_config(role, region, source, options).await?;
    Ok(account_from_config(
        id,
        region.clone(),
        &config,
        options.stats.clone(),
    ))
}

/// The adapters of one account over an [`SdkConfig`] the embedder already has (its own
/// credentials provider, HTTP client, interceptors…).
pub fn account_from_config(
    id: AccountId,
    region: Region,
    config: &SdkConfig,
    stats: CallStats,
) -> Account {
    Account::new(
        id.clone(),
        region,
        Arc::new(SdkIam::new(
            aws_sdk_iam::Client::new(config),
            id.clone(),
            stats.clone(),
        )),
        Arc::new(SdkEc2::new(
            aws_sdk_ec2::Client::new(config),
            id.clone(),
            stats.clone(),
        )),
        Arc::new(SdkEfs::new(
            aws_sdk_efs::Client::new(config),
            id.clone(),
            stats.clone(),
        )),
        Arc::new(SdkSts::new(aws_sdk_sts::Client::new(config), id, stats)),
    )
}

/// Connects both accounts of a stack: A with [`CredentialSource::for_cluster`], B with
/// [`CredentialSource::for_storage`] (B's role assumed with A's credentials when the spec names
/// one). Call [`AwsAccounts::verify_identities`] before the first write.
pub async fn connect(
    spec: &StackSpec,
    options: &ConnectOptions,
) -> Result<AwsAccounts, ProviderError> {
    let cluster_source = CredentialSource::for_cluster(spec);
    let storage_source = CredentialSource::for_storage(spec);
    let (cluster, storage) = tokio::try_join!(
        connect_account(
            AccountRole::Cluster,
            spec.cluster.account_id.clone(),
            &spec.region,
            &cluster_source,
            options,
        ),
        connect_account(
            AccountRole::Storage,
            spec.storage.account_id.clone(),
            &spec.region,
            &storage_source,
            options,
        ),
    )?;
    Ok(AwsAccounts { cluster, storage })
}

#[cfg(test)]
mod tests {
    use aws_runtime::env_config::file::EnvConfigFileKind;

    use super::*;

    fn region() -> Region {
        Region::parse("eu-west-1").expect("valid region")
    }

    #[test]
    fn debug_and_display_never_show_secrets() {
        let source = CredentialSource::AssumeRole {
            role_arn: Arn::parse("arn:aws:iam::222222222222:role/xefs").expect("valid arn"),
            from: Box::new(CredentialSource::Static {
                access_key_id: "AKIAEXAMPLE".into(),
                secret_access_key: "super-secret-key".into(),
                session_token: Some("session-token-value".into()),
            }),
        };
        for shown in [
            format!("{source:?}"),
            format!("{source:#?}"),
            source.to_string(),
        ] {
            assert!(shown.contains("AKIAEXAMPLE"), "{shown}");
            assert!(!shown.contains("super-secret-key"), "{shown}");
            assert!(!shown.contains("session-token-value"), "{shown}");
        }
        assert_eq!(
            source.to_string(),
            "role arn:aws:iam::222222222222:role/xefs assumed with static keys AKIAEXAMPLE"
        );
    }

    #[test]
    fn options_debug_does_not_show_profile_file_contents() {
        let files = EnvConfigFiles::builder()
            .with_contents(
                EnvConfigFileKind::Credentials,
                "[x]\naws_access_key_id = a\naws_secret_access_key = very-secret\n",
            )
            .build();
        let options = ConnectOptions::new().with_profile_files(files);
        let shown = format!("{options:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
    }

    #[tokio::test]
    async fn a_missing_profile_is_a_config_error_naming_it_and_the_fix() {
        let files = EnvConfigFiles::builder()
            .include_default_config_file(false)
            .include_default_credentials_file(false)
            .with_contents(
                EnvConfigFileKind::Config,
                "[profile cluster-a]\nregion = eu-west-1\n",
            )
            .with_contents(
                EnvConfigFileKind::Credentials,
                "[storage-b]\naws_access_key_id = a\n",
            )
            .build();
        let options = ConnectOptions::new().with_profile_files(files);
        let id = AccountId::parse("111111111111").expect("valid account id");
        let err = connect_account(
            AccountRole::Storage,
            id.clone(),
            &region(),
            &CredentialSource::Profile("typo".into()),
            &options,
        )
        .await
        .expect_err("the profile does not exist");
        let ProviderError::Config { role, message } = &err else {
            panic!("expected a Config error, got {err:?}");
        };
        assert_eq!(*role, AccountRole::Storage);
        assert!(message.contains("`typo`"), "{message}");
        assert!(
            message.contains("aws configure --profile typo"),
            "{message}"
        );
        assert!(message.contains("cluster-a, storage-b"), "{message}");

        // Profiles from either file are found.
        for name in ["cluster-a", "storage-b"] {
            let account = connect_account(
                AccountRole::Cluster,
                id.clone(),
                &region(),
                &CredentialSource::Profile(name.into()),
                &options,
            )
            .await
            .expect("the profile exists");
            assert_eq!(account.id, id);
        }
    }

    #[tokio::test]
    async fn without_an_override_the_standard_loader_resolves_the_endpoint() {
        // The endpoint override is applied by the loader, not by us per client: with it, the
        // SdkConfig carries it; without it, the loader's environment/profile resolution is left
        // in charge (the moto suite proves `AWS_ENDPOINT_URL*` end to end in a child process).
        let files = EnvConfigFiles::builder()
            .include_default_config_file(false)
            .include_default_credentials_file(false)
            .with_contents(
                EnvConfigFileKind::Config,
                "[profile local]\nendpoint_url = http://127.0.0.1:4566\n",
            )
            .build();
        let options = ConnectOptions::new().with_profile_files(files.clone());
        let config = load_sdk_config(
            AccountRole::Cluster,
            &region(),
            &CredentialSource::Profile("local".into()),
            &options,
        )
        .await
        .expect("config loads");
        // The environment variable outranks the profile, as in every AWS SDK.
        let expected = std::env::var("AWS_ENDPOINT_URL")
            .unwrap_or_else(|_| "http://127.0.0.1:4566".to_owned());
        assert_eq!(config.endpoint_url(), Some(expected.as_str()));
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));

        let overridden = ConnectOptions::new()
            .with_profile_files(files)
            .with_endpoint_url("http://127.0.0.1:5000");
        let config = load_sdk_config(
            AccountRole::Cluster,
            &region(),
            &CredentialSource::Profile("local".into()),
            &overridden,
        )
        .await
        .expect("config loads");
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:5000"));
    }
}
