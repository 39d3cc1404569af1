//! Strategic merge patch (upstream's `strategicpatch`): a merge patch whose
//! lists are merged element by element where the schema names a merge key
//! (containers by `name`, ports by `containerPort`, ...), with the
//! directives kubectl sends: `$patch: replace|delete`,
//! `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>` and
//! `$retainKeys`.

use serde_json::{Map, Value};

/// How a list field is patched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListStrategy {
    /// The patch's list replaces the original (no patchStrategy).
    Replace,
    /// Elements are merged: maps by this key, primitives as a set.
    Merge(Option<String>),
}

/// The schema facts a strategic merge needs.
pub trait PatchSchema {
    /// The strategy of the list at `path` (field names from the root).
    fn list_strategy(&self, path: &[String]) -> ListStrategy;
}

/// Why a patch could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PatchError(pub String);

const PATCH: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ELEMENT_ORDER: &str = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList/";

/// Applies `patch` to `original` using `schema` for list strategies.
pub fn apply(original: &Value, patch: &Value, schema: &dyn PatchSchema) -> Result<Value, PatchError> {
    let (Some(original), Some(patch)) = (original.as_object(), patch.as_object()) else {
        return Err(PatchError("a strategic merge patch must be a JSON object".into()));
    };
    let mut merged = original.clone();
    merge_map(&mut merged, patch, &mut Vec::new(), schema)?;
    Ok(Value::Object(merged))
}

fn merge_map(
    original: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    path: &mut Vec<String>,
    schema: &dyn PatchSchema,
) -> Result<(), PatchError> {
    match patch.get(PATCH).and_then(Value::as_str) {
        Some("replace") => {
            *original = clean_map(patch);
            return Ok(());
        }
        Some("delete") => {
            original.clear();
            return Ok(());
        }
        Some(other) if !other.is_empty() => return Err(PatchError(format!("Unknown patch type: {other}"))),
        _ => {}
    }
    let mut orders = Vec::new();
    for (key, value) in patch {
        if let Some(field) = key.strip_prefix(SET_ELEMENT_ORDER) {
            orders.push((field.to_string(), value.clone()));
            continue;
        }
        if let Some(field) = key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
            if let (Some(Value::Array(items)), Some(remove)) = (original.get_mut(field), value.as_array()) {
                items.retain(|item| !remove.contains(item));
            }
            continue;
        }
        if key == PATCH || key == RETAIN_KEYS {
            continue;
        }
        path.push(key.clone());
        match (original.get_mut(key), value) {
            (_, Value::Null) => {
                original.remove(key);
            }
            (Some(Value::Object(existing)), Value::Object(patch_map)) => {
                if patch_map.get(PATCH).and_then(Value::as_str) == Some("delete") {
                    original.remove(key);
                } else {
                    merge_map(existing, patch_map, path, schema)?;
                }
            }
            (Some(Value::Array(existing)), Value::Array(patch_list)) => {
                merge_list(existing, patch_list, &schema.list_strategy(path), path, schema)?;
            }
            (_, value) => {
                original.insert(key.clone(), clean(value));
            }
        }
        path.pop();
    }
    for (field, order) in orders {
        path.push(field.clone());
        let strategy = schema.list_strategy(path);
        path.pop();
        if let (Some(Value::Array(items)), Some(order)) = (original.get_mut(&field), order.as_array()) {
            reorder(items, order, &strategy);
        }
    }
    if let Some(retain) = patch.get(RETAIN_KEYS).and_then(Value::as_array) {
        original.retain(|k, _| retain.iter().any(|r| r.as_str() == Some(k)));
    }
    Ok(())
}

fn merge_list(
    original: &mut Vec<Value>,
    patch: &[Value],
    strategy: &ListStrategy,
    path: &mut Vec<String>,
    schema: &dyn PatchSchema,
) -> Result<(), PatchError> {
    if let Some(replacement) = patch.iter().position(|p| p.get(PATCH).and_then(Value::as_str) == Some("replace")) {
        *original = patch.iter().enumerate().filter(|(i, _)| *i != replacement).map(|(_, v)| clean(v)).collect();
        return Ok(());
    }
    match strategy {
        ListStrategy::Replace => {
            *original = patch.iter().map(clean).collect();
        }
        ListStrategy::Merge(None) => {
            for item in patch {
                if !original.contains(item) {
                    original.push(clean(item));
                }
            }
        }
        ListStrategy::Merge(Some(key)) => {
            for item in patch {
                let Some(item_map) = item.as_object() else {
                    if !original.contains(item) {
                        original.push(clean(item));
                    }
                    continue;
                };
                let id = item_map.get(key);
                let position = id.and_then(|id| original.iter().position(|o| o.get(key) == Some(id)));
                if item_map.get(PATCH).and_then(Value::as_str) == Some("delete") {
                    if let Some(id) = id {
                        original.retain(|o| o.get(key) != Some(id));
                    }
                    continue;
                }
                match position {
                    Some(i) => {
                        if let Some(existing) = original[i].as_object_mut() {
                            merge_map(existing, item_map, path, schema)?;
                        }
                    }
                    None => original.push(clean(item)),
                }
            }
        }
    }
    Ok(())
}

/// Puts elements named in `order` first, in that order; others keep their
/// relative order after them.
fn reorder(items: &mut Vec<Value>, order: &[Value], strategy: &ListStrategy) {
    let matches = |item: &Value, wanted: &Value| match strategy {
        ListStrategy::Merge(Some(key)) => item.get(key).is_some() && item.get(key) == wanted.get(key),
        _ => item == wanted,
    };
    let mut sorted = Vec::with_capacity(items.len());
    for wanted in order {
        if let Some(i) = items.iter().position(|item| matches(item, wanted)) {
            sorted.push(items.remove(i));
        }
    }
    sorted.append(items);
    *items = sorted;
}

fn clean_map(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter().filter(|(k, _)| !k.starts_with('$')).map(|(k, v)| (k.clone(), clean(v))).collect()
}

/// The value without directives, for inserting where nothing is merged.
fn clean(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(clean_map(map)),
        Value::Array(items) => Value::Array(items.iter().map(clean).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Keys;
    impl PatchSchema for Keys {
        fn list_strategy(&self, path: &[String]) -> ListStrategy {
            match path.last().map(String::as_str) {
                Some("containers") => ListStrategy::Merge(Some("name".into())),
                Some("finalizers") => ListStrategy::Merge(None),
                _ => ListStrategy::Replace,
            }
        }
    }

    #[test]
    fn containers_merge_by_name_and_directives_apply() {
        let original =
            json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}], "args": ["1"]}});
        let patch = json!({"spec": {
            "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}],
            "containers": [{"name": "a", "image": "x2"}, {"name": "b", "$patch": "delete"}, {"name": "c", "image": "z"}],
            "args": ["2"],
        }});
        let merged = apply(&original, &patch, &Keys).unwrap();
        assert_eq!(
            merged,
            json!({"spec": {"containers": [{"name": "c", "image": "z"}, {"name": "a", "image": "x2"}], "args": ["2"]}})
        );
    }

    #[test]
    fn nulls_delete_and_replace_replaces() {
        let original = json!({"metadata": {"labels": {"a": "1", "b": "2"}, "finalizers": ["x"]}, "data": {"k": "v"}});
        let patch =
            json!({"metadata": {"labels": {"a": null}, "finalizers": ["y"]}, "data": {"$patch": "replace", "n": "m"}});
        let merged = apply(&original, &patch, &Keys).unwrap();
        assert_eq!(merged, json!({"metadata": {"labels": {"b": "2"}, "finalizers": ["x", "y"]}, "data": {"n": "m"}}));
    }
}
