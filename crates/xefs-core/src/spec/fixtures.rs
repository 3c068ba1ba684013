//! Test configs shared by the crate's tests: the issue's minimal example with real-looking ids.

macro_rules! stack_and_cluster {
    () => {
        r#"
[stack]
name = "demo"
region = "us-east-2"

[cluster]
name = "sts-cluster"
account_id = "111111111111"
profile = "aws_account_a"
vpc_id = "vpc-0a1b2c3d4e5f60718"
vpc_cidr = "10.0.0.0/16"
"#
    };
}

macro_rules! storage {
    () => {
        r#"
[storage]
account_id = "222222222222"
profile = "aws_account_b"
vpc_id = "vpc-0f1e2d3c4b5a69788"
vpc_cidr = "10.1.0.0/16"
"#
    };
}

/// The minimal config: the OIDC provider and worker subnets come from the cluster.
pub(crate) const MINIMAL: &str = concat!(stack_and_cluster!(), storage!());

/// The minimal config with the cluster's facts in it, so no cluster discovery is needed.
pub(crate) const MINIMAL_KNOWN: &str = concat!(
    stack_and_cluster!(),
    "oidc_provider = \"oidc.example.com/abc\"\n",
    "worker_subnets = [\"subnet-0a1b2c3d4e5f60718\"]\n",
    storage!()
);
