//! Upstream's structural defaulting: a property missing from an object (or
//! null where the schema does not allow null) takes its schema's `default`,
//! and defaulting goes on inside every value, defaulted ones included. It
//! edits the object in place and says whether it changed anything, so that
//! reads of objects that need no defaults cost nothing.

use serde_json::Value;

fn non_nullable_null(value: &Value, schema: &Value) -> bool {
    value.is_null() && schema.get("nullable") != Some(&Value::Bool(true))
}

/// Applies the defaults of `schema` to `value`; returns whether it changed.
pub fn apply(schema: &Value, value: &mut Value) -> bool {
    let mut changed = false;
    match value {
        Value::Object(members) => {
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, property) in properties {
                    let Some(default) = property.get("default") else { continue };
                    if members.get(name).is_none_or(|v| non_nullable_null(v, property)) {
                        members.insert(name.clone(), default.clone());
                        changed = true;
                    }
                }
            }
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            for (name, member) in members.iter_mut() {
                match schema.get("properties").and_then(|p| p.get(name)) {
                    Some(property) => changed |= apply(property, member),
                    None => {
                        if let Some(additional) = additional {
                            if let Some(default) = additional.get("default")
                                && non_nullable_null(member, additional)
                            {
                                *member = default.clone();
                                changed = true;
                            }
                            changed |= apply(additional, member);
                        }
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items").filter(|i| i.is_object()) {
                for item in items.iter_mut() {
                    if let Some(default) = item_schema.get("default")
                        && non_nullable_null(item, item_schema)
                    {
                        *item = default.clone();
                        changed = true;
                    }
                    changed |= apply(item_schema, item);
                }
            }
        }
        _ => {}
    }
    changed
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn defaults_fill_missing_and_nested_fields() {
        let schema = json!({"type": "object", "properties": {
            "spec": {"type": "object", "default": {}, "properties": {
                "replicas": {"type": "integer", "default": 1},
                "ports": {"type": "array", "items": {"type": "object", "properties": {"protocol": {"type": "string", "default": "TCP"}}}},
            }},
        }});
        let mut object = json!({"metadata": {"name": "a"}});
        assert!(super::apply(&schema, &mut object));
        assert_eq!(object["spec"], json!({"replicas": 1}));
        let mut object = json!({"spec": {"replicas": 3, "ports": [{"port": 80}]}});
        assert!(super::apply(&schema, &mut object));
        assert_eq!(object["spec"], json!({"replicas": 3, "ports": [{"port": 80, "protocol": "TCP"}]}));
        assert!(!super::apply(&schema, &mut object), "nothing left to default");
    }
}
