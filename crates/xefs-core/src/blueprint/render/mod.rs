//! Three renderings of a blueprint: a plan table for people, versioned JSON for tools, and the
//! equivalent manual procedure as a shell script.

mod bundle;
mod json;
mod script;
mod table;
mod yaml;

pub use bundle::{RenderedFile, bundle};
pub use json::{PLAN_SCHEMA_VERSION, PlanJson, PlanJsonStep, StepAction};
pub use script::{account_arrays, shell_script, step_commands};
pub use table::{PlanRow, RowAction, plan_rows, plan_table};
pub use yaml::to_yaml;

use super::{OutputRef, StepSpec};

/// Every value a step takes from another step's outputs, in order of appearance.
pub fn inputs_known_after_apply(spec: &StepSpec) -> Vec<OutputRef> {
    fn walk(v: &serde_json::Value, found: &mut Vec<OutputRef>) {
        match v {
            serde_json::Value::Object(map) => {
                if map.len() == 2
                    && map.contains_key("step")
                    && map.contains_key("output")
                    && let Ok(r) = serde_json::from_value::<OutputRef>(v.clone())
                {
                    if !found.contains(&r) {
                        found.push(r);
                    }
                    return;
                }
                map.values().for_each(|v| walk(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    if let Ok(v) = serde_json::to_value(spec) {
        walk(&v, &mut found);
    }
    found
}
