//! Printers of admission configuration kinds.

use apiserver::registry::table::Printer;
use serde_json::json;

use super::*;

/// Mutating and validating webhook configurations: NAME WEBHOOKS AGE.
pub fn webhook_configurations() -> Printer {
    Printer::new().add("Webhooks", "The number of webhooks.", |o| count(o, &["webhooks"])).age()
}

/// ValidatingAdmissionPolicies: NAME VALIDATIONS PARAMKIND AGE.
pub fn validating_admission_policies() -> Printer {
    Printer::new()
        .add("Validations", "The number of validations.", |o| count(o, &["spec", "validations"]))
        .add("ParamKind", "The kind of the policy's parameters.", |o| {
            let param = &o["spec"]["paramKind"];
            match (param["apiVersion"].as_str(), param["kind"].as_str()) {
                (Some(version), Some(kind)) => json!(format!("{version}/{kind}")),
                _ => json!("<unset>"),
            }
        })
        .age()
}

/// ValidatingAdmissionPolicyBindings: NAME POLICYNAME PARAMREF AGE.
pub fn validating_admission_policy_bindings() -> Printer {
    Printer::new()
        .add("PolicyName", "The policy the binding applies.", |o| text(o, &["spec", "policyName"]))
        .add("ParamRef", "The parameters the binding passes.", |o| {
            let param = &o["spec"]["paramRef"];
            match param["name"].as_str() {
                Some(name) => match param["namespace"].as_str() {
                    Some(namespace) => json!(format!("{namespace}/{name}")),
                    None => json!(format!("*/{name}")),
                },
                None => json!("<unset>"),
            }
        })
        .age()
}
