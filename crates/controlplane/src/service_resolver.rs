//! Reaching a Service without kube-proxy: a Service's port resolves to a
//! ready address of its Endpoints (upstream's endpoint routing, as the
//! aggregator does with --enable-aggregator-routing). Conversion webhooks
//! given as Services are called this way.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use apiserver::informer::controller_context;
use apiserver::registry::Store;
use apiserver::webhook::ServiceResolver;
use async_trait::async_trait;
use serde_json::Value;

/// Resolves Services through their Endpoints.
pub struct EndpointsResolver {
    /// The Services.
    pub services: Arc<Store>,
    /// Their Endpoints.
    pub endpoints: Arc<Store>,
}

async fn read(store: &Store, namespace: &str, name: &str) -> Result<Value, String> {
    let ctx = controller_context("service-resolver", namespace);
    let object = store.get(&ctx, name, None).await.map_err(|e| e.message)?;
    serde_json::from_slice(&object.data).map_err(|e| e.to_string())
}

#[async_trait]
impl ServiceResolver for EndpointsResolver {
    async fn resolve(&self, namespace: &str, name: &str, port: u16) -> Result<SocketAddr, String> {
        let service = read(&self.services, namespace, name).await?;
        let service_port = service["spec"]["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["port"].as_u64() == Some(u64::from(port)))
            .ok_or_else(|| format!("service {namespace}/{name} has no port {port}"))?;
        let port_name = service_port["name"].as_str().unwrap_or_default();
        let endpoints = read(&self.endpoints, namespace, name).await?;
        for subset in endpoints["subsets"].as_array().into_iter().flatten() {
            let Some(target) = subset["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["name"].as_str().unwrap_or_default() == port_name)
                .and_then(|p| p["port"].as_u64())
            else {
                continue;
            };
            let ip = subset["addresses"]
                .as_array()
                .into_iter()
                .flatten()
                .find_map(|a| a["ip"].as_str()?.parse::<IpAddr>().ok());
            if let Some(ip) = ip {
                return Ok(SocketAddr::new(ip, target as u16));
            }
        }
        Err(format!("no endpoints available for service \"{namespace}/{name}\""))
    }
}
