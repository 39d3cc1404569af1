//! `x-kubernetes-list-type`: a `set` may not repeat an item, a `map` may
//! not repeat the values of its `x-kubernetes-list-map-keys` (upstream's
//! listtype validation).

use apimachinery::field::FieldError;
use serde_json::{Map, Value};

use super::validate::Path;

/// Duplicate items of a set or map list.
pub fn check(schema: &Value, items: &[Value], path: &Path, errors: &mut Vec<FieldError>) {
    match schema.get("x-kubernetes-list-type").and_then(Value::as_str) {
        Some("set") => {
            for i in 1..items.len() {
                if items[..i].contains(&items[i]) {
                    errors.push(FieldError::duplicate(path.index(i).as_str(), items[i].clone()));
                }
            }
        }
        Some("map") => {
            let keys: Vec<&str> = schema
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let key_of = |item: &Value| -> Value {
                let mut key = Map::new();
                for name in &keys {
                    if let Some(v) = item.get(*name) {
                        key.insert(name.to_string(), v.clone());
                    }
                }
                Value::Object(key)
            };
            let seen: Vec<Value> = items.iter().map(key_of).collect();
            for i in 1..seen.len() {
                if seen[..i].contains(&seen[i]) {
                    errors.push(FieldError::duplicate(path.index(i).as_str(), seen[i].clone()));
                }
            }
        }
        _ => {}
    }
}
