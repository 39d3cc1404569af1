//! The strategy of one served version of a custom resource (upstream's
//! customResourceStrategy): defaults, schema and rule validation with
//! ratcheting, the scale paths' values, selectable fields, the printer
//! columns, and no creates while the CRD is terminating.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use apimachinery::field::FieldError;
use apimachinery::{ApiError, GroupResource};
use apiserver::registry::Strategy;
use apiserver::registry::table::TableConvertor;
use apiserver::resource::ScalePaths;
use async_trait::async_trait;
use serde_json::{Value, json};

use super::columns::PrinterColumns;
use crate::schema::VersionSchema;

/// The behaviour of custom resources of one CRD version.
pub struct CustomResourceStrategy {
    /// The version's schema.
    pub schema: Arc<VersionSchema>,
    /// Its `kubectl get` columns.
    pub columns: PrinterColumns,
    /// The JSON paths of its selectable fields (`.spec.color`).
    pub selectable_fields: Vec<String>,
    /// Where the scale subresource finds its replicas.
    pub scale: Option<ScalePaths>,
    /// The resource, for errors.
    pub resource: GroupResource,
    /// Raised when the CRD starts terminating.
    pub terminating: Arc<AtomicBool>,
}

/// The value at a JSON path of the simple kind CRDs use (`.spec.replicas`).
pub fn at_path<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    path.trim_start_matches('.').split('.').try_fold(object, |value, key| value.get(key))
}

/// A field's value as field selectors compare it.
fn selector_value(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

impl CustomResourceStrategy {
    /// Upstream's checks of the values the scale subresource reads.
    fn scale_errors(&self, object: &Value) -> Vec<FieldError> {
        let Some(scale) = &self.scale else { return Vec::new() };
        let mut errors = Vec::new();
        for path in [&scale.spec_replicas, &scale.status_replicas] {
            let dotted = format!(".{}", path.trim_start_matches('.'));
            match at_path(object, path) {
                None | Some(Value::Null) => {}
                Some(Value::Number(n)) if n.as_i64().is_some_and(|r| r < 0) => {
                    errors.push(FieldError::invalid(dotted, json!(n), "should be a non-negative integer"));
                }
                Some(Value::Number(n)) if n.as_i64().is_some_and(|r| r > i64::from(i32::MAX)) => {
                    errors.push(FieldError::invalid(dotted, json!(n), "should be less than or equal to 2147483647"));
                }
                Some(Value::Number(n)) if n.as_i64().is_some() => {}
                Some(other) => {
                    let type_name = crate::schema::validate::type_name(other);
                    let shown = other.as_str().map(str::to_string).unwrap_or_else(|| other.to_string());
                    errors.push(FieldError::invalid(
                        dotted.clone(),
                        json!(0),
                        format!("{dotted} accessor error: {shown} is of the type {type_name}, expected int64"),
                    ));
                }
            }
        }
        errors
    }
}

#[async_trait]
impl Strategy for CustomResourceStrategy {
    fn prepare_for_create(&self, object: &mut Value) {
        self.schema.apply_defaults(object);
    }

    fn prepare_for_update(&self, new: &mut Value, _old: &Value) {
        self.schema.apply_defaults(new);
    }

    fn validate(&self, object: &Value) -> Vec<FieldError> {
        let mut errors = self.schema.validate(object, None);
        errors.extend(self.scale_errors(object));
        errors
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = self.schema.validate(new, Some(old));
        errors.extend(self.scale_errors(new));
        errors
    }

    fn selectable_fields(&self, object: &Value) -> Vec<(String, String)> {
        self.selectable_fields
            .iter()
            .map(|path| (path.trim_start_matches('.').to_string(), selector_value(at_path(object, path))))
            .collect()
    }

    fn table(&self) -> &dyn TableConvertor {
        &self.columns
    }

    async fn before_create(&self, object: &mut Value, _dry_run: bool) -> Result<(), ApiError> {
        if self.terminating.load(Ordering::SeqCst) {
            let name = object["metadata"]["name"].as_str().unwrap_or_default();
            return Err(ApiError::forbidden(
                &self.resource,
                name,
                "create not allowed while custom resource definition is terminating",
            ));
        }
        Ok(())
    }

    fn tracks_generation(&self) -> bool {
        true
    }
}
