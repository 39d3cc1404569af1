//! Upstream's AvailableConditionControllers: a local APIService is always
//! Available; a remote one is Available when its Service exists with the
//! port, has a ready endpoint for it, and answers a discovery request for
//! its group version — each failure with upstream's reason and message. The
//! check runs on every change of an APIService, after a failed proxied
//! request, and every 30 seconds; the discovery document it fetched is kept
//! for aggregated discovery.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use apimachinery::now_rfc3339;
use apiserver::backend::{Backend, ClientIdentity, tls_config};
use apiserver::informer::controller_context;
use apiserver::openapi;
use apiserver::registry::{Store, Subresource};
use apiserver::webhook::{ResolveError, ServiceResolver};
use http_body_util::{BodyExt, Empty};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::apiservice::is_remote;
use crate::lister::ApiServiceLister;

/// How often every APIService is checked again.
const RESYNC: Duration = Duration::from_secs(30);
/// How long the discovery probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The Available condition an APIService should have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    /// `True`, `False` or `Unknown`.
    pub status: &'static str,
    /// Why.
    pub reason: &'static str,
    /// Upstream's message.
    pub message: String,
}

impl Availability {
    fn new(status: &'static str, reason: &'static str, message: impl Into<String>) -> Self {
        Availability { status, reason, message: message.into() }
    }
}

/// Keeps the Available condition of every APIService.
pub struct AvailableController {
    /// The APIServices' store, whose status it writes.
    pub store: Arc<Store>,
    /// The APIServices.
    pub lister: Arc<ApiServiceLister>,
    /// Where Services are served.
    pub resolver: Arc<dyn ServiceResolver>,
    /// The certificate presented to extension servers.
    pub identity: Option<Arc<ClientIdentity>>,
    /// The last discovery document of each remote APIService, by name.
    pub discovery: RwLock<HashMap<String, Value>>,
    /// Raised to check again at once.
    pub recheck: Notify,
    /// The OpenAPI documents of the Available remote APIServices.
    pub documents: Arc<RemoteOpenApi>,
}

/// The OpenAPI documents read from extension API servers, by APIService:
/// the group version's path, its v3 document and its share of the v2 one.
#[derive(Default)]
pub struct RemoteOpenApi {
    documents: RwLock<HashMap<String, GroupVersionDocuments>>,
}

/// What one remote group version publishes.
struct GroupVersionDocuments {
    /// `apis/<group>/<version>`.
    path: String,
    v3: Option<Value>,
    v2: Option<Value>,
}

impl RemoteOpenApi {
    /// Forgets the documents of an APIService that is not Available.
    fn forget(&self, name: &str) {
        self.documents.write().unwrap_or_else(|p| p.into_inner()).remove(name);
    }

    /// Forgets the documents of APIServices not in `names`.
    fn retain(&self, names: &[String]) {
        self.documents.write().unwrap_or_else(|p| p.into_inner()).retain(|name, _| names.contains(name));
    }
}

impl openapi::RemoteDocuments for RemoteOpenApi {
    fn v3(&self) -> Vec<(String, Value)> {
        let documents = self.documents.read().unwrap_or_else(|p| p.into_inner());
        documents.values().filter_map(|d| Some((d.path.clone(), d.v3.clone()?))).collect()
    }

    fn v2(&self) -> Vec<Value> {
        self.documents.read().unwrap_or_else(|p| p.into_inner()).values().filter_map(|d| d.v2.clone()).collect()
    }
}

/// GETs a JSON document from an extension API server as the aggregator.
async fn fetch(backend: &Backend, path: &str) -> Result<Value, String> {
    let request = http::Request::get(path)
        .header(http::header::HOST, backend.address.to_string())
        .header("X-Remote-User", "system:kube-aggregator")
        .header("X-Remote-Group", "system:masters")
        .body(Empty::<bytes::Bytes>::new())
        .map_err(|e| e.to_string())?;
    let response = backend.send(request).await?;
    let status = response.status();
    if !status.is_success() {
        let url = format!("https://{}{path}", backend.address);
        return Err(format!("bad status from {url}: {}", status.as_u16()));
    }
    let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    serde_json::from_slice(&body).map_err(|e| e.to_string())
}

impl AvailableController {
    /// Checks every APIService now, then on every change and every 30
    /// seconds.
    pub fn start(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        let mut changes = self.lister.subscribe();
        tokio::spawn(async move {
            loop {
                this.check_all().await;
                tokio::select! {
                    _ = changes.changed() => {}
                    _ = this.recheck.notified() => {}
                    _ = tokio::time::sleep(RESYNC) => {}
                }
            }
        })
    }

    async fn check_all(&self) {
        let apiservices = self.lister.all();
        let checks = apiservices.iter().map(|apiservice| async move {
            let availability = self.availability(apiservice).await;
            if availability.status != "True" {
                self.documents.forget(apiservice["metadata"]["name"].as_str().unwrap_or_default());
            }
            self.record(apiservice, availability).await;
        });
        futures::future::join_all(checks).await;
        let names: Vec<String> =
            apiservices.iter().map(|a| a["metadata"]["name"].as_str().unwrap_or_default().to_string()).collect();
        self.documents.retain(&names);
    }

    /// What the Available condition of `apiservice` is now.
    pub async fn availability(&self, apiservice: &Value) -> Availability {
        if !is_remote(apiservice) {
            return Availability::new("True", "Local", "Local APIServices are always available");
        }
        let service = &apiservice["spec"]["service"];
        let namespace = service["namespace"].as_str().unwrap_or_default();
        let name = service["name"].as_str().unwrap_or_default();
        let port = service["port"].as_u64().unwrap_or(443) as u16;
        let address = match self.resolver.resolve(namespace, name, port).await {
            Ok(address) => address,
            Err(ResolveError::ServiceNotFound) => {
                return Availability::new(
                    "False",
                    "ServiceNotFound",
                    format!("service/{name} in \"{namespace}\" is not present"),
                );
            }
            Err(ResolveError::NoSuchPort) => {
                return Availability::new(
                    "False",
                    "ServicePortError",
                    format!("service/{name} in \"{namespace}\" is not listening on port {port}"),
                );
            }
            Err(ResolveError::NoEndpoints) => {
                return Availability::new(
                    "False",
                    "EndpointsNotFound",
                    format!("cannot find endpointslices for service/{name} in \"{namespace}\""),
                );
            }
            Err(ResolveError::NoReadyAddress(port_name)) => {
                return Availability::new(
                    "False",
                    "MissingEndpoints",
                    format!(
                        "endpointslices for service/{name} in \"{namespace}\" have no addresses with port name \"{port_name}\""
                    ),
                );
            }
            Err(ResolveError::Unreadable(message)) => {
                return Availability::new(
                    "Unknown",
                    "ServiceAccessError",
                    format!("service/{name} in \"{namespace}\" cannot be checked due to: {message}"),
                );
            }
        };
        let (group, version) = (
            apiservice["spec"]["group"].as_str().unwrap_or_default(),
            apiservice["spec"]["version"].as_str().unwrap_or_default(),
        );
        let path = format!("/apis/{group}/{version}");
        let url = format!("https://{address}{path}");
        let backend = match tls_config(&[], true, self.identity.as_deref()) {
            Ok(tls) => Backend { address, server_name: format!("{name}.{namespace}.svc"), tls },
            Err(e) => return Availability::new("False", "FailedDiscoveryCheck", e),
        };
        let apiservice_name = apiservice["metadata"]["name"].as_str().unwrap_or_default().to_string();
        match tokio::time::timeout(PROBE_TIMEOUT, fetch(&backend, &path)).await {
            Ok(Ok(document)) => {
                self.discovery.write().unwrap_or_else(|p| p.into_inner()).insert(apiservice_name.clone(), document);
                let v3 = fetch(&backend, &format!("/openapi/v3{path}")).await.ok();
                let v2 = fetch(&backend, "/openapi/v2").await.ok().map(|d| openapi::swagger_part(&d, group, version));
                let mut documents = self.documents.documents.write().unwrap_or_else(|p| p.into_inner());
                let path = path.trim_start_matches('/').to_string();
                documents.insert(apiservice_name, GroupVersionDocuments { path, v3, v2 });
                Availability::new("True", "Passed", "all checks passed")
            }
            Ok(Err(e)) => Availability::new(
                "False",
                "FailedDiscoveryCheck",
                format!("failing or missing response from {url}: {e}"),
            ),
            Err(_) => Availability::new("False", "FailedDiscoveryCheck", format!("timed out waiting for {url}")),
        }
    }

    /// Writes the condition if it changed; lastTransitionTime moves only
    /// when the status does.
    async fn record(&self, apiservice: &Value, availability: Availability) {
        let current =
            apiservice["status"]["conditions"].as_array().into_iter().flatten().find(|c| c["type"] == "Available");
        if let Some(current) = current
            && current["status"] == availability.status
            && current["reason"] == availability.reason
            && current["message"] == availability.message.as_str()
        {
            return;
        }
        let name = apiservice["metadata"]["name"].as_str().unwrap_or_default().to_string();
        let ctx = controller_context("apiservice-available-controller", "");
        let update = Arc::new(move |current: &Value| {
            let mut next = current.clone();
            let conditions: Vec<Value> = current["status"]["conditions"].as_array().cloned().unwrap_or_default();
            let previous = conditions.iter().find(|c| c["type"] == "Available");
            let transition = match previous {
                Some(c) if c["status"] == availability.status => c["lastTransitionTime"].clone(),
                _ => json!(now_rfc3339()),
            };
            let condition = json!({
                "type": "Available",
                "status": availability.status,
                "lastTransitionTime": transition,
                "reason": availability.reason,
                "message": availability.message,
            });
            let mut conditions: Vec<Value> = conditions.into_iter().filter(|c| c["type"] != "Available").collect();
            conditions.push(condition);
            next["status"] = json!({"conditions": conditions});
            Ok(next)
        });
        if let Err(e) = self.store.update(&ctx, &name, update, Subresource::Status).await
            && e.code != 404
            && e.code != 409
        {
            tracing::warn!(apiservice = %name, error = %e.message, "cannot record availability");
        }
    }
}
