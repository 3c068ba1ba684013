//! The plan as a text table, grouped by account and cluster, Terraform-style markers.

use std::fmt::Write as _;

use crate::blueprint::{Address, Blueprint, Target};
use crate::spec::StackSpec;

/// What a plan row will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowAction {
    /// `+` create.
    Create,
    /// `~` update in place.
    Update,
    /// `-` delete.
    Delete,
    /// `<=` read only.
    Read,
    /// ` ` nothing to do.
    NoOp,
}

impl RowAction {
    fn marker(self) -> &'static str {
        match self {
            RowAction::Create => "+ ",
            RowAction::Update => "~ ",
            RowAction::Delete => "- ",
            RowAction::Read => "<=",
            RowAction::NoOp => "  ",
        }
    }
}

/// One line of a plan, with optional detail lines (diffs, notes) under it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    /// The step.
    pub address: Address,
    /// Where it acts.
    pub target: Target,
    /// What it will do.
    pub action: RowAction,
    /// One line.
    pub description: String,
    /// Lines shown indented under the row.
    pub details: Vec<String>,
}

/// Rows for a blueprint that has never been applied: everything is created or read.
pub fn plan_rows(blueprint: &Blueprint) -> Vec<PlanRow> {
    blueprint
        .steps
        .iter()
        .map(|s| {
            let after = super::inputs_known_after_apply(&s.spec);
            PlanRow {
                address: s.address.clone(),
                target: s.target,
                action: if s.spec.read_only() {
                    RowAction::Read
                } else {
                    RowAction::Create
                },
                description: s.description.clone(),
                details: after
                    .iter()
                    .map(|r| format!("{} = (known after apply: {r})", r.output))
                    .collect(),
            }
        })
        .collect()
}

const GROUPS: [Target; 4] = [
    Target::BothAccounts,
    Target::ClusterAccount,
    Target::StorageAccount,
    Target::Cluster,
];

/// Renders rows as the plan people review.
pub fn plan_table(spec: &StackSpec, rows: &[PlanRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "xefs plan for stack {} in {}", spec.name, spec.region);
    let width = rows
        .iter()
        .map(|r| r.address.as_str().len())
        .max()
        .unwrap_or(0);
    for target in GROUPS {
        let group: Vec<&PlanRow> = rows.iter().filter(|r| r.target == target).collect();
        if group.is_empty() {
            continue;
        }
        let heading = match target {
            Target::ClusterAccount => format!("{} {}", target.label(), spec.cluster.account_id),
            Target::StorageAccount => format!("{} {}", target.label(), spec.storage.account_id),
            Target::BothAccounts => target.label().to_owned(),
            Target::Cluster => format!("{} {}", target.label(), spec.cluster.name),
        };
        let _ = writeln!(out, "\n{heading}");
        for row in group {
            let _ = writeln!(
                out,
                "  {} {:width$}  {}",
                row.action.marker(),
                row.address.as_str(),
                row.description
            );
            for d in &row.details {
                let _ = writeln!(out, "       {:width$}    {d}", "");
            }
        }
    }
    let count = |a: RowAction| rows.iter().filter(|r| r.action == a).count();
    let _ = writeln!(
        out,
        "\nPlan: {} to create, {} to update, {} to delete, {} to read.",
        count(RowAction::Create),
        count(RowAction::Update),
        count(RowAction::Delete),
        count(RowAction::Read)
    );
    out
}
