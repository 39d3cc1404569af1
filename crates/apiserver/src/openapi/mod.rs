//! OpenAPI v3 documents generated from the served resources: the root
//! (`/openapi/v3`) lists one document per group version, and each document
//! has the resource paths with upstream's `x-kubernetes-group-version-kind`
//! and `x-kubernetes-action` extensions and the query parameters (so that
//! kubectl finds that the server validates fields itself), and the kinds'
//! schemas with upstream's names, descriptions and extensions (so that
//! `kubectl explain` works).

pub mod extensions;
pub mod v2_protobuf;
pub mod walker;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value, json};

use crate::discovery::GroupSummary;
use crate::resource::{ResourceDef, SchemaFn, SchemaSource};

/// A kind's schema: the name of its root schema and every schema it
/// references, extensions applied.
#[derive(Debug)]
pub struct KindSchemas {
    /// The root schema's name, e.g. `io.k8s.api.core.v1.Pod`.
    pub root: String,
    /// The schemas by name.
    pub components: Map<String, Value>,
    /// Where the Swagger 2.0 document (`/openapi/v2`) needs other schemas
    /// than the v3 documents (custom resources drop the constructs v2
    /// cannot express): those schemas by name.
    pub v2_components: Option<Map<String, Value>>,
}

/// The schema of a k8s-openapi type and every schema it references, named
/// and described as upstream's, with upstream's extensions: the root's name
/// and the components.
pub fn generate(schema_fn: SchemaFn) -> Option<(String, Map<String, Value>)> {
    let mut generator = schemars::generate::SchemaSettings::openapi3().into_generator();
    let reference = schema_fn(&mut generator);
    let root = reference.get("$ref")?.as_str()?.rsplit('/').next()?.to_string();
    let mut components: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    extensions::apply(&mut components);
    drop_required_metadata(&mut components);
    Some((root, components))
}

/// The schemas of a kind, generated on first use and cached.
pub fn kind_schemas(def: &ResourceDef) -> Option<Arc<KindSchemas>> {
    type Cache = Mutex<HashMap<(String, String, String), Arc<KindSchemas>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let schema_fn = match def.schema.as_ref()? {
        SchemaSource::Generated(schema_fn) => *schema_fn,
        SchemaSource::Given(schemas) => return Some(schemas.clone()),
    };
    let key = (def.group.clone(), def.version.clone(), def.kind.clone());
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(found) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Some(found.clone());
    }
    let (root, mut components) = generate(schema_fn)?;
    if let Some(schema) = components.get_mut(&root).and_then(Value::as_object_mut) {
        schema.insert(
            "x-kubernetes-group-version-kind".into(),
            json!([{"group": def.group, "version": def.version, "kind": def.kind}]),
        );
    }
    let schemas = Arc::new(KindSchemas { root, components, v2_components: None });
    cache.lock().unwrap_or_else(|p| p.into_inner()).insert(key, schemas.clone());
    Some(schemas)
}

/// k8s-openapi's schemas list `metadata` as required (the Rust field is
/// not optional); upstream's never do, and kubectl's client-side validation
/// would refuse manifests without it.
fn drop_required_metadata(components: &mut Map<String, Value>) {
    for schema in components.values_mut() {
        if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
            required.retain(|field| field != "metadata");
            if required.is_empty() {
                schema.as_object_mut().map(|s| s.remove("required"));
            }
        }
    }
}

/// OpenAPI documents of group versions served by other servers (the
/// extension API servers behind the aggregator), merged into this server's.
pub trait RemoteDocuments: Send + Sync {
    /// Each remote group version's v3 document, by its path
    /// (`apis/<group>/<version>`).
    fn v3(&self) -> Vec<(String, Value)>;

    /// Each remote group version's share of a Swagger 2.0 document: the
    /// paths of its group version and the definitions they use.
    fn v2(&self) -> Vec<Value>;
}

/// `/openapi/v3` with the remote documents listed too.
pub fn root_with(groups: &[GroupSummary], remote: &[(String, Value)]) -> Value {
    let mut root = root(groups);
    for (path, document) in remote {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut hasher = DefaultHasher::new();
        document.to_string().hash(&mut hasher);
        let url = format!("/openapi/v3/{path}?hash={:016X}", hasher.finish());
        root["paths"][path.as_str()] = json!({"serverRelativeURL": url});
    }
    root
}

/// `/openapi/v2` with the remote documents' paths and definitions merged
/// in (a definition the local document has is kept as it is).
pub fn swagger_with(groups: &[GroupSummary], remote: &[Value]) -> Value {
    let mut document = swagger(groups);
    for part in remote {
        for section in ["paths", "definitions"] {
            let (Some(local), Some(theirs)) = (document[section].as_object_mut(), part[section].as_object()) else {
                continue;
            };
            for (name, value) in theirs {
                local.entry(name.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    document
}

/// The part of a remote Swagger 2.0 document that concerns one group
/// version: its paths, and every definition (a remote server's own
/// definitions of shared kinds are the same as the local ones, which win).
pub fn swagger_part(document: &Value, group: &str, version: &str) -> Value {
    let prefix = format!("/apis/{group}/{version}/");
    let paths: Map<String, Value> = document["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(path, _)| path.starts_with(&prefix))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    json!({"paths": paths, "definitions": document["definitions"]})
}

/// The path of a group version's document: `api/v1` or `apis/apps/v1`.
pub fn document_path(group: &str, version: &str) -> String {
    if group.is_empty() { format!("api/{version}") } else { format!("apis/{group}/{version}") }
}

/// `/openapi/v3`: where each group version's document is.
pub fn root(groups: &[GroupSummary]) -> Value {
    let mut paths = Map::new();
    for group in groups {
        for version in &group.versions {
            let path = document_path(&group.name, &version.version);
            let url = format!("/openapi/v3/{path}?hash={}", document_hash(group, version));
            paths.insert(path, json!({"serverRelativeURL": url}));
        }
    }
    json!({"paths": paths})
}

fn document_hash(group: &GroupSummary, version: &crate::discovery::VersionSummary) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    group.name.hash(&mut hasher);
    for r in &version.resources {
        r.plural.hash(&mut hasher);
        r.verbs.hash(&mut hasher);
        if let Some(SchemaSource::Given(schemas)) = &r.schema {
            schemas.components.get(&schemas.root).map(Value::to_string).hash(&mut hasher);
        }
    }
    format!("{:016X}", hasher.finish())
}

fn parameter(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "description": description, "schema": {"type": "string", "uniqueItems": true}})
}

fn schema_name(def: &ResourceDef) -> String {
    match kind_schemas(def) {
        Some(schemas) => schemas.root.clone(),
        None => {
            let group = if def.group.is_empty() { "core".to_string() } else { def.group.clone() };
            format!("{group}.{}.{}", def.version, def.kind)
        }
    }
}

fn operation(def: &ResourceDef, action: &str, write: bool) -> Value {
    let mut params = vec![parameter("pretty", "If 'true', then the output is pretty printed.")];
    if write {
        params.push(parameter("dryRun", "When present, indicates that modifications should not be persisted."));
        params.push(parameter(
            "fieldManager",
            "fieldManager is a name associated with the actor or entity that is making these changes.",
        ));
        params.push(parameter("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields."));
    }
    let schema = json!({"$ref": format!("#/components/schemas/{}", schema_name(def))});
    json!({
        "operationId": format!("{action}{}", def.kind),
        "parameters": params,
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": def.group, "version": def.version, "kind": def.kind},
    })
}

/// One group version's OpenAPI v3 document.
pub fn document(group: &GroupSummary, version: &str) -> Option<Value> {
    document_of(group, version, false)
}

/// One group version's paths and schemas; `v2` picks the schemas meant for
/// the Swagger 2.0 document.
fn document_of(group: &GroupSummary, version: &str, v2: bool) -> Option<Value> {
    let served = group.versions.iter().find(|v| v.version == version)?;
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for def in &served.resources {
        let base = format!("/{}", document_path(&def.group, &def.version));
        let collection = if def.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}", def.plural)
        } else {
            format!("{base}/{}", def.plural)
        };
        let item = format!("{collection}/{{name}}");
        let has = |verb: &str| def.verbs.contains(&verb);
        let mut collection_ops = Map::new();
        if has("list") {
            collection_ops.insert("get".into(), operation(def, "list", false));
        }
        if has("create") {
            collection_ops.insert("post".into(), operation(def, "post", true));
        }
        if has("deletecollection") {
            collection_ops.insert("delete".into(), operation(def, "deletecollection", false));
        }
        let mut item_ops = Map::new();
        if has("get") {
            item_ops.insert("get".into(), operation(def, "get", false));
        }
        if has("update") {
            item_ops.insert("put".into(), operation(def, "put", true));
        }
        if has("patch") {
            item_ops.insert("patch".into(), operation(def, "patch", true));
        }
        if has("delete") {
            item_ops.insert("delete".into(), operation(def, "delete", false));
        }
        paths.insert(collection, Value::Object(collection_ops));
        paths.insert(item, Value::Object(item_ops));
        match kind_schemas(def) {
            Some(kind) => {
                let components = match (&kind.v2_components, v2) {
                    (Some(v2_components), true) => v2_components,
                    _ => &kind.components,
                };
                schemas.extend(components.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            None => {
                schemas.insert(
                    schema_name(def),
                    json!({
                        "type": "object",
                        "x-kubernetes-group-version-kind": [{"group": def.group, "version": def.version, "kind": def.kind}],
                    }),
                );
            }
        }
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.35.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }))
}

/// `/openapi/v2`: one Swagger 2.0 document for every served kind, with the
/// same schemas as the v3 documents under `definitions`.
pub fn swagger(groups: &[GroupSummary]) -> Value {
    let mut paths = Map::new();
    let mut definitions = Map::new();
    for group in groups {
        for version in &group.versions {
            if let Some(Value::Object(document)) = document_of(group, &version.version, true) {
                if let Some(Value::Object(p)) = document.get("paths") {
                    paths.extend(p.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                if let Some(Value::Object(schemas)) = document.get("components").and_then(|c| c.get("schemas")) {
                    definitions.extend(schemas.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
        }
    }
    let text = serde_json::to_string(&json!({
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": "v1.35.0"},
        "paths": paths,
        "definitions": definitions,
    }))
    .unwrap_or_default()
    .replace("#/components/schemas/", "#/definitions/");
    serde_json::from_str(&text).unwrap_or_default()
}
