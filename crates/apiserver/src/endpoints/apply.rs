//! Server-side apply: a PATCH with `application/apply-patch+yaml` (or
//! `+json`) merges the applied configuration into the object by its
//! schema, as its field manager's Apply, or creates the object when there
//! is none.

use std::sync::Arc;

use apimachinery::ApiError;
use serde_json::Value;

use super::RestRequest;
use super::reads::{object_response, output};
use super::writes::{Manager, Warnings, strip_nulls, subresource, to_bytes};
use crate::fieldvalidation::FieldValidation;
use crate::registry::Store;
use crate::responses::{self, Response};

pub(super) async fn apply(store: &Arc<Store>, request: RestRequest) -> Result<Response, ApiError> {
    let output = output(&request)?;
    let dry_run = request.query.dry_run()?;
    let manager = Manager::of(store, &request)?;
    if manager.name.is_empty() {
        return Err(ApiError::invalid(
            "meta.k8s.io",
            "PatchOptions",
            "",
            &[apimachinery::field::FieldError::required("fieldManager", "is required for apply patch")],
        ));
    }
    let force = match request.query.get("force") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(ApiError::bad_request(format!("force: invalid value {other:?}"))),
    };
    let body = request.read_body().await?;
    let mut applied: Value =
        serde_yaml::from_slice(&body).map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
    if !applied.is_object() {
        return Err(ApiError::bad_request("the apply configuration must be an object"));
    }
    strip_nulls(&mut applied);
    let validation = FieldValidation::parse(request.query.get("fieldValidation"))?;
    let warnings = validation.apply(&store.def, &mut applied, &[])?;
    let ctx = request.context(dry_run);
    let applied = Arc::new(applied);
    let collected = Warnings::default();
    let (applier, config) = (manager.clone(), applied.clone());
    let updated = store
        .update(
            &ctx,
            &request.info.name,
            Arc::new(move |current| applier.field_manager().apply(Some(current), &config, &applier.name, force)),
            subresource(&request),
        )
        .await;
    collected.set(warnings);
    let (code, object) = match updated {
        Ok(object) => (200, object),
        Err(e) if e.code == 404 && request.info.subresource.is_empty() => {
            let mut object = manager.field_manager().apply(None, &applied, &manager.name, force)?;
            object["metadata"]["name"] = Value::String(request.info.name.clone());
            (201, store.create(&ctx, object).await?)
        }
        Err(e) => return Err(e),
    };
    Ok(responses::with_warnings(object_response(store, code, output, to_bytes(&object))?, &collected.take()))
}
