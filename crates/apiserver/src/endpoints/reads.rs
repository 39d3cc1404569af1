//! get and list.

use apimachinery::ApiError;
use bytes::{BufMut, Bytes, BytesMut};
use serde_json::{Value, json};
use storage::ListOptions;

use super::{RestRequest, supported_fields};
use crate::negotiation::{Output, output_for};
use crate::registry::Store;
use crate::registry::table::{partial_metadata, to_table};
use crate::responses::{self, Response};

/// The representation the request asks for.
pub(super) fn output(request: &RestRequest) -> Result<Output, ApiError> {
    output_for(request.header("accept"), request.query.get("includeObject"), false)
}

fn decode(data: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(data).map_err(|e| ApiError::internal(e.to_string()))
}

/// Writes one object (as stored bytes) in the requested representation.
pub(super) fn object_response(store: &Store, code: u16, output: Output, data: Bytes) -> Result<Response, ApiError> {
    Ok(match output {
        Output::Table(include) => {
            let object = decode(&data)?;
            let rv = object["metadata"]["resourceVersion"].as_str().unwrap_or_default().to_string();
            responses::json_value(code, &to_table(store.strategy.table(), &[object], &rv, None, include))
        }
        Output::PartialMetadata => responses::json_value(code, &partial_metadata(&decode(&data)?)),
        other => responses::encoded(code, other, data),
    })
}

pub(super) async fn get(store: &Store, request: &RestRequest) -> Result<Response, ApiError> {
    let output = output(request)?;
    let rv = request.query.resource_version()?;
    let object = store.get(&request.context(false), &request.info.name, rv).await?;
    object_response(store, 200, output, object.data)
}

/// The list options of a list or watch request.
pub(super) fn list_options(store: &Store, request: &RestRequest, for_watch: bool) -> Result<ListOptions, ApiError> {
    let query = &request.query;
    let continue_token = query.get("continue").filter(|c| !c.is_empty()).map(str::to_string);
    let resource_version = query.resource_version()?;
    let resource_version_match = query.resource_version_match()?;
    if continue_token.is_some() && resource_version.is_some_and(|rv| rv > 0) {
        return Err(ApiError::bad_request("specifying resource version is not allowed when using continue"));
    }
    if !for_watch && resource_version_match.is_some() && resource_version.is_none() {
        return Err(ApiError::bad_request("resourceVersionMatch is forbidden unless resourceVersion is provided"));
    }
    let limit = query.integer("limit")?.filter(|l| *l > 0).map(|l| l as usize);
    Ok(ListOptions {
        resource_version,
        resource_version_match,
        predicate: query.predicate(&supported_fields(store))?,
        limit,
        continue_token,
        recursive: true,
    })
}

pub(super) async fn list(store: &Store, request: &RestRequest) -> Result<Response, ApiError> {
    let output = output(request)?;
    let list = store.list(&request.context(false), list_options(store, request, false)?).await?;
    let rv = list.resource_version.to_string();
    match output {
        Output::Table(include) => {
            let objects = list.items.iter().map(|o| decode(&o.data)).collect::<Result<Vec<_>, _>>()?;
            let table = to_table(store.strategy.table(), &objects, &rv, list.continue_token.as_deref(), include);
            Ok(responses::json_value(200, &table))
        }
        Output::PartialMetadata => {
            let items = list
                .items
                .iter()
                .map(|o| decode(&o.data).map(|v| partial_metadata(&v)))
                .collect::<Result<Vec<_>, _>>()?;
            let mut metadata = json!({"resourceVersion": rv});
            if let Some(token) = &list.continue_token {
                metadata["continue"] = json!(token);
            }
            let body = json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": metadata, "items": items});
            Ok(responses::json_value(200, &body))
        }
        other => {
            let mut metadata = json!({"resourceVersion": rv});
            if let Some(token) = &list.continue_token {
                metadata["continue"] = json!(token);
            }
            if let Some(remaining) = list.remaining_item_count {
                metadata["remainingItemCount"] = json!(remaining);
            }
            let head = format!(
                "{{\"kind\":\"{}List\",\"apiVersion\":\"{}\",\"metadata\":{},\"items\":[",
                store.def.kind,
                store.def.api_version(),
                metadata
            );
            let size = head.len() + list.items.iter().map(|o| o.data.len() + 1).sum::<usize>() + 2;
            let mut body = BytesMut::with_capacity(size);
            body.put_slice(head.as_bytes());
            for (i, item) in list.items.iter().enumerate() {
                if i > 0 {
                    body.put_u8(b',');
                }
                body.put_slice(&item.data);
            }
            body.put_slice(b"]}");
            Ok(responses::encoded(200, other, body.freeze()))
        }
    }
}
