//! Reaching a Service without kube-proxy: a Service's port resolves to a
//! ready address of its EndpointSlices (upstream's endpoint routing, as the
//! aggregator does with --enable-aggregator-routing), or of its Endpoints
//! where no slice mirrors them yet. Conversion webhooks and extension API
//! servers given as Services are reached this way.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use apiserver::informer::controller_context;
use apiserver::registry::Store;
use apiserver::webhook::{ResolveError, ServiceResolver};
use async_trait::async_trait;
use serde_json::Value;
use storage::ListOptions;

/// Resolves Services through their EndpointSlices and Endpoints.
pub struct EndpointsResolver {
    /// The Services.
    pub services: Arc<Store>,
    /// Their EndpointSlices.
    pub endpoint_slices: Arc<Store>,
    /// Their Endpoints.
    pub endpoints: Arc<Store>,
}

fn items(list: &storage::ObjectList) -> Vec<Value> {
    list.items.iter().filter_map(|item| serde_json::from_slice(&item.data).ok()).collect()
}

/// A ready address of a slice for the named port.
fn from_slices(slices: &[Value], service: &str, port_name: &str) -> Option<SocketAddr> {
    for slice in slices.iter().filter(|s| s["metadata"]["labels"]["kubernetes.io/service-name"] == service) {
        let Some(port) = slice["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"].as_str().unwrap_or_default() == port_name)
            .and_then(|p| p["port"].as_u64())
        else {
            continue;
        };
        let ready = slice["endpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["conditions"]["ready"] != Value::Bool(false))
            .flat_map(|e| e["addresses"].as_array().into_iter().flatten())
            .find_map(|a| a.as_str()?.parse::<IpAddr>().ok());
        if let Some(ip) = ready {
            return Some(SocketAddr::new(ip, port as u16));
        }
    }
    None
}

/// A ready address of an Endpoints object for the named port.
fn from_endpoints(endpoints: &Value, port_name: &str) -> Option<SocketAddr> {
    endpoints["subsets"].as_array().into_iter().flatten().find_map(|subset| {
        let port = subset["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"].as_str().unwrap_or_default() == port_name)
            .and_then(|p| p["port"].as_u64())?;
        let ip = subset["addresses"].as_array().into_iter().flatten().find_map(|a| a["ip"].as_str()?.parse().ok())?;
        Some(SocketAddr::new(ip, port as u16))
    })
}

#[async_trait]
impl ServiceResolver for EndpointsResolver {
    async fn resolve(&self, namespace: &str, name: &str, port: u16) -> Result<SocketAddr, ResolveError> {
        let ctx = controller_context("service-resolver", namespace);
        let service = match self.services.get(&ctx, name, None).await {
            Ok(object) => {
                serde_json::from_slice::<Value>(&object.data).map_err(|e| ResolveError::Unreadable(e.to_string()))?
            }
            Err(e) if e.code == 404 => return Err(ResolveError::ServiceNotFound),
            Err(e) => return Err(ResolveError::Unreadable(e.message)),
        };
        let port_name = service["spec"]["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["port"].as_u64() == Some(u64::from(port)))
            .ok_or(ResolveError::NoSuchPort)?["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let slices = self
            .endpoint_slices
            .list(&ctx, ListOptions::default())
            .await
            .map_err(|e| ResolveError::Unreadable(e.message))?;
        let slices = items(&slices);
        if let Some(address) = from_slices(&slices, name, &port_name) {
            return Ok(address);
        }
        let endpoints =
            self.endpoints.get(&ctx, name, None).await.ok().and_then(|o| serde_json::from_slice::<Value>(&o.data).ok());
        if let Some(address) = endpoints.as_ref().and_then(|e| from_endpoints(e, &port_name)) {
            return Ok(address);
        }
        let has_slices = slices.iter().any(|s| s["metadata"]["labels"]["kubernetes.io/service-name"] == name);
        if has_slices || endpoints.is_some() {
            Err(ResolveError::NoReadyAddress(port_name))
        } else {
            Err(ResolveError::NoEndpoints)
        }
    }
}
