//! The AggregatorServer, head of the delegation chain: it stores
//! APIServices (apiregistration.k8s.io/v1), registers one for every group
//! version served behind it ([`autoregister`]), keeps their Available
//! condition ([`available`]), answers `/apis` in their order
//! ([`discovery`]), and proxies the group versions of remote APIServices to
//! extension API servers ([`proxy`]).

pub mod apiservice;
pub mod autoregister;
pub mod available;
pub mod discovery;
pub mod lister;
pub mod priorities;
pub mod proxy;

use std::sync::Arc;

use apiserver::authn::UserInfo;
use apiserver::backend::ClientIdentity;
use apiserver::negotiation::{Output, output_for};
use apiserver::registry::Strategy;
use apiserver::request_info::RequestInfo;
use apiserver::responses::{self, Response};
use apiserver::server::{GenericApiServer, PathHandler, aggregated_response};
use apiserver::storage_factory::StorageFactory;
use apiserver::webhook::ServiceResolver;
use axum::body::Body;
use tokio::task::JoinHandle;

use crate::apiservice::{is_remote, name_of};
use crate::autoregister::Autoregister;
use crate::available::AvailableController;
use crate::lister::ApiServiceLister;

/// What the aggregator needs from the rest of the server.
pub struct AggregatorConfig {
    /// Where Services are served.
    pub resolver: Arc<dyn ServiceResolver>,
    /// The Services, Endpoints and EndpointSlices, whose every change
    /// checks the availability of the APIServices again.
    pub service_stores: Vec<Arc<apiserver::registry::Store>>,
    /// --proxy-client-cert-file and --proxy-client-key-file.
    pub proxy_identity: Option<Arc<ClientIdentity>>,
}

/// The aggregator's own paths: `/apis`, `/apis/<group>`, and the group
/// versions of remote APIServices.
struct AggregatorHandler {
    own: Arc<GenericApiServer>,
    lister: Arc<ApiServiceLister>,
    available: Arc<AvailableController>,
    resolver: Arc<dyn ServiceResolver>,
    identity: Option<Arc<ClientIdentity>>,
}

impl AggregatorHandler {
    fn remote(&self, info: &RequestInfo) -> Option<serde_json::Value> {
        if info.api_prefix != "apis" || info.api_group.is_empty() || info.api_version.is_empty() {
            return None;
        }
        self.lister.get(&name_of(&info.api_group, &info.api_version)).filter(is_remote)
    }

    fn discovery(&self, request: &http::Request<Body>, info: &RequestInfo) -> Result<Response, apimachinery::ApiError> {
        let accept = request.headers().get(http::header::ACCEPT).and_then(|v| v.to_str().ok());
        let output = output_for(accept, None, true)?;
        let apiservices = self.lister.all();
        if info.api_group.is_empty() {
            if output == Output::AggregatedDiscovery {
                let groups = discovery::ordered(&apiservices, true);
                let mut local = self.own.groups();
                local.retain(|g| !g.name.is_empty());
                let remote = self.available.discovery.read().unwrap_or_else(|p| p.into_inner()).clone();
                return Ok(aggregated_response(discovery::aggregated(&groups, &local, &remote)));
            }
            return Ok(responses::json_value(200, &discovery::group_list(&discovery::ordered(&apiservices, false))));
        }
        let groups = discovery::ordered(&apiservices, false);
        let group =
            groups.iter().find(|g| g.name == info.api_group).ok_or_else(apimachinery::ApiError::path_not_found)?;
        Ok(responses::json_value(200, &discovery::group(group)))
    }
}

#[async_trait::async_trait]
impl PathHandler for AggregatorHandler {
    fn handles(&self, info: &RequestInfo) -> bool {
        if info.api_prefix != "apis" {
            return false;
        }
        if info.api_group.is_empty() {
            return true;
        }
        if info.api_version.is_empty() && !info.is_resource_request {
            return self.lister.all().iter().any(|a| a["spec"]["group"] == info.api_group.as_str());
        }
        self.remote(info).is_some()
    }

    async fn serve(&self, request: http::Request<Body>, info: RequestInfo, user: UserInfo) -> Response {
        if let Some(apiservice) = self.remote(&info) {
            return match proxy::forward(&apiservice, request, &user, self.resolver.as_ref(), self.identity.as_deref())
                .await
            {
                Ok(response) => response,
                Err(failure) => {
                    self.available.recheck.notify_one();
                    failure
                }
            };
        }
        self.discovery(&request, &info).unwrap_or_else(|e| responses::error(&e))
    }
}

/// The AggregatorServer and its controllers.
pub struct Aggregator {
    /// The head of the chain.
    pub server: Arc<GenericApiServer>,
    /// Registers the local APIServices; its `missing` list is the
    /// `autoregister-completion` readiness check.
    pub autoregister: Arc<Autoregister>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Aggregator {
    fn drop(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}

impl Aggregator {
    /// The `autoregister-completion` check: fails with the APIServices not
    /// yet registered and Available, as upstream words it.
    pub fn autoregister_completion(&self) -> Result<(), String> {
        let missing = self.autoregister.missing();
        if missing.is_empty() { Ok(()) } else { Err(format!("missing APIService: [{}]", missing.join(" "))) }
    }
}

/// Builds the AggregatorServer in front of `delegate` and starts its
/// controllers.
pub fn new_server(factory: &StorageFactory, delegate: Arc<GenericApiServer>, config: AggregatorConfig) -> Aggregator {
    let server = Arc::new(GenericApiServer::new("kube-aggregator", Some(delegate.clone())));
    let strategy: Arc<dyn Strategy> = Arc::new(apiservice::ApiServiceStrategy::default());
    let store = factory.store(apiservice::resource(), "apiregistration.k8s.io/apiservices", strategy);
    server.install(store.clone());
    let (lister, lister_task) = ApiServiceLister::start(store.clone());
    let available = Arc::new(AvailableController {
        store: store.clone(),
        lister: lister.clone(),
        resolver: config.resolver.clone(),
        identity: config.proxy_identity.clone(),
        discovery: Default::default(),
        recheck: Default::default(),
        documents: Default::default(),
    });
    server.set_remote_documents(available.documents.clone());
    let autoregister = Arc::new(Autoregister { chain: delegate.clone(), store, lister: lister.clone() });
    server.set_path_handler(Arc::new(AggregatorHandler {
        own: server.clone(),
        lister,
        available: available.clone(),
        resolver: config.resolver,
        identity: config.proxy_identity,
    }));
    let mut tasks = vec![lister_task, available.start(), autoregister.start()];
    for store in config.service_stores {
        let available = available.clone();
        tasks.push(apiserver::informer::watch_store(store, "apiservice-available-controller", move |_, _| {
            available.recheck.notify_one();
            std::future::ready(())
        }));
    }
    Aggregator { server, autoregister, tasks }
}
