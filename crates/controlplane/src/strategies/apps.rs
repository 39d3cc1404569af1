//! Deployments: defaults, selector validation, generation, and NAME READY
//! UP-TO-DATE AVAILABLE AGE.

use apimachinery::LabelSelector;
use apimachinery::field::FieldError;
use apimachinery::labels::selector_to_string;
use apiserver::registry::Strategy;
use apiserver::registry::table::{Printer, TableConvertor};
use serde_json::{Value, json};

use super::{default_field, default_pod_spec, text, validate_pod_spec};
use crate::printers;

/// The deployment strategy.
pub struct DeploymentStrategy(Printer);

impl Default for DeploymentStrategy {
    fn default() -> Self {
        DeploymentStrategy(printers::deployments())
    }
}

fn default_deployment(d: &mut Value) {
    let Some(spec) = d.get_mut("spec") else { return };
    default_field(spec, "replicas", json!(1));
    default_field(spec, "revisionHistoryLimit", json!(10));
    default_field(spec, "progressDeadlineSeconds", json!(600));
    default_field(spec, "strategy", json!({}));
    default_field(&mut spec["strategy"], "type", json!("RollingUpdate"));
    if text(spec, &["strategy", "type"]) == "RollingUpdate" {
        default_field(&mut spec["strategy"], "rollingUpdate", json!({}));
        default_field(&mut spec["strategy"]["rollingUpdate"], "maxUnavailable", json!("25%"));
        default_field(&mut spec["strategy"]["rollingUpdate"], "maxSurge", json!("25%"));
    }
    if let Some(pod_spec) = spec.get_mut("template").and_then(|t| t.get_mut("spec")) {
        default_pod_spec(pod_spec);
    }
}

/// Checks that a selector is present and matches the template's labels;
/// `kind` names the kind in upstream's message for an empty selector.
pub(crate) fn validate_selector(object: &Value, kind: &str) -> Vec<FieldError> {
    let selector = &object["spec"]["selector"];
    if selector.is_null() || selector.as_object().is_some_and(|m| m.is_empty()) {
        return vec![FieldError::required("spec.selector", "")];
    }
    let parsed = match LabelSelector::parse(&selector_to_string(selector)) {
        Ok(parsed) => parsed,
        Err(e) => return vec![FieldError::invalid("spec.selector", selector.clone(), e.0)],
    };
    if parsed.is_empty() {
        return vec![FieldError::invalid(
            "spec.selector",
            selector.clone(),
            format!("empty selector is invalid for {kind}"),
        )];
    }
    let labels: std::collections::BTreeMap<String, String> = object["spec"]["template"]["metadata"]["labels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    if !parsed.matches(&labels) {
        return vec![FieldError::invalid(
            "spec.template.metadata.labels",
            object["spec"]["template"]["metadata"]["labels"].clone(),
            "`selector` does not match template `labels`",
        )];
    }
    Vec::new()
}

impl Strategy for DeploymentStrategy {
    fn prepare_for_create(&self, object: &mut Value) {
        default_deployment(object);
    }

    fn prepare_for_update(&self, new: &mut Value, _old: &Value) {
        default_deployment(new);
    }

    fn validate(&self, object: &Value) -> Vec<FieldError> {
        let mut errors = validate_selector(object, "deployment");
        if let Some(replicas) = object["spec"]["replicas"].as_i64()
            && replicas < 0
        {
            errors.push(FieldError::invalid("spec.replicas", json!(replicas), "must be greater than or equal to 0"));
        }
        errors.extend(validate_pod_spec(&object["spec"]["template"]["spec"], "spec.template.spec"));
        errors
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = self.validate(new);
        if new["spec"]["selector"] != old["spec"]["selector"] {
            errors.push(FieldError::invalid("spec.selector", new["spec"]["selector"].clone(), "field is immutable"));
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

/// ReplicaSets: NAME DESIRED CURRENT READY AGE, validated like deployments.
pub struct ReplicaSetStrategy(Printer);

impl Default for ReplicaSetStrategy {
    fn default() -> Self {
        ReplicaSetStrategy(printers::replica_sets())
    }
}

fn default_replicaset(rs: &mut Value) {
    let Some(spec) = rs.get_mut("spec") else { return };
    default_field(spec, "replicas", json!(1));
    if let Some(pod_spec) = spec.get_mut("template").and_then(|t| t.get_mut("spec")) {
        default_pod_spec(pod_spec);
    }
}

impl Strategy for ReplicaSetStrategy {
    fn selectable_fields(&self, rs: &Value) -> Vec<(String, String)> {
        super::workloads::replicas_field(rs)
    }

    fn prepare_for_create(&self, object: &mut Value) {
        default_replicaset(object);
    }

    fn prepare_for_update(&self, new: &mut Value, _old: &Value) {
        default_replicaset(new);
    }

    fn validate(&self, object: &Value) -> Vec<FieldError> {
        DeploymentStrategy::default().validate(object)
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<FieldError> {
        DeploymentStrategy::default().validate_update(new, old)
    }

    fn tracks_generation(&self) -> bool {
        true
    }

    fn table(&self) -> &dyn TableConvertor {
        &self.0
    }
}
