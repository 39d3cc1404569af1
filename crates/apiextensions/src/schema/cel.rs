//! `x-kubernetes-validations`: CEL rules (with `oldSelf` transition rules,
//! messageExpression, reason and fieldPath) compiled once per CRD version
//! and evaluated by the kube-cel crate, their failures turned into field
//! errors as upstream's CEL validator words them.

use apimachinery::field::{ErrorKind, FieldError};
use kube_cel::{CompiledSchema, RootContext, Validator};
use serde_json::Value;

/// The compiled rules of one version's schema.
pub struct Rules {
    compiled: CompiledSchema,
    root: RootContext,
}

impl Rules {
    /// Compiles the rules of `schema`; `None` when it has none.
    pub fn compile(schema: &Value, api_version: &str, group: &str, kind: &str) -> Option<Self> {
        if !schema.to_string().contains("x-kubernetes-validations") {
            return None;
        }
        let root = RootContext { api_version: api_version.into(), api_group: group.into(), kind: kind.into() };
        Some(Rules { compiled: kube_cel::compile_schema(schema), root })
    }

    /// The errors of the rules for `object` (`old` is the stored object on
    /// an update, which transition rules compare with).
    pub fn validate(&self, object: &Value, old: Option<&Value>) -> Vec<FieldError> {
        thread_local! {
            static VALIDATOR: Validator = Validator::new();
        }
        let outcome =
            VALIDATOR.with(|v| v.validate_compiled_with_context(&self.compiled, object, old, Some(&self.root)));
        let Err(failures) = outcome else { return Vec::new() };
        failures
            .iter()
            .map(|failure| {
                let value = super::value_at(object, &failure.field_path).filter(|v| !v.is_object() && !v.is_array());
                let path = if failure.field_path.is_empty() { "<nil>".to_string() } else { failure.field_path.clone() };
                let detail = failure.message.clone();
                let kind = match failure.reason.as_deref() {
                    Some("FieldValueForbidden") => return FieldError::forbidden(path, detail),
                    Some("FieldValueRequired") => return FieldError::required(path, detail),
                    Some("FieldValueDuplicate") => ErrorKind::Duplicate,
                    _ => ErrorKind::Invalid,
                };
                FieldError { path, kind, value: value.cloned(), detail }
            })
            .collect()
    }
}
