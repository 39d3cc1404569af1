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
    /// The patch type of a Content-Type; others, and strategic merge where
    /// the kind has no patch strategies, are a 415 naming what is accepted.
    pub fn from_content_type(content_type: Option<&str>, strategic: bool) -> Result<Self, ApiError> {
        let essence = content_type.unwrap_or_default().split(';').next().unwrap_or_default().trim();
        match essence {
            "application/json-patch+json" => Ok(PatchType::Json),
            "application/merge-patch+json" => Ok(PatchType::Merge),
            "application/strategic-merge-patch+json" if strategic => Ok(PatchType::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+json" => Ok(PatchType::Apply),
            _ => {
                let mut accepted =
                    vec!["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"];
                if strategic {
                    accepted.push("application/strategic-merge-patch+json");
                }
                Err(ApiError::unsupported_patch_type(&accepted))
            }
        }
    }
}

/// Applies a decoded patch to the current object. Strategic merge needs
/// the kind's schema; without one it is refused, as upstream refuses it for
/// custom resources.
pub fn apply_patch(
    patch_type: PatchType,
    current: &Value,
    patch: &Value,
    schema: Option<&dyn PatchSchema>,
) -> Result<Value, ApiError> {
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
        PatchType::Strategic => match schema {
            Some(schema) => strategic_merge::apply(current, patch, schema).map_err(|e| unprocessable(e.0)),
            None => Err(ApiError::unsupported_media_type("application/strategic-merge-patch+json")),
        },
        PatchType::Apply => Err(ApiError::unsupported_media_type("application/apply-patch+yaml")),
    }
}

fn unprocessable(message: String) -> ApiError {
    let mut error = ApiError::bad_request(message);
    error.code = 422;
    error.reason = "Invalid";
    error
}

/// The schema of objects without lists, such as autoscaling/v1 Scale.
pub struct NoLists;

impl PatchSchema for NoLists {
    fn list_strategy(&self, _path: &[String]) -> ListStrategy {
        ListStrategy::Replace
    }
}
