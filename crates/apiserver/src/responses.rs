//! Building HTTP responses: objects in the negotiated representation and
//! errors as metav1.Status.

use apimachinery::ApiError;
use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde_json::Value;

use crate::negotiation::Output;

/// The response type of every handler.
pub type Response = http::Response<Body>;

/// A JSON body with a status code.
pub fn json(code: u16, body: impl Into<Bytes>) -> Response {
    let mut response = http::Response::new(Body::from(body.into()));
    *response.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A JSON value with a status code.
pub fn json_value(code: u16, value: &Value) -> Response {
    json(code, serde_json::to_vec(value).unwrap_or_default())
}

/// An API error as a Status response, with Retry-After when it has one.
pub fn error(err: &ApiError) -> Response {
    let mut response = json_value(err.code, &err.to_status());
    if let Some(seconds) = err.retry_after()
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Encoded object bytes in the requested representation: JSON as is, YAML
/// converted. Tables and metadata views are built by the caller.
pub fn encoded(code: u16, output: Output, data: Bytes) -> Response {
    match output {
        Output::Yaml => match serde_json::from_slice::<Value>(&data).map(|v| serde_yaml::to_string(&v)) {
            Ok(Ok(yaml)) => {
                let mut response = json(code, yaml);
                response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/yaml"));
                response
            }
            _ => error(&ApiError::internal("cannot encode YAML")),
        },
        _ => json(code, data),
    }
}

/// A value in the requested representation.
pub fn value(code: u16, output: Output, value: &Value) -> Response {
    encoded(code, output, Bytes::from(serde_json::to_vec(value).unwrap_or_default()))
}

/// Adds one `Warning: 299 - "..."` header per message, as upstream sends
/// warnings (kubectl prints them).
pub fn with_warnings(mut response: Response, warnings: &[String]) -> Response {
    for warning in warnings {
        let escaped = warning.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(value) = HeaderValue::from_str(&format!("299 - \"{escaped}\"")) {
            response.headers_mut().append(header::WARNING, value);
        }
    }
    response
}
