//! Accessors for object metadata on a decoded JSON object, the one
//! representation the REST layer uses for every kind.

use serde_json::{Map, Value};

/// Read and write access to `metadata` and the type fields of an object.
pub trait ObjectMetaExt {
    /// The `metadata` map, created if missing.
    fn metadata_mut(&mut self) -> &mut Map<String, Value>;
    /// A string field of `metadata`, if set.
    fn meta_str(&self, field: &str) -> Option<&str>;
    /// Sets a field of `metadata`.
    fn set_meta(&mut self, field: &str, value: Value);
    /// Removes a field of `metadata`.
    fn remove_meta(&mut self, field: &str) -> Option<Value>;
    /// `metadata.name`, or empty.
    fn name(&self) -> &str {
        self.meta_str("name").unwrap_or_default()
    }
    /// `metadata.namespace`, or empty.
    fn namespace(&self) -> &str {
        self.meta_str("namespace").unwrap_or_default()
    }
}

impl ObjectMetaExt for Value {
    fn metadata_mut(&mut self) -> &mut Map<String, Value> {
        if !self.is_object() {
            *self = Value::Object(Map::new());
        }
        let object = self.as_object_mut().expect("made an object above");
        let metadata = object.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
        if !metadata.is_object() {
            *metadata = Value::Object(Map::new());
        }
        metadata.as_object_mut().expect("made an object above")
    }

    fn meta_str(&self, field: &str) -> Option<&str> {
        self.get("metadata")?.get(field)?.as_str()
    }

    fn set_meta(&mut self, field: &str, value: Value) {
        self.metadata_mut().insert(field.to_string(), value);
    }

    fn remove_meta(&mut self, field: &str) -> Option<Value> {
        self.metadata_mut().remove(field)
    }
}
