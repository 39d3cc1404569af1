//! Upstream's printers (pkg/printers/internalversion) for the kinds whose
//! strategy has nothing else of its own: the columns `kubectl get` shows and
//! how each cell is computed.

mod admission;
mod cluster;
mod network;
mod storage;
mod workloads;

pub use admission::*;
pub use cluster::*;
pub use network::*;
pub use storage::*;
pub use workloads::*;

use apiserver::registry::table::{age, human_duration, parse_rfc3339};
use serde_json::{Value, json};

/// The value at a JSON path, or null.
fn at<'a>(object: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().try_fold(object, |v, key| v.get(*key)).unwrap_or(&Value::Null)
}

/// The string at a path, or `fallback` when it is missing or empty.
fn text_or(object: &Value, path: &[&str], fallback: &str) -> Value {
    match at(object, path) {
        Value::String(s) if !s.is_empty() => json!(s),
        Value::Null => json!(fallback),
        Value::String(_) => json!(fallback),
        other => json!(other.to_string()),
    }
}

/// The string at a path, or empty.
fn text(object: &Value, path: &[&str]) -> Value {
    text_or(object, path, "")
}

/// The integer at a path, or 0.
fn int(object: &Value, path: &[&str]) -> Value {
    json!(at(object, path).as_i64().unwrap_or(0))
}

/// A boolean at a path as Go prints it, with its default.
fn boolean(object: &Value, path: &[&str], default: bool) -> Value {
    json!(at(object, path).as_bool().unwrap_or(default).to_string())
}

/// The length of the list (or map) at a path.
fn count(object: &Value, path: &[&str]) -> Value {
    let value = at(object, path);
    json!(value.as_array().map(Vec::len).or_else(|| value.as_object().map(|m| m.len())).unwrap_or(0))
}

/// Strings of a list joined by `,`, or `fallback` when empty.
fn joined(values: impl IntoIterator<Item = String>, separator: &str, fallback: &str) -> Value {
    let values: Vec<String> = values.into_iter().filter(|v| !v.is_empty()).collect();
    json!(if values.is_empty() { fallback.to_string() } else { values.join(separator) })
}

/// The strings of the list at a path.
fn strings(object: &Value, path: &[&str]) -> Vec<String> {
    at(object, path).as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

/// Time since the timestamp at a path, as kubectl prints ages; `<none>`
/// when there is none.
fn since(object: &Value, path: &[&str]) -> Value {
    match at(object, path).as_str() {
        Some(time) => json!(age(&json!({"metadata": {"creationTimestamp": time}}))),
        None => json!("<none>"),
    }
}

/// The duration between two timestamps (or until now).
fn duration_between(from: &str, to: Option<&str>) -> String {
    let Some(start) = parse_rfc3339(from) else { return String::new() };
    let end = to.and_then(parse_rfc3339).unwrap_or_else(std::time::SystemTime::now);
    human_duration(end.duration_since(start).unwrap_or_default())
}

/// A metav1.LabelSelector as kubectl prints it; `<none>` when it selects
/// everything.
fn label_selector(selector: &Value) -> Value {
    let text = apimachinery::labels::selector_to_string(selector);
    json!(if text.is_empty() { "<none>".to_string() } else { text })
}

/// A plain label map as `k=v,...`, or `<none>`.
fn label_map(labels: &Value) -> Value {
    let mut pairs: Vec<String> = labels
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    pairs.sort();
    joined(pairs, ",", "<none>")
}

/// The container names and images of a pod template spec.
fn containers_and_images(pod_spec: &Value) -> (Value, Value) {
    let containers: Vec<&Value> = pod_spec["containers"].as_array().into_iter().flatten().collect();
    let names = containers.iter().map(|c| c["name"].as_str().unwrap_or_default().to_string());
    let images = containers.iter().map(|c| c["image"].as_str().unwrap_or_default().to_string());
    (json!(names.collect::<Vec<_>>().join(",")), json!(images.collect::<Vec<_>>().join(",")))
}

/// `Resource` → `resource`: the field that holds a metric of that type.
fn lower_first(kind: &str) -> String {
    let mut chars = kind.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}
