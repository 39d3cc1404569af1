//! Upstream's endpoints/handlers: the REST verbs of one resource, generic
//! over every kind. Routing has already found the resource's
//! [`Store`](crate::registry::Store); these handlers parse the request,
//! call it, and write the response in the negotiated representation.

mod apply;
mod connect;
mod patch;
pub mod query;
mod reads;
mod scale;
mod watch;
mod writes;

use std::sync::Arc;

use apimachinery::ApiError;
use axum::body::Body;
use bytes::Bytes;
use http::HeaderMap;
use http_body_util::BodyExt;

pub use self::query::Query;
pub use self::writes::{bind_pod, binding_status};
use crate::authn::UserInfo;
use crate::registry::{Context, Store};
use crate::request_info::RequestInfo;
use crate::responses::{self, Response};

/// Upstream's limit on request bodies (3 MiB).
pub const MAX_REQUEST_BODY_BYTES: usize = 3 * 1024 * 1024;

/// A resource request with everything the handlers need.
pub struct RestRequest {
    /// What the path means.
    pub info: RequestInfo,
    /// The query parameters.
    pub query: Query,
    /// Who is asking.
    pub user: UserInfo,
    /// The request headers.
    pub headers: HeaderMap,
    /// Raised when the server shuts down; watches end on it.
    pub shutdown: Option<crate::serve::ShutdownSignal>,
    /// The body, taken when read (behind a mutex so that the request can be
    /// shared across awaits).
    pub body: std::sync::Mutex<Option<Body>>,
}

impl RestRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn context(&self, dry_run: bool) -> Context {
        Context { user: self.user.clone(), namespace: self.info.namespace.clone(), dry_run }
    }

    /// Reads the body, refusing more than [`MAX_REQUEST_BODY_BYTES`].
    async fn read_body(&self) -> Result<Bytes, ApiError> {
        let body = self.body.lock().unwrap_or_else(|p| p.into_inner()).take().unwrap_or_else(Body::empty);
        match http_body_util::Limited::new(body, MAX_REQUEST_BODY_BYTES).collect().await {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
                Err(ApiError::request_entity_too_large(format!(
                    "Request entity too large: limit is {MAX_REQUEST_BODY_BYTES}"
                )))
            }
            Err(e) => Err(ApiError::bad_request(format!("cannot read the request body: {e}"))),
        }
    }
}

/// Serves one resource request.
pub async fn serve(store: Arc<Store>, request: RestRequest) -> Response {
    match handle(store, request).await {
        Ok(response) => response,
        Err(e) => responses::error(&e),
    }
}

async fn handle(store: Arc<Store>, request: RestRequest) -> Result<Response, ApiError> {
    let verb = request.info.verb.clone();
    let subresource = request.info.subresource.clone();
    let allowed = if subresource.is_empty() {
        store.def.verbs.contains(&verb.as_str())
    } else {
        match store.def.subresources.iter().find(|s| s.name == subresource) {
            Some(sub) => sub.verbs.contains(&verb.as_str()),
            None => return Err(ApiError::path_not_found()),
        }
    };
    if !allowed {
        return Err(ApiError::method_not_supported(&store.def.group_resource(), &verb));
    }
    match (verb.as_str(), subresource.as_str()) {
        (_, "log" | "exec" | "attach" | "portforward" | "proxy") => connect::connect(&store, &request).await,
        ("get", "" | "status" | "approval" | "ephemeralcontainers" | "resize") => reads::get(&store, &request).await,
        ("list", "") => reads::list(&store, &request).await,
        ("watch", "") => watch::watch(&store, &request).await,
        ("create", "") => writes::create(&store, request).await,
        ("update", "" | "status" | "finalize" | "approval" | "ephemeralcontainers" | "resize") => {
            writes::update(&store, request).await
        }
        ("patch", "" | "status" | "approval" | "ephemeralcontainers" | "resize") => {
            writes::patch(&store, request).await
        }
        ("delete", "") => writes::delete(&store, request).await,
        ("deletecollection", "") => writes::delete_collection(&store, request).await,
        ("create", "binding") => writes::bind(&store, request).await,
        ("create", _) => writes::create_subresource(&store, request).await,
        ("get", "scale") => scale::get(&store, &request).await,
        ("update", "scale") => scale::update(&store, request).await,
        ("patch", "scale") => scale::patch(&store, request).await,
        _ => Err(ApiError::method_not_supported(&store.def.group_resource(), &verb)),
    }
}

/// The field paths a resource's field selectors accept.
pub fn supported_fields(store: &Store) -> Vec<String> {
    let mut fields = vec!["metadata.name".to_string(), "metadata.namespace".to_string()];
    fields.extend(store.strategy.selectable_fields(&serde_json::json!({})).into_iter().map(|(k, _)| k));
    fields
}
