//! Objects read through their schema, as structured-merge-diff reads typed
//! values: which fields an object sets, the value at a path, how an applied
//! configuration merges into a live object, and removing a field. A node's
//! shape comes from the schema: structs and granular maps merge field by
//! field, `x-kubernetes-map-type: atomic` maps and lists without a list type
//! are replaced whole, `set` lists merge by value and `map` lists by their
//! `x-kubernetes-list-map-keys`. Without a schema, objects are granular and
//! lists atomic.

use serde_json::{Map, Value};

use super::fieldpath::{Element, Path, Set};
use crate::openapi::KindSchemas;

/// Merges the items of a live list and an applied one as
/// structured-merge-diff orders them: items only the live list has stay
/// where they are, the applied items keep the applied order, and an item in
/// both is merged where the applied order puts it.
fn interleave(
    live: &Value,
    applied: &Value,
    identity: impl Fn(&Value) -> Element,
    merge: impl Fn(Option<&Value>, &Value) -> Value,
) -> Vec<Value> {
    let lhs: Vec<&Value> = live.as_array().into_iter().flatten().collect();
    let rhs: Vec<&Value> = applied.as_array().into_iter().flatten().collect();
    let lhs_ids: Vec<Element> = lhs.iter().map(|v| identity(v)).collect();
    let rhs_ids: Vec<Element> = rhs.iter().map(|v| identity(v)).collect();
    let live_item = |id: &Element| lhs_ids.iter().position(|l| l == id).map(|i| lhs[i]);
    let mut shared = rhs_ids.iter().filter(|id| lhs_ids.contains(id));
    let mut next_shared = shared.next();
    let mut out = Vec::with_capacity(lhs.len().max(rhs.len()));
    let (mut l, mut r) = (0, 0);
    while l < lhs.len() || r < rhs.len() {
        if l < lhs.len() && r < rhs.len() {
            if lhs_ids[l] == rhs_ids[r] {
                out.push(merge(Some(lhs[l]), rhs[r]));
                l += 1;
                r += 1;
                next_shared = shared.next();
                continue;
            }
            if rhs_ids.contains(&lhs_ids[l]) && next_shared.is_some_and(|n| *n != lhs_ids[l]) {
                l += 1;
                continue;
            }
        }
        if l < lhs.len() && !rhs_ids.contains(&lhs_ids[l]) {
            out.push(lhs[l].clone());
            l += 1;
            continue;
        }
        if r < rhs.len() {
            out.push(merge(live_item(&rhs_ids[r]), rhs[r]));
            if next_shared == Some(&rhs_ids[r]) {
                next_shared = shared.next();
            }
            r += 1;
            continue;
        }
        l += 1;
    }
    out
}

/// The merge shape of one node.
enum Shape<'a> {
    /// Fields merge one by one; `children` gives each field's schema.
    Granular { properties: Option<&'a Map<String, Value>>, values: Option<&'a Value>, map: bool },
    /// Replaced whole.
    Atomic,
    /// Items are identified by their value.
    Set,
    /// Items are identified by these key fields.
    Associative { keys: Vec<String>, items: Option<&'a Value> },
}

/// A kind's schema as the field manager reads it.
#[derive(Clone, Copy)]
pub struct Typed<'a> {
    schemas: Option<&'a KindSchemas>,
}

impl<'a> Typed<'a> {
    /// Objects of the kind these schemas describe; `None` for kinds without
    /// a schema.
    pub fn new(schemas: Option<&'a KindSchemas>) -> Self {
        Typed { schemas }
    }

    /// The schema of the whole object.
    pub fn root(&self) -> Option<&'a Value> {
        let schemas = self.schemas?;
        schemas.components.get(&schemas.root)
    }

    fn resolve(&self, node: &'a Value) -> &'a Value {
        match self.schemas {
            Some(schemas) => schemas.resolve_schema(node),
            None => node,
        }
    }

    fn shape(&self, node: Option<&'a Value>, value: &Value) -> Shape<'a> {
        let Some(node) = node else {
            return if value.is_object() {
                Shape::Granular { properties: None, values: None, map: true }
            } else {
                Shape::Atomic
            };
        };
        let resolved = self.resolve(node);
        let extension = |key: &str| node.get(key).or_else(|| resolved.get(key)).and_then(Value::as_str);
        if value.is_array() {
            let items = resolved.get("items");
            return match extension("x-kubernetes-list-type") {
                Some("set") => Shape::Set,
                Some("map") => {
                    let keys = node
                        .get("x-kubernetes-list-map-keys")
                        .or_else(|| resolved.get("x-kubernetes-list-map-keys"))
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect();
                    Shape::Associative { keys, items }
                }
                _ => Shape::Atomic,
            };
        }
        if !value.is_object() || extension("x-kubernetes-map-type") == Some("atomic") {
            return Shape::Atomic;
        }
        let properties = resolved.get("properties").and_then(Value::as_object);
        let values = resolved.get("additionalProperties").filter(|a| a.is_object());
        Shape::Granular { properties, values, map: properties.is_none() }
    }

    fn child(properties: Option<&'a Map<String, Value>>, values: Option<&'a Value>, name: &str) -> Option<&'a Value> {
        properties.and_then(|p| p.get(name)).or(values)
    }

    /// Every path the object sets.
    pub fn fields(&self, value: &Value) -> Set {
        let mut set = Set::default();
        self.walk(value, self.root(), &mut Vec::new(), &mut set);
        set
    }

    fn walk(&self, value: &Value, node: Option<&'a Value>, path: &mut Path, set: &mut Set) {
        match self.shape(node, value) {
            Shape::Atomic => set.insert(path),
            Shape::Granular { properties, values, map } => {
                let members = value.as_object().filter(|m| !m.is_empty());
                let Some(members) = members else {
                    set.insert(path);
                    return;
                };
                if map && !path.is_empty() {
                    set.insert(path);
                }
                for (name, child) in members {
                    path.push(Element::Field(name.clone()));
                    match child {
                        Value::Null => set.insert(path),
                        _ => self.walk(child, Self::child(properties, values, name), path, set),
                    }
                    path.pop();
                }
            }
            Shape::Set => {
                for item in value.as_array().into_iter().flatten() {
                    path.push(Element::Value(item.to_string()));
                    set.insert(path);
                    path.pop();
                }
            }
            Shape::Associative { keys, items } => {
                for item in value.as_array().into_iter().flatten() {
                    path.push(Element::key_of(item, &keys));
                    set.insert(path);
                    self.walk(item, items, path, set);
                    path.pop();
                }
            }
        }
    }

    /// The value at a path.
    pub fn value_at<'v>(&self, value: &'v Value, path: &[Element]) -> Option<&'v Value> {
        let mut current = value;
        for element in path {
            current = match element {
                Element::Field(name) => current.get(name)?,
                Element::Index(i) => current.get(*i)?,
                Element::Value(text) => {
                    let wanted: Value = serde_json::from_str(text).ok()?;
                    current.as_array()?.iter().find(|item| **item == wanted)?
                }
                Element::Key(keys) => {
                    let keys: Map<String, Value> = serde_json::from_str(keys).ok()?;
                    current.as_array()?.iter().find(|item| keys.iter().all(|(k, v)| item.get(k) == Some(v)))?
                }
            };
        }
        Some(current)
    }

    /// The live object with the applied configuration merged in.
    pub fn merge(&self, live: &Value, applied: &Value) -> Value {
        self.merge_node(live, applied, self.root())
    }

    fn merge_node(&self, live: &Value, applied: &Value, node: Option<&'a Value>) -> Value {
        match self.shape(node, applied) {
            Shape::Atomic => applied.clone(),
            Shape::Granular { properties, values, .. } => {
                let mut merged = live.as_object().cloned().unwrap_or_default();
                for (name, value) in applied.as_object().into_iter().flatten() {
                    let next = match merged.get(name) {
                        Some(current) if !value.is_null() => {
                            self.merge_node(current, value, Self::child(properties, values, name))
                        }
                        _ => value.clone(),
                    };
                    merged.insert(name.clone(), next);
                }
                Value::Object(merged)
            }
            Shape::Set => {
                let identity = |item: &Value| Element::Value(item.to_string());
                Value::Array(interleave(live, applied, identity, |_, applied_item| applied_item.clone()))
            }
            Shape::Associative { keys, items } => {
                let identity = |item: &Value| Element::key_of(item, &keys);
                Value::Array(interleave(live, applied, identity, |live_item, applied_item| match live_item {
                    Some(live_item) => self.merge_node(live_item, applied_item, items),
                    None => applied_item.clone(),
                }))
            }
        }
    }

    /// Removes the node at `path`, if present.
    pub fn remove(&self, object: &mut Value, path: &[Element]) {
        let Some((last, parent_path)) = path.split_last() else { return };
        let Some(parent) = self.value_at_mut(object, parent_path) else { return };
        match (last, parent) {
            (Element::Field(name), Value::Object(map)) => {
                map.remove(name);
            }
            (Element::Value(text), Value::Array(items)) => {
                if let Ok(wanted) = serde_json::from_str::<Value>(text) {
                    items.retain(|item| *item != wanted);
                }
            }
            (Element::Key(keys), Value::Array(items)) => {
                let keys: Map<String, Value> = serde_json::from_str(keys).unwrap_or_default();
                items.retain(|item| !keys.iter().all(|(k, v)| item.get(k) == Some(v)));
            }
            _ => {}
        }
    }

    fn value_at_mut<'v>(&self, value: &'v mut Value, path: &[Element]) -> Option<&'v mut Value> {
        let mut current = value;
        for element in path {
            current = match element {
                Element::Field(name) => current.get_mut(name)?,
                Element::Index(i) => current.get_mut(*i)?,
                Element::Value(text) => {
                    let wanted: Value = serde_json::from_str(text).ok()?;
                    current.as_array_mut()?.iter_mut().find(|item| **item == wanted)?
                }
                Element::Key(keys) => {
                    let keys: Map<String, Value> = serde_json::from_str(keys).ok()?;
                    current.as_array_mut()?.iter_mut().find(|item| keys.iter().all(|(k, v)| item.get(k) == Some(v)))?
                }
            };
        }
        Some(current)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// One field of each merge shape.
    fn schemas() -> KindSchemas {
        let root = json!({"type": "object", "properties": {
            "atomicList": {"type": "array", "items": {"type": "string"}},
            "set": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
            "byName": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                "items": {"type": "object", "properties": {"name": {"type": "string"}, "value": {"type": "integer"},
                    "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}}}},
            "byPort": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["port", "protocol"],
                "items": {"type": "object", "properties": {"port": {"type": "integer"}, "protocol": {"type": "string"}, "name": {"type": "string"}}}},
            "granular": {"type": "object", "additionalProperties": {"type": "string"}},
            "atomicMap": {"type": "object", "x-kubernetes-map-type": "atomic", "additionalProperties": {"type": "string"}},
        }});
        KindSchemas {
            root: "Root".into(),
            components: [("Root".to_string(), root)].into_iter().collect(),
            v2_components: None,
        }
    }

    /// (live, applied, merged) per field, as structured-merge-diff merges
    /// an applied configuration into a live object.
    const CASES: &[(&str, &str, &str, &str)] = &[
        (
            "atomic list is replaced",
            r#"{"atomicList":["a","b"]}"#,
            r#"{"atomicList":["c"]}"#,
            r#"{"atomicList":["c"]}"#,
        ),
        (
            "set keeps both, applied order first",
            r#"{"set":["a","b"]}"#,
            r#"{"set":["c","a"]}"#,
            r#"{"set":["c","a","b"]}"#,
        ),
        (
            "map list merges the item with the same key",
            r#"{"byName":[{"name":"a","value":1},{"name":"b","value":2,"tags":["x"]}]}"#,
            r#"{"byName":[{"name":"b","value":3,"tags":["y"]}]}"#,
            r#"{"byName":[{"name":"a","value":1},{"name":"b","value":3,"tags":["x","y"]}]}"#,
        ),
        (
            "map list with two keys tells items apart by both",
            r#"{"byPort":[{"port":80,"protocol":"TCP","name":"http"}]}"#,
            r#"{"byPort":[{"port":80,"protocol":"UDP"}]}"#,
            r#"{"byPort":[{"port":80,"protocol":"TCP","name":"http"},{"port":80,"protocol":"UDP"}]}"#,
        ),
        (
            "map list follows the applied order for shared items",
            r#"{"byName":[{"name":"a"},{"name":"b"},{"name":"c"}]}"#,
            r#"{"byName":[{"name":"c"},{"name":"a"}]}"#,
            r#"{"byName":[{"name":"b"},{"name":"c"},{"name":"a"}]}"#,
        ),
        (
            "granular map merges keys",
            r#"{"granular":{"a":"1","b":"2"}}"#,
            r#"{"granular":{"b":"3","c":"4"}}"#,
            r#"{"granular":{"a":"1","b":"3","c":"4"}}"#,
        ),
        (
            "atomic map is replaced",
            r#"{"atomicMap":{"a":"1"}}"#,
            r#"{"atomicMap":{"b":"2"}}"#,
            r#"{"atomicMap":{"b":"2"}}"#,
        ),
    ];

    #[test]
    fn applied_configurations_merge_by_list_and_map_type() {
        let schemas = schemas();
        let typed = Typed::new(Some(&schemas));
        for (name, live, applied, merged) in CASES {
            let live: Value = serde_json::from_str(live).unwrap();
            let applied: Value = serde_json::from_str(applied).unwrap();
            let merged: Value = serde_json::from_str(merged).unwrap();
            assert_eq!(typed.merge(&live, &applied), merged, "{name}");
        }
    }

    #[test]
    fn the_fields_of_an_object_follow_its_shapes() {
        let schemas = schemas();
        let typed = Typed::new(Some(&schemas));
        let object = json!({"granular": {"a": "1"}, "byName": [{"name": "a", "value": 1}], "atomicMap": {"x": "y"}});
        assert_eq!(
            typed.fields(&object).to_fields_v1(),
            json!({
                "f:atomicMap": {},
                "f:byName": {"k:{\"name\":\"a\"}": {".": {}, "f:name": {}, "f:value": {}}},
                "f:granular": {".": {}, "f:a": {}},
            })
        );
    }
}
