//! [`GenericApiServer`]: upstream's GenericAPIServer. Each server serves
//! the API groups installed on it and hands every other request to its
//! delegate, which makes the delegation chain
//! Aggregator -> KubeAPIServer -> APIExtensionsServer -> NotFound.

use std::sync::{Arc, RwLock};

use apimachinery::ApiError;
use axum::body::Body;
use futures::future::BoxFuture;
use http::{HeaderValue, header};
use serde_json::Value;

use crate::authn::UserInfo;
use crate::discovery::{self, GroupSummary, VersionSummary};
use crate::endpoints::{self, Query, RestRequest};
use crate::negotiation::{Output, output_for};
use crate::registry::Store;
use crate::request_info::RequestInfo;
use crate::resource::ResourceDef;
use crate::responses::{self, Response};

struct InstalledVersion {
    version: String,
    resources: Vec<Arc<Store>>,
}

struct InstalledGroup {
    name: String,
    versions: Vec<InstalledVersion>,
    /// Installed whole by [`GenericApiServer::replace_group`].
    replaced: bool,
}

/// Paths a server answers with handlers of its own before its installed
/// groups (upstream's NonGoRestfulMux handlers): the aggregator's `/apis`
/// and its proxies to extension API servers.
#[async_trait::async_trait]
pub trait PathHandler: Send + Sync {
    /// Whether this handler answers the request.
    fn handles(&self, info: &RequestInfo) -> bool;

    /// Answers it.
    async fn serve(&self, request: http::Request<Body>, info: RequestInfo, user: UserInfo) -> Response;
}

/// One server of the delegation chain.
pub struct GenericApiServer {
    /// The server's name, for logs: `aggregator`, `kube-apiserver`, ...
    pub name: &'static str,
    groups: RwLock<Vec<InstalledGroup>>,
    delegate: Option<Arc<GenericApiServer>>,
    path_handler: RwLock<Option<Arc<dyn PathHandler>>>,
    remote_documents: RwLock<Option<Arc<dyn crate::openapi::RemoteDocuments>>>,
    /// Counts changes of the groups served along the chain; every server of
    /// a chain shares its delegate's.
    changes: Arc<tokio::sync::watch::Sender<u64>>,
}

impl GenericApiServer {
    /// A server with no groups yet, delegating to `delegate`.
    pub fn new(name: &'static str, delegate: Option<Arc<GenericApiServer>>) -> Self {
        let changes = match &delegate {
            Some(delegate) => delegate.changes.clone(),
            None => Arc::new(tokio::sync::watch::Sender::new(0)),
        };
        GenericApiServer {
            name,
            groups: RwLock::new(Vec::new()),
            delegate,
            path_handler: RwLock::new(None),
            remote_documents: RwLock::new(None),
            changes,
        }
    }

    /// Answers the paths `handler` handles before the installed groups.
    pub fn set_path_handler(&self, handler: Arc<dyn PathHandler>) {
        *self.path_handler.write().unwrap_or_else(|p| p.into_inner()) = Some(handler);
    }

    /// Merges the OpenAPI documents of remote group versions into this
    /// server's (the aggregator's).
    pub fn set_remote_documents(&self, documents: Arc<dyn crate::openapi::RemoteDocuments>) {
        *self.remote_documents.write().unwrap_or_else(|p| p.into_inner()) = Some(documents);
    }

    /// The remote OpenAPI documents, if any.
    pub fn remote_documents(&self) -> Option<Arc<dyn crate::openapi::RemoteDocuments>> {
        self.remote_documents.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// A receiver that sees every change of the groups served by this
    /// server or those behind it (a CRD's group appearing, say).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn changed(&self) {
        self.changes.send_modify(|count| *count += 1);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<InstalledGroup>> {
        self.groups.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Serves a resource. Versions are preferred in the order they are first
    /// installed; resources appear in discovery in installation order.
    pub fn install(&self, store: Arc<Store>) {
        let mut groups = self.groups.write().unwrap_or_else(|p| p.into_inner());
        let (group, version) = (store.def.group.clone(), store.def.version.clone());
        let index = match groups.iter().position(|g| g.name == group) {
            Some(i) => i,
            None => {
                groups.push(InstalledGroup { name: group, versions: Vec::new(), replaced: false });
                groups.len() - 1
            }
        };
        let installed = &mut groups[index];
        let version_index = match installed.versions.iter().position(|v| v.version == version) {
            Some(i) => i,
            None => {
                installed.versions.push(InstalledVersion { version, resources: Vec::new() });
                installed.versions.len() - 1
            }
        };
        let resources = &mut installed.versions[version_index].resources;
        resources.retain(|s| s.def.plural != store.def.plural);
        resources.push(store);
        drop(groups);
        self.changed();
    }

    /// Serves exactly these resources in `group`, versions in the given
    /// (preference) order, replacing what the group had; no stores removes
    /// the group. Groups replaced this way are kept sorted by name, after
    /// the groups installed one resource at a time.
    pub fn replace_group(&self, group: &str, versions: Vec<(String, Vec<Arc<Store>>)>) {
        let mut groups = self.groups.write().unwrap_or_else(|p| p.into_inner());
        groups.retain(|g| g.name != group);
        let versions: Vec<InstalledVersion> = versions
            .into_iter()
            .filter(|(_, resources)| !resources.is_empty())
            .map(|(version, resources)| InstalledVersion { version, resources })
            .collect();
        if versions.is_empty() {
            drop(groups);
            self.changed();
            return;
        }
        let at = groups.iter().position(|g| g.replaced && g.name.as_str() > group).unwrap_or(groups.len());
        groups.insert(at, InstalledGroup { name: group.to_string(), versions, replaced: true });
        drop(groups);
        self.changed();
    }

    /// One store per resource served by this server and those behind it
    /// (the preferred version's), in chain order: what controllers that act
    /// on every kind (garbage collection, namespace deletion) go through,
    /// custom resources included.
    pub fn resource_stores(&self) -> Vec<Arc<Store>> {
        let mut stores: Vec<Arc<Store>> = Vec::new();
        for group in self.read().iter() {
            for store in group.versions.iter().flat_map(|v| v.resources.iter()) {
                if !stores.iter().any(|s| s.def.group == store.def.group && s.def.plural == store.def.plural) {
                    stores.push(store.clone());
                }
            }
        }
        if let Some(delegate) = &self.delegate {
            stores.extend(delegate.resource_stores());
        }
        stores
    }

    /// The store of a served resource, searching down the chain.
    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<Arc<Store>> {
        let local = self
            .read()
            .iter()
            .filter(|g| g.name == group)
            .flat_map(|g| g.versions.iter())
            .filter(|v| v.version == version)
            .flat_map(|v| v.resources.iter())
            .find(|s| s.def.plural == plural)
            .cloned();
        local.or_else(|| self.delegate.as_ref().and_then(|d| d.find(group, version, plural)))
    }

    fn local_summary(&self, group: &str) -> Option<GroupSummary> {
        self.read().iter().find(|g| g.name == group).map(|g| GroupSummary {
            name: g.name.clone(),
            versions: g
                .versions
                .iter()
                .map(|v| {
                    let mut resources: Vec<ResourceDef> = v.resources.iter().map(|s| s.def.clone()).collect();
                    resources.sort_by(|a, b| a.plural.cmp(&b.plural));
                    VersionSummary { version: v.version.clone(), resources }
                })
                .collect(),
        })
    }

    /// Every group served by this server and those behind it, core included,
    /// in chain order.
    pub fn groups(&self) -> Vec<GroupSummary> {
        let names: Vec<String> = self.read().iter().map(|g| g.name.clone()).collect();
        let mut groups: Vec<GroupSummary> = names.iter().filter_map(|n| self.local_summary(n)).collect();
        if let Some(delegate) = &self.delegate {
            groups.extend(delegate.groups());
        }
        groups
    }

    /// Serves a request or hands it down the chain.
    pub fn handle(
        self: Arc<Self>,
        request: http::Request<Body>,
        info: RequestInfo,
        user: UserInfo,
    ) -> BoxFuture<'static, Response> {
        Box::pin(async move {
            let handler = self.path_handler.read().unwrap_or_else(|p| p.into_inner()).clone();
            if let Some(handler) = handler.filter(|h| h.handles(&info)) {
                return handler.serve(request, info, user).await;
            }
            let owned = match info.api_prefix.as_str() {
                "api" => self.local_summary("").is_some(),
                "apis" if info.api_group.is_empty() => false,
                "apis" => self.local_summary(&info.api_group).is_some(),
                _ => false,
            };
            if !owned {
                return match &self.delegate {
                    Some(delegate) => delegate.clone().handle(request, info, user).await,
                    None => responses::error(&ApiError::path_not_found()),
                };
            }
            match self.serve(request, info, user).await {
                Ok(response) => response,
                Err(e) => responses::error(&e),
            }
        })
    }

    async fn serve(
        &self,
        request: http::Request<Body>,
        info: RequestInfo,
        user: UserInfo,
    ) -> Result<Response, ApiError> {
        if info.is_resource_request {
            let store = self
                .local_summary(&info.api_group)
                .and_then(|_| self.find(&info.api_group, &info.api_version, &info.resource))
                .ok_or_else(ApiError::path_not_found)?;
            let (parts, body) = request.into_parts();
            let shutdown = parts.extensions.get::<crate::serve::ShutdownSignal>().cloned();
            let rest = RestRequest {
                shutdown,
                query: Query::parse(parts.uri.query()),
                info,
                user,
                headers: parts.headers,
                body: std::sync::Mutex::new(Some(body)),
            };
            return Ok(endpoints::serve(store, rest).await);
        }
        let accept = request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok());
        let output = output_for(accept, None, true)?;
        let document = match (info.api_prefix.as_str(), info.api_group.as_str(), info.api_version.as_str()) {
            ("api", _, "") => {
                let core = self.local_summary("").ok_or_else(ApiError::path_not_found)?;
                if output == Output::AggregatedDiscovery {
                    return Ok(aggregated_response(discovery::aggregated(&[core])));
                }
                discovery::api_versions(&core)
            }
            ("api", _, version) => {
                let core = self.local_summary("").ok_or_else(ApiError::path_not_found)?;
                let v = core.versions.iter().find(|v| v.version == version).ok_or_else(ApiError::path_not_found)?;
                discovery::resource_list("", v)
            }
            ("apis", group, "") => {
                discovery::api_group(&self.local_summary(group).ok_or_else(ApiError::path_not_found)?)
            }
            ("apis", group, version) => {
                let summary = self.local_summary(group).ok_or_else(ApiError::path_not_found)?;
                let v = summary.versions.iter().find(|v| v.version == version).ok_or_else(ApiError::path_not_found)?;
                discovery::resource_list(group, v)
            }
            _ => return Err(ApiError::path_not_found()),
        };
        Ok(responses::json_value(200, &document))
    }
}

/// A response carrying an aggregated discovery document.
pub fn aggregated_response(document: Value) -> Response {
    let mut response = responses::json_value(200, &document);
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(discovery::AGGREGATED_CONTENT_TYPE));
    response
}
