//! The non-resource paths: `/healthz`, `/livez` and `/readyz` (with
//! `?verbose` and one path per check), `/version`, `/openapi/v3` and
//! `/metrics`.

use std::sync::Arc;

use apimachinery::ApiError;
use futures::future::BoxFuture;
use http::{HeaderValue, header};
use serde_json::json;

use crate::metrics::Metrics;
use crate::openapi;
use crate::responses::{self, Response};
use crate::server::GenericApiServer;

/// A named health check.
#[derive(Clone)]
pub struct HealthCheck {
    /// The check's name, e.g. `etcd` or `poststarthook/bootstrap`.
    pub name: String,
    /// Runs the check.
    pub check: Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>,
}

impl HealthCheck {
    /// A check from an async closure.
    pub fn new<F, Fut>(name: &str, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
    {
        HealthCheck { name: name.to_string(), check: Arc::new(move || Box::pin(check())) }
    }
}

/// The health checks of each endpoint.
#[derive(Clone, Default)]
pub struct HealthChecks {
    /// Checks of /livez and /healthz.
    pub live: Vec<HealthCheck>,
    /// Checks of /readyz (in addition to the live ones).
    pub ready: Vec<HealthCheck>,
}

/// The version the server reports.
pub const VERSION: (&str, &str) = ("1", "35");

/// Serves the non-resource paths; `None` for paths that are not one.
pub async fn serve(
    path: &str,
    query: Option<&str>,
    accept: Option<&str>,
    checks: &HealthChecks,
    head: &GenericApiServer,
    metrics: &Metrics,
) -> Option<Response> {
    let verbose =
        query.is_some_and(|q| q.split('&').any(|p| p == "verbose" || p == "verbose=true" || p == "verbose=1"));
    let trimmed = path.trim_end_matches('/');
    let (endpoint, single) = match trimmed.split_once('/').map(|(_, rest)| rest.split_once('/').unwrap_or((rest, ""))) {
        Some((endpoint, single)) => (endpoint, single),
        None => return None,
    };
    match endpoint {
        "healthz" | "livez" | "readyz" => {
            let mut selected: Vec<&HealthCheck> = checks.live.iter().collect();
            if endpoint == "readyz" {
                selected.extend(checks.ready.iter());
            }
            Some(health(endpoint, &selected, single, verbose).await)
        }
        "version" if single.is_empty() => Some(responses::json_value(200, &version())),
        "openapi" => Some(openapi_response(single, accept, head)),
        "metrics" if single.is_empty() => {
            let mut response = responses::json(200, metrics.encode());
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
            Some(response)
        }
        _ => None,
    }
}

fn text(code: u16, body: String) -> Response {
    let mut response = responses::json(code, body);
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response.headers_mut().insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    response
}

async fn health(endpoint: &str, checks: &[&HealthCheck], single: &str, verbose: bool) -> Response {
    let ping = HealthCheck::new("ping", || async { Ok(()) });
    let mut all = vec![&ping];
    all.extend(checks.iter().copied());
    if !single.is_empty() {
        return match all.iter().find(|c| c.name == single) {
            Some(check) => match (check.check)().await {
                Ok(()) => text(200, "ok".into()),
                Err(e) => text(500, format!("internal server error: {e}\n")),
            },
            None => responses::error(&ApiError::path_not_found()),
        };
    }
    let mut report = String::new();
    let mut failed = false;
    for check in all {
        match (check.check)().await {
            Ok(()) => report.push_str(&format!("[+]{} ok\n", check.name)),
            Err(_) => {
                failed = true;
                report.push_str(&format!("[-]{} failed: reason withheld\n", check.name));
            }
        }
    }
    if failed {
        report.push_str(&format!("{endpoint} check failed\n"));
        return text(500, report);
    }
    if verbose {
        report.push_str(&format!("{endpoint} check passed\n"));
        text(200, report)
    } else {
        text(200, "ok".into())
    }
}

fn version() -> serde_json::Value {
    json!({
        "major": VERSION.0,
        "minor": VERSION.1,
        "emulationMajor": VERSION.0,
        "emulationMinor": VERSION.1,
        "minCompatibilityMajor": VERSION.0,
        "minCompatibilityMinor": "34",
        "gitVersion": format!("v{}.{}.0-ferrokube.{}", VERSION.0, VERSION.1, env!("CARGO_PKG_VERSION")),
        "gitCommit": "",
        "gitTreeState": "clean",
        "buildDate": "",
        "goVersion": "rust",
        "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, match std::env::consts::ARCH { "x86_64" => "amd64", "aarch64" => "arm64", other => other }),
    })
}

fn openapi_response(rest: &str, accept: Option<&str>, head: &GenericApiServer) -> Response {
    let groups = head.groups();
    let remote = head.remote_documents();
    let remote_v3 = remote.as_ref().map(|r| r.v3()).unwrap_or_default();
    let swagger = || openapi::swagger_with(&groups, &remote.as_ref().map(|r| r.v2()).unwrap_or_default());
    if rest == "v2" && accept.is_some_and(|a| openapi::v2_protobuf::ACCEPTED.iter().any(|t| a.contains(t))) {
        let body = openapi::v2_protobuf::encode(&swagger());
        let mut response = http::Response::new(axum::body::Body::from(body));
        response
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(openapi::v2_protobuf::CONTENT_TYPE));
        return response;
    }
    let json_accepted = accept.is_none_or(|a| a.is_empty() || a.contains("json") || a.contains("*/*"));
    if !json_accepted {
        return responses::error(&ApiError::not_acceptable(&["application/json"]));
    }
    match rest.split_once('/') {
        None if rest == "v3" => responses::json_value(200, &openapi::root_with(&groups, &remote_v3)),
        None if rest == "v2" => responses::json_value(200, &swagger()),
        Some(("v3", path)) => {
            if let Some((_, document)) = remote_v3.iter().find(|(remote_path, _)| remote_path == path) {
                return responses::json_value(200, document);
            }
            let parts: Vec<&str> = path.split('/').collect();
            let (group, version) = match parts[..] {
                ["api", version] => ("", version),
                ["apis", group, version] => (group, version),
                _ => return responses::error(&ApiError::path_not_found()),
            };
            match groups.iter().find(|g| g.name == group).and_then(|g| openapi::document(g, version)) {
                Some(document) => responses::json_value(200, &document),
                None => responses::error(&ApiError::path_not_found()),
            }
        }
        _ => responses::error(&ApiError::path_not_found()),
    }
}
