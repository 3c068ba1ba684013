//! rustls needs one crypto provider per process. kube (features `rustls-tls` + `aws-lc-rs`)
//! and the AWS SDK (`default-https-client`, aws-lc-rs) must agree on it: if anything enabled
//! rustls' `ring` too, kube's first TLS client would panic with "Could not automatically
//! determine the process-level CryptoProvider". This binary links both, as the CLI does.

use std::net::TcpListener;

use kube::config::Kubeconfig;
use xefs_k8s::{Cluster, KubeCluster, ObjectRef};

/// An https URL on loopback where nothing listens.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    format!("https://127.0.0.1:{port}")
}

#[tokio::test]
async fn a_tls_client_next_to_the_aws_sdk_fails_cleanly_on_a_closed_port() {
    let url = closed_port_url();
    let kubeconfig = Kubeconfig::from_yaml(&format!(
        r#"
apiVersion: v1
kind: Config
current-context: closed
clusters:
- name: closed
  cluster: {{ server: "{url}" }}
users:
- name: u
  user: {{ token: "sha256~not-a-real-token" }}
contexts:
- name: closed
  context: {{ cluster: closed, user: u }}
"#
    ))
    .expect("a kubeconfig");
    let cluster = KubeCluster::from_kubeconfig(kubeconfig, None)
        .await
        .expect("a client: building the TLS config must not panic");
    let Err(e) = cluster
        .get(&ObjectRef::new("v1", "Namespace", None, "default"))
        .await
    else {
        panic!("nothing listens on {url}");
    };
    assert_eq!(e.status, None);
    assert!(e.retryable, "a refused connection is worth retrying: {e}");
    assert!(e.message.contains("cannot reach the API server"), "{e}");
    assert!(
        e.message.to_lowercase().contains("connect"),
        "the cause is named: {e}"
    );

    // The AWS SDK's own TLS client in the same process, at the same closed port.
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .endpoint_url(&url)
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))
        .build();
    let sts = aws_sdk_sts::Client::from_conf(config);
    let answer = sts.get_caller_identity().send().await;
    assert!(answer.is_err(), "nothing listens on {url}");
}
