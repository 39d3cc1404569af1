//! Conversions between the version a kind is stored in and the other
//! versions it is served in (upstream's per-group conversion functions).

mod autoscaling_v1;
mod events_v1;

pub use autoscaling_v1::HorizontalPodAutoscalerV1;
pub use events_v1::EventsV1;

use serde_json::{Map, Value};

/// Copies `from[source]` to `to[target]` when present and not null.
fn carry(from: &Value, source: &str, to: &mut Map<String, Value>, target: &str) {
    if let Some(value) = from.get(source).filter(|v| !v.is_null()) {
        to.insert(target.to_string(), value.clone());
    }
}
