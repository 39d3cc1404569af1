//! PodDisruptionBudgets: generation counted (so that the disruption
//! controller's observedGeneration means something) and NAME MIN AVAILABLE
//! MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE.

use apimachinery::field::FieldError;
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

/// An intstr that must be a non-negative count or a percentage.
fn int_or_percent(value: &Value, path: &str) -> Vec<FieldError> {
    match value {
        Value::Number(n) if n.as_i64().is_some_and(|n| n < 0) => {
            vec![FieldError::invalid(path, value.clone(), "must be greater than or equal to 0")]
        }
        Value::String(s) => match s.strip_suffix('%').and_then(|p| p.parse::<u32>().ok()) {
            Some(percent) if percent > 100 => {
                vec![FieldError::invalid(path, value.clone(), "must not be greater than 100%")]
            }
            Some(_) => Vec::new(),
            None => vec![FieldError::invalid(
                path,
                value.clone(),
                "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
            )],
        },
        _ => Vec::new(),
    }
}

impl Strategy for PodDisruptionBudgetStrategy {
    fn validate(&self, budget: &Value) -> Vec<FieldError> {
        let spec = &budget["spec"];
        let (min, max) = (&spec["minAvailable"], &spec["maxUnavailable"]);
        if !min.is_null() && !max.is_null() {
            return vec![FieldError::invalid(
                "spec",
                spec.clone(),
                "minAvailable and maxUnavailable cannot be both set",
            )];
        }
        let mut errors = int_or_percent(min, "spec.minAvailable");
        errors.extend(int_or_percent(max, "spec.maxUnavailable"));
        let policy = super::text(spec, &["unhealthyPodEvictionPolicy"]);
        if !policy.is_empty() && !["IfHealthyBudget", "AlwaysAllow"].contains(&policy) {
            errors.push(FieldError::not_supported(
                "spec.unhealthyPodEvictionPolicy",
                serde_json::json!(policy),
                &["AlwaysAllow", "IfHealthyBudget"],
            ));
        }
        errors
    }

    fn tracks_generation(&self) -> bool {
        true
    }

    fn table(&self) -> &dyn TableConvertor {
        &self.0
    }
}
