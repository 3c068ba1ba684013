//! Finding the cluster: the kubeconfig (`KUBECONFIG` or `~/.kube/config`) with an optional
//! context, or the pod's service account when xefs runs inside a cluster; errors say how to
//! fix the setup.

use ::kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use ::kube::{Client, Config};

use super::KubeCluster;
use super::errors::chain;
use crate::{K8sError, K8sResult};

/// How to get a kubeconfig for a ROSA cluster.
const LOGIN_HINT: &str = "log in with `oc login <api-url>` (`rosa describe cluster -c <name>` \
                          shows the API URL), or point KUBECONFIG at a kubeconfig file";

/// A `connect` error about the kubeconfig.
fn kubeconfig_error(message: String) -> K8sError {
    let mut e = K8sError::new("connect", message, false);
    e.reason = Some("Kubeconfig".to_owned());
    e
}

/// The error for a kubeconfig that could not be read at all.
pub(super) fn unreadable(err: &KubeconfigError, kubeconfig_env_set: bool) -> K8sError {
    let message = match err {
        KubeconfigError::FindPath => format!(
            "no kubeconfig: KUBECONFIG is not set, there is no home directory to find \
             ~/.kube/config in, and this is not a pod in a cluster; {LOGIN_HINT}"
        ),
        KubeconfigError::ReadConfig(io, path) if io.kind() == std::io::ErrorKind::NotFound => {
            if kubeconfig_env_set {
                format!(
                    "no kubeconfig at {} (named by KUBECONFIG); {LOGIN_HINT}",
                    path.display()
                )
            } else {
                format!(
                    "no kubeconfig: KUBECONFIG is not set, {} does not exist, and this is \
                     not a pod in a cluster; {LOGIN_HINT}",
                    path.display()
                )
            }
        }
        other => format!("cannot read the kubeconfig: {}", chain(other)),
    };
    kubeconfig_error(message)
}

/// Checks that the kubeconfig can select a context before kube tries, so the error can list
/// the contexts there are.
fn check_context(kubeconfig: &Kubeconfig, context: Option<&str>) -> K8sResult<()> {
    let names: Vec<&str> = kubeconfig
        .contexts
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let listed = if names.is_empty() {
        "it has none".to_owned()
    } else {
        format!("it has: {}", names.join(", "))
    };
    match context {
        Some(wanted) if !names.contains(&wanted) => Err(kubeconfig_error(format!(
            "the kubeconfig has no context `{wanted}` ({listed}); set `--context` or \
             `cluster.kube_context` to one of them, or {LOGIN_HINT}"
        ))),
        None if kubeconfig
            .current_context
            .as_deref()
            .is_none_or(str::is_empty) =>
        {
            Err(kubeconfig_error(format!(
                "the kubeconfig has no current context ({listed}); choose one with \
                 `--context` or `cluster.kube_context`, or `oc config use-context <name>`"
            )))
        }
        None => {
            let current = kubeconfig.current_context.as_deref().unwrap_or_default();
            if names.contains(&current) {
                Ok(())
            } else {
                Err(kubeconfig_error(format!(
                    "the kubeconfig's current context `{current}` is not defined in it \
                     ({listed}); choose one with `--context` or `cluster.kube_context`, or \
                     {LOGIN_HINT}"
                )))
            }
        }
        Some(_) => Ok(()),
    }
}

impl KubeCluster {
    /// Connects the way `oc` and `kubectl` do: the kubeconfig named by `KUBECONFIG` (or
    /// `~/.kube/config`) with `context` (its current context when `None`), or — with no
    /// kubeconfig and no context asked for — the service account of the pod xefs runs in.
    ///
    /// A missing kubeconfig or an unknown context is an error (reason `Kubeconfig`) that says
    /// how to fix it. No request is made yet: the first call reports an unreachable server.
    pub async fn connect(context: Option<&str>) -> K8sResult<Self> {
        let env_set = std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty());
        match Kubeconfig::read() {
            Ok(kubeconfig) => Self::from_kubeconfig(kubeconfig, context).await,
            Err(err) => {
                let missing = matches!(&err, KubeconfigError::FindPath)
                    || matches!(&err, KubeconfigError::ReadConfig(io, _)
                        if io.kind() == std::io::ErrorKind::NotFound && !env_set);
                if missing
                    && context.is_none()
                    && let Ok(config) = Config::incluster()
                {
                    return Self::from_config(config);
                }
                Err(unreadable(&err, env_set))
            }
        }
    }

    /// Connects with an already loaded kubeconfig and `context` (its current context when
    /// `None`): for embedders that keep kubeconfigs elsewhere, and for tests.
    pub async fn from_kubeconfig(kubeconfig: Kubeconfig, context: Option<&str>) -> K8sResult<Self> {
        check_context(&kubeconfig, context)?;
        let options = KubeConfigOptions {
            context: context.map(str::to_owned),
            ..KubeConfigOptions::default()
        };
        let mut config = Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| {
                kubeconfig_error(format!(
                    "cannot use the kubeconfig: {}; {LOGIN_HINT}",
                    chain(&e)
                ))
            })?;
        config.apply_debug_overrides();
        Self::from_config(config)
    }

    /// A cluster from a kube client configuration.
    pub fn from_config(config: Config) -> K8sResult<Self> {
        let client = Client::try_from(config).map_err(|e| {
            kubeconfig_error(format!(
                "cannot build a client for the cluster: {}",
                chain(&e)
            ))
        })?;
        Ok(Self::new(client))
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn kubeconfig(yaml: &str) -> Kubeconfig {
        Kubeconfig::from_yaml(yaml).expect("a kubeconfig")
    }

    const TWO_CONTEXTS: &str = r#"
apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: rosa
  cluster: { server: "https://api.rosa.example.com:6443" }
users:
- name: admin
  user: { token: "sha256~secret" }
contexts:
- name: admin
  context: { cluster: rosa, user: admin, namespace: default }
- name: dev
  context: { cluster: rosa, user: admin }
"#;

    #[tokio::test]
    async fn an_unknown_context_lists_the_known_ones_and_the_fix() {
        let Err(e) = KubeCluster::from_kubeconfig(kubeconfig(TWO_CONTEXTS), Some("prod")).await
        else {
            panic!("an unknown context must fail");
        };
        assert_eq!(e.call, "connect");
        assert_eq!(e.reason.as_deref(), Some("Kubeconfig"));
        assert!(!e.retryable);
        for part in [
            "no context `prod`",
            "it has: admin, dev",
            "--context",
            "cluster.kube_context",
        ] {
            assert!(e.message.contains(part), "{part}: {}", e.message);
        }
    }

    #[tokio::test]
    async fn known_and_current_contexts_connect() -> K8sResult<()> {
        let c = KubeCluster::from_kubeconfig(kubeconfig(TWO_CONTEXTS), Some("dev")).await?;
        assert_eq!(c.client().default_namespace(), "default");
        let c = KubeCluster::from_kubeconfig(kubeconfig(TWO_CONTEXTS), None).await?;
        assert_eq!(c.client().default_namespace(), "default");
        Ok(())
    }

    #[tokio::test]
    async fn a_kubeconfig_without_a_current_context_asks_for_one() {
        let yaml = TWO_CONTEXTS.replace("current-context: admin", "");
        let Err(e) = KubeCluster::from_kubeconfig(kubeconfig(&yaml), None).await else {
            panic!("no current context must fail");
        };
        assert!(e.message.contains("no current context"), "{}", e.message);
        assert!(e.message.contains("oc config use-context"), "{}", e.message);
        let yaml = TWO_CONTEXTS.replace("current-context: admin", "current-context: gone");
        let Err(e) = KubeCluster::from_kubeconfig(kubeconfig(&yaml), None).await else {
            panic!("a dangling current context must fail");
        };
        assert!(e.message.contains("`gone` is not defined"), "{}", e.message);
    }

    #[test]
    fn a_missing_kubeconfig_says_to_log_in() {
        let missing = KubeconfigError::ReadConfig(
            std::io::Error::from(std::io::ErrorKind::NotFound),
            PathBuf::from("/home/u/.kube/config"),
        );
        let e = unreadable(&missing, false);
        assert_eq!(e.reason.as_deref(), Some("Kubeconfig"));
        assert!(e.message.contains("/home/u/.kube/config does not exist"));
        assert!(e.message.contains("oc login"), "{}", e.message);
        let e = unreadable(&missing, true);
        assert!(e.message.contains("named by KUBECONFIG"), "{}", e.message);
        let e = unreadable(&KubeconfigError::FindPath, false);
        assert!(e.message.contains("oc login"), "{}", e.message);
        let denied = KubeconfigError::ReadConfig(
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            PathBuf::from("/k"),
        );
        assert!(
            unreadable(&denied, true)
                .message
                .starts_with("cannot read the kubeconfig")
        );
    }
}
