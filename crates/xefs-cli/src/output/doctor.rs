//! `xefs doctor`'s checklist: one entry per check and resource, failures with their fix.

use serde::Serialize;
use xefs_aws::CallStats;
use xefs_core::doctor::{CheckGroup, Findings, Status};

use super::{Calls, FORMAT_VERSION};

/// How many findings have each status.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct DoctorSummary {
    pub passed: usize,
    pub warned: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl From<&Findings> for DoctorSummary {
    fn from(findings: &Findings) -> Self {
        let mut s = DoctorSummary::default();
        for f in findings {
            match f.status {
                Status::Passed => s.passed += 1,
                Status::Warned => s.warned += 1,
                Status::Failed => s.failed += 1,
                Status::Skipped => s.skipped += 1,
            }
        }
        s
    }
}

/// `xefs doctor --output json`: `ok` is false exactly when the exit code is 1.
pub fn doctor_json(stack: &str, findings: &Findings, calls: &CallStats) -> serde_json::Value {
    serde_json::json!({
        "format_version": FORMAT_VERSION,
        "stack": stack,
        "ok": findings.is_ok(),
        "summary": DoctorSummary::from(findings),
        "findings": findings,
        "calls": Calls::from(calls),
    })
}

/// A section's heading in the checklist.
fn heading(group: CheckGroup) -> &'static str {
    match group {
        CheckGroup::Preflight => "Preflight: credentials, VPCs, OIDC provider, zones",
        CheckGroup::Network => "Network path: worker subnets to mount targets and back (TCP 2049)",
        CheckGroup::Iam => "IAM: service accounts -> A's CSI role -> B's role -> EFS",
        CheckGroup::FileSystem => "File system and its policy",
        CheckGroup::Cluster => "Cluster: Secrets, driver, StorageClass",
    }
}

/// The checklist for people, one section per group: a status column, the check and the
/// resource on one line, what holds or is wrong on the next, then the fix.
pub fn doctor_text(stack: &str, findings: &Findings) -> String {
    let width = findings
        .iter()
        .map(|f| f.check.as_str().len())
        .max()
        .unwrap_or(0);
    let mut out = format!("Doctor for stack {stack}:\n");
    let mut group = None;
    for f in findings {
        if group != Some(f.check.group()) {
            group = Some(f.check.group());
            out.push_str(&format!("\n{}\n", heading(f.check.group())));
        }
        let mark = match f.status {
            Status::Passed => "pass",
            Status::Warned => "WARN",
            Status::Failed => "FAIL",
            Status::Skipped => "skip",
        };
        out.push_str(&format!(
            "  {mark}  {:<width$}  {}\n        {}\n",
            f.check.as_str(),
            f.resource,
            f.message
        ));
        if let Some(fix) = &f.fix {
            out.push_str(&format!("        fix: {fix}\n"));
        }
    }
    let s = DoctorSummary::from(findings);
    out.push_str(&format!(
        "\n{} failed, {} warned, {} passed, {} skipped: ",
        s.failed, s.warned, s.passed, s.skipped
    ));
    out.push_str(if s.failed > 0 {
        "a mount would fail until every FAIL above is fixed.\n"
    } else if s.skipped > 0 {
        "nothing stands in the way so far; what `xefs apply` creates is checked once it exists.\n"
    } else {
        "nothing stands between the cluster and the file system.\n"
    });
    out
}

#[cfg(test)]
mod tests {
    use xefs_core::doctor::{CheckId, Finding};

    use super::*;

    fn findings() -> Findings {
        Findings::from(vec![
            Finding::passed(
                CheckId::CidrOverlap,
                "VPC vpc-1 (10.0.0.0/16) in account 111111111111 and VPC vpc-2 (10.1.0.0/16) in account 222222222222",
                "10.0.0.0/16 and 10.1.0.0/16 are disjoint",
            ),
            Finding::failed(
                CheckId::RouteToPeer,
                "route table rtb-1 in account 111111111111",
                "no route sends 10.1.0.0/16 to the peering pcx-1",
                "aws ec2 create-route --route-table-id rtb-1 --destination-cidr-block 10.1.0.0/16 --vpc-peering-connection-id pcx-1",
            ),
            Finding::warned(
                CheckId::AzAlignment,
                "AZ id use1-az4",
                "no mount target in this AZ id",
                Some("run `xefs apply`".into()),
            ),
        ])
    }

    #[test]
    fn text_lists_each_check_with_its_fix_and_a_summary() {
        let text = doctor_text("demo", &findings());
        assert!(
            text.starts_with("Doctor for stack demo:\n\nPreflight: "),
            "{text}"
        );
        assert!(text.contains("\n\nNetwork path: "), "{text}");
        assert!(text.contains("  FAIL  route-to-peer  route table rtb-1 in account 111111111111\n        no route sends 10.1.0.0/16 to the peering pcx-1\n        fix: aws ec2 create-route"), "{text}");
        assert!(text.contains("pass  cidr-overlap   VPC vpc-1"), "{text}");
        assert!(
            text.contains("WARN  az-alignment   AZ id use1-az4"),
            "{text}"
        );
        assert!(text.ends_with("1 failed, 1 warned, 1 passed, 0 skipped: a mount would fail until every FAIL above is fixed.\n"), "{text}");
    }

    #[test]
    fn json_says_ok_and_counts() {
        let json = doctor_json("demo", &findings(), &CallStats::new());
        assert_eq!(json["format_version"], 1);
        assert_eq!(json["ok"], false);
        assert_eq!(json["summary"]["failed"], 1);
        assert_eq!(json["summary"]["warned"], 1);
        assert_eq!(json["summary"]["passed"], 1);
        assert_eq!(json["findings"][1]["check"], "route-to-peer");
        assert_eq!(json["findings"][1]["status"], "failed");
        assert!(json["findings"][1]["fix"].as_str().is_some());
        assert_eq!(json["findings"][0]["fix"], serde_json::Value::Null);
        assert_eq!(json["calls"]["reads"], 0);
    }
}
