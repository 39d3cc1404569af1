//! The APIExtensionsServer, last in the delegation chain: it stores
//! CustomResourceDefinitions (apiextensions.k8s.io/v1) and serves the
//! custom resources they define.
//!
//! - [`crd`]: the CRD kind itself — strategy, validation, conditions.
//! - [`schema`]: structural schemas — validation, defaults, CEL rules,
//!   what is published in OpenAPI.
//! - [`serving`]: the stores of custom resources, installed per CRD.
//! - [`controllers`]: naming/establishing and the cleanup finalizer.

pub mod controllers;
pub mod crd;
pub mod schema;
pub mod serving;

use std::sync::{Arc, OnceLock};

use apiserver::registry::{Store, Strategy};
use apiserver::resource::{ResourceDef, schema_of};
use apiserver::server::GenericApiServer;
use apiserver::storage_factory::StorageFactory;
use apiserver::webhook::ServiceResolver;
use tokio::task::JoinHandle;

use crate::serving::CrdHandler;

/// The resource definition of CustomResourceDefinitions.
pub fn crd_resource() -> ResourceDef {
    ResourceDef::new("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false)
        .schema(
            schema_of::<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition>,
        )
        .short_names(&["crd", "crds"])
        .categories(&["api-extensions"])
        .with_status()
}

/// The APIExtensionsServer and what runs with it.
pub struct ApiExtensions {
    /// The server of the chain.
    pub server: Arc<GenericApiServer>,
    /// The CRDs' store.
    pub crds: Arc<Store>,
    /// Serves the custom resources.
    pub handler: Arc<CrdHandler>,
    resolver: serving::converter::Resolver,
    controllers: JoinHandle<()>,
}

impl ApiExtensions {
    /// Lets conversion webhooks given as Services be reached, once the
    /// server that has the Services exists.
    pub fn set_service_resolver(&self, resolver: Arc<dyn ServiceResolver>) {
        let _ = self.resolver.set(resolver);
    }
}

impl Drop for ApiExtensions {
    fn drop(&mut self) {
        self.controllers.abort();
    }
}

/// Builds the APIExtensionsServer (nothing behind it: NotFound) and starts
/// its controllers.
pub fn new_server(factory: &StorageFactory) -> ApiExtensions {
    let server = Arc::new(GenericApiServer::new("apiextensions-apiserver", None));
    let strategy: Arc<dyn Strategy> = Arc::new(crd::strategy::CrdStrategy);
    let crds = factory.store(crd_resource(), "apiextensions.k8s.io/customresourcedefinitions", strategy);
    server.install(crds.clone());
    let resolver: serving::converter::Resolver = Arc::new(OnceLock::new());
    let handler = Arc::new(CrdHandler::new(server.clone(), factory.clone(), resolver.clone()));
    let controllers = controllers::start(crds.clone(), handler.clone());
    ApiExtensions { server, crds, handler, resolver, controllers }
}
