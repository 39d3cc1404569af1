//! The OpenAPI schema a CRD version publishes (upstream's openapi builder):
//! the structural schema with `apiVersion`, `kind` and `metadata` (a
//! reference to ObjectMeta) at the root and in every embedded resource,
//! named `<reversed group>.<version>.<Kind>`; and for the Swagger 2.0
//! document the same without what v2 cannot say (allOf/anyOf/oneOf/not,
//! nullable, the insides of preserve-unknown-fields nodes). The registry
//! prunes unknown fields by the same schema, so what kubectl explains is
//! what the server keeps.

use std::sync::{Arc, OnceLock};

use apiserver::openapi::{self, KindSchemas};
use apiserver::resource::schema_of;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Map, Value, json};

const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

const API_VERSION_DESCRIPTION: &str = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const KIND_DESCRIPTION: &str = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
const METADATA_DESCRIPTION: &str = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const EMBEDDED_API_VERSION_DESCRIPTION: &str = "apiVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const EMBEDDED_KIND_DESCRIPTION: &str = "kind is a string value representing the type of this object. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

/// The definition name upstream gives a custom kind:
/// `com.example.stable.v1.CronTab` for stable.example.com/v1 CronTab.
pub fn model_name(group: &str, version: &str, kind: &str) -> String {
    let reversed: Vec<&str> = group.split('.').rev().collect();
    format!("{}.{version}.{kind}", reversed.join("."))
}

/// ObjectMeta's schema and those it references, generated once.
fn object_meta_components() -> &'static Map<String, Value> {
    static COMPONENTS: OnceLock<Map<String, Value>> = OnceLock::new();
    COMPONENTS.get_or_init(|| openapi::generate(schema_of::<ObjectMeta>).map(|(_, c)| c).unwrap_or_default())
}

fn metadata_reference() -> Value {
    json!({"allOf": [{"$ref": format!("#/components/schemas/{OBJECT_META}")}], "description": METADATA_DESCRIPTION})
}

/// What one CRD version publishes about its kind.
pub struct Published<'a> {
    /// The group.
    pub group: &'a str,
    /// The version.
    pub version: &'a str,
    /// The kind.
    pub kind: &'a str,
    /// The version's openAPIV3Schema (`None`: any object).
    pub schema: Option<&'a Value>,
    /// The JSON paths of its selectable fields.
    pub selectable_fields: Vec<String>,
}

impl Published<'_> {
    /// The schemas, for the OpenAPI documents and for pruning.
    pub fn build(&self) -> Arc<KindSchemas> {
        let root = model_name(self.group, self.version, self.kind);
        let mut kind_schema = match self.schema {
            Some(schema) => {
                let mut schema = schema.clone();
                add_embedded_meta(&mut schema);
                schema
            }
            None => json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
        };
        if !kind_schema["properties"].is_object() {
            kind_schema["properties"] = json!({});
        }
        let properties = &mut kind_schema["properties"];
        properties["apiVersion"] = json!({"type": "string", "description": API_VERSION_DESCRIPTION});
        properties["kind"] = json!({"type": "string", "description": KIND_DESCRIPTION});
        properties["metadata"] = metadata_reference();
        kind_schema["x-kubernetes-group-version-kind"] =
            json!([{"group": self.group, "version": self.version, "kind": self.kind}]);
        if !self.selectable_fields.is_empty() {
            kind_schema["x-kubernetes-selectable-fields"] =
                self.selectable_fields.iter().map(|path| json!({"fieldPath": path.trim_start_matches('.')})).collect();
        }
        let mut v2_schema = kind_schema.clone();
        to_v2(&mut v2_schema);
        v2_schema["properties"]["metadata"] = metadata_reference();
        let mut components = object_meta_components().clone();
        let mut v2_components = components.clone();
        components.insert(root.clone(), kind_schema);
        v2_components.insert(root.clone(), v2_schema);
        Arc::new(KindSchemas { root, components, v2_components: Some(v2_components) })
    }
}

/// Gives every `x-kubernetes-embedded-resource` object its apiVersion, kind
/// and metadata, as upstream's builder does.
fn add_embedded_meta(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else { return };
    if map.get("x-kubernetes-embedded-resource") == Some(&Value::Bool(true)) {
        let properties = map.entry("properties").or_insert_with(|| json!({}));
        properties["apiVersion"] = json!({"type": "string", "description": EMBEDDED_API_VERSION_DESCRIPTION});
        properties["kind"] = json!({"type": "string", "description": EMBEDDED_KIND_DESCRIPTION});
        properties["metadata"] = metadata_reference();
        let required = map.entry("required").or_insert_with(|| json!([]));
        if let Some(list) = required.as_array_mut() {
            for field in ["kind", "apiVersion"] {
                if !list.iter().any(|r| r == field) {
                    list.push(json!(field));
                }
            }
        }
    }
    for_each_child(map, add_embedded_meta);
}

fn for_each_child(map: &mut Map<String, Value>, visit: fn(&mut Value)) {
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        properties.values_mut().for_each(visit);
    }
    if let Some(items) = map.get_mut("items") {
        visit(items);
    }
    if let Some(additional) = map.get_mut("additionalProperties").filter(|a| a.is_object()) {
        visit(additional);
    }
}

/// Upstream's ToStructuralOpenAPIV2: drops the junctors, turns nullable
/// nodes and preserve-unknown-fields nodes into untyped ones, and arrays
/// without items lose their type.
fn to_v2(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else { return };
    for key in ["allOf", "anyOf", "oneOf", "not"] {
        map.remove(key);
    }
    for_each_child(map, to_v2);
    if map.get("nullable") == Some(&Value::Bool(true)) {
        map.remove("type");
        map.remove("items");
        map.remove("properties");
        map.insert("nullable".into(), json!(false));
    }
    if map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
        map.remove("items");
        map.remove("properties");
        if map.get("type") == Some(&json!("object")) {
            map.remove("type");
        }
    }
    if map.get("type") == Some(&json!("array")) && !map.contains_key("items") {
        map.remove("type");
    }
    let nullable: Vec<String> = map
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, p)| p.get("nullable") == Some(&Value::Bool(false)) && p.get("type").is_none())
        .map(|(name, _)| name.clone())
        .collect();
    if let Some(Value::Array(required)) = map.get_mut("required") {
        required.retain(|r| !nullable.iter().any(|n| r == n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_kinds_by_the_reversed_group() {
        assert_eq!(model_name("stable.example.com", "v1", "CronTab"), "com.example.stable.v1.CronTab");
    }

    #[test]
    fn the_root_gets_type_meta_and_v2_loses_junctors() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object",
            "properties": {"port": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]}}}}});
        let published = Published {
            group: "stable.example.com",
            version: "v1",
            kind: "CronTab",
            schema: Some(&schema),
            selectable_fields: vec![],
        }
        .build();
        let v3 = &published.components["com.example.stable.v1.CronTab"];
        assert_eq!(v3["properties"]["kind"]["type"], "string");
        assert!(v3["properties"]["spec"]["properties"]["port"]["anyOf"].is_array());
        let v2 = &published.v2_components.as_ref().unwrap()["com.example.stable.v1.CronTab"];
        assert!(v2["properties"]["spec"]["properties"]["port"].get("anyOf").is_none());
        assert!(published.components.contains_key(OBJECT_META));
    }
}
