//! PriorityClasses: the system classes exist after start, user classes stay
//! below them, and NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY.

use apimachinery::field::FieldError;
use apiserver::registry::Strategy;
use apiserver::registry::table::{Column, TableConvertor};
use serde_json::{Value, json};

use super::{default_field, text};

/// The highest value a user-defined class may have (upstream's
/// HighestUserDefinablePriority).
pub const HIGHEST_USER_PRIORITY: i64 = 1_000_000_000;

/// The classes upstream creates at start: name and value.
pub const SYSTEM_PRIORITY_CLASSES: [(&str, i64); 2] =
    [("system-node-critical", 2_000_001_000), ("system-cluster-critical", 2_000_000_000)];

/// The PriorityClass strategy.
pub struct PriorityClassStrategy;

struct PriorityClassTable;

impl TableConvertor for PriorityClassTable {
    fn columns(&self) -> Vec<Column> {
        vec![
            apiserver::registry::table::NAME,
            Column::new("Value", "integer", "The value of this priority class."),
            Column::new(
                "Global-Default",
                "boolean",
                "globalDefault specifies whether this PriorityClass should be considered as the default priority.",
            ),
            apiserver::registry::table::AGE,
            Column::new(
                "PreemptionPolicy",
                "string",
                "PreemptionPolicy is the Policy for preempting pods with lower priority.",
            ),
        ]
    }

    fn cells(&self, class: &Value) -> Vec<Value> {
        vec![
            json!(text(class, &["metadata", "name"])),
            json!(class["value"].as_i64().unwrap_or(0)),
            json!(class["globalDefault"].as_bool().unwrap_or(false)),
            json!(apiserver::registry::table::age(class)),
            json!(text(class, &["preemptionPolicy"])),
        ]
    }
}

impl Strategy for PriorityClassStrategy {
    fn prepare_for_create(&self, class: &mut Value) {
        default_field(class, "preemptionPolicy", json!("PreemptLowerPriority"));
    }

    fn validate(&self, class: &Value) -> Vec<FieldError> {
        let name = text(class, &["metadata", "name"]);
        let value = class["value"].as_i64().unwrap_or(0);
        let system = SYSTEM_PRIORITY_CLASSES.iter().find(|(n, _)| *n == name);
        match system {
            Some((_, expected)) if value != *expected => {
                vec![FieldError::forbidden(
                    "metadata.name",
                    format!("name {name} is reserved for a system priority class with value {expected}"),
                )]
            }
            Some(_) => Vec::new(),
            None if name.starts_with("system-") => {
                vec![FieldError::forbidden(
                    "metadata.name",
                    "priority class names with 'system-' prefix are reserved for system use only",
                )]
            }
            None if value > HIGHEST_USER_PRIORITY => vec![FieldError::forbidden(
                "value",
                format!("maximum allowed value of a user defined priority is {HIGHEST_USER_PRIORITY}"),
            )],
            None => Vec::new(),
        }
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = self.validate(new);
        if new["value"] != old["value"] {
            errors.push(FieldError::forbidden("value", "may not be changed in an update."));
        }
        errors
    }

    fn table(&self) -> &dyn TableConvertor {
        &PriorityClassTable
    }
}
