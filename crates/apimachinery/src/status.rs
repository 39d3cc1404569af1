//! API errors as upstream's metav1.Status: every failure a client sees has
//! upstream's code, reason, message and details.

use serde::Serialize;
use serde_json::{Value, json};

use crate::GroupResource;
use crate::field::FieldError;

/// One cause inside a Status's details (for Invalid, one per field error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusCause {
    /// A machine-readable reason such as `FieldValueInvalid`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The human-readable message.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The field path, e.g. `metadata.name`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field: String,
}

/// Status details: which object the error is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatusDetails {
    /// The object's name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The object's group.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// The kind or resource, as upstream fills it for this reason.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The object's UID.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// Individual causes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<StatusCause>,
    /// Seconds the client should wait before retrying.
    #[serde(rename = "retryAfterSeconds", skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

/// An API error, rendered as a metav1.Status with the HTTP code it carries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// The HTTP status code.
    pub code: u16,
    /// Upstream's StatusReason, e.g. `NotFound`.
    pub reason: &'static str,
    /// The message.
    pub message: String,
    /// Details, if any (boxed: errors travel in `Result`s everywhere).
    pub details: Option<Box<StatusDetails>>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError { code, reason, message: message.into(), details: None }
    }

    fn with_details(mut self, details: StatusDetails) -> Self {
        self.details = Some(Box::new(details));
        self
    }

    fn object_details(resource: &GroupResource, name: &str) -> StatusDetails {
        StatusDetails {
            name: name.to_string(),
            group: resource.group.clone(),
            kind: resource.resource.clone(),
            ..Default::default()
        }
    }

    /// 404: `pods "web" not found`.
    pub fn not_found(resource: &GroupResource, name: &str) -> Self {
        ApiError::new(404, "NotFound", format!("{resource} \"{name}\" not found"))
            .with_details(Self::object_details(resource, name))
    }

    /// 409: `pods "web" already exists`.
    pub fn already_exists(resource: &GroupResource, name: &str) -> Self {
        ApiError::new(409, "AlreadyExists", format!("{resource} \"{name}\" already exists"))
            .with_details(Self::object_details(resource, name))
    }

    /// 409: `Operation cannot be fulfilled on pods "web": <why>`.
    pub fn conflict(resource: &GroupResource, name: &str, why: &str) -> Self {
        ApiError::new(409, "Conflict", format!("Operation cannot be fulfilled on {resource} \"{name}\": {why}"))
            .with_details(Self::object_details(resource, name))
    }

    /// 422: `ConfigMap "x" is invalid: <field errors>`, one cause per error.
    pub fn invalid(group: &str, kind: &str, name: &str, errors: &[FieldError]) -> Self {
        let qualified = if group.is_empty() { kind.to_string() } else { format!("{kind}.{group}") };
        let summary = match errors {
            [one] => one.to_string(),
            many => format!("[{}]", many.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
        };
        let causes = errors
            .iter()
            .map(|e| StatusCause { reason: e.kind.reason().to_string(), message: e.body(), field: e.path.clone() })
            .collect();
        ApiError::new(422, "Invalid", format!("{qualified} \"{name}\" is invalid: {summary}")).with_details(
            StatusDetails {
                name: name.to_string(),
                group: group.to_string(),
                kind: kind.to_string(),
                causes,
                ..Default::default()
            },
        )
    }

    /// 400 BadRequest with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, "BadRequest", message)
    }

    /// 401: the request carried no valid credentials.
    pub fn unauthorized() -> Self {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    /// 403 with upstream's wording.
    pub fn forbidden(resource: &GroupResource, name: &str, why: &str) -> Self {
        let message = if name.is_empty() {
            format!("{resource} is forbidden: {why}")
        } else {
            format!("{resource} \"{name}\" is forbidden: {why}")
        };
        ApiError::new(403, "Forbidden", message).with_details(Self::object_details(resource, name))
    }

    /// 404 for a path nothing serves.
    pub fn path_not_found() -> Self {
        ApiError::new(404, "NotFound", "the server could not find the requested resource")
            .with_details(StatusDetails::default())
    }

    /// 405: the resource does not support the verb.
    pub fn method_not_supported(resource: &GroupResource, verb: &str) -> Self {
        ApiError::new(405, "MethodNotAllowed", format!("{verb} is not supported on resources of kind \"{resource}\""))
            .with_details(Self::object_details(resource, ""))
    }

    /// 406: no acceptable representation.
    pub fn not_acceptable(types: &[&str]) -> Self {
        ApiError::new(
            406,
            "NotAcceptable",
            format!("only the following media types are accepted: {}", types.join(", ")),
        )
    }

    /// 410 Gone, reason Expired (too old resource version, expired continue).
    pub fn expired(message: impl Into<String>) -> Self {
        ApiError::new(410, "Expired", message)
    }

    /// 413: the request body is too large.
    pub fn request_entity_too_large(message: impl Into<String>) -> Self {
        ApiError::new(413, "RequestEntityTooLarge", message)
    }

    /// 415 for a patch type the resource does not accept, listing those it
    /// does.
    pub fn unsupported_patch_type(accepted: &[&str]) -> Self {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {}",
                accepted.join(", ")
            ),
        )
    }

    /// 415 for a body whose Content-Type the server cannot decode.
    pub fn unsupported_media_type(content_type: &str) -> Self {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got {content_type:?})"
            ),
        )
    }

    /// 429 with Retry-After.
    pub fn too_many_requests(message: impl Into<String>, retry_after_seconds: u64) -> Self {
        ApiError::new(429, "TooManyRequests", message)
            .with_details(StatusDetails { retry_after_seconds: Some(retry_after_seconds), ..Default::default() })
    }

    /// 504 Timeout, e.g. a resourceVersion the store has not reached.
    pub fn timeout(message: impl Into<String>, retry_after_seconds: u64) -> Self {
        ApiError::new(504, "Timeout", message)
            .with_details(StatusDetails { retry_after_seconds: Some(retry_after_seconds), ..Default::default() })
    }

    /// 500 with a message.
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(500, "InternalError", format!("Internal error occurred: {}", message.into()))
    }

    /// 409 for a server-side apply that would change fields other managers
    /// own: one cause (message, field path) per conflict.
    pub fn apply_conflict(message: String, causes: Vec<(String, String)>) -> Self {
        let causes = causes
            .into_iter()
            .map(|(message, field)| StatusCause { reason: "FieldManagerConflict".into(), message, field })
            .collect();
        ApiError::new(409, "Conflict", message).with_details(StatusDetails { causes, ..Default::default() })
    }

    /// 500 with no reason: an object could not be converted between
    /// versions, reported with the converter's own message as upstream does.
    pub fn conversion_failed(message: impl Into<String>) -> Self {
        ApiError::new(500, "", message)
    }

    /// 503 with a message.
    pub fn service_unavailable(message: impl Into<String>) -> Self {
        ApiError::new(503, "ServiceUnavailable", message)
    }

    /// The Retry-After seconds the response should carry, if any.
    pub fn retry_after(&self) -> Option<u64> {
        self.details.as_ref().and_then(|d| d.retry_after_seconds)
    }

    /// The metav1.Status object.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            status["details"] = serde_json::to_value(details).unwrap_or_default();
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::FieldError;

    #[test]
    fn not_found_and_invalid_read_as_upstream_writes_them() {
        let status = ApiError::not_found(&GroupResource::new("apps", "deployments"), "web").to_status();
        assert_eq!(status["message"], "deployments.apps \"web\" not found");
        assert_eq!(status["details"], json!({"name": "web", "group": "apps", "kind": "deployments"}));
        let err = ApiError::invalid("", "ConfigMap", "A", &[FieldError::invalid("metadata.name", json!("A"), "bad")]);
        let status = err.to_status();
        assert_eq!(status["code"], 422);
        assert_eq!(status["message"], "ConfigMap \"A\" is invalid: metadata.name: Invalid value: \"A\": bad");
        assert_eq!(status["details"]["causes"][0]["field"], "metadata.name");
        assert_eq!(status["details"]["causes"][0]["reason"], "FieldValueInvalid");
    }
}
