//! IAM policy documents: a typed model that parses what AWS returns and renders one canonical
//! form, builders for every document the procedure needs, and a linter.
//!
//! The builders fix the guide's IAM mistakes (a duplicated action, B's role built from A's
//! policy, trust in A's whole account); the linter finds those mistakes in documents written
//! by hand, and our own documents pass it.
//!
//! ```
//! use xefs_core::iam::{PolicyDocument, lint::{lint, DocumentKind, Severity}};
//!
//! let doc = PolicyDocument::parse(r#"{
//!     "Version": "2012-10-17",
//!     "Statement": {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObject"],
//!                   "Resource": "arn:aws:s3:::bucket/*"}
//! }"#)?;
//! let findings = lint(&doc, DocumentKind::Identity);
//! assert_eq!(findings[0].code, "duplicate-action");
//! assert_eq!(findings[0].severity, Severity::Warning);
//! assert!(doc.to_json_pretty().starts_with("{\n  \"Version\": \"2012-10-17\""));
//! # Ok::<(), xefs_core::iam::PolicyParseError>(())
//! ```

pub mod builders;
mod document;
pub mod eval;
pub mod lint;
pub mod questions;

pub use document::{
    ActionClause, Condition, ConditionValue, ConditionValues, Effect, PolicyDocument,
    PolicyParseError, PolicyVersion, Principal, PrincipalClause, PrincipalKind, ResourceClause,
    Statement, Values,
};

#[cfg(test)]
mod proptests;
