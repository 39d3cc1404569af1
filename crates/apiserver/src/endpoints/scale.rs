//! The `scale` subresource (autoscaling/v1 Scale) of any resource that
//! declares where its replicas and selector live.

use std::sync::Arc;

use apimachinery::ApiError;
use apimachinery::labels::selector_to_string;
use serde_json::{Value, json};

use super::RestRequest;
use super::patch::{NoLists, PatchType, apply_patch};
use super::reads::output;
use crate::negotiation::decode_body;
use crate::registry::{Store, Subresource};
use crate::resource::ScalePaths;
use crate::responses::{self, Response};

fn paths(store: &Store) -> Result<ScalePaths, ApiError> {
    store
        .def
        .subresources
        .iter()
        .find_map(|s| s.scale.clone())
        .ok_or_else(|| ApiError::method_not_supported(&store.def.group_resource(), "scale"))
}

fn at<'a>(object: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(object, |v, key| &v[key])
}

fn set(object: &mut Value, path: &str, value: Value) {
    let mut target = object;
    for key in path.split('.') {
        if !target.is_object() {
            *target = json!({});
        }
        target = &mut target[key];
    }
    *target = value;
}

/// The Scale view of an object.
fn scale_of(object: &Value, paths: &ScalePaths) -> Value {
    let meta = &object["metadata"];
    let mut status = json!({"replicas": at(object, &paths.status_replicas).as_i64().unwrap_or(0)});
    if let Some(selector_path) = &paths.label_selector {
        let selector = at(object, selector_path);
        let text = match selector {
            Value::Object(map) if map.contains_key("matchLabels") || map.contains_key("matchExpressions") => {
                selector_to_string(selector)
            }
            Value::Object(map) => {
                map.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join(",")
            }
            other => other.as_str().unwrap_or_default().to_string(),
        };
        if !text.is_empty() {
            status["selector"] = json!(text);
        }
    }
    let mut metadata = json!({});
    for field in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
        if !meta[field].is_null() {
            metadata[field] = meta[field].clone();
        }
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": metadata,
        "spec": {"replicas": at(object, &paths.spec_replicas).as_i64().unwrap_or(0)},
        "status": status,
    })
}

pub(super) async fn get(store: &Store, request: &RestRequest) -> Result<Response, ApiError> {
    let output = output(request)?;
    let paths = paths(store)?;
    let object = store.get(&request.context(false), &request.info.name, None).await?;
    let object: Value = serde_json::from_slice(&object.data).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(responses::value(200, output, &scale_of(&object, &paths)))
}

/// Writes a new replica count computed from the current Scale.
async fn write(
    store: &Arc<Store>,
    request: &RestRequest,
    new_scale: crate::registry::Mutation,
) -> Result<Response, ApiError> {
    let output = output(request)?;
    let dry_run = request.query.dry_run()?;
    let paths = paths(store)?;
    let mutation_paths = paths.clone();
    let group_resource = store.def.group_resource();
    let name = request.info.name.clone();
    let manager = super::writes::Manager::of(store, request)?;
    let updated = store
        .update(
            &request.context(dry_run),
            &request.info.name,
            Arc::new(move |current: &Value| {
                let scale = new_scale(&scale_of(current, &mutation_paths))?;
                let sent_rv = scale["metadata"]["resourceVersion"].as_str().unwrap_or_default();
                if !sent_rv.is_empty() && Some(sent_rv) != current["metadata"]["resourceVersion"].as_str() {
                    return Err(ApiError::conflict(
                        &group_resource,
                        &name,
                        "the object has been modified; please apply your changes to the latest version and try again",
                    ));
                }
                let replicas = scale["spec"]["replicas"].as_i64().unwrap_or(0);
                if replicas < 0 {
                    return Err(ApiError::invalid(
                        "autoscaling",
                        "Scale",
                        &name,
                        &[apimachinery::field::FieldError::invalid(
                            "spec.replicas",
                            json!(replicas),
                            "must be greater than or equal to 0",
                        )],
                    ));
                }
                let mut next = current.clone();
                set(&mut next, &mutation_paths.spec_replicas, json!(replicas));
                manager.update(Some(current), &mut next);
                Ok(next)
            }),
            Subresource::Main,
        )
        .await?;
    Ok(responses::value(200, output, &scale_of(&updated, &paths)))
}

pub(super) async fn update(store: &Arc<Store>, request: RestRequest) -> Result<Response, ApiError> {
    let body = request.read_body().await?;
    let scale = Arc::new(decode_body(request.header("content-type"), &body)?);
    write(store, &request, Arc::new(move |_| Ok((*scale).clone()))).await
}

/// A patch of the Scale; an applied Scale (whose only field of its own is
/// spec.replicas) merges as a merge patch does.
pub(super) async fn patch(store: &Arc<Store>, request: RestRequest) -> Result<Response, ApiError> {
    let patch_type = PatchType::from_content_type(request.header("content-type"), true)?;
    let body = request.read_body().await?;
    let (patch_type, patch): (PatchType, Value) = match patch_type {
        PatchType::Apply => {
            let applied = serde_yaml::from_slice(&body)
                .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
            (PatchType::Merge, applied)
        }
        other => (
            other,
            serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?,
        ),
    };
    let patch = Arc::new(patch);
    write(store, &request, Arc::new(move |current| apply_patch(patch_type, current, &patch, Some(&NoLists)))).await
}
