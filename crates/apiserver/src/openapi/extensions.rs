//! Upstream's OpenAPI extensions of the built-in types
//! (`x-kubernetes-list-type`, `-list-map-keys`, `-map-type`,
//! `-patch-strategy`, `-patch-merge-key`), from `extensions.txt`, derived
//! by `scripts/derive-openapi-extensions.py`. The schemas kubectl reads
//! carry them, and strategic merge patch follows them.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

const TABLE: &str = include_str!("extensions.txt");

type Extensions = Vec<(&'static str, &'static str)>;

struct Table {
    definitions: HashMap<&'static str, Extensions>,
    properties: HashMap<(&'static str, &'static str), Extensions>,
}

fn parse(spec: &'static str) -> Extensions {
    spec.split(';').filter_map(|kv| kv.split_once('=')).collect()
}

fn table() -> &'static Table {
    static TABLE_PARSED: OnceLock<Table> = OnceLock::new();
    TABLE_PARSED.get_or_init(|| {
        let mut definitions = HashMap::new();
        let mut properties = HashMap::new();
        for line in TABLE.lines() {
            match line.split(' ').collect::<Vec<_>>()[..] {
                ["D", definition, spec] => {
                    definitions.insert(definition, parse(spec));
                }
                ["P", definition, property, spec] => {
                    properties.insert((definition, property), parse(spec));
                }
                _ => {}
            }
        }
        Table { definitions, properties }
    })
}

fn extend(schema: &mut Value, extensions: &Extensions) {
    let Some(map) = schema.as_object_mut() else { return };
    for (key, value) in extensions {
        let rendered = if *key == "list-map-keys" { json!(value.split(',').collect::<Vec<_>>()) } else { json!(value) };
        map.insert(format!("x-kubernetes-{key}"), rendered);
    }
}

/// Adds the extensions to every schema in `components` that upstream
/// extends.
pub fn apply(components: &mut Map<String, Value>) {
    let table = table();
    for (name, schema) in components.iter_mut() {
        if let Some(extensions) = table.definitions.get(name.as_str()) {
            extend(schema, extensions);
        }
        if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
            for (property, property_schema) in properties.iter_mut() {
                if let Some(extensions) = table.properties.get(&(name.as_str(), property.as_str())) {
                    extend(property_schema, extensions);
                }
            }
        }
    }
}
