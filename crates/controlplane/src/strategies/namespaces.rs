//! Namespaces: phase in status, names are RFC 1123 labels.

use apimachinery::validation::NameRule;
use apiserver::registry::Strategy;
use apiserver::registry::table::{Column, Columns, TableConvertor};
use serde_json::{Value, json};

use super::text;

/// The namespace strategy.
pub struct NamespaceStrategy {
    table: Columns<fn(&Value) -> Vec<Value>>,
}

impl Default for NamespaceStrategy {
    fn default() -> Self {
        NamespaceStrategy {
            table: Columns {
                columns: vec![Column::new("Status", "string", "The status of the namespace")],
                cells: |ns| vec![json!(text(ns, &["status", "phase"]))],
            },
        }
    }
}

impl Strategy for NamespaceStrategy {
    fn name_rule(&self) -> NameRule {
        NameRule::Label
    }

    fn prepare_for_create(&self, object: &mut Value) {
        object["status"] = json!({"phase": "Active"});
        object["spec"] = json!({"finalizers": ["kubernetes"]});
        let name = object["metadata"]["name"].as_str().unwrap_or_default().to_string();
        if !name.is_empty() {
            let labels = object["metadata"].as_object_mut().map(|m| m.entry("labels").or_insert_with(|| json!({})));
            if let Some(labels) = labels.and_then(Value::as_object_mut) {
                labels.insert("kubernetes.io/metadata.name".into(), json!(name));
            }
        }
    }

    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        if let Some(labels) = new["metadata"]
            .as_object_mut()
            .map(|m| m.entry("labels").or_insert_with(|| json!({})))
            .and_then(Value::as_object_mut)
        {
            labels.insert("kubernetes.io/metadata.name".into(), old["metadata"]["name"].clone());
        }
    }

    fn deletion_blocked(&self, namespace: &Value) -> bool {
        namespace["spec"]["finalizers"].as_array().is_some_and(|f| !f.is_empty())
    }

    fn prepare_for_delete(&self, namespace: &mut Value) {
        namespace["status"]["phase"] = json!("Terminating");
    }

    fn selectable_fields(&self, object: &Value) -> Vec<(String, String)> {
        vec![("status.phase".into(), text(object, &["status", "phase"]).to_string())]
    }

    fn table(&self) -> &dyn TableConvertor {
        &self.table
    }
}
