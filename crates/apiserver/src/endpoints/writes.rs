//! create, update, patch, delete and deletecollection.

use std::sync::Arc;

use apimachinery::ApiError;
use bytes::Bytes;
use serde_json::{Value, json};
use storage::Preconditions;

use super::RestRequest;
use super::patch::{PatchType, apply_patch};
use super::reads::{list_options, object_response, output};
use crate::fieldmanager::{self, FieldManager};
use crate::fieldvalidation::FieldValidation;
use crate::negotiation::decode_body;
use crate::openapi::kind_schemas;
use crate::registry::{Context, DeleteOptions, DeleteOutcome, Propagation, Store, Subresource};
use crate::responses::{self, Response};

pub(super) fn to_bytes(value: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

/// Removes null members from objects, as decoding into upstream's typed
/// structs does (`creationTimestamp: null` and the like).
pub(crate) fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

pub(super) async fn create(store: &Arc<Store>, request: RestRequest) -> Result<Response, ApiError> {
    let output = output(&request)?;
    let dry_run = request.query.dry_run()?;
    let body = request.read_body().await?;
    let validation = FieldValidation::parse(request.query.get("fieldValidation"))?;
    let mut object = decode_body(request.header("content-type"), &body)?;
    strip_nulls(&mut object);
    let warnings = validation.apply(&store.def, &mut object, &json_duplicates(&request, &body))?;
    Manager::of(store, &request)?.update(None, &mut object);
    let created = store.create(&request.context(dry_run), object).await?;
    Ok(responses::with_warnings(object_response(store, 201, output, to_bytes(&created))?, &warnings))
}

/// Who a write's fields belong to, and the kind's schema that says how
/// they nest.
#[derive(Clone)]
pub(super) struct Manager {
    /// The field manager's name.
    pub name: String,
    schemas: Option<Arc<crate::openapi::KindSchemas>>,
    api_version: String,
    subresource: String,
    has_status: bool,
}

impl Manager {
    /// The manager of a request: its fieldManager parameter or User-Agent.
    pub fn of(store: &Store, request: &RestRequest) -> Result<Self, ApiError> {
        Ok(Manager {
            name: fieldmanager::manager_name(request.query.get("fieldManager"), request.header("user-agent"))?,
            schemas: kind_schemas(&store.def),
            api_version: store.def.api_version(),
            subresource: request.info.subresource.clone(),
            has_status: store.def.has_subresource("status"),
        })
    }

    /// The field manager of the request.
    pub fn field_manager(&self) -> FieldManager<'_> {
        FieldManager::new(self.schemas.as_deref(), &self.api_version, &self.subresource, self.has_status)
    }

    /// Records an Update of `new` (from `old`; `None` on create).
    pub fn update(&self, old: Option<&Value>, new: &mut Value) {
        self.field_manager().update(old, new, &self.name);
    }
}

/// Members repeated in a JSON body (other encodings cannot repeat them or
/// fail to decode).
fn json_duplicates(request: &RestRequest, body: &[u8]) -> Vec<String> {
    let json = request.header("content-type").is_none_or(|c| c.starts_with("application/json"));
    if json { apimachinery::duplicates::duplicate_fields(body) } else { Vec::new() }
}

/// Collects the warnings of a mutation that may run more than once; the
/// last run's are the ones that count.
#[derive(Default, Clone)]
pub(super) struct Warnings(Arc<std::sync::Mutex<Vec<String>>>);

impl Warnings {
    pub(super) fn set(&self, warnings: Vec<String>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = warnings;
    }

    pub(super) fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

pub(super) fn subresource(request: &RestRequest) -> Subresource {
    match request.info.subresource.as_str() {
        "status" => Subresource::Status,
        "finalize" => Subresource::Finalize,
        "approval" => Subresource::Approval,
        "" => Subresource::Main,
        part => Subresource::Part(part.to_string()),
    }
}

pub(super) async fn update(store: &Arc<Store>, request: RestRequest) -> Result<Response, ApiError> {
    let output = output(&request)?;
    let dry_run = request.query.dry_run()?;
    let body = request.read_body().await?;
    let mut object = decode_body(request.header("content-type"), &body)?;
    strip_nulls(&mut object);
    let object = Arc::new(object);
    let manager = Manager::of(store, &request)?;
    let updated = store
        .update(
            &request.context(dry_run),
            &request.info.name,
            Arc::new(move |current| {
                let mut new = (*object).clone();
                manager.update(Some(current), &mut new);
                Ok(new)
            }),
            subresource(&request),
        )
        .await?;
    object_response(store, 200, output, to_bytes(&updated))
}

pub(super) async fn patch(store: &Arc<Store>, request: RestRequest) -> Result<Response, ApiError> {
    let output = output(&request)?;
    let dry_run = request.query.dry_run()?;
    let patch_type = PatchType::from_content_type(request.header("content-type"), store.def.accepts_strategic_merge())?;
    if patch_type == PatchType::Apply {
        return super::apply::apply(store, request).await;
    }
    let body = request.read_body().await?;
    let patch: Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    let validation = FieldValidation::parse(request.query.get("fieldValidation"))?;
    let patch = Arc::new(patch);
    let schemas = kind_schemas(&store.def).filter(|_| store.def.accepts_strategic_merge());
    let warnings = Warnings::default();
    let collected = warnings.clone();
    let def = store.def.clone();
    let manager = Manager::of(store, &request)?;
    let updated = store
        .update(
            &request.context(dry_run),
            &request.info.name,
            Arc::new(move |current| {
                let schema = schemas.as_deref().map(|s| s as &dyn apimachinery::strategic_merge::PatchSchema);
                let mut patched = apply_patch(patch_type, current, &patch, schema)?;
                strip_nulls(&mut patched);
                collected.set(validation.apply(&def, &mut patched, &[])?);
                manager.update(Some(current), &mut patched);
                Ok(patched)
            }),
            subresource(&request),
        )
        .await?;
    Ok(responses::with_warnings(object_response(store, 200, output, to_bytes(&updated))?, &warnings.take()))
}

/// The DeleteOptions of a request: its body (kubectl sends one) and query.
fn delete_options(request: &RestRequest, body: &[u8]) -> Result<DeleteOptions, ApiError> {
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("error decoding DeleteOptions: {e}")))?
    };
    let preconditions = Preconditions {
        uid: body["preconditions"]["uid"].as_str().map(str::to_string),
        resource_version: body["preconditions"]["resourceVersion"].as_str().and_then(|rv| rv.parse().ok()),
    };
    let grace_period_seconds = match request.query.integer("gracePeriodSeconds")? {
        Some(g) => Some(g),
        None => body["gracePeriodSeconds"].as_i64(),
    };
    let policy = request.query.get("propagationPolicy").or(body["propagationPolicy"].as_str()).unwrap_or_default();
    if !["", "Orphan", "Background", "Foreground"].contains(&policy) {
        return Err(ApiError::invalid(
            "meta.k8s.io",
            "DeleteOptions",
            "",
            &[apimachinery::field::FieldError::not_supported(
                "propagationPolicy",
                json!(policy),
                &["Foreground", "Background", "Orphan", "nil"],
            )],
        ));
    }
    let dry_run = request.query.dry_run()? || body["dryRun"].as_array().is_some_and(|d| d.iter().any(|v| v == "All"));
    let orphan = request.query.flag("orphanDependents") || body["orphanDependents"] == json!(true);
    let propagation = match policy {
        "Foreground" => Some(Propagation::Foreground),
        "Orphan" => Some(Propagation::Orphan),
        "Background" => Some(Propagation::Background),
        _ if orphan => Some(Propagation::Orphan),
        _ => None,
    };
    Ok(DeleteOptions { preconditions, grace_period_seconds, propagation, dry_run })
}

fn success_status(store: &Store, object: &Value) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {
            "name": object["metadata"]["name"],
            "group": store.def.group,
            "kind": store.def.plural,
            "uid": object["metadata"]["uid"],
        },
    })
}

pub(super) async fn delete(store: &Arc<Store>, request: RestRequest) -> Result<Response, ApiError> {
    let output = output(&request)?;
    let body = request.read_body().await?;
    let opts = delete_options(&request, &body)?;
    let ctx = request.context(opts.dry_run);
    match store.delete(&ctx, &request.info.name, opts).await? {
        DeleteOutcome::Deleted(object) if store.strategy.return_deleted_object() => {
            object_response(store, 200, output, to_bytes(&object))
        }
        DeleteOutcome::Deleted(object) => Ok(responses::json_value(200, &success_status(store, &object))),
        DeleteOutcome::Pending(object) => object_response(store, 202, output, to_bytes(&object)),
    }
}

pub(super) async fn delete_collection(store: &Arc<Store>, request: RestRequest) -> Result<Response, ApiError> {
    let body = request.read_body().await?;
    let opts = delete_options(&request, &body)?;
    let ctx = request.context(opts.dry_run);
    let list = store.list(&ctx, list_options(store, &request, false)?).await?;
    let mut deleted = Vec::new();
    for item in &list.items {
        let object: Value = serde_json::from_slice(&item.data).map_err(|e| ApiError::internal(e.to_string()))?;
        let name = object["metadata"]["name"].as_str().unwrap_or_default().to_string();
        let item_ctx = crate::registry::Context {
            namespace: object["metadata"]["namespace"].as_str().unwrap_or_default().to_string(),
            ..ctx.clone()
        };
        let opts = DeleteOptions { preconditions: Preconditions::default(), ..opts.clone() };
        match store.delete(&item_ctx, &name, opts).await {
            Ok(DeleteOutcome::Deleted(object) | DeleteOutcome::Pending(object)) => deleted.push(object),
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    let body = json!({
        "kind": format!("{}List", store.def.kind),
        "apiVersion": store.def.api_version(),
        "metadata": {"resourceVersion": list.resource_version.to_string()},
        "items": deleted,
    });
    Ok(responses::json_value(200, &body))
}

/// pods/binding: assigns an unbound pod to a node, as the scheduler does.
pub(super) async fn bind(store: &Arc<Store>, request: RestRequest) -> Result<Response, ApiError> {
    let dry_run = request.query.dry_run()?;
    let body = request.read_body().await?;
    let binding = decode_body(request.header("content-type"), &body)?;
    bind_pod(store, &request.context(dry_run), &request.info.name, &binding).await?;
    Ok(responses::json_value(201, &binding_status()))
}

/// The Status a binding answers with.
pub fn binding_status() -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201})
}

/// Upstream's BindingREST: assigns the pod `name` (in `pods`) to the node
/// the Binding targets, unless it is already assigned or being deleted.
pub async fn bind_pod(pods: &Arc<Store>, ctx: &Context, name: &str, binding: &Value) -> Result<(), ApiError> {
    let node = binding["target"]["name"].as_str().unwrap_or_default().to_string();
    if node.is_empty() {
        return Err(ApiError::invalid(
            "",
            "Binding",
            name,
            &[apimachinery::field::FieldError::required("target.name", "")],
        ));
    }
    let (resource, pod) = (pods.def.group_resource(), name.to_string());
    let assign = Arc::new(move |current: &Value| {
        if !current["metadata"]["deletionTimestamp"].is_null() {
            return Err(ApiError::conflict(&resource, &pod, "pod is being deleted, cannot be assigned to a host"));
        }
        match current["spec"]["nodeName"].as_str().filter(|n| !n.is_empty()) {
            Some(assigned) => Err(ApiError::conflict(
                &resource,
                &pod,
                &format!("pod {pod} is already assigned to node \"{assigned}\""),
            )),
            None => {
                let mut next = current.clone();
                next["spec"]["nodeName"] = json!(node);
                Ok(next)
            }
        }
    });
    pods.update(ctx, name, assign, Subresource::Main).await.map(|_| ())
}

/// A create on a subresource the kind's strategy answers (such as
/// serviceaccounts/token).
pub(super) async fn create_subresource(store: &Arc<Store>, request: RestRequest) -> Result<Response, ApiError> {
    let output = output(&request)?;
    let body = request.read_body().await?;
    let mut input = decode_body(request.header("content-type"), &body)?;
    strip_nulls(&mut input);
    let ctx = request.context(request.query.dry_run()?);
    let parent = store.get(&ctx, &request.info.name, None).await?;
    let parent: Value = serde_json::from_slice(&parent.data).map_err(|e| ApiError::internal(e.to_string()))?;
    match store.strategy.create_subresource(&ctx, &request.info.subresource, &parent, input).await {
        Some(answer) => Ok(responses::value(201, output, &answer?)),
        None => Err(ApiError::path_not_found()),
    }
}
