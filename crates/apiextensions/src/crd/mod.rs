//! CustomResourceDefinitions themselves: reading their facts
//! ([`conditions`], versions, names), their strategy and their validation.

pub mod conditions;
pub mod strategy;
pub mod validation;

use serde_json::Value;

/// The finalizer that holds a deleted CRD until its custom resources are
/// gone.
pub const CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

/// The CRD's group.
pub fn group(crd: &Value) -> &str {
    crd["spec"]["group"].as_str().unwrap_or_default()
}

/// The version objects are stored in.
pub fn storage_version(crd: &Value) -> Option<&str> {
    versions(crd).find(|v| v["storage"] == Value::Bool(true)).and_then(|v| v["name"].as_str())
}

/// Every entry of spec.versions.
pub fn versions(crd: &Value) -> impl Iterator<Item = &Value> {
    crd["spec"]["versions"].as_array().into_iter().flatten()
}

/// The entry of spec.versions with this name.
pub fn version<'a>(crd: &'a Value, name: &str) -> Option<&'a Value> {
    versions(crd).find(|v| v["name"] == name)
}

/// The names the CRD is served under: status.acceptedNames once the
/// naming controller has accepted them.
pub fn accepted_names(crd: &Value) -> &Value {
    &crd["status"]["acceptedNames"]
}

/// Whether custom resources are namespaced.
pub fn namespaced(crd: &Value) -> bool {
    crd["spec"]["scope"] == "Namespaced"
}
