//! Calling out to webhooks (upstream's apiserver/pkg/util/webhook): a JSON
//! POST over HTTPS to the `clientConfig` of a conversion (or admission)
//! webhook — a URL, or a Service whose address a [`ServiceResolver`] finds —
//! trusting the config's caBundle.

use std::net::SocketAddr;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::Value;

use crate::backend::{Backend, tls_config};

/// Finds where a Service's port is served. There is no kube-proxy here, so
/// a Service is reached at one of its ready endpoints (as upstream's
/// aggregator does with --enable-aggregator-routing).
#[async_trait]
pub trait ServiceResolver: Send + Sync {
    /// The address of a ready endpoint of `namespace/name` for the Service
    /// port `port`.
    async fn resolve(&self, namespace: &str, name: &str, port: u16) -> Result<SocketAddr, ResolveError>;
}

/// Why a Service could not be reached, in the terms upstream's
/// availability checks report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// There is no such Service.
    ServiceNotFound,
    /// The Service has no such port.
    NoSuchPort,
    /// The Service has no EndpointSlices (nor Endpoints).
    NoEndpoints,
    /// No ready endpoint serves the port, named so.
    NoReadyAddress(String),
    /// Reading the Service or its endpoints failed.
    Unreadable(String),
}

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolveError::ServiceNotFound => write!(f, "service not found"),
            ResolveError::NoSuchPort => write!(f, "no such service port"),
            ResolveError::NoEndpoints | ResolveError::NoReadyAddress(_) => write!(f, "no endpoints available"),
            ResolveError::Unreadable(message) => write!(f, "{message}"),
        }
    }
}

/// Where a webhook is: `url`, or `service` and `caBundle` as in a
/// WebhookClientConfig.
pub struct Target {
    backend: Backend,
    port: u16,
    path: String,
}

impl Target {
    /// The target of a WebhookClientConfig (`url` or `service`, `caBundle`).
    pub async fn of(config: &Value, resolver: Option<&dyn ServiceResolver>) -> Result<Self, String> {
        use base64::Engine;
        let ca_bundle = match config["caBundle"].as_str() {
            Some(text) => {
                base64::engine::general_purpose::STANDARD.decode(text).map_err(|e| format!("invalid caBundle: {e}"))?
            }
            None => Vec::new(),
        };
        let tls = tls_config(&ca_bundle, false, None)?;
        if let Some(url) = config["url"].as_str() {
            let uri: http::Uri = url.parse().map_err(|e| format!("invalid url {url:?}: {e}"))?;
            let host =
                uri.host().ok_or_else(|| format!("url {url:?} has no host"))?.trim_matches(['[', ']']).to_string();
            let path = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
            let port = uri.port_u16().unwrap_or(443);
            let address = tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|e| e.to_string())?
                .next()
                .ok_or_else(|| format!("no address for {host}"))?;
            return Ok(Target { backend: Backend { address, server_name: host, tls }, port, path });
        }
        let service = &config["service"];
        let (namespace, name) =
            (service["namespace"].as_str().unwrap_or_default(), service["name"].as_str().unwrap_or_default());
        let port = service["port"].as_u64().unwrap_or(443) as u16;
        let resolver = resolver.ok_or("services cannot be resolved yet")?;
        let address = resolver
            .resolve(namespace, name, port)
            .await
            .map_err(|e| format!("service \"{namespace}/{name}\": {e}"))?;
        Ok(Target {
            backend: Backend { address, server_name: format!("{name}.{namespace}.svc"), tls },
            port,
            path: service["path"].as_str().unwrap_or("/").to_string(),
        })
    }

    /// The URL as errors show it.
    pub fn url(&self) -> String {
        format!("https://{}:{}{}", self.backend.server_name, self.port, self.path)
    }

    /// POSTs `body` and returns the JSON answer; errors read as Go's HTTP
    /// client words them (`Post "https://...": ...`).
    pub async fn post(&self, body: &Value, timeout: Duration) -> Result<Value, String> {
        let url = self.url();
        let fail = |e: String| format!("Post \"{url}\": {e}");
        tokio::time::timeout(timeout, self.exchange(body))
            .await
            .map_err(|_| fail("context deadline exceeded".into()))?
            .map_err(fail)
    }

    async fn exchange(&self, body: &Value) -> Result<Value, String> {
        let payload = serde_json::to_vec(body).map_err(|e| e.to_string())?;
        let request = http::Request::post(&self.path)
            .header(http::header::HOST, format!("{}:{}", self.backend.server_name, self.port))
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(payload)))
            .map_err(|e| e.to_string())?;
        let response = self.backend.send(request).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        if !status.is_success() {
            return Err(format!("the server responded with {status}: {}", String::from_utf8_lossy(&bytes)));
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("invalid JSON in the response: {e}"))
    }
}
