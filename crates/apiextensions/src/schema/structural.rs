//! Upstream's structural schema rules, which apiextensions.k8s.io/v1
//! requires of every CRD schema: every node says its type (unless it
//! preserves unknown fields or is int-or-string), `properties` and
//! `additionalProperties` exclude each other, value validations
//! (allOf/anyOf/oneOf/not) add no structure of their own, metadata at the
//! root constrains only name and generateName; and the OpenAPI constructs
//! CRDs may not use ($ref, uniqueItems, patternProperties, ...).

use apimachinery::field::FieldError;
use serde_json::{Map, Value};

/// What a node is, for the wording of a missing type.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    Root,
    Property,
    Item,
    AdditionalProperty,
}

/// Constructs CRD schemas may not use, with upstream's detail.
const UNSUPPORTED: [(&str, &str); 7] = [
    ("$ref", "$ref is not supported"),
    ("$schema", "$schema is not supported"),
    ("id", "id is not supported"),
    ("definitions", "definitions are not supported"),
    ("dependencies", "dependencies are not supported"),
    ("patternProperties", "patternProperties is not supported"),
    ("additionalItems", "additionalItems cannot be set to false"),
];

/// Members a value validation (inside allOf/anyOf/oneOf/not) may not set.
const STRUCTURE: [&str; 9] = [
    "type",
    "description",
    "title",
    "default",
    "nullable",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-int-or-string",
    "additionalProperties",
];

/// Every violation of the structural rules in `schema`, with paths under
/// `path` (e.g. `spec.versions[0].schema.openAPIV3Schema`).
pub fn check(schema: &Value, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    node(schema, path, Position::Root, &mut errors);
    if let Some(metadata) = schema.pointer("/properties/metadata") {
        root_metadata(metadata, &format!("{path}.properties[metadata]"), &mut errors);
    }
    errors
}

fn flag(schema: &Value, name: &str) -> bool {
    schema.get(name) == Some(&Value::Bool(true))
}

fn node(schema: &Value, path: &str, position: Position, errors: &mut Vec<FieldError>) {
    let Some(map) = schema.as_object() else { return };
    for (key, detail) in UNSUPPORTED {
        if map.contains_key(key) && !(key == "additionalItems" && map[key] == Value::Bool(true)) {
            errors.push(FieldError::forbidden(format!("{path}.{key}"), detail));
        }
    }
    if flag(schema, "uniqueItems") {
        errors.push(FieldError::forbidden(
            format!("{path}.uniqueItems"),
            "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
        ));
    }
    let type_name = map.get("type").and_then(Value::as_str).unwrap_or_default();
    let int_or_string = flag(schema, "x-kubernetes-int-or-string");
    if int_or_string && !type_name.is_empty() {
        errors.push(FieldError::invalid(
            format!("{path}.type"),
            Value::String(type_name.into()),
            "must be empty if x-kubernetes-int-or-string is true",
        ));
    }
    if type_name.is_empty() && !int_or_string && !flag(schema, "x-kubernetes-preserve-unknown-fields") {
        let detail = match position {
            Position::Root => "must not be empty at the root",
            Position::Property => "must not be empty for specified object fields",
            Position::Item => "must not be empty for specified array items",
            Position::AdditionalProperty => "must not be empty for specified additionalProperties",
        };
        errors.push(FieldError::required(format!("{path}.type"), detail));
    }
    if flag(schema, "x-kubernetes-embedded-resource") && type_name != "object" {
        errors.push(FieldError::invalid(
            format!("{path}.type"),
            Value::String(type_name.into()),
            "must be object if x-kubernetes-embedded-resource is true",
        ));
    }
    let properties = map.get("properties").and_then(Value::as_object);
    let additional = map.get("additionalProperties");
    if properties.is_some_and(|p| !p.is_empty()) && additional.is_some_and(|a| a != &Value::Bool(true)) {
        errors.push(FieldError::forbidden(
            format!("{path}.additionalProperties"),
            "additionalProperties and properties are mutual exclusive",
        ));
    }
    if let Some(list_type) = map.get("x-kubernetes-list-type").and_then(Value::as_str) {
        list_type_rules(map, list_type, path, errors);
    }
    for (name, child) in properties.into_iter().flatten() {
        node(child, &format!("{path}.properties[{name}]"), Position::Property, errors);
    }
    if let Some(items) = map.get("items") {
        if items.is_array() {
            errors
                .push(FieldError::forbidden(format!("{path}.items"), "items must be a schema object and not an array"));
        } else {
            node(items, &format!("{path}.items"), Position::Item, errors);
        }
    } else if type_name == "array" {
        errors.push(FieldError::required(format!("{path}.items"), "must be specified"));
    }
    if let Some(additional) = additional.filter(|a| a.is_object()) {
        node(additional, &format!("{path}.additionalProperties"), Position::AdditionalProperty, errors);
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for (i, branch) in map.get(key).and_then(Value::as_array).into_iter().flatten().enumerate() {
            value_validation(branch, &format!("{path}.{key}[{i}]"), errors);
        }
    }
    if let Some(not) = map.get("not") {
        value_validation(not, &format!("{path}.not"), errors);
    }
}

fn list_type_rules(map: &Map<String, Value>, list_type: &str, path: &str, errors: &mut Vec<FieldError>) {
    let path = format!("{path}.x-kubernetes-list-type");
    match list_type {
        "atomic" | "set" => {}
        "map" => {
            let keys = map.get("x-kubernetes-list-map-keys").and_then(Value::as_array);
            if keys.is_none_or(Vec::is_empty) {
                errors.push(FieldError::required(
                    path.replace("list-type", "list-map-keys"),
                    "must not be empty if x-kubernetes-list-type is map",
                ));
            }
        }
        other => errors.push(FieldError::not_supported(path, Value::String(other.into()), &["atomic", "set", "map"])),
    }
}

/// A branch of allOf/anyOf/oneOf/not: it may only validate, so it may not
/// carry the members that define structure.
fn value_validation(schema: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let Some(map) = schema.as_object() else { return };
    for key in STRUCTURE {
        if map.contains_key(key) {
            errors.push(FieldError::forbidden(format!("{path}.{key}"), "must be empty to be structural"));
        }
    }
    for (name, child) in map.get("properties").and_then(Value::as_object).into_iter().flatten() {
        value_validation(child, &format!("{path}.properties[{name}]"), errors);
    }
    if let Some(items) = map.get("items") {
        value_validation(items, &format!("{path}.items"), errors);
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for (i, branch) in map.get(key).and_then(Value::as_array).into_iter().flatten().enumerate() {
            value_validation(branch, &format!("{path}.{key}[{i}]"), errors);
        }
    }
    if let Some(not) = map.get("not") {
        value_validation(not, &format!("{path}.not"), errors);
    }
}

/// The root's metadata may only say it is an object and constrain name and
/// generateName (as strings).
fn root_metadata(metadata: &Value, path: &str, errors: &mut Vec<FieldError>) {
    if metadata.get("type").and_then(Value::as_str).is_some_and(|t| t != "object") {
        errors.push(FieldError::invalid(format!("{path}.type"), metadata["type"].clone(), "must be object"));
    }
    for (name, _) in metadata.get("properties").and_then(Value::as_object).into_iter().flatten() {
        if name != "name" && name != "generateName" {
            errors.push(FieldError::forbidden(format!("{path}.properties[{name}]"), "must not be specified"));
        }
    }
    for key in ["additionalProperties", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource"] {
        if metadata.get(key).is_some() {
            errors.push(FieldError::forbidden(format!("{path}.{key}"), "must not be specified"));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    fn messages(schema: serde_json::Value) -> Vec<String> {
        super::check(&schema, "spec.versions[0].schema.openAPIV3Schema").iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_structural_schema_passes() {
        let schema = json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {"port": {"x-kubernetes-int-or-string": true}},
                     "anyOf": [{"required": ["port"]}]},
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}}},
        }});
        assert!(messages(schema).is_empty());
    }

    #[test]
    fn missing_types_and_forbidden_constructs_are_named() {
        let schema = json!({"type": "object", "properties": {
            "spec": {"properties": {"tags": {"type": "array", "uniqueItems": true, "items": {"type": "string"}}}},
            "other": {"type": "object", "anyOf": [{"type": "string"}]},
        }});
        assert_eq!(
            messages(schema),
            [
                "spec.versions[0].schema.openAPIV3Schema.properties[other].anyOf[0].type: Forbidden: must be empty to be structural",
                "spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields",
                "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[tags].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
            ]
        );
    }
}
