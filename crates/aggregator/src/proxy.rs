//! Upstream's proxy handler: a request for a remote APIService's group
//! version goes to a ready endpoint of its Service over TLS (verified with
//! spec.caBundle for `<service>.<namespace>.svc`, or not at all with
//! insecureSkipTLSVerify), authenticated with the proxy client certificate,
//! the caller named in X-Remote-User, X-Remote-Group and X-Remote-Extra-*.
//! The response streams back as the backend writes it (watches too). An
//! unavailable APIService or an unreachable backend is a 503; a backend
//! that answers with a redirect is a 502 (upstream rejects forwarded
//! redirects by default).

use apiserver::authn::UserInfo;
use apiserver::backend::{Backend, ClientIdentity, tls_config};
use apiserver::responses::Response;
use apiserver::webhook::ServiceResolver;
use axum::body::Body;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use serde_json::Value;

use crate::apiservice::is_available;

/// Headers that belong to one connection and are not passed on.
const HOP_BY_HOP: [&str; 7] =
    ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];

/// A plain-text answer, as upstream's proxy writes its errors.
pub fn plain(status: StatusCode, message: &str) -> Response {
    let mut response = http::Response::new(Body::from(format!("{message}\n")));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    response
}

/// An extra's key as a header name suffix: bytes that are not token
/// characters, and `%`, are percent-escaped.
fn escape_extra_key(key: &str) -> String {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$&'*+-.^_`|~".contains(&b);
    key.bytes().map(|b| if token(b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Whether the request asks to switch protocols (exec, attach,
/// port-forward streams).
fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.to_ascii_lowercase().contains("upgrade")))
}

/// The request headers the backend gets: the caller's, minus credentials,
/// impersonation and hop-by-hop ones (but for an upgrade's Connection and
/// Upgrade), plus who the caller is.
fn forwarded_headers(incoming: &HeaderMap, user: &UserInfo) -> HeaderMap {
    let upgrade = is_upgrade(incoming);
    let mut headers = HeaderMap::new();
    for (name, value) in incoming {
        let lower = name.as_str();
        let kept_for_upgrade = upgrade && (lower == "connection" || lower == "upgrade");
        if (HOP_BY_HOP.contains(&lower) && !kept_for_upgrade)
            || lower == "authorization"
            || lower == "host"
            || lower.starts_with("impersonate-")
            || lower.starts_with("x-remote-")
        {
            continue;
        }
        headers.append(name.clone(), value.clone());
    }
    let mut set = |name: &str, value: &str| {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.append(name, value);
        }
    };
    set("X-Remote-User", &user.username);
    if !user.uid.is_empty() {
        set("X-Remote-Uid", &user.uid);
    }
    for group in &user.groups {
        set("X-Remote-Group", group);
    }
    for (key, values) in &user.extra {
        for value in values {
            set(&format!("X-Remote-Extra-{}", escape_extra_key(key)), value);
        }
    }
    headers
}

/// Sends a request for `apiservice` on to its backend.
pub async fn forward(
    apiservice: &Value,
    request: http::Request<Body>,
    user: &UserInfo,
    resolver: &dyn ServiceResolver,
    identity: Option<&ClientIdentity>,
) -> Result<Response, Response> {
    let unavailable = || plain(StatusCode::SERVICE_UNAVAILABLE, "service unavailable");
    if !is_available(apiservice) {
        return Err(unavailable());
    }
    let spec = &apiservice["spec"];
    let service = &spec["service"];
    let namespace = service["namespace"].as_str().unwrap_or_default();
    let name = service["name"].as_str().unwrap_or_default();
    let port = service["port"].as_u64().unwrap_or(443) as u16;
    let address = resolver.resolve(namespace, name, port).await.map_err(|e| {
        tracing::warn!(service = %format!("{namespace}/{name}"), error = %e, "cannot reach an extension API server");
        unavailable()
    })?;
    let ca_bundle = {
        use base64::Engine;
        let text = spec["caBundle"].as_str().unwrap_or_default();
        base64::engine::general_purpose::STANDARD.decode(text).unwrap_or_default()
    };
    let insecure = spec["insecureSkipTLSVerify"] == Value::Bool(true);
    let tls = tls_config(&ca_bundle, insecure, identity).map_err(|e| plain(StatusCode::INTERNAL_SERVER_ERROR, &e))?;
    let backend = Backend { address, server_name: format!("{name}.{namespace}.svc"), tls };
    let mut request = request;
    let client_upgrade = is_upgrade(request.headers()).then(|| hyper::upgrade::on(&mut request));
    let (parts, body) = request.into_parts();
    let mut outgoing = http::Request::builder()
        .method(parts.method.clone())
        .uri(parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"))
        .body(body)
        .map_err(|e| plain(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()))?;
    *outgoing.headers_mut() = forwarded_headers(&parts.headers, user);
    if let Ok(host) = HeaderValue::try_from(address.to_string()) {
        outgoing.headers_mut().insert(header::HOST, host);
    }
    let mut response = backend.send(outgoing).await.map_err(|e| plain(StatusCode::SERVICE_UNAVAILABLE, &e))?;
    if let Some(client_upgrade) = client_upgrade
        && response.status() == StatusCode::SWITCHING_PROTOCOLS
    {
        let backend_upgrade = hyper::upgrade::on(&mut response);
        tokio::spawn(async move {
            let (Ok(client), Ok(backend)) = (client_upgrade.await, backend_upgrade.await) else { return };
            let (mut client, mut backend) =
                (hyper_util::rt::TokioIo::new(client), hyper_util::rt::TokioIo::new(backend));
            let _ = tokio::io::copy_bidirectional(&mut client, &mut backend).await;
        });
        let (parts, _) = response.into_parts();
        return Ok(http::Response::from_parts(parts, Body::empty()));
    }
    if response.status().is_redirection() && response.headers().contains_key(header::LOCATION) {
        return Err(plain(
            StatusCode::BAD_GATEWAY,
            "the backend attempted to redirect this request, which is not permitted",
        ));
    }
    let (mut parts, body) = response.into_parts();
    for name in HOP_BY_HOP {
        parts.headers.remove(name);
    }
    Ok(http::Response::from_parts(parts, Body::new(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_travels_in_x_remote_headers() {
        let mut incoming = HeaderMap::new();
        incoming.insert("authorization", HeaderValue::from_static("Bearer secret"));
        incoming.insert("x-remote-user", HeaderValue::from_static("forged"));
        incoming.insert("accept", HeaderValue::from_static("application/json"));
        let user = UserInfo {
            username: "alice".into(),
            groups: vec!["dev".into(), "system:authenticated".into()],
            extra: [("scopes.example.com/a b".to_string(), vec!["read".to_string()])].into(),
            ..Default::default()
        };
        let headers = forwarded_headers(&incoming, &user);
        assert!(headers.get("authorization").is_none());
        assert_eq!(headers.get_all("x-remote-user").iter().collect::<Vec<_>>(), ["alice"]);
        assert_eq!(headers.get_all("x-remote-group").iter().collect::<Vec<_>>(), ["dev", "system:authenticated"]);
        assert_eq!(headers["x-remote-extra-scopes.example.com%2Fa%20b"], "read");
        assert_eq!(headers["accept"], "application/json");
    }
}
