//! PodDisruptionBudgets: generation counted (so that the disruption
//! controller's observedGeneration means something) and NAME MIN AVAILABLE
//! MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE.

use apiserver::registry::Strategy;
use apiserver::registry::table::{Column, Columns, TableConvertor};
use serde_json::{Value, json};

/// The PodDisruptionBudget strategy.
pub struct PodDisruptionBudgetStrategy(Columns<fn(&Value) -> Vec<Value>>);

fn int_or_string(value: &Value) -> Value {
    match value {
        Value::Null => json!("N/A"),
        Value::Number(n) => json!(n.to_string()),
        other => other.clone(),
    }
}

impl Default for PodDisruptionBudgetStrategy {
    fn default() -> Self {
        PodDisruptionBudgetStrategy(Columns {
            columns: vec![
                Column::new("Min Available", "string", "The minimum number of pods that must be available."),
                Column::new("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
                Column::new(
                    "Allowed Disruptions",
                    "integer",
                    "Calculated number of pods that may be disrupted at this time.",
                ),
            ],
            cells: |pdb| {
                vec![
                    int_or_string(&pdb["spec"]["minAvailable"]),
                    int_or_string(&pdb["spec"]["maxUnavailable"]),
                    json!(pdb["status"]["disruptionsAllowed"].as_i64().unwrap_or(0)),
                ]
            },
        })
    }
}

impl Strategy for PodDisruptionBudgetStrategy {
    fn tracks_generation(&self) -> bool {
        true
    }

    fn table(&self) -> &dyn TableConvertor {
        &self.0
    }
}
