//! What `plan`, `apply`, `destroy`, `status` and `doctor` print: text for people, and JSON
//! documents (`format_version` 1) for scripts. The JSON field names are an interface: add,
//! never rename.

mod doctor;

pub use doctor::{doctor_json, doctor_text};

use std::collections::BTreeMap;

use serde::Serialize;
use xefs_aws::{CallCount, CallStats};
use xefs_core::blueprint::render::{account_arrays, step_commands};
use xefs_core::blueprint::{
    Address, Blueprint, OutputRef, PolicyTemplate, ResolveError, Resolver, StepSpec, Target,
};
use xefs_core::engine::{Action, ApplyReport, DestroyReport, Plan, PlannedChange, StepFailure};
use xefs_core::spec::StackSpec;
use xefs_core::state::{ResourceState, StackState};
use xefs_core::step::{Change, FieldDiff};

use crate::diagnostics::StepDiagnostic;

/// The JSON documents' version.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// Calls made by the command, in all and per service.
#[derive(Debug, Serialize)]
pub struct Calls {
    pub reads: u64,
    pub writes: u64,
    pub by_service: BTreeMap<&'static str, CallCount>,
}

impl From<&CallStats> for Calls {
    fn from(stats: &CallStats) -> Self {
        let total = stats.total();
        Calls {
            reads: total.reads,
            writes: total.writes,
            by_service: stats.by_service(),
        }
    }
}

/// How many steps each action or change concerns.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deleted: usize,
    pub adopted: usize,
    pub read: usize,
    pub not_applicable: usize,
    pub failed: usize,
    pub skipped: usize,
}

#[derive(Debug, Serialize)]
struct FailureJson {
    address: Address,
    attempts: u32,
    code: Option<String>,
    error: String,
    /// The diagnostic's code: `aws::AccessDenied`, `k8s::Forbidden`, `xefs::…`.
    diagnostic: String,
    /// The likely fix, when xefs knows one.
    help: Option<String>,
}

fn failures(failures: &[StepFailure]) -> Vec<FailureJson> {
    failures
        .iter()
        .map(|f| {
            let diagnostic = StepDiagnostic::new(f.clone());
            FailureJson {
                address: f.address.clone(),
                attempts: f.attempts,
                code: f.error.code().map(str::to_owned),
                error: f.error.to_string(),
                diagnostic: diagnostic.code().to_owned(),
                help: diagnostic.help().map(str::to_owned),
            }
        })
        .collect()
}

/// Each failure as a diagnostic: what failed where, its code, and the likely fix.
fn failures_text(failures: &[StepFailure]) -> String {
    failures
        .iter()
        .map(|f| StepDiagnostic::new(f.clone()).render())
        .collect()
}

// ---- plan ----

/// The plan's counts, by what would happen.
pub fn plan_summary(plan: &Plan) -> Summary {
    let mut s = Summary::default();
    for c in &plan.changes {
        match c.action {
            Action::Create => s.created += 1,
            Action::Update(_) => s.updated += 1,
            Action::NoOp => s.unchanged += 1,
            Action::Adopt => s.adopted += 1,
            Action::Read => s.read += 1,
            Action::Delete => s.deleted += 1,
            Action::NotApplicable(_) => s.not_applicable += 1,
        }
    }
    s
}

/// `xefs plan --output json`; with `--show-commands` (`details`), a `commands` object maps each
/// step to run to its `aws`/`oc` commands.
pub fn plan_json(
    stack: &str,
    plan: &Plan,
    calls: &CallStats,
    details: Option<&PlanDetails>,
) -> serde_json::Value {
    let mut doc = serde_json::json!({
        "format_version": FORMAT_VERSION,
        "stack": stack,
        "has_changes": plan.has_changes(),
        "summary": plan_summary(plan),
        "changes": plan.changes,
        "orphaned": plan.orphaned,
        "calls": Calls::from(calls),
    });
    if let Some(d) = details.filter(|d| d.commands) {
        let commands: serde_json::Map<String, serde_json::Value> = plan
            .changes
            .iter()
            .filter_map(|c| Some((c.address.to_string(), d.commands_of(c)?.into())))
            .collect();
        doc["account_arrays"] = account_arrays(d.spec).into();
        doc["commands"] = commands.into();
    }
    doc
}

/// What `plan --show-commands` and `--show-documents` add to the plan, and what they need.
pub struct PlanDetails<'a> {
    /// The stack.
    pub spec: &'a StackSpec,
    /// Its blueprint, for each step's commands and documents.
    pub blueprint: &'a Blueprint,
    /// The state, for outputs earlier runs recorded (ids shown instead of "(known after
    /// apply)").
    pub state: Option<&'a StackState>,
    /// Print the equivalent `aws`/`oc` commands after each step to run.
    pub commands: bool,
    /// Print the IAM documents of the steps to create.
    pub documents: bool,
}

impl PlanDetails<'_> {
    /// The commands of a step the plan runs (created, updated or read).
    fn commands_of(&self, change: &PlannedChange) -> Option<String> {
        if !matches!(
            change.action,
            Action::Create | Action::Update(_) | Action::Read
        ) {
            return None;
        }
        let step = self.blueprint.step(&change.address)?;
        Some(step_commands(self.spec, step))
    }

    /// The IAM documents a step creates, rendered with the values known so far.
    fn documents_of(&self, change: &PlannedChange) -> Vec<(&'static str, String)> {
        if !matches!(change.action, Action::Create) {
            return Vec::new();
        }
        let Some(step) = self.blueprint.step(&change.address) else {
            return Vec::new();
        };
        let templates: Vec<(&'static str, &PolicyTemplate)> = match &step.spec {
            StepSpec::IamPolicy(p) => vec![("document", &p.document)],
            StepSpec::IamRole(r) => vec![("trust", &r.trust)],
            StepSpec::EfsClientAccess(e) => vec![("document", &e.document)],
            StepSpec::FileSystemPolicy(p) => vec![("policy", &p.document)],
            _ => Vec::new(),
        };
        let resolver = RecordedOutputs(self.state);
        templates
            .into_iter()
            .filter_map(|(field, t)| Some((field, t.render(&resolver).ok()?.to_json_pretty())))
            .collect()
    }
}

/// Outputs the state recorded; "(known after apply)" for the others.
struct RecordedOutputs<'a>(Option<&'a StackState>);

impl Resolver for RecordedOutputs<'_> {
    fn resolve(&self, output: &OutputRef) -> Result<String, ResolveError> {
        let recorded = self
            .0
            .and_then(|state| state.resource(&output.step))
            .filter(|r| !r.removed)
            .and_then(|r| r.outputs)
            .and_then(|o| o.get::<serde_json::Value>(&output.output).ok())
            .map(|v| match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            });
        Ok(recorded.unwrap_or_else(|| "(known after apply)".to_owned()))
    }
}

/// Indentation of a step's detail lines under its plan line.
const DETAIL: &str = "       ";

/// A field that drifted: `~ field: current → desired`, or, for a JSON document (an IAM policy
/// or trust), the field's name and a line diff of both documents pretty-printed.
fn field_diff_text(d: &FieldDiff) -> String {
    let json = |s: &str| {
        serde_json::from_str::<serde_json::Value>(s)
            .ok()
            .filter(serde_json::Value::is_object)
    };
    let (Some(current), Some(desired)) = (json(&d.current), json(&d.desired)) else {
        return format!("{DETAIL}~ {}: {} → {}\n", d.field, d.current, d.desired);
    };
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    let (current, desired) = (pretty(&current), pretty(&desired));
    let mut out = format!("{DETAIL}~ {} (- live, + desired):\n", d.field);
    out.push_str(&line_diff(&current, &desired, &format!("{DETAIL}    ")));
    out
}

/// A unified line diff (three lines of context, `…` between hunks), each line indented.
fn line_diff(old: &str, new: &str, indent: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut out = String::new();
    for (i, group) in diff.grouped_ops(3).iter().enumerate() {
        if i > 0 {
            out.push_str(&format!("{indent}  …\n"));
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let sign = match change.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                out.push_str(&format!(
                    "{indent}{sign} {}\n",
                    change.value().trim_end_matches('\n')
                ));
            }
        }
    }
    out
}

/// Each line of `text` indented.
fn indented(text: &str, indent: &str) -> String {
    text.lines().map(|l| format!("{indent}{l}\n")).collect()
}

/// The plan's steps grouped by where they act: one group per account and the cluster; or, for
/// commands to run in order, the steps in dependency order, a new group whenever the target
/// changes.
fn groups(plan: &Plan, in_order: bool) -> Vec<(Target, Vec<&PlannedChange>)> {
    let mut groups: Vec<(Target, Vec<&PlannedChange>)> = Vec::new();
    if in_order {
        for c in &plan.changes {
            match groups.last_mut() {
                Some((target, rows)) if *target == c.target => rows.push(c),
                _ => groups.push((c.target, vec![c])),
            }
        }
        return groups;
    }
    for target in [
        Target::ClusterAccount,
        Target::BothAccounts,
        Target::StorageAccount,
        Target::Cluster,
    ] {
        let rows: Vec<&PlannedChange> =
            plan.changes.iter().filter(|c| c.target == target).collect();
        if !rows.is_empty() {
            groups.push((target, rows));
        }
    }
    groups
}

/// The plan for people, grouped by account and cluster, Terraform's markers.
pub fn plan_text(plan: &Plan, verb_destroy: bool) -> String {
    plan_text_with(plan, verb_destroy, None)
}

/// [`plan_text`], with the commands and documents `details` asks for.
pub fn plan_text_with(plan: &Plan, verb_destroy: bool, details: Option<&PlanDetails>) -> String {
    let mut out = String::new();
    if let Some(d) = details.filter(|d| d.commands) {
        out.push_str(
            "The equivalent commands follow each step to run, in the order apply runs them, as\n\
             `xefs render` writes them to procedure.sh (whose helpers `wait_for`, `retry` and\n\
             `wait_ready` they use), with:\n\n",
        );
        out.push_str(&account_arrays(d.spec));
        out.push('\n');
    }
    for (target, rows) in groups(plan, details.is_some_and(|d| d.commands)) {
        out.push_str(&format!("{}\n", target.label()));
        for c in rows {
            let (marker, note) = match &c.action {
                Action::Create => ("+", ""),
                Action::Update(_) => ("~", ""),
                Action::Delete => ("-", ""),
                Action::Adopt => ("=", "  (exists: adopt, destroy leaves it)"),
                Action::Read => ("<=", ""),
                Action::NoOp => (" ", ""),
                Action::NotApplicable(_) => ("/", ""),
            };
            let after = if c.known_after_apply && !matches!(c.action, Action::Read) {
                "  (values known after apply)"
            } else {
                ""
            };
            out.push_str(&format!(
                "  {marker:<2} {}  {}{note}{after}\n",
                c.address, c.description
            ));
            match &c.action {
                Action::Update(diff) => {
                    for d in diff {
                        out.push_str(&field_diff_text(d));
                    }
                }
                Action::NotApplicable(reason) => {
                    out.push_str(&format!("{DETAIL}skipped: {reason}\n"));
                }
                _ => {}
            }
            if let Some(d) = details {
                if d.documents {
                    for (field, document) in d.documents_of(c) {
                        out.push_str(&format!("{DETAIL}{field}:\n"));
                        out.push_str(&indented(&document, &format!("{DETAIL}    ")));
                    }
                }
                if d.commands
                    && let Some(commands) = d.commands_of(c)
                {
                    // Not indented: heredocs end at a line's start, so the block pastes as is.
                    out.push_str(&format!("\n# {} — {}\n", c.address, c.description));
                    out.push_str(&commands);
                    out.push('\n');
                }
            }
        }
        out.push('\n');
    }
    let s = plan_summary(plan);
    if verb_destroy {
        out.push_str(&format!("Destroy: {} to delete.\n", s.deleted));
    } else if plan.has_changes() {
        out.push_str(&format!(
            "Plan: {} to create, {} to update, {} to adopt, {} unchanged, {} to read, {} not applicable.\n",
            s.created, s.updated, s.adopted, s.unchanged, s.read, s.not_applicable
        ));
    } else {
        out.push_str("No changes: the stack matches its config.\n");
    }
    for o in &plan.orphaned {
        out.push_str(&format!(
            "warning: the state records `{o}`, which this config no longer has: xefs leaves it alone\n"
        ));
    }
    out
}

// ---- apply ----

/// The apply's counts.
pub fn apply_summary(report: &ApplyReport) -> Summary {
    Summary {
        created: report.created(),
        updated: report.updated(),
        unchanged: report.unchanged(),
        deleted: 0,
        adopted: report.adopted(),
        read: report.read(),
        not_applicable: report.not_applicable(),
        failed: report.failures.len(),
        skipped: report.skipped.len(),
    }
}

#[derive(Debug, Serialize)]
struct AppliedStepJson {
    address: Address,
    change: Change,
    adopted: bool,
    recovered: bool,
    attempts: u32,
    duration_seconds: f64,
    outputs: xefs_core::step::StepOutputs,
}

/// `xefs apply --output json`.
pub fn apply_json(stack: &str, report: &ApplyReport, calls: &CallStats) -> serde_json::Value {
    let steps: Vec<AppliedStepJson> = report
        .steps
        .iter()
        .map(|s| AppliedStepJson {
            address: s.address.clone(),
            change: s.change,
            adopted: s.adopted,
            recovered: s.recovered,
            attempts: s.attempts,
            duration_seconds: s.duration.as_secs_f64(),
            outputs: s.outputs.clone(),
        })
        .collect();
    serde_json::json!({
        "format_version": FORMAT_VERSION,
        "stack": stack,
        "success": report.is_success(),
        "cancelled": report.cancelled,
        "summary": apply_summary(report),
        "calls": Calls::from(calls),
        "duration_seconds": report.duration.as_secs_f64(),
        "steps": steps,
        "failures": failures(&report.failures),
        "skipped": report.skipped.iter().map(|s| serde_json::json!({"address": s.address, "reason": s.reason})).collect::<Vec<_>>(),
    })
}

/// The apply's last lines for people.
pub fn apply_text(report: &ApplyReport, calls: &CallStats) -> String {
    let s = apply_summary(report);
    let total = calls.total();
    let mut out = format!(
        "Apply {}: {} created, {} updated, {} unchanged, {} adopted, {} read, {} not applicable; {} failed, {} not run. {} AWS calls ({} writes) in {:.1}s.\n",
        if report.is_success() {
            "complete"
        } else {
            "incomplete"
        },
        s.created,
        s.updated,
        s.unchanged,
        s.adopted,
        s.read,
        s.not_applicable,
        s.failed,
        s.skipped,
        total.reads + total.writes,
        total.writes,
        report.duration.as_secs_f64()
    );
    out.push_str(&verify_and_failures(report));
    if !report.is_success() {
        out.push_str(
            "Run `xefs apply` again to resume, or `xefs destroy` to remove what was created.\n",
        );
    }
    out
}

/// The verify check's timings when it ran, then each failure.
fn verify_and_failures(report: &ApplyReport) -> String {
    let mut out = String::new();
    if let Some(verify) = report
        .steps
        .iter()
        .find(|s| s.address.as_str() == xefs_core::blueprint::addr::VERIFY)
    {
        out.push_str(&verify_text(&verify.outputs));
    }
    out.push_str(&failures_text(&report.failures));
    out
}

/// `xefs verify` for people: the check's timings, or why it failed.
pub fn verify_report_text(report: &ApplyReport) -> String {
    let mut out = verify_and_failures(report);
    if !report.is_success() {
        out.push_str(
            "The check failed: `xefs doctor` explains what stands between the cluster and the file system.\n",
        );
    }
    out
}

/// The verify check's waits, one line each, so slow stages stand out.
fn verify_text(outputs: &xefs_core::step::StepOutputs) -> String {
    let secs = |name: &str| outputs.get::<f64>(name).ok();
    let mut out = String::from("Verify: a pod wrote to the volume and another read it back.\n");
    for (label, name) in [
        ("claim bound", "pvc_bound_seconds"),
        ("writer running", "writer_running_seconds"),
        ("reader running", "reader_running_seconds"),
        ("line seen by the reader", "line_seen_seconds"),
    ] {
        if let Some(s) = secs(name) {
            out.push_str(&format!("  {label:<24} {s:>6.1}s\n"));
        }
    }
    if let Ok(nodes) = outputs.get::<Vec<String>>("nodes") {
        let same = outputs.get::<bool>("same_node").unwrap_or(false);
        out.push_str(&format!(
            "  nodes: {}{}\n",
            nodes.join(", "),
            if same {
                " (the same node: the cluster offered no other)"
            } else {
                ""
            }
        ));
    }
    out
}

// ---- destroy ----

/// The destroy's counts.
pub fn destroy_summary(report: &DestroyReport) -> Summary {
    Summary {
        deleted: report.removed.len(),
        adopted: report.kept.len(),
        failed: report.failures.len(),
        skipped: report.skipped.len(),
        ..Summary::default()
    }
}

/// `xefs destroy --output json`.
pub fn destroy_json(stack: &str, report: &DestroyReport, calls: &CallStats) -> serde_json::Value {
    serde_json::json!({
        "format_version": FORMAT_VERSION,
        "stack": stack,
        "success": report.is_success(),
        "cancelled": report.cancelled,
        "summary": destroy_summary(report),
        "calls": Calls::from(calls),
        "duration_seconds": report.duration.as_secs_f64(),
        "removed": report.removed.iter().map(|r| serde_json::json!({
            "address": r.address,
            "already_gone": r.already_gone,
            "attempts": r.attempts,
            "duration_seconds": r.duration.as_secs_f64(),
        })).collect::<Vec<_>>(),
        "kept": report.kept,
        "orphaned": report.orphaned,
        "failures": failures(&report.failures),
        "skipped": report.skipped.iter().map(|s| serde_json::json!({"address": s.address, "reason": s.reason})).collect::<Vec<_>>(),
    })
}

/// The destroy's last lines for people.
pub fn destroy_text(report: &DestroyReport, calls: &CallStats) -> String {
    let total = calls.total();
    let mut out = format!(
        "Destroy {}: {} deleted, {} kept (not created by xefs), {} failed, {} not run. {} AWS calls ({} writes) in {:.1}s.\n",
        if report.is_success() {
            "complete"
        } else {
            "incomplete"
        },
        report.removed.len(),
        report.kept.len(),
        report.failures.len(),
        report.skipped.len(),
        total.reads + total.writes,
        total.writes,
        report.duration.as_secs_f64()
    );
    for k in &report.kept {
        out.push_str(&format!("kept: {k}\n"));
    }
    out.push_str(&failures_text(&report.failures));
    for o in &report.orphaned {
        out.push_str(&format!(
            "warning: `{o}` is recorded but has no step in this config: not removed\n"
        ));
    }
    out
}

// ---- status ----

/// `xefs status --output json`.
pub fn status_json(
    stack: &str,
    journal: &std::path::Path,
    resources: &BTreeMap<Address, ResourceState>,
) -> serde_json::Value {
    serde_json::json!({
        "format_version": FORMAT_VERSION,
        "stack": stack,
        "journal": journal,
        "resources": resources,
    })
}

/// The state for people: one line per recorded step.
pub fn status_text(
    stack: &str,
    journal: &std::path::Path,
    resources: &BTreeMap<Address, ResourceState>,
) -> String {
    if resources.is_empty() {
        return format!(
            "Stack {stack}: nothing recorded in {} (never applied, or destroyed and compacted).\n",
            journal.display()
        );
    }
    let mut out = format!("Stack {stack} ({}):\n", journal.display());
    for (address, r) in resources {
        let owner = match (r.removed, r.ownership) {
            (true, _) => "deleted".to_owned(),
            (false, Some(o)) => format!("{o:?}").to_lowercase(),
            (false, None) => "unknown".to_owned(),
        };
        let ids: Vec<String> = r
            .outputs
            .iter()
            .flat_map(|o| o.iter())
            .filter_map(|(k, v)| v.as_str().map(|s| format!("{k}={s}")))
            .collect();
        out.push_str(&format!("  {address:<45} {owner:<14} {}\n", ids.join(" ")));
        if let Some(f) = &r.in_flight {
            out.push_str(&format!(
                "      a {:?} call was in flight when the last run stopped: the next run settles it\n",
                f.op
            ));
        }
        if let Some(e) = &r.last_error {
            out.push_str(&format!("      last error: {e}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use xefs_core::step::StepOutputs;

    use super::verify_text;

    #[test]
    fn verify_timings_read_one_stage_a_line() -> Result<(), Box<dyn std::error::Error>> {
        let outputs = StepOutputs::new()
            .with("pvc_bound_seconds", 2.5)?
            .with("writer_running_seconds", 11.0)?
            .with("reader_running_seconds", 12.25)?
            .with("line_seen_seconds", 14.0)?
            .with("nodes", ["ip-10-0-1-5", "ip-10-0-3-7"])?
            .with("same_node", false)?;
        assert_eq!(
            verify_text(&outputs),
            "Verify: a pod wrote to the volume and another read it back.\n\
             \x20 claim bound                 2.5s\n\
             \x20 writer running             11.0s\n\
             \x20 reader running             12.2s\n\
             \x20 line seen by the reader    14.0s\n\
             \x20 nodes: ip-10-0-1-5, ip-10-0-3-7\n"
        );
        Ok(())
    }
}
