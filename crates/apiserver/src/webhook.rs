//! Calling out to webhooks (upstream's apiserver/pkg/util/webhook): a JSON
//! POST over HTTPS to the `clientConfig` of a conversion (or admission)
//! webhook — a URL, or a Service whose address a [`ServiceResolver`] finds —
//! trusting the config's caBundle.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use tokio::net::TcpStream;

/// Finds where a Service's port is served. There is no kube-proxy here, so
/// a Service is reached at one of its ready endpoints (as upstream's
/// aggregator does with --enable-aggregator-routing).
#[async_trait]
pub trait ServiceResolver: Send + Sync {
    /// The address of a ready endpoint of `namespace/name` for the Service
    /// port `port`.
    async fn resolve(&self, namespace: &str, name: &str, port: u16) -> Result<SocketAddr, String>;
}

/// Where a webhook is: `url`, or `service` and `caBundle` as in a
/// WebhookClientConfig.
pub struct Target {
    /// Host (for TLS verification), address to dial, and path.
    host: String,
    address: Option<SocketAddr>,
    port: u16,
    path: String,
    ca_bundle: Vec<u8>,
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
        if let Some(url) = config["url"].as_str() {
            let uri: http::Uri = url.parse().map_err(|e| format!("invalid url {url:?}: {e}"))?;
            let host =
                uri.host().ok_or_else(|| format!("url {url:?} has no host"))?.trim_matches(['[', ']']).to_string();
            let path = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
            return Ok(Target { host, address: None, port: uri.port_u16().unwrap_or(443), path, ca_bundle });
        }
        let service = &config["service"];
        let (namespace, name) =
            (service["namespace"].as_str().unwrap_or_default(), service["name"].as_str().unwrap_or_default());
        let port = service["port"].as_u64().unwrap_or(443) as u16;
        let resolver = resolver.ok_or("services cannot be resolved yet")?;
        let address = resolver.resolve(namespace, name, port).await?;
        Ok(Target {
            host: format!("{name}.{namespace}.svc"),
            address: Some(address),
            port: address.port(),
            path: service["path"].as_str().unwrap_or("/").to_string(),
            ca_bundle,
        })
    }

    /// The URL as errors show it.
    pub fn url(&self) -> String {
        format!("https://{}:{}{}", self.host, self.port, self.path)
    }

    fn tls(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&self.ca_bundle) {
            roots.add(cert.map_err(|e| format!("invalid caBundle: {e}"))?).map_err(|e| e.to_string())?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(config))
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
        let address = match self.address {
            Some(address) => address,
            None => tokio::net::lookup_host((self.host.as_str(), self.port))
                .await
                .map_err(|e| e.to_string())?
                .next()
                .ok_or_else(|| format!("no address for {}", self.host))?,
        };
        let tcp = TcpStream::connect(address).await.map_err(|e| e.to_string())?;
        let server_name = ServerName::try_from(self.host.clone()).map_err(|e| e.to_string())?;
        let tls = tokio_rustls::TlsConnector::from(self.tls()?)
            .connect(server_name, tcp)
            .await
            .map_err(|e| format!("tls: {e}"))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        let payload = serde_json::to_vec(body).map_err(|e| e.to_string())?;
        let request = http::Request::post(&self.path)
            .header(http::header::HOST, format!("{}:{}", self.host, self.port))
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(payload)))
            .map_err(|e| e.to_string())?;
        let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let bytes = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        if !status.is_success() {
            return Err(format!("the server responded with {status}: {}", String::from_utf8_lossy(&bytes)));
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("invalid JSON in the response: {e}"))
    }
}
