//! Decoding a request object against its kind's schema, as decoding into
//! upstream's typed objects does: fields the schema does not have are
//! dropped and reported (`?fieldValidation=Ignore|Warn|Strict`), and
//! quantities sent as JSON numbers (`cpu: 0.5`) become their canonical
//! strings (`500m`).

use apimachinery::ApiError;
use serde_json::Value;

use crate::openapi::{KindSchemas, kind_schemas};
use crate::resource::ResourceDef;

/// What to do with unknown fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    /// Drop them silently.
    Ignore,
    /// Drop them and answer with a Warning header per field (the default).
    Warn,
    /// Refuse the request.
    Strict,
}

impl FieldValidation {
    /// Parses the query parameter.
    pub fn parse(value: Option<&str>) -> Result<Self, ApiError> {
        match value {
            None | Some("") | Some("Warn") => Ok(FieldValidation::Warn),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some(other) => Err(ApiError::bad_request(format!(
                "fieldValidation: Unsupported value: \"{other}\": supported values: \"Ignore\", \"Strict\", \"Warn\""
            ))),
        }
    }

    /// Drops unknown fields from an object of kind `def` and returns the
    /// warnings to send (for them and for the `duplicates` found in the
    /// body), or the Strict error, worded as upstream's.
    pub fn apply(self, def: &ResourceDef, object: &mut Value, duplicates: &[String]) -> Result<Vec<String>, ApiError> {
        let mut messages: Vec<String> = duplicates.iter().map(|path| format!("duplicate field \"{path}\"")).collect();
        if let Some(schemas) = kind_schemas(def)
            && let Some(root) = schemas.components.get(&schemas.root)
        {
            let mut unknown = Vec::new();
            prune(&schemas, root, object, "", &mut unknown);
            messages.extend(unknown.iter().map(|path| format!("unknown field \"{path}\"")));
        }
        match self {
            FieldValidation::Strict if !messages.is_empty() => Err(ApiError::bad_request(format!(
                "{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: {}",
                messages.join(", "),
                kind = def.kind,
                version = def.version,
            ))),
            FieldValidation::Warn => Ok(messages),
            _ => Ok(Vec::new()),
        }
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") }
}

/// True for the schema of resource.Quantity (an int-or-string that is
/// not IntOrString).
fn is_quantity(schema: &Value) -> bool {
    schema.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true))
        && schema.get("description").and_then(Value::as_str).is_some_and(|d| d.starts_with("Quantity is"))
}

/// A quantity sent as a number, in upstream's canonical form: integers as
/// they are, fractions in thousandths (`0.5` -> `500m`), rounded up as
/// upstream rounds precision it cannot keep.
pub fn canonical_quantity(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 9.0e15 {
        return format!("{}", number as i64);
    }
    let milli = (number * 1000.0).ceil() as i64;
    if milli % 1000 == 0 { format!("{}", milli / 1000) } else { format!("{milli}m") }
}

fn prune(schemas: &KindSchemas, schema: &Value, value: &mut Value, path: &str, unknown: &mut Vec<String>) {
    let schema = schemas.resolve_schema(schema);
    if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
        return;
    }
    if is_quantity(schema) {
        if let Some(number) = value.as_f64().filter(|_| value.is_number()) {
            *value = Value::String(canonical_quantity(number));
        }
        return;
    }
    match value {
        Value::Object(map) => {
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                let mut dropped = Vec::new();
                for (key, child) in map.iter_mut() {
                    match properties.get(key) {
                        Some(child_schema) => prune(schemas, child_schema, child, &join(path, key), unknown),
                        None => dropped.push(key.clone()),
                    }
                }
                for key in dropped {
                    unknown.push(join(path, &key));
                    map.remove(&key);
                }
            } else if let Some(values) = schema.get("additionalProperties").filter(|a| a.is_object()) {
                for (key, child) in map.iter_mut() {
                    prune(schemas, values, child, &join(path, key), unknown);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    prune(schemas, item_schema, item, &format!("{path}[{i}]"), unknown);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numeric_quantities_become_canonical_strings() {
        assert_eq!(super::canonical_quantity(0.5), "500m");
        assert_eq!(super::canonical_quantity(2.0), "2");
        assert_eq!(super::canonical_quantity(1.5), "1500m");
        assert_eq!(super::canonical_quantity(0.0001), "1m");
        assert_eq!(super::canonical_quantity(128974848.0), "128974848");
    }
}
