//! Applying patches: JSON patch, JSON merge patch and strategic merge
//! patch, by Content-Type as upstream.

use apimachinery::ApiError;
use apimachinery::strategic_merge::{self, ListStrategy, PatchSchema};
use serde_json::Value;

/// The patch types upstream accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// application/json-patch+json (RFC 6902).
    Json,
    /// application/merge-patch+json (RFC 7386).
    Merge,
    /// application/strategic-merge-patch+json.
    Strategic,
    /// application/apply-patch+yaml (server-side apply).
    Apply,
}

impl PatchType {
    /// The patch type of a Content-Type; others are a 415.
    pub fn from_content_type(content_type: Option<&str>) -> Result<Self, ApiError> {
        let essence = content_type.unwrap_or_default().split(';').next().unwrap_or_default().trim();
        match essence {
            "application/json-patch+json" => Ok(PatchType::Json),
            "application/merge-patch+json" => Ok(PatchType::Merge),
            "application/strategic-merge-patch+json" => Ok(PatchType::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+json" => Ok(PatchType::Apply),
            other => Err(ApiError::unsupported_media_type(other)),
        }
    }
}

/// Applies a decoded patch to the current object.
pub fn apply_patch(patch_type: PatchType, current: &Value, patch: &Value, _kind: &str) -> Result<Value, ApiError> {
    match patch_type {
        PatchType::Json => {
            let operations: json_patch::Patch = serde_json::from_value(patch.clone())
                .map_err(|e| ApiError::bad_request(format!("error decoding JSON patch: {e}")))?;
            let mut doc = current.clone();
            json_patch::patch(&mut doc, &operations).map_err(|e| {
                unprocessable(format!("the server rejected our request due to an error in our request: {e}"))
            })?;
            Ok(doc)
        }
        PatchType::Merge => {
            let mut doc = current.clone();
            json_patch::merge(&mut doc, patch);
            Ok(doc)
        }
        PatchType::Strategic => {
            strategic_merge::apply(current, patch, &BuiltinPatchSchema).map_err(|e| unprocessable(e.0))
        }
        PatchType::Apply => Err(ApiError::unsupported_media_type("application/apply-patch+yaml")),
    }
}

fn unprocessable(message: String) -> ApiError {
    let mut error = ApiError::bad_request(message);
    error.code = 422;
    error.reason = "Invalid";
    error
}

/// Merge keys of the built-in kinds' lists, by field name and context.
pub struct BuiltinPatchSchema;

impl PatchSchema for BuiltinPatchSchema {
    fn list_strategy(&self, path: &[String]) -> ListStrategy {
        let field = path.last().map(String::as_str).unwrap_or_default();
        let in_container = path.iter().any(|p| p.ends_with("ontainers"));
        let key = match field {
            "containers"
            | "initContainers"
            | "ephemeralContainers"
            | "env"
            | "volumes"
            | "imagePullSecrets"
            | "resourceClaims"
            | "schedulingGates" => "name",
            "ports" if in_container => "containerPort",
            "ports" => "port",
            "volumeMounts" => "mountPath",
            "volumeDevices" => "devicePath",
            "hostAliases" => "ip",
            "conditions" => "type",
            "ownerReferences" => "uid",
            "topologySpreadConstraints" => "topologyKey",
            "finalizers" => return ListStrategy::Merge(None),
            _ => return ListStrategy::Replace,
        };
        ListStrategy::Merge(Some(key.to_string()))
    }
}
