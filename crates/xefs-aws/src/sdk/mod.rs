//! The ports over the AWS SDK.
