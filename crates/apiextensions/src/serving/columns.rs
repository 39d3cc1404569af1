//! The Table of a custom resource (upstream's CRD table convertor): Name,
//! then each additionalPrinterColumn in the CRD's order, each cell read with
//! its JSONPath; a version without columns shows Name and Age.

use std::borrow::Cow;
use std::time::SystemTime;

use apiserver::registry::table::{Column, NAME, TableConvertor, human_duration, parse_rfc3339};
use serde_json::{Value, json};
use serde_json_path::JsonPath;

const CREATION_TIMESTAMP_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// One printer column and the path its cells come from.
struct PrinterColumn {
    column: Column,
    path: Option<JsonPath>,
}

/// The columns of one CRD version.
pub struct PrinterColumns {
    columns: Vec<PrinterColumn>,
}

/// A Kubernetes JSONPath (`.spec.replicas`, `.status.conditions[?(@.type=="Ready")].status`)
/// in RFC 9535 form.
fn compile(path: &str) -> Option<JsonPath> {
    let trimmed = path.trim().trim_start_matches('{').trim_end_matches('}');
    JsonPath::parse(&format!("${}", trimmed.trim_start_matches('$'))).ok()
}

impl PrinterColumns {
    /// The columns of a CRD version's `additionalPrinterColumns`.
    pub fn new(definitions: &[Value]) -> Self {
        let mut columns: Vec<PrinterColumn> = definitions
            .iter()
            .map(|d| {
                let path = d["jsonPath"].as_str().unwrap_or_default();
                let description = match d["description"].as_str().filter(|s| !s.is_empty()) {
                    Some(text) => text.to_string(),
                    None => format!("Custom resource definition column (in JSONPath format): {path}"),
                };
                PrinterColumn {
                    column: Column {
                        name: Cow::Owned(d["name"].as_str().unwrap_or_default().to_string()),
                        column_type: Cow::Owned(d["type"].as_str().unwrap_or("string").to_string()),
                        format: Cow::Owned(d["format"].as_str().unwrap_or_default().to_string()),
                        priority: d["priority"].as_i64().unwrap_or(0),
                        description: Cow::Owned(description),
                    },
                    path: compile(path),
                }
            })
            .collect();
        if columns.is_empty() {
            columns.push(PrinterColumn {
                column: Column::new("Age", "date", CREATION_TIMESTAMP_DESCRIPTION),
                path: compile(".metadata.creationTimestamp"),
            });
        }
        PrinterColumns { columns }
    }
}

/// A value as kubectl's JSONPath printer writes it.
fn printed(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One cell: the value as the column's type, or null when it is missing or
/// of another type.
fn cell(column: &PrinterColumn, object: &Value) -> Value {
    let Some(path) = &column.path else { return Value::Null };
    let found = path.query(object).all();
    let Some(first) = found.first() else { return Value::Null };
    match column.column.column_type.as_ref() {
        "string" => json!(found.iter().map(|v| printed(v)).collect::<Vec<_>>().join(" ")),
        "integer" => first.as_i64().or_else(|| first.as_f64().map(|f| f as i64)).map_or(Value::Null, |n| json!(n)),
        "number" => first.as_f64().map_or(Value::Null, |n| json!(n)),
        "boolean" => first.as_bool().map_or(Value::Null, |b| json!(b)),
        "date" => match first.as_str().map(parse_rfc3339) {
            Some(Some(time)) => {
                json!(human_duration(SystemTime::now().duration_since(time).unwrap_or_default()))
            }
            Some(None) => json!("<invalid>"),
            None => Value::Null,
        },
        _ => Value::Null,
    }
}

impl TableConvertor for PrinterColumns {
    fn columns(&self) -> Vec<Column> {
        std::iter::once(NAME).chain(self.columns.iter().map(|c| c.column.clone())).collect()
    }

    fn cells(&self, object: &Value) -> Vec<Value> {
        let name = object["metadata"]["name"].clone();
        std::iter::once(name).chain(self.columns.iter().map(|c| cell(c, object))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_follow_the_columns_json_paths() {
        let columns = PrinterColumns::new(&[
            json!({"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"}),
            json!({"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"}),
            json!({"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"}),
            json!({"name": "Missing", "type": "string", "jsonPath": ".spec.nothing"}),
        ]);
        let object = json!({"metadata": {"name": "a"}, "spec": {"cronSpec": "* * * * */5", "replicas": 3},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(columns.cells(&object), [json!("a"), json!("* * * * */5"), json!(3), json!("True"), Value::Null]);
        let names: Vec<String> = columns.columns().iter().map(|c| c.name.to_string()).collect();
        assert_eq!(names, ["Name", "Spec", "Replicas", "Ready", "Missing"]);
    }

    #[test]
    fn without_columns_the_table_is_name_and_age() {
        let names: Vec<String> = PrinterColumns::new(&[]).columns().iter().map(|c| c.name.to_string()).collect();
        assert_eq!(names, ["Name", "Age"]);
    }
}
