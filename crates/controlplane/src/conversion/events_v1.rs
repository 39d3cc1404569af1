//! events.k8s.io/v1 Events are core/v1 Events under other field names; they
//! are stored as core/v1.

use apiserver::conversion::Converter;
use serde_json::{Map, Value, json};

use super::carry;

/// (events.k8s.io/v1 field, core/v1 field) pairs; the rest share names.
const RENAMED: [(&str, &str); 7] = [
    ("note", "message"),
    ("regarding", "involvedObject"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
];

const SHARED: [&str; 7] = ["metadata", "eventTime", "series", "reportingInstance", "action", "reason", "type"];

/// Converts core/v1 Events to and from events.k8s.io/v1.
pub struct EventsV1;

fn convert(from: &Value, api_version: &str, to_events: bool) -> Value {
    let mut out = Map::new();
    out.insert("kind".into(), json!("Event"));
    out.insert("apiVersion".into(), json!(api_version));
    for field in SHARED.iter().chain(["related"].iter()) {
        carry(from, field, &mut out, field);
    }
    for (events, core) in RENAMED {
        let (source, target) = if to_events { (core, events) } else { (events, core) };
        carry(from, source, &mut out, target);
    }
    if to_events {
        out.entry("eventTime").or_insert(Value::Null);
    } else {
        out.entry("involvedObject").or_insert(json!({}));
    }
    Value::Object(out)
}

impl Converter for EventsV1 {
    fn to_served(&self, stored: Value) -> Result<Value, String> {
        Ok(convert(&stored, "events.k8s.io/v1", true))
    }

    fn to_stored(&self, served: Value) -> Result<Value, String> {
        Ok(convert(&served, "v1", false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_renamed_fields() {
        let core = json!({
            "apiVersion": "v1", "kind": "Event", "metadata": {"name": "e", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "web"}, "message": "pulled", "reason": "Pulled",
            "type": "Normal", "count": 3, "source": {"component": "kubelet"},
            "firstTimestamp": "2026-01-01T00:00:00Z", "reportingComponent": "kubelet",
        });
        let events = EventsV1.to_served(core.clone()).unwrap();
        assert_eq!(events["note"], "pulled");
        assert_eq!(events["regarding"]["name"], "web");
        assert_eq!(events["deprecatedCount"], 3);
        assert_eq!(events["reportingController"], "kubelet");
        assert_eq!(events["eventTime"], Value::Null);
        assert_eq!(EventsV1.to_stored(events).unwrap(), core);
    }
}
