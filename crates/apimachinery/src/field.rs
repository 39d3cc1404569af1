//! Field errors (upstream's `field.Error`): a path into the object, what is
//! wrong there, and upstream's wording, which clients and tests match on.

use std::fmt;

use serde_json::Value;

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// A value is missing.
    Required,
    /// A value is malformed.
    Invalid,
    /// A value is not among the supported ones.
    NotSupported(Vec<String>),
    /// A value repeats one that must be unique.
    Duplicate,
    /// A value may not be set or changed.
    Forbidden,
    /// A value is too long.
    TooLong(usize),
    /// A list or map has more items than allowed (actual, most allowed).
    TooMany(usize, usize),
    /// A value has the wrong type.
    TypeInvalid,
}

impl ErrorKind {
    /// Upstream's CauseType for the Status cause.
    pub fn reason(&self) -> &'static str {
        match self {
            ErrorKind::Required => "FieldValueRequired",
            ErrorKind::Invalid => "FieldValueInvalid",
            ErrorKind::NotSupported(_) => "FieldValueNotSupported",
            ErrorKind::Duplicate => "FieldValueDuplicate",
            ErrorKind::Forbidden => "FieldValueForbidden",
            ErrorKind::TooLong(_) => "FieldValueTooLong",
            ErrorKind::TooMany(..) => "FieldValueTooMany",
            ErrorKind::TypeInvalid => "FieldValueTypeInvalid",
        }
    }
}

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The path, e.g. `spec.containers[0].image`.
    pub path: String,
    /// What is wrong.
    pub kind: ErrorKind,
    /// The offending value, when upstream prints it.
    pub value: Option<Value>,
    /// Extra explanation.
    pub detail: String,
}

impl FieldError {
    /// The field must be set.
    pub fn required(path: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError { path: path.into(), kind: ErrorKind::Required, value: None, detail: detail.into() }
    }

    /// The value is malformed.
    pub fn invalid(path: impl Into<String>, value: Value, detail: impl Into<String>) -> Self {
        FieldError { path: path.into(), kind: ErrorKind::Invalid, value: Some(value), detail: detail.into() }
    }

    /// The value is not one of `supported`.
    pub fn not_supported(path: impl Into<String>, value: Value, supported: &[&str]) -> Self {
        let supported = supported.iter().map(|s| s.to_string()).collect();
        FieldError {
            path: path.into(),
            kind: ErrorKind::NotSupported(supported),
            value: Some(value),
            detail: String::new(),
        }
    }

    /// The value repeats another.
    pub fn duplicate(path: impl Into<String>, value: Value) -> Self {
        FieldError { path: path.into(), kind: ErrorKind::Duplicate, value: Some(value), detail: String::new() }
    }

    /// The field may not be set (or changed).
    pub fn forbidden(path: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError { path: path.into(), kind: ErrorKind::Forbidden, value: None, detail: detail.into() }
    }

    /// The value is longer than `max`.
    pub fn too_long(path: impl Into<String>, max: usize) -> Self {
        FieldError { path: path.into(), kind: ErrorKind::TooLong(max), value: None, detail: String::new() }
    }

    /// More items than `max`.
    pub fn too_many(path: impl Into<String>, actual: usize, max: usize) -> Self {
        FieldError { path: path.into(), kind: ErrorKind::TooMany(actual, max), value: None, detail: String::new() }
    }

    /// The value has the wrong type; `detail` says which was expected.
    pub fn type_invalid(path: impl Into<String>, value: Value, detail: impl Into<String>) -> Self {
        FieldError { path: path.into(), kind: ErrorKind::TypeInvalid, value: Some(value), detail: detail.into() }
    }

    /// The error without its path: `Invalid value: "x": detail`.
    pub fn body(&self) -> String {
        let value = self.value.as_ref().map(render_value);
        let mut out = match &self.kind {
            ErrorKind::Required => "Required value".to_string(),
            ErrorKind::Invalid | ErrorKind::TypeInvalid => match value {
                Some(value) => format!("Invalid value: {value}"),
                None => "Invalid value".to_string(),
            },
            ErrorKind::NotSupported(supported) => {
                let listed = supported.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
                format!("Unsupported value: {}: supported values: {listed}", value.unwrap_or_default())
            }
            ErrorKind::Duplicate => match value {
                Some(value) => format!("Duplicate value: {value}"),
                None => "Duplicate value".to_string(),
            },
            ErrorKind::Forbidden => "Forbidden".to_string(),
            ErrorKind::TooLong(max) => format!("Too long: may not be more than {max} bytes"),
            ErrorKind::TooMany(actual, max) => format!("Too many: {actual}: must have at most {max} items"),
        };
        if !self.detail.is_empty() {
            out.push_str(": ");
            out.push_str(&self.detail);
        }
        out
    }
}

/// Values are printed as upstream prints them: strings quoted, numbers and
/// booleans bare, string maps and lists as Go's `%#v` writes them
/// (`map[string]string{"app":"web"}`, `[]string{"a", "b"}`).
fn render_value(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        Value::Null => "null".to_string(),
        Value::Object(map) if map.values().all(Value::is_string) => {
            let mut pairs: Vec<String> =
                map.iter().map(|(k, v)| format!("{k:?}:{:?}", v.as_str().unwrap_or_default())).collect();
            pairs.sort();
            format!("map[string]string{{{}}}", pairs.join(", "))
        }
        Value::Array(items) if items.iter().all(Value::is_string) => {
            let items: Vec<String> = items.iter().map(|v| format!("{:?}", v.as_str().unwrap_or_default())).collect();
            format!("[]string{{{}}}", items.join(", "))
        }
        other => other.to_string(),
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.body())
    }
}
