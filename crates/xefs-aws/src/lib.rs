//! The AWS provider of xefs: the steps of the procedure that act in accounts A and B.
//!
//! It is being built in stages; today it holds nothing yet. The plan (see the workspace's
//! ARCHITECTURE notes): ports `Iam`, `Ec2`, `Efs` and `Sts` with domain types in and out, their
//! implementations over the AWS SDK, per-account credentials, and the AWS steps.
