//! Structural schemas: what a CRD version's openAPIV3Schema means for its
//! custom resources — defaults applied on write and on read, every OpenAPI
//! v3 construct validated ([`validate`]), list types ([`list_types`]), CEL
//! rules ([`cel`]), with upstream's ratcheting on updates — and the checks
//! that make a schema structural ([`structural`]) and what it publishes
//! ([`published`]).

pub mod cel;
pub mod defaults;
pub mod formats;
pub mod list_types;
pub mod published;
pub mod structural;
pub mod validate;

use apimachinery::field::{ErrorKind, FieldError};
use serde_json::Value;

use self::validate::Path;

/// One CRD version's schema, compiled for its custom resources.
pub struct VersionSchema {
    schema: Option<Value>,
    rules: Option<cel::Rules>,
    has_defaults: bool,
}

impl VersionSchema {
    /// The schema of `version` of the CRD whose group and kind are given;
    /// `None` accepts any object.
    pub fn new(schema: Option<&Value>, group: &str, version: &str, kind: &str) -> Self {
        let rules = schema.and_then(|s| cel::Rules::compile(s, &format!("{group}/{version}"), group, kind));
        let has_defaults = schema.is_some_and(|s| s.to_string().contains("\"default\""));
        VersionSchema { schema: schema.cloned(), rules, has_defaults }
    }

    /// Whether the schema defaults any field.
    pub fn has_defaults(&self) -> bool {
        self.has_defaults
    }

    /// Fills in the schema's defaults; returns whether anything changed.
    pub fn apply_defaults(&self, object: &mut Value) -> bool {
        match self.schema.as_ref().filter(|_| self.has_defaults) {
            Some(schema) => defaults::apply(schema, object),
            None => false,
        }
    }

    /// The errors of an object against the schema and its rules; on an
    /// update (`old` given), errors about values the update leaves as they
    /// were are dropped (upstream's ratcheting), and transition rules see
    /// `oldSelf`.
    pub fn validate(&self, object: &Value, old: Option<&Value>) -> Vec<FieldError> {
        let Some(schema) = &self.schema else { return Vec::new() };
        let mut errors = validate::validate(schema, object, &Path::root());
        let stops_rules = errors.iter().any(|e| {
            matches!(
                e.kind,
                ErrorKind::NotSupported(_)
                    | ErrorKind::Required
                    | ErrorKind::TooLong(_)
                    | ErrorKind::TooMany(..)
                    | ErrorKind::TypeInvalid
            )
        });
        match &self.rules {
            Some(_) if stops_rules => errors.push(FieldError::invalid(
                "<nil>",
                Value::Null,
                "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
            )),
            Some(rules) => errors.extend(rules.validate(object, old)),
            None => {}
        }
        if let Some(old) = old {
            errors.retain(|e| !unchanged(object, old, &e.path));
        }
        errors
    }
}

/// Whether the value at an error's path is the same in both objects.
fn unchanged(new: &Value, old: &Value, path: &str) -> bool {
    if path.is_empty() || path == "<nil>" {
        return new == old;
    }
    value_at(new, path) == value_at(old, path)
}

/// The value at a path such as `spec.items[0].name`.
pub(crate) fn value_at<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = object;
    for segment in path.split('.') {
        let (name, rest) = segment.split_once('[').map(|(n, r)| (n, Some(r))).unwrap_or((segment, None));
        if !name.is_empty() {
            current = current.get(name)?;
        }
        for index in rest.into_iter().flat_map(|r| r.split('[')) {
            current = current.get(index.trim_end_matches(']').parse::<usize>().ok()?)?;
        }
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> VersionSchema {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "replicas": {"type": "integer", "minimum": 0, "default": 1},
            "name": {"type": "string", "maxLength": 3},
        }}}});
        VersionSchema::new(Some(&schema), "stable.example.com", "v1", "CronTab")
    }

    #[test]
    fn defaults_fill_missing_fields() {
        let mut object = json!({"spec": {}});
        schema().apply_defaults(&mut object);
        assert_eq!(object["spec"]["replicas"], 1);
    }

    #[test]
    fn updates_ratchet_over_unchanged_invalid_values() {
        let old = json!({"spec": {"name": "toolong", "replicas": 1}});
        let new = json!({"spec": {"name": "toolong", "replicas": -1}});
        let errors: Vec<String> = schema().validate(&new, Some(&old)).iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            ["spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0"]
        );
        assert_eq!(schema().validate(&new, None).len(), 2);
    }
}
