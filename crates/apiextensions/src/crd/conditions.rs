//! The conditions of a CRD's status: NamesAccepted, Established,
//! Terminating (and NonStructuralSchema), kept as upstream keeps them — a
//! condition's lastTransitionTime changes only when its status does.

use apimachinery::now_rfc3339;
use serde_json::{Value, json};

/// The CRD's names do not conflict with another CRD's.
pub const NAMES_ACCEPTED: &str = "NamesAccepted";
/// The CRD is served.
pub const ESTABLISHED: &str = "Established";
/// The CRD is being deleted.
pub const TERMINATING: &str = "Terminating";

/// The condition of this type, if set.
pub fn find<'a>(crd: &'a Value, kind: &str) -> Option<&'a Value> {
    crd["status"]["conditions"].as_array().into_iter().flatten().find(|c| c["type"] == kind)
}

/// Whether the condition of this type is True.
pub fn is_true(crd: &Value, kind: &str) -> bool {
    find(crd, kind).is_some_and(|c| c["status"] == "True")
}

/// Sets a condition; returns whether anything changed.
pub fn set(crd: &mut Value, kind: &str, status: &str, reason: &str, message: &str) -> bool {
    if let Some(existing) = find(crd, kind)
        && existing["status"] == status
        && existing["reason"] == reason
        && existing["message"] == message
    {
        return false;
    }
    let transition = match find(crd, kind) {
        Some(existing) if existing["status"] == status => existing["lastTransitionTime"].clone(),
        _ => json!(now_rfc3339()),
    };
    let condition = json!({
        "type": kind,
        "status": status,
        "lastTransitionTime": transition,
        "reason": reason,
        "message": message,
    });
    if !crd["status"].is_object() {
        crd["status"] = json!({});
    }
    let conditions = crd["status"].as_object_mut().map(|s| s.entry("conditions").or_insert_with(|| json!([])));
    if let Some(Value::Array(list)) = conditions {
        match list.iter_mut().find(|c| c["type"] == kind) {
            Some(slot) => *slot = condition,
            None => list.push(condition),
        }
    }
    true
}
