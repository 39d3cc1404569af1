//! Field paths and sets of them (structured-merge-diff's fieldpath): the
//! elements of a path into an object — a field, the key of an item of an
//! associative list, the value of an item of a set, an index into an atomic
//! list — and sets of paths, serialized as the `fieldsV1` of managedFields
//! (`{"f:spec":{"f:replicas":{}}}`, a node that is itself a member and has
//! children carries `".":{}`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// One step into an object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Element {
    /// A field of a struct or map: `f:name`.
    Field(String),
    /// An item of an associative list, by its keys' values: `k:{"name":"a"}`
    /// (the JSON of the key fields, sorted by name).
    Key(String),
    /// An item of a set list, by its value: `v:"a"`.
    Value(String),
    /// An item of an atomic list by position: `i:0`.
    Index(usize),
}

impl Element {
    /// The item of an associative list with these key fields.
    pub fn key_of(item: &Value, keys: &[String]) -> Element {
        let mut fields = Map::new();
        for key in keys {
            if let Some(value) = item.get(key) {
                fields.insert(key.clone(), value.clone());
            }
        }
        Element::Key(Value::Object(fields).to_string())
    }

    fn encode(&self) -> String {
        match self {
            Element::Field(name) => format!("f:{name}"),
            Element::Key(keys) => format!("k:{keys}"),
            Element::Value(value) => format!("v:{value}"),
            Element::Index(i) => format!("i:{i}"),
        }
    }

    fn decode(text: &str) -> Option<Element> {
        let (kind, rest) = text.split_once(':')?;
        Some(match kind {
            "f" => Element::Field(rest.to_string()),
            "k" => Element::Key(serde_json::from_str::<Value>(rest).ok()?.to_string()),
            "v" => Element::Value(serde_json::from_str::<Value>(rest).ok()?.to_string()),
            "i" => Element::Index(rest.parse().ok()?),
            _ => return None,
        })
    }

    /// How upstream prints the element in a conflict's field path.
    fn display(&self) -> String {
        match self {
            Element::Field(name) => format!(".{name}"),
            Element::Key(keys) => format!("[{}]", keys_display(keys)),
            Element::Value(value) => format!("[={value}]"),
            Element::Index(i) => format!("[{i}]"),
        }
    }
}

/// `name="a",port=80`, as upstream prints associative keys.
fn keys_display(keys: &str) -> String {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(keys) else { return keys.to_string() };
    fields.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// A path from the object's root.
pub type Path = Vec<Element>;

/// A path as upstream prints it: `.spec.containers[name="a"].image`.
pub fn display(path: &[Element]) -> String {
    path.iter().map(Element::display).collect()
}

/// A set of paths, as a trie.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Set {
    member: bool,
    children: BTreeMap<Element, Set>,
}

impl Set {
    /// Adds a path.
    pub fn insert(&mut self, path: &[Element]) {
        match path.split_first() {
            None => self.member = true,
            Some((first, rest)) => self.children.entry(first.clone()).or_default().insert(rest),
        }
    }

    /// Whether the path is in the set.
    pub fn contains(&self, path: &[Element]) -> bool {
        match path.split_first() {
            None => self.member,
            Some((first, rest)) => self.children.get(first).is_some_and(|c| c.contains(rest)),
        }
    }

    /// Whether the set has no path.
    pub fn is_empty(&self) -> bool {
        !self.member && self.children.values().all(Set::is_empty)
    }

    /// Every path in the set.
    pub fn paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out);
        out
    }

    fn collect(&self, prefix: &mut Path, out: &mut Vec<Path>) {
        if self.member {
            out.push(prefix.clone());
        }
        for (element, child) in &self.children {
            prefix.push(element.clone());
            child.collect(prefix, out);
            prefix.pop();
        }
    }

    /// Every path in the set that has no other path of the set below it
    /// (a scalar, an atomic value), and every path with paths below it (a
    /// granular map or list item, whose value is its children's).
    pub fn split_leaves(&self) -> (Vec<Path>, Vec<Path>) {
        let (mut leaves, mut nodes) = (Vec::new(), Vec::new());
        self.split(&mut Vec::new(), &mut leaves, &mut nodes);
        (leaves, nodes)
    }

    fn split(&self, prefix: &mut Path, leaves: &mut Vec<Path>, nodes: &mut Vec<Path>) {
        if self.member {
            if self.children.values().any(|c| !c.is_empty()) {
                nodes.push(prefix.clone())
            } else {
                leaves.push(prefix.clone())
            }
        }
        for (element, child) in &self.children {
            prefix.push(element.clone());
            child.split(prefix, leaves, nodes);
            prefix.pop();
        }
    }

    /// The paths of both sets.
    pub fn union(&self, other: &Set) -> Set {
        let mut out = self.clone();
        for path in other.paths() {
            out.insert(&path);
        }
        out
    }

    /// The paths of this set not in `other`.
    pub fn difference(&self, other: &Set) -> Set {
        let mut out = Set::default();
        for path in self.paths().into_iter().filter(|p| !other.contains(p)) {
            out.insert(&path);
        }
        out
    }

    /// The paths in both sets.
    pub fn intersection(&self, other: &Set) -> Set {
        let mut out = Set::default();
        for path in self.paths().into_iter().filter(|p| other.contains(p)) {
            out.insert(&path);
        }
        out
    }

    /// The set as `fieldsV1`.
    pub fn to_fields_v1(&self) -> Value {
        let mut object = Map::new();
        if self.member && !self.children.is_empty() {
            object.insert(".".into(), json!({}));
        }
        for (element, child) in &self.children {
            if !child.is_empty() {
                object.insert(element.encode(), child.to_fields_v1());
            }
        }
        Value::Object(object)
    }

    /// A set read from `fieldsV1`.
    pub fn from_fields_v1(value: &Value) -> Set {
        let mut set = Set::default();
        for (name, child) in value.as_object().into_iter().flatten() {
            if name == "." {
                set.member = true;
                continue;
            }
            let Some(element) = Element::decode(name) else { continue };
            let mut child_set = Set::from_fields_v1(child);
            if child.as_object().is_none_or(Map::is_empty) {
                child_set.member = true;
            }
            set.children.insert(element, child_set);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_round_trip_through_fields_v1() {
        let fields = json!({"f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}}}}});
        let set = Set::from_fields_v1(&fields);
        assert!(set.contains(&[Element::Field("metadata".into()), Element::Field("labels".into())]));
        assert!(!set.contains(&[Element::Field("metadata".into())]));
        assert_eq!(set.to_fields_v1(), fields);
        let image = [
            Element::Field("spec".into()),
            Element::Field("containers".into()),
            Element::Key(r#"{"name":"web"}"#.into()),
            Element::Field("image".into()),
        ];
        assert_eq!(display(&image), r#".spec.containers[name="web"].image"#);
    }
}
