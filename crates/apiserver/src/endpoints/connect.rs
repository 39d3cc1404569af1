//! Upstream's connecter subresources (pods/log, exec, attach, portforward,
//! proxy): the parent is read, and its strategy answers.

use apimachinery::ApiError;
use http::{HeaderValue, header};

use super::RestRequest;
use crate::registry::Store;
use crate::responses::Response;

pub(super) async fn connect(store: &Store, request: &RestRequest) -> Result<Response, ApiError> {
    let parent = store.get(&request.context(false), &request.info.name, None).await?;
    let parent = serde_json::from_slice(&parent.data).map_err(|e| ApiError::internal(e.to_string()))?;
    let connected = store
        .strategy
        .connect(&request.info.subresource, &parent, &request.query)
        .await
        .ok_or_else(ApiError::path_not_found)??;
    let mut response = http::Response::new(axum::body::Body::from(connected.body));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(connected.content_type));
    Ok(response)
}
