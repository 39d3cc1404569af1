//! Object machinery shared by every ferrokube layer, named after upstream's
//! `k8s.io/apimachinery`: the label and field selectors that lists and watches
//! filter with. The storage layer evaluates them inside the watch cache, so
//! they live below it.

pub mod fields;
pub mod labels;

pub use fields::FieldSelector;
pub use labels::LabelSelector;

/// A selector string could not be parsed; the message is what a client sees
/// in the 400 Bad Request it causes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SelectorParseError(pub String);
