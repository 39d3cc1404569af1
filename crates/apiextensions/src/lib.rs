//! The APIExtensionsServer, last in the delegation chain: it stores and
//! serves CustomResourceDefinition objects (apiextensions.k8s.io/v1).

use std::sync::Arc;

use apiserver::registry::Strategy;
use apiserver::registry::table::TableConvertor;
use apiserver::resource::{ResourceDef, schema_of};
use apiserver::server::GenericApiServer;
use apiserver::storage_factory::StorageFactory;

/// The strategy of CustomResourceDefinitions: NAME CREATED AT.
#[derive(Default)]
pub struct CrdStrategy;

impl Strategy for CrdStrategy {
    fn tracks_generation(&self) -> bool {
        true
    }

    fn table(&self) -> &dyn TableConvertor {
        &apiserver::registry::table::DefaultTable
    }
}

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

/// Builds the APIExtensionsServer; nothing behind it (NotFound).
pub fn new_server(factory: &StorageFactory) -> Arc<GenericApiServer> {
    let server = Arc::new(GenericApiServer::new("apiextensions-apiserver", None, false));
    let strategy: Arc<dyn Strategy> = Arc::new(CrdStrategy);
    server.install(factory.store(crd_resource(), "apiextensions.k8s.io/customresourcedefinitions", strategy));
    server
}
