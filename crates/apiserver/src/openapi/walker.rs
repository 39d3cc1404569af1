//! Strategic merge patch guided by a kind's OpenAPI schema: the list
//! strategy of each field comes from `x-kubernetes-patch-strategy` and
//! `x-kubernetes-patch-merge-key`, found by walking the schema along the
//! patched path.

use apimachinery::strategic_merge::{ListStrategy, PatchSchema};
use serde_json::Value;

use super::KindSchemas;

impl KindSchemas {
    /// Follows `$ref` (directly or through a one-element `allOf`) to the
    /// schema it names.
    pub fn resolve_schema<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let mut current = schema;
        for _ in 0..8 {
            let reference =
                current.get("$ref").or_else(|| current.get("allOf").and_then(|a| a.get(0)).and_then(|s| s.get("$ref")));
            match reference
                .and_then(Value::as_str)
                .and_then(|r| r.rsplit('/').next())
                .and_then(|name| self.components.get(name))
            {
                Some(next) => current = next,
                None => break,
            }
        }
        current
    }

    /// The schema of the field at `path` (field names from the root),
    /// stepping into list items.
    pub fn field(&self, path: &[String]) -> Option<&Value> {
        let mut schema = self.components.get(&self.root)?;
        for (i, name) in path.iter().enumerate() {
            let object = self.resolve_schema(schema);
            let object = match object.get("items") {
                Some(items) if object.get("properties").is_none() => self.resolve_schema(items),
                _ => object,
            };
            let property = object
                .get("properties")
                .and_then(|p| p.get(name))
                .or_else(|| object.get("additionalProperties").filter(|a| a.is_object()))?;
            if i + 1 == path.len() {
                return Some(property);
            }
            schema = property;
        }
        None
    }
}

impl PatchSchema for KindSchemas {
    fn list_strategy(&self, path: &[String]) -> ListStrategy {
        let Some(field) = self.field(path) else { return ListStrategy::Replace };
        let strategy = field.get("x-kubernetes-patch-strategy").and_then(Value::as_str).unwrap_or_default();
        if !strategy.split(',').any(|s| s == "merge") {
            return ListStrategy::Replace;
        }
        ListStrategy::Merge(field.get("x-kubernetes-patch-merge-key").and_then(Value::as_str).map(str::to_string))
    }
}
