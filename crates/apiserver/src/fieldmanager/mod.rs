//! Upstream's field manager: `metadata.managedFields` records, per field
//! manager and operation, the fields it owns. Every create, update and
//! patch is an Update by its manager, which takes the fields it changed;
//! a server-side apply (`application/apply-patch+yaml`) merges the applied
//! configuration by the schema's list and map types, removes the fields the
//! manager applied before and no longer does, and refuses to change fields
//! other managers own (409 naming each conflict) unless forced.

pub mod fieldpath;
pub mod typed;

use apimachinery::{ApiError, now_rfc3339};
use serde_json::{Value, json};

use self::fieldpath::{Path, Set, display};
use self::typed::Typed;
use crate::openapi::KindSchemas;

/// At most this many Update managers are kept; older ones are merged into
/// one entry (upstream's cap).
const MAX_UPDATE_MANAGERS: usize = 10;

/// The annotation client-side `kubectl apply` keeps its configuration in.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The manager of a request: the `fieldManager` parameter, or the
/// User-Agent up to its first `/` (upstream's default).
pub fn manager_name(explicit: Option<&str>, user_agent: Option<&str>) -> Result<String, ApiError> {
    let name = match explicit.filter(|m| !m.is_empty()) {
        Some(name) => name.to_string(),
        None => user_agent.unwrap_or_default().split('/').next().unwrap_or_default().to_string(),
    };
    if name.chars().count() > 128 {
        return Err(ApiError::bad_request("fieldManager: Too long: must have at most 128 bytes"));
    }
    Ok(name)
}

/// One entry of managedFields.
#[derive(Debug, Clone)]
struct Entry {
    manager: String,
    apply: bool,
    api_version: String,
    time: String,
    subresource: String,
    fields: Set,
}

impl Entry {
    fn read(value: &Value) -> Entry {
        let text = |key: &str| value[key].as_str().unwrap_or_default().to_string();
        Entry {
            manager: text("manager"),
            apply: value["operation"] == "Apply",
            api_version: text("apiVersion"),
            time: text("time"),
            subresource: text("subresource"),
            fields: Set::from_fields_v1(&value["fieldsV1"]),
        }
    }

    fn write(&self) -> Value {
        let mut entry = json!({
            "manager": self.manager,
            "operation": if self.apply { "Apply" } else { "Update" },
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": self.fields.to_fields_v1(),
        });
        if !self.subresource.is_empty() {
            entry["subresource"] = json!(self.subresource);
        }
        entry
    }

    /// How conflicts name the manager.
    fn printed(&self) -> String {
        let mut name = format!("\"{}\"", self.manager);
        if !self.subresource.is_empty() {
            name.push_str(&format!(" with subresource \"{}\"", self.subresource));
        }
        if self.apply || self.time.is_empty() {
            format!("{name} using {}", self.api_version)
        } else {
            format!("{name} using {} at {}", self.api_version, self.time)
        }
    }
}

/// The field manager of one request: the kind's schema, the version the
/// request speaks and the subresource it writes.
pub struct FieldManager<'a> {
    typed: Typed<'a>,
    api_version: String,
    subresource: String,
    /// Whether the kind has a status subresource (whose fields the main
    /// resource does not own, and the other way round).
    has_status: bool,
}

impl<'a> FieldManager<'a> {
    /// The field manager of a request to `subresource` ("" or "status") of
    /// a kind with these schemas.
    pub fn new(schemas: Option<&'a KindSchemas>, api_version: &str, subresource: &str, has_status: bool) -> Self {
        FieldManager {
            typed: Typed::new(schemas),
            api_version: api_version.to_string(),
            subresource: subresource.to_string(),
            has_status,
        }
    }

    /// The fields of an object a manager can own: not the type, the system
    /// metadata, nor the part another subresource owns.
    fn owned_part(&self, object: &Value) -> Value {
        let mut object = object.clone();
        if let Some(map) = object.as_object_mut() {
            map.remove("apiVersion");
            map.remove("kind");
            if self.subresource == "status" {
                map.retain(|k, _| k == "status" || k == "metadata");
            } else if self.has_status {
                map.remove("status");
            }
        }
        if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            for field in [
                "name",
                "namespace",
                "uid",
                "resourceVersion",
                "generation",
                "creationTimestamp",
                "managedFields",
                "selfLink",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
            ] {
                metadata.remove(field);
            }
            if self.subresource == "status" {
                metadata.clear();
            }
            if metadata.is_empty() {
                object.as_object_mut().map(|m| m.remove("metadata"));
            }
        }
        object
    }

    fn fields(&self, object: &Value) -> Set {
        self.typed.fields(&self.owned_part(object))
    }

    fn is_mine(&self, entry: &Entry, manager: &str, apply: bool) -> bool {
        entry.manager == manager && entry.apply == apply && entry.subresource == self.subresource
    }

    /// Records an Update of `new` (from `old`, `None` on create) by `manager`:
    /// the fields it changed become its own and no one else's.
    pub fn update(&self, old: Option<&Value>, new: &mut Value, manager: &str) {
        let mut entries = old.map(read_entries).unwrap_or_default();
        let new_fields = self.fields(new);
        let (changed, removed) = match old {
            Some(old) => {
                let old_fields = self.fields(old);
                let (leaves, nodes) = new_fields.split_leaves();
                let mut changed = Set::default();
                for path in leaves.iter().filter(|p| self.typed.value_at(old, p) != self.typed.value_at(new, p)) {
                    changed.insert(path);
                }
                for path in nodes.iter().filter(|p| self.typed.value_at(old, p).is_none()) {
                    changed.insert(path);
                }
                (changed, old_fields.difference(&new_fields))
            }
            None => (new_fields, Set::default()),
        };
        for entry in entries.iter_mut() {
            entry.fields = entry.fields.difference(&changed).difference(&removed);
        }
        match entries.iter_mut().find(|e| self.is_mine(e, manager, false)) {
            Some(mine) => {
                mine.fields = mine.fields.union(&changed);
                mine.time = now_rfc3339();
                mine.api_version = self.api_version.clone();
            }
            None if !changed.is_empty() => entries.push(Entry {
                manager: manager.to_string(),
                apply: false,
                api_version: self.api_version.clone(),
                time: now_rfc3339(),
                subresource: self.subresource.clone(),
                fields: changed,
            }),
            None => {}
        }
        write_entries(new, entries);
    }

    /// Applies `applied` by `manager` to `live` (`None`: the object is
    /// created): the merged object with its managedFields, or the 409 of the
    /// conflicts when not forced.
    pub fn apply(&self, live: Option<&Value>, applied: &Value, manager: &str, force: bool) -> Result<Value, ApiError> {
        let base = live.cloned().unwrap_or_else(|| json!({}));
        let mut entries = read_entries(&base);
        let applied_fields = self.fields(applied);
        let forgiven = self.client_side_applied(&base);
        let mut conflicts: Vec<(usize, Path)> = Vec::new();
        for path in applied_fields.split_leaves().0 {
            if self.typed.value_at(&base, &path) == self.typed.value_at(applied, &path) || forgiven.contains(&path) {
                continue;
            }
            for (i, entry) in entries.iter().enumerate() {
                if !self.is_mine(entry, manager, true) && entry.fields.contains(&path) {
                    conflicts.push((i, path.clone()));
                }
            }
        }
        if !conflicts.is_empty() && !force {
            return Err(conflict_error(&entries, &conflicts));
        }
        let taken = conflicts.iter().map(|(_, p)| p.clone()).chain(forgiven.intersection(&applied_fields).paths());
        let taken = taken.fold(Set::default(), |mut set, p| {
            set.insert(&p);
            set
        });
        let mut merged = self.typed.merge(&base, &self.owned_part(applied));
        for key in ["apiVersion", "kind"] {
            merged[key] = applied[key].clone();
        }
        let previous =
            entries.iter().find(|e| self.is_mine(e, manager, true)).map(|e| e.fields.clone()).unwrap_or_default();
        let others = entries
            .iter()
            .filter(|e| !self.is_mine(e, manager, true))
            .fold(Set::default(), |set, e| set.union(&e.fields.difference(&taken)));
        for path in previous.difference(&applied_fields).paths() {
            if !others.contains(&path) {
                self.typed.remove(&mut merged, &path);
            }
        }
        for entry in entries.iter_mut().filter(|e| !self.is_mine(e, manager, true)) {
            entry.fields = entry.fields.difference(&taken);
        }
        entries.retain(|e| !self.is_mine(e, manager, true));
        entries.push(Entry {
            manager: manager.to_string(),
            apply: true,
            api_version: self.api_version.clone(),
            time: now_rfc3339(),
            subresource: self.subresource.clone(),
            fields: applied_fields,
        });
        write_entries(&mut merged, entries);
        Ok(merged)
    }

    /// The fields of the configuration client-side `kubectl apply` last
    /// applied: moving to server-side apply may take them over without
    /// conflict, as upstream lets it.
    fn client_side_applied(&self, live: &Value) -> Set {
        live["metadata"]["annotations"][LAST_APPLIED]
            .as_str()
            .and_then(|text| serde_json::from_str::<Value>(text).ok())
            .map(|config| self.fields(&config))
            .unwrap_or_default()
    }
}

fn read_entries(object: &Value) -> Vec<Entry> {
    object["metadata"]["managedFields"].as_array().into_iter().flatten().map(Entry::read).collect()
}

/// Writes the entries (empty ones dropped, the oldest Update managers
/// beyond the cap merged into one) into the object's metadata.
fn write_entries(object: &mut Value, mut entries: Vec<Entry>) {
    entries.retain(|e| !e.fields.is_empty());
    let updates: Vec<usize> = (0..entries.len()).filter(|i| !entries[*i].apply).collect();
    if updates.len() > MAX_UPDATE_MANAGERS {
        let mut oldest: Vec<usize> = updates;
        oldest.sort_by(|a, b| entries[*a].time.cmp(&entries[*b].time));
        let merged_away: Vec<usize> = oldest[..oldest.len() - MAX_UPDATE_MANAGERS + 1].to_vec();
        let fields = merged_away.iter().fold(Set::default(), |set, i| set.union(&entries[*i].fields));
        let newest = merged_away.iter().map(|i| entries[*i].time.clone()).max().unwrap_or_default();
        let api_version = entries[merged_away[0]].api_version.clone();
        let mut index = 0;
        entries.retain(|_| {
            index += 1;
            !merged_away.contains(&(index - 1))
        });
        entries.push(Entry {
            manager: "ancient-changes".into(),
            apply: false,
            api_version,
            time: newest,
            subresource: String::new(),
            fields,
        });
    }
    if !object["metadata"].is_object() {
        object["metadata"] = json!({});
    }
    if entries.is_empty() {
        object["metadata"].as_object_mut().map(|m| m.remove("managedFields"));
    } else {
        object["metadata"]["managedFields"] = entries.iter().map(Entry::write).collect();
    }
}

/// Upstream's apply conflict: 409 with a cause per conflicting field.
fn conflict_error(entries: &[Entry], conflicts: &[(usize, Path)]) -> ApiError {
    let causes: Vec<(String, String)> =
        conflicts.iter().map(|(i, path)| (format!("conflict with {}", entries[*i].printed()), display(path))).collect();
    let message = if let [(i, path)] = conflicts {
        format!("Apply failed with 1 conflict: conflict with {}: {}", entries[*i].printed(), display(path))
    } else {
        let mut managers: Vec<usize> = conflicts.iter().map(|(i, _)| *i).collect();
        managers.sort_by_key(|i| entries[*i].printed());
        managers.dedup();
        let mut lines = Vec::new();
        for manager in managers {
            lines.push(format!("conflicts with {}:", entries[manager].printed()));
            lines.extend(conflicts.iter().filter(|(i, _)| *i == manager).map(|(_, p)| format!("- {}", display(p))));
        }
        format!("Apply failed with {} conflicts: {}", conflicts.len(), lines.join("\n"))
    };
    ApiError::apply_conflict(message, causes)
}
