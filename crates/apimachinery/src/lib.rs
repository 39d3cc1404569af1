//! Object machinery shared by every ferrokube layer, named after upstream's
//! `k8s.io/apimachinery`: label and field selectors, the metav1.Status errors
//! every API error becomes, field errors with upstream's paths and wording,
//! name validation, and accessors for object metadata on JSON values.

pub mod duplicates;
pub mod field;
pub mod fields;
pub mod gvk;
pub mod labels;
pub mod meta;
pub mod protobuf;
pub mod status;
pub mod strategic_merge;
pub mod validation;
pub mod version_priority;

pub use fields::FieldSelector;
pub use gvk::{GroupResource, GroupVersion, GroupVersionKind};
pub use labels::LabelSelector;
pub use status::ApiError;

/// A selector string could not be parsed; the message is what a client sees
/// in the 400 Bad Request it causes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SelectorParseError(pub String);

/// The current time as upstream writes timestamps: RFC 3339, whole seconds,
/// UTC (`2026-12-03T08:30:00Z`).
pub fn now_rfc3339() -> String {
    format_rfc3339(std::time::SystemTime::now())
}

/// A time as upstream writes timestamps.
pub fn format_rfc3339(time: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}
