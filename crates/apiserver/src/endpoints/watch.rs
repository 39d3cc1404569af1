//! watch: a chunked stream of `{"type":...,"object":...}` frames. The
//! object bytes of each event are the cache's own, shared by every watcher;
//! only Table watches decode them.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use apimachinery::ApiError;
use axum::body::Body;
use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderValue, header};
use serde_json::{Value, json};
use storage::{EventType, WatchEvent, WatchOptions};

use super::RestRequest;
use super::reads::{list_options, output};
use crate::negotiation::Output;
use crate::registry::Store;
use crate::registry::table::to_table;
use crate::responses::Response;

/// Upstream's default watch timeout when the client gives none
/// (--min-request-timeout, 1800s).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

pub(super) async fn watch(store: &Arc<Store>, request: &RestRequest) -> Result<Response, ApiError> {
    let output = output(request)?;
    let list = list_options(store, request, true)?;
    let opts = WatchOptions {
        resource_version: list.resource_version,
        predicate: list.predicate,
        recursive: true,
        send_initial_events: request.query.get("sendInitialEvents").map(|v| v == "true"),
        allow_bookmarks: request.query.flag("allowWatchBookmarks"),
    };
    if opts.send_initial_events.is_some() && request.query.get("resourceVersionMatch") != Some("NotOlderThan") {
        return Err(ApiError::invalid(
            "meta.k8s.io",
            "ListOptions",
            "",
            &[apimachinery::field::FieldError::forbidden(
                "sendInitialEvents",
                "sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to NotOlderThan",
            )],
        ));
    }
    let name = (!request.info.name.is_empty()).then_some(request.info.name.as_str());
    let events = store.watch(&request.context(false), name, opts).await?;
    let timeout = match request.query.integer("timeoutSeconds")? {
        Some(seconds) if seconds > 0 => Duration::from_secs(seconds as u64),
        _ => DEFAULT_TIMEOUT,
    };
    let store = store.clone();
    let shutdown = request.shutdown.clone();
    let stop = async move {
        match shutdown {
            Some(signal) => signal.wait().await,
            None => futures::future::pending().await,
        }
    };
    let frames = events
        .take_until(tokio::time::sleep(timeout))
        .take_until(stop)
        .scan(false, |failed, item| {
            let done = *failed;
            *failed |= item.is_err();
            futures::future::ready((!done).then_some(item))
        })
        .flat_map(move |item| {
            let parts: Vec<Bytes> = match item {
                Ok(event) => frame(&store, output, &event),
                Err(e) => {
                    let status = crate::registry::storage_error(e, &store.def.group_resource(), "").to_status();
                    vec![Bytes::from(format!("{}\n", json!({"type": "ERROR", "object": status})))]
                }
            };
            futures::stream::iter(parts.into_iter().map(Ok::<_, Infallible>))
        });
    let mut response = http::Response::new(Body::from_stream(frames));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, private"));
    Ok(response)
}

fn bookmark_object(store: &Store, event: &WatchEvent) -> Value {
    let mut metadata = json!({"resourceVersion": event.resource_version.to_string()});
    if event.initial_events_end {
        metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    json!({"kind": store.def.kind, "apiVersion": store.def.api_version(), "metadata": metadata})
}

/// The bytes of one event in the requested representation.
fn frame(store: &Store, output: Output, event: &WatchEvent) -> Vec<Bytes> {
    let wrap = |object: &Value| {
        vec![Bytes::from(format!("{}\n", json!({"type": event.event_type.as_str(), "object": object})))]
    };
    if event.event_type == EventType::Bookmark {
        return wrap(&bookmark_object(store, event));
    }
    match output {
        Output::Table(include) => match serde_json::from_slice::<Value>(&event.object) {
            Ok(object) => {
                let rv = event.resource_version.to_string();
                wrap(&to_table(store.strategy.table(), &[object], &rv, None, include))
            }
            Err(_) => Vec::new(),
        },
        Output::PartialMetadata => match serde_json::from_slice::<Value>(&event.object) {
            Ok(object) => wrap(&crate::registry::table::partial_metadata(&object)),
            Err(_) => Vec::new(),
        },
        _ => event.json_frame().to_vec(),
    }
}
