//! The AggregatorServer, head of the delegation chain: it stores and serves
//! APIService objects (apiregistration.k8s.io/v1) and answers `/apis` with
//! the groups of the whole chain.

use std::sync::Arc;

use apiserver::registry::Strategy;
use apiserver::registry::table::{Column, Columns, TableConvertor};
use apiserver::resource::{ResourceDef, schema_of};
use apiserver::server::GenericApiServer;
use apiserver::storage_factory::StorageFactory;
use serde_json::{Value, json};

fn apiservice_cells(apiservice: &Value) -> Vec<Value> {
    let service = &apiservice["spec"]["service"];
    let service = match service["name"].as_str() {
        Some(name) => format!("{}/{name}", service["namespace"].as_str().unwrap_or_default()),
        None => "Local".to_string(),
    };
    let available = apiservice["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "Available")
        .map(|c| {
            let status = c["status"].as_str().unwrap_or("Unknown");
            match (status, c["reason"].as_str()) {
                ("True", _) | (_, None) => status.to_string(),
                (_, Some(reason)) => format!("{status} ({reason})"),
            }
        })
        .unwrap_or_else(|| "Unknown".into());
    vec![json!(service), json!(available)]
}

/// The strategy of APIServices: NAME SERVICE AVAILABLE AGE.
pub struct ApiServiceStrategy(Columns<fn(&Value) -> Vec<Value>>);

impl Default for ApiServiceStrategy {
    fn default() -> Self {
        ApiServiceStrategy(Columns {
            columns: vec![
                Column::new("Service", "string", "The reference to the service that hosts this API endpoint."),
                Column::new("Available", "string", "Whether this service is available."),
            ],
            cells: apiservice_cells,
        })
    }
}

impl Strategy for ApiServiceStrategy {
    fn table(&self) -> &dyn TableConvertor {
        &self.0
    }
}

/// The resource definition of APIServices.
pub fn apiservice_resource() -> ResourceDef {
    ResourceDef::new("apiregistration.k8s.io", "v1", "APIService", "apiservices", false)
        .schema(schema_of::<k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService>)
        .categories(&["api-extensions"])
        .with_status()
}

/// Builds the AggregatorServer in front of `delegate`.
pub fn new_server(factory: &StorageFactory, delegate: Arc<GenericApiServer>) -> Arc<GenericApiServer> {
    let server = Arc::new(GenericApiServer::new("kube-aggregator", Some(delegate), true));
    let strategy: Arc<dyn Strategy> = Arc::new(ApiServiceStrategy::default());
    server.install(factory.store(apiservice_resource(), "apiregistration.k8s.io/apiservices", strategy));
    server
}
