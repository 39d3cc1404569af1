//! Roles, ClusterRoles and their bindings: upstream's defaults and
//! validation.

use apimachinery::field::FieldError;
use apimachinery::validation::NameRule;
use serde_json::{Value, json};

use super::kind::KindStrategy;
use super::text;
use crate::printers;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

fn rule_errors(rule: &Value, at: &str, namespaced: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let non_empty = |field: &str| rule[field].as_array().is_some_and(|a| !a.is_empty());
    if !non_empty("verbs") {
        errors.push(FieldError::required(format!("{at}.verbs"), "verbs must contain at least one value"));
    }
    if non_empty("nonResourceURLs") {
        if namespaced {
            errors.push(FieldError::invalid(
                format!("{at}.nonResourceURLs"),
                rule["nonResourceURLs"].clone(),
                "namespaced rules cannot apply to non-resource URLs",
            ));
        }
        if non_empty("apiGroups") || non_empty("resources") || non_empty("resourceNames") {
            errors.push(FieldError::invalid(
                format!("{at}.nonResourceURLs"),
                rule["nonResourceURLs"].clone(),
                "rules cannot apply to both regular resources and non-resource URLs",
            ));
        }
        return errors;
    }
    if !non_empty("apiGroups") {
        errors
            .push(FieldError::required(format!("{at}.apiGroups"), "resource rules must supply at least one api group"));
    }
    if !non_empty("resources") {
        errors
            .push(FieldError::required(format!("{at}.resources"), "resource rules must supply at least one resource"));
    }
    errors
}

fn rules_errors(object: &Value, namespaced: bool) -> Vec<FieldError> {
    object["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .flat_map(|(i, rule)| rule_errors(rule, &format!("rules[{i}]"), namespaced))
        .collect()
}

/// Roles.
pub fn roles() -> KindStrategy {
    KindStrategy::new(printers::created_at()).names(NameRule::PathSegment).validate(|role| rules_errors(role, true))
}

/// ClusterRoles.
pub fn cluster_roles() -> KindStrategy {
    KindStrategy::new(printers::created_at()).names(NameRule::PathSegment).validate(|role| rules_errors(role, false))
}

/// Upstream's v1 defaults of a subject's apiGroup.
fn binding_defaults(object: &mut Value) {
    for subject in object["subjects"].as_array_mut().into_iter().flatten() {
        if subject["apiGroup"].as_str().is_none_or(str::is_empty) {
            match subject["kind"].as_str() {
                Some("User" | "Group") => subject["apiGroup"] = json!(RBAC_GROUP),
                Some("ServiceAccount") => subject["apiGroup"] = json!(""),
                _ => {}
            }
        }
    }
}

fn binding_errors(object: &Value, namespaced: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let role_ref = &object["roleRef"];
    let kinds: &[&str] = if namespaced { &["Role", "ClusterRole"] } else { &["ClusterRole"] };
    let kind = text(role_ref, &["kind"]);
    if !kinds.contains(&kind) {
        errors.push(FieldError::not_supported("roleRef.kind", json!(kind), kinds));
    }
    let group = text(role_ref, &["apiGroup"]);
    if group != RBAC_GROUP {
        errors.push(FieldError::not_supported("roleRef.apiGroup", json!(group), &[RBAC_GROUP]));
    }
    if text(role_ref, &["name"]).is_empty() {
        errors.push(FieldError::required("roleRef.name", ""));
    }
    for (i, subject) in object["subjects"].as_array().into_iter().flatten().enumerate() {
        let at = format!("subjects[{i}]");
        if text(subject, &["name"]).is_empty() {
            errors.push(FieldError::required(format!("{at}.name"), ""));
        }
        match text(subject, &["kind"]) {
            "ServiceAccount" => {
                let group = text(subject, &["apiGroup"]);
                if !group.is_empty() {
                    errors.push(FieldError::not_supported(format!("{at}.apiGroup"), json!(group), &[""]));
                }
                if !namespaced && text(subject, &["namespace"]).is_empty() {
                    errors.push(FieldError::required(format!("{at}.namespace"), ""));
                }
            }
            "User" | "Group" => {
                let group = text(subject, &["apiGroup"]);
                if group != RBAC_GROUP {
                    errors.push(FieldError::not_supported(format!("{at}.apiGroup"), json!(group), &[RBAC_GROUP]));
                }
            }
            other => errors.push(FieldError::not_supported(
                format!("{at}.kind"),
                json!(other),
                &["ServiceAccount", "User", "Group"],
            )),
        }
    }
    errors
}

fn role_ref_update(new: &Value, old: &Value) -> Vec<FieldError> {
    if new["roleRef"] == old["roleRef"] {
        return Vec::new();
    }
    vec![FieldError::invalid("roleRef", new["roleRef"].clone(), "cannot change roleRef")]
}

/// RoleBindings.
pub fn role_bindings() -> KindStrategy {
    KindStrategy::new(printers::role_bindings())
        .names(NameRule::PathSegment)
        .defaults(binding_defaults)
        .validate(|binding| binding_errors(binding, true))
        .validate_update(role_ref_update)
}

/// ClusterRoleBindings.
pub fn cluster_role_bindings() -> KindStrategy {
    KindStrategy::new(printers::role_bindings())
        .names(NameRule::PathSegment)
        .defaults(binding_defaults)
        .validate(|binding| binding_errors(binding, false))
        .validate_update(role_ref_update)
}
