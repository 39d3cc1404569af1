//! Webhook configurations and ValidatingAdmissionPolicies (and their
//! bindings): upstream's defaults and validation. They are stored and
//! validated; nothing enforces them yet.

use apimachinery::field::FieldError;
use serde_json::{Value, json};

use super::default_field;
use super::kind::KindStrategy;
use super::text;
use crate::printers;

fn webhook_defaults(object: &mut Value, mutating: bool) {
    for webhook in object["webhooks"].as_array_mut().into_iter().flatten() {
        default_field(webhook, "failurePolicy", json!("Fail"));
        default_field(webhook, "matchPolicy", json!("Equivalent"));
        default_field(webhook, "namespaceSelector", json!({}));
        default_field(webhook, "objectSelector", json!({}));
        default_field(webhook, "timeoutSeconds", json!(10));
        if mutating {
            default_field(webhook, "reinvocationPolicy", json!("Never"));
        }
        if webhook["clientConfig"]["service"].is_object() {
            default_field(&mut webhook["clientConfig"]["service"], "port", json!(443));
        }
        for rule in webhook["rules"].as_array_mut().into_iter().flatten() {
            default_field(rule, "scope", json!("*"));
        }
    }
}

fn webhook_errors(object: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for (i, webhook) in object["webhooks"].as_array().into_iter().flatten().enumerate() {
        let at = format!("webhooks[{i}]");
        let name = text(webhook, &["name"]);
        if name.is_empty() {
            errors.push(FieldError::required(format!("{at}.name"), ""));
        } else if name.split('.').count() < 3 || !apimachinery::validation::dns1123_subdomain(name).is_empty() {
            errors.push(FieldError::invalid(
                format!("{at}.name"),
                json!(name),
                "should be a domain with at least three segments separated by dots",
            ));
        } else if names.contains(&name) {
            errors.push(FieldError::duplicate(format!("{at}.name"), json!(name)));
        }
        names.push(name);
        let versions = webhook["admissionReviewVersions"].as_array().cloned().unwrap_or_default();
        if !versions.iter().any(|v| v == "v1" || v == "v1beta1") {
            errors
                .push(FieldError::required(format!("{at}.admissionReviewVersions"), "must specify one of v1, v1beta1"));
        }
        match webhook["sideEffects"].as_str() {
            None => {
                errors.push(FieldError::required(format!("{at}.sideEffects"), "must specify one of None, NoneOnDryRun"))
            }
            Some("None" | "NoneOnDryRun") => {}
            Some(other) => errors.push(FieldError::not_supported(
                format!("{at}.sideEffects"),
                json!(other),
                &["None", "NoneOnDryRun"],
            )),
        }
        let config = &webhook["clientConfig"];
        match (config["url"].as_str(), config["service"].is_object()) {
            (Some(_), true) | (None, false) => errors
                .push(FieldError::required(format!("{at}.clientConfig"), "exactly one of url or service is required")),
            (Some(url), false) if !url.starts_with("https://") => errors.push(FieldError::invalid(
                format!("{at}.clientConfig.url"),
                json!(url),
                "'https' is the only allowed URL scheme",
            )),
            _ => {}
        }
        let policy = text(webhook, &["failurePolicy"]);
        if !["Fail", "Ignore"].contains(&policy) {
            errors.push(FieldError::not_supported(format!("{at}.failurePolicy"), json!(policy), &["Fail", "Ignore"]));
        }
        if let Some(seconds) = webhook["timeoutSeconds"].as_i64()
            && !(1..=30).contains(&seconds)
        {
            errors.push(FieldError::invalid(
                format!("{at}.timeoutSeconds"),
                json!(seconds),
                "the timeout value must be between 1 and 30 seconds",
            ));
        }
    }
    errors
}

/// ValidatingWebhookConfigurations.
pub fn validating_webhook_configurations() -> KindStrategy {
    KindStrategy::new(printers::webhook_configurations())
        .defaults(|o| webhook_defaults(o, false))
        .validate(webhook_errors)
        .with_generation()
}

/// MutatingWebhookConfigurations.
pub fn mutating_webhook_configurations() -> KindStrategy {
    KindStrategy::new(printers::webhook_configurations())
        .defaults(|o| webhook_defaults(o, true))
        .validate(webhook_errors)
        .with_generation()
}

fn policy_defaults(object: &mut Value) {
    let Some(spec) = object.get_mut("spec") else { return };
    default_field(spec, "failurePolicy", json!("Fail"));
    if spec["matchConstraints"].is_object() {
        let constraints = &mut spec["matchConstraints"];
        default_field(constraints, "matchPolicy", json!("Equivalent"));
        default_field(constraints, "namespaceSelector", json!({}));
        default_field(constraints, "objectSelector", json!({}));
        for rule in constraints["resourceRules"].as_array_mut().into_iter().flatten() {
            default_field(rule, "scope", json!("*"));
        }
    }
}

fn policy_errors(policy: &Value) -> Vec<FieldError> {
    let spec = &policy["spec"];
    let mut errors = Vec::new();
    let has = |field: &str| spec[field].as_array().is_some_and(|a| !a.is_empty());
    if !has("validations") && !has("auditAnnotations") {
        errors.push(FieldError::required(
            "spec.validations",
            "validations or auditAnnotations must contain at least one item",
        ));
    }
    if !spec["matchConstraints"].is_object() {
        errors.push(FieldError::required("spec.matchConstraints", ""));
    }
    for (i, validation) in spec["validations"].as_array().into_iter().flatten().enumerate() {
        if text(validation, &["expression"]).trim().is_empty() {
            errors
                .push(FieldError::required(format!("spec.validations[{i}].expression"), "expression is not specified"));
        }
    }
    let failure = text(spec, &["failurePolicy"]);
    if !["Fail", "Ignore"].contains(&failure) {
        errors.push(FieldError::not_supported("spec.failurePolicy", json!(failure), &["Fail", "Ignore"]));
    }
    errors
}

/// ValidatingAdmissionPolicies.
pub fn validating_admission_policies() -> KindStrategy {
    KindStrategy::new(printers::validating_admission_policies())
        .defaults(policy_defaults)
        .validate(policy_errors)
        .with_generation()
}

fn binding_errors(binding: &Value) -> Vec<FieldError> {
    let spec = &binding["spec"];
    let mut errors = Vec::new();
    if text(spec, &["policyName"]).is_empty() {
        errors.push(FieldError::required("spec.policyName", ""));
    }
    let actions: Vec<&str> =
        spec["validationActions"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    if actions.is_empty() {
        errors.push(FieldError::required("spec.validationActions", "at least one validation action is required"));
    }
    for (i, action) in actions.iter().enumerate() {
        if !["Deny", "Warn", "Audit"].contains(action) {
            errors.push(FieldError::not_supported(
                format!("spec.validationActions[{i}]"),
                json!(action),
                &["Audit", "Deny", "Warn"],
            ));
        }
    }
    if actions.contains(&"Deny") && actions.contains(&"Warn") {
        errors.push(FieldError::invalid(
            "spec.validationActions",
            json!(actions),
            "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)",
        ));
    }
    errors
}

/// ValidatingAdmissionPolicyBindings.
pub fn validating_admission_policy_bindings() -> KindStrategy {
    KindStrategy::new(printers::validating_admission_policy_bindings()).validate(binding_errors).with_generation()
}
