//! The KubeAPIServer ("master") of the seeds: the built-in API groups.
//! [`catalogue`] lists every built-in resource once; [`strategies`] holds
//! the behaviour of kinds that have any; [`bootstrap`] creates what exists
//! after start; [`admission`] has the control plane's admission plugins.

pub mod admission;
pub mod authorization;
pub mod bootstrap;
pub mod catalogue;
pub mod cluster_authentication;
pub mod controllers;
pub mod conversion;
pub mod cron;
pub mod eviction;
pub mod ipaddresses;
pub mod ipallocator;
pub mod portallocator;
pub mod printers;
pub mod service_resolver;
pub mod serviceaccount;
pub mod strategies;

use std::sync::Arc;

use apiserver::server::GenericApiServer;
use apiserver::storage_factory::StorageFactory;

/// Settings of the built-in resources, from the server's flags.
#[derive(Clone)]
pub struct Config {
    /// --service-cluster-ip-range, e.g. `10.0.0.0/24`.
    pub service_cluster_ip_range: String,
    /// --service-node-port-range, e.g. `30000-32767`.
    pub service_node_port_range: String,
    /// --event-ttl in seconds.
    pub event_ttl_seconds: u64,
    /// The address and port clients reach the API server at, for the
    /// `kubernetes` service's endpoints.
    pub advertise_address: String,
    /// The secure port.
    pub secure_port: u16,
    /// The cluster CA (PEM), published in every namespace.
    pub root_ca_pem: String,
    /// The cluster CA's key (PEM), with which the csrsigning controller
    /// signs approved CertificateSigningRequests; `None` turns signing off.
    pub cluster_signing_key_pem: Option<String>,
    /// The controllers to run (names from [`controllers::ALL`]).
    pub controllers: Vec<&'static str>,
    /// Signs and verifies service account tokens.
    pub token_issuer: Arc<serviceaccount::token::TokenIssuer>,
    /// Authenticates service account tokens (checking that the account
    /// still exists); its account store is set at install.
    pub service_account_tokens: Arc<serviceaccount::TokenAuthenticator>,
}

/// Builds the KubeAPIServer with every built-in resource installed,
/// delegating to `delegate`.
pub async fn new_server(
    config: &Config,
    factory: &StorageFactory,
    delegate: Arc<GenericApiServer>,
) -> Result<Arc<GenericApiServer>, String> {
    let server = Arc::new(GenericApiServer::new("kube-apiserver", Some(delegate)));
    catalogue::install(&server, config, factory).await?;
    Ok(server)
}
