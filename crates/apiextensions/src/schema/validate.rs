//! Validating a custom resource against its version's OpenAPI v3 schema, as
//! upstream's kube-openapi validator does, with its errors turned into
//! field errors the way apiextensions-apiserver turns them: the path of the
//! offending value and kube-openapi's wording ("spec.replicas in body must
//! be of type integer: \"string\"").

use apimachinery::field::FieldError;
use serde_json::{Map, Value, json};

use super::formats;

/// The path of a value inside the object: `spec.items[0].name`.
#[derive(Debug, Clone, Default)]
pub struct Path(String);

impl Path {
    /// The root of the object.
    pub fn root() -> Self {
        Path(String::new())
    }

    /// A member of an object.
    pub fn child(&self, name: &str) -> Self {
        if self.0.is_empty() { Path(name.to_string()) } else { Path(format!("{}.{name}", self.0)) }
    }

    /// An item of a list.
    pub fn index(&self, i: usize) -> Self {
        Path(format!("{}[{i}]", self.0))
    }

    /// The path as errors print it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// How kube-openapi names the value in its messages (`<root>` is `.`).
    fn name(&self) -> &str {
        if self.0.is_empty() { "." } else { &self.0 }
    }
}

/// The JSON type name kube-openapi reports for a value.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_matches(expected: &str, value: &Value) -> bool {
    match expected {
        "number" => value.is_number(),
        "integer" => type_name(value) == "integer",
        other => type_name(value) == other,
    }
}

fn flag(schema: &Value, name: &str) -> bool {
    schema.get(name) == Some(&Value::Bool(true))
}

/// Every error of `value` against `schema` at `path`.
pub fn validate(schema: &Value, value: &Value, path: &Path) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check(schema, value, path, &mut errors);
    errors
}

fn check(schema: &Value, value: &Value, path: &Path, errors: &mut Vec<FieldError>) {
    if value.is_null() && (flag(schema, "nullable") || schema.get("type").is_none()) {
        return;
    }
    if flag(schema, "x-kubernetes-int-or-string") && schema.get("type").is_none() {
        if !matches!(type_name(value), "integer" | "string") {
            errors.push(type_error(path, "integer,string", value));
            return;
        }
    } else if let Some(expected) = schema.get("type").and_then(Value::as_str)
        && !type_matches(expected, value)
    {
        errors.push(type_error(path, expected, value));
        return;
    }
    check_composition(schema, value, path, errors);
    match value {
        Value::String(text) => check_string(schema, text, value, path, errors),
        Value::Number(_) => check_number(schema, value, path, errors),
        Value::Array(items) => check_array(schema, items, path, errors),
        _ => {}
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        let supported: Vec<String> =
            allowed.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect();
        let supported: Vec<&str> = supported.iter().map(String::as_str).collect();
        errors.push(FieldError::not_supported(path.as_str(), value.clone(), &supported));
    }
    if let Value::Object(members) = value {
        check_object(schema, members, path, errors);
    }
}

fn type_error(path: &Path, expected: &str, value: &Value) -> FieldError {
    let actual = type_name(value);
    FieldError::type_invalid(
        path.as_str(),
        json!(actual),
        format!("{} in body must be of type {expected}: \"{actual}\"", path.name()),
    )
}

fn invalid(path: &Path, value: &Value, message: String) -> FieldError {
    FieldError::invalid(path.as_str(), value.clone(), format!("{} in body {message}", path.name()))
}

fn check_string(schema: &Value, text: &str, value: &Value, path: &Path, errors: &mut Vec<FieldError>) {
    let length = text.chars().count() as u64;
    let max = schema.get("maxLength").and_then(Value::as_u64);
    let min = schema.get("minLength").and_then(Value::as_u64);
    let pattern = schema.get("pattern").and_then(Value::as_str);
    if let Some(max) = max.filter(|max| length > *max) {
        errors.push(FieldError::too_long(path.as_str(), max as usize));
    } else if let Some(min) = min.filter(|min| length < *min) {
        errors.push(invalid(path, value, format!("should be at least {min} chars long")));
    } else if let Some(pattern) = pattern {
        match formats::regex(pattern) {
            Ok(regex) if regex.is_match(text) => {}
            Ok(_) => errors.push(invalid(path, value, format!("should match '{pattern}'"))),
            Err(e) => {
                errors.push(invalid(path, value, format!("should match '{pattern}, but pattern is invalid: {e}'")))
            }
        }
    }
    if let Some(format) = schema.get("format").and_then(Value::as_str)
        && !formats::conforms(format, text)
    {
        errors.push(FieldError::type_invalid(
            path.as_str(),
            value.clone(),
            format!("{} in body must be of type {format}: \"{text}\"", path.name()),
        ));
    }
}

fn check_number(schema: &Value, value: &Value, path: &Path, errors: &mut Vec<FieldError>) {
    let Some(number) = value.as_f64() else { return };
    if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
        if flag(schema, "exclusiveMaximum") && number >= max {
            errors.push(invalid(path, value, format!("should be less than {}", render(max))));
        } else if number > max {
            errors.push(invalid(path, value, format!("should be less than or equal to {}", render(max))));
        }
    }
    if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
        if flag(schema, "exclusiveMinimum") && number <= min {
            errors.push(invalid(path, value, format!("should be greater than {}", render(min))));
        } else if number < min {
            errors.push(invalid(path, value, format!("should be greater than or equal to {}", render(min))));
        }
    }
    if let Some(factor) = schema.get("multipleOf").and_then(Value::as_f64)
        && factor > 0.0
        && ((number / factor).fract()).abs() > f64::EPSILON
    {
        errors.push(invalid(path, value, format!("should be a multiple of {}", render(factor))));
    }
}

/// A number as Go's `%v` prints it: integers without a fraction.
fn render(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 { format!("{}", number as i64) } else { number.to_string() }
}

fn check_array(schema: &Value, items: &[Value], path: &Path, errors: &mut Vec<FieldError>) {
    if let Some(item_schema) = schema.get("items").filter(|s| s.is_object()) {
        for (i, item) in items.iter().enumerate() {
            check(item_schema, item, &path.index(i), errors);
        }
    }
    if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
        && (items.len() as u64) < min
    {
        errors.push(invalid(path, &json!(items.len()), format!("should have at least {min} items")));
    }
    if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
        && items.len() as u64 > max
    {
        errors.push(FieldError::too_many(path.as_str(), items.len(), max as usize));
    }
    super::list_types::check(schema, items, path, errors);
}

fn check_object(schema: &Value, members: &Map<String, Value>, path: &Path, errors: &mut Vec<FieldError>) {
    let count = members.len() as u64;
    if let Some(max) = schema.get("maxProperties").and_then(Value::as_u64)
        && count > max
    {
        errors.push(FieldError::too_many(path.as_str(), members.len(), max as usize));
    }
    if let Some(min) = schema.get("minProperties").and_then(Value::as_u64)
        && count < min
    {
        errors.push(invalid(path, &json!(members.len()), format!("should have at least {min} properties")));
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    for (name, member) in members {
        let child = path.child(name);
        match properties.and_then(|p| p.get(name)) {
            Some(member_schema) => check(member_schema, member, &child, errors),
            None => {
                if let Some(values) = schema.get("additionalProperties").filter(|s| s.is_object()) {
                    check(values, member, &child, errors);
                }
            }
        }
    }
    for required in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        if !members.contains_key(required) {
            errors.push(FieldError::required(path.child(required).as_str(), ""));
        }
    }
}

/// The failure of a junctor (allOf/anyOf/oneOf/not), which upstream
/// reports without a field path: `<nil>: Invalid value: "": "spec.x" must
/// validate ...`.
fn junctor_error(path: &Path, message: &str) -> FieldError {
    FieldError::invalid("<nil>", json!(""), format!("\"{}\" {message}", path.name()))
}

/// The errors of the branch that came closest to validating.
fn closest(results: Vec<Vec<FieldError>>) -> Vec<FieldError> {
    results.into_iter().min_by_key(Vec::len).unwrap_or_default()
}

fn check_composition(schema: &Value, value: &Value, path: &Path, errors: &mut Vec<FieldError>) {
    let branches = |key: &str| schema.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let all_of = branches("allOf");
    if !all_of.is_empty() {
        let results: Vec<Vec<FieldError>> = all_of.iter().map(|b| validate(b, value, path)).collect();
        let passed = results.iter().filter(|r| r.is_empty()).count();
        if passed < results.len() {
            errors.extend(results.into_iter().flatten());
            let none = if passed == 0 { ". None validated" } else { "" };
            errors.push(junctor_error(path, &format!("must validate all the schemas (allOf){none}")));
        }
    }
    let any_of = branches("anyOf");
    if !any_of.is_empty() {
        let results: Vec<Vec<FieldError>> = any_of.iter().map(|b| validate(b, value, path)).collect();
        if results.iter().all(|r| !r.is_empty()) {
            errors.extend(closest(results));
            errors.push(junctor_error(path, "must validate at least one schema (anyOf)"));
        }
    }
    let one_of = branches("oneOf");
    if !one_of.is_empty() {
        let results: Vec<Vec<FieldError>> = one_of.iter().map(|b| validate(b, value, path)).collect();
        match results.iter().filter(|r| r.is_empty()).count() {
            1 => {}
            0 => {
                errors.extend(closest(results));
                errors.push(junctor_error(path, "must validate one and only one schema (oneOf). Found none valid"));
            }
            n => errors.push(junctor_error(
                path,
                &format!("must validate one and only one schema (oneOf). Found {n} valid alternatives"),
            )),
        }
    }
    if let Some(not) = schema.get("not").filter(|n| n.is_object())
        && validate(not, value, path).is_empty()
    {
        errors.push(junctor_error(path, "must not validate the schema (not)"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(schema: Value, value: Value) -> Vec<String> {
        validate(&schema, &value, &Path::root().child("spec")).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn reports_types_as_kube_openapi_words_them() {
        let schema = json!({"type": "object", "properties": {"replicas": {"type": "integer"}}});
        assert_eq!(
            messages(schema, json!({"replicas": "two"})),
            [r#"spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string""#]
        );
    }

    #[test]
    fn checks_bounds_lengths_patterns_and_enums() {
        let schema = json!({"type": "object", "required": ["image"], "properties": {
            "replicas": {"type": "integer", "minimum": 1, "maximum": 10},
            "name": {"type": "string", "maxLength": 3, "pattern": "^[a-z]+$"},
            "mode": {"type": "string", "enum": ["a", "b"]},
            "tags": {"type": "array", "maxItems": 1, "items": {"type": "string"}},
        }});
        let found = messages(schema, json!({"replicas": 11, "name": "ABCD", "mode": "c", "tags": ["x", "y"]}));
        assert_eq!(
            found,
            [
                "spec.mode: Unsupported value: \"c\": supported values: \"a\", \"b\"",
                "spec.name: Too long: may not be more than 3 bytes",
                "spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10",
                "spec.tags: Too many: 2: must have at most 1 items",
                "spec.image: Required value",
            ]
        );
    }

    #[test]
    fn junctors_and_int_or_string_read_as_upstream() {
        let schema = json!({"type": "object", "properties": {
            "port": {"x-kubernetes-int-or-string": true},
            "mode": {"type": "string", "oneOf": [{"enum": ["a"]}, {"enum": ["b"]}]},
        }});
        assert_eq!(
            messages(schema, json!({"port": true, "mode": "c"})),
            [
                "spec.mode: Unsupported value: \"c\": supported values: \"a\"",
                "<nil>: Invalid value: \"\": \"spec.mode\" must validate one and only one schema (oneOf). Found none valid",
                "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\"",
            ]
        );
    }

    #[test]
    fn null_is_accepted_only_where_nullable() {
        let schema = json!({"type": "object", "properties": {
            "a": {"type": "string", "nullable": true},
            "b": {"type": "string"},
        }});
        assert_eq!(
            messages(schema, json!({"a": null, "b": null})),
            [r#"spec.b: Invalid value: "null": spec.b in body must be of type string: "null""#]
        );
    }
}
