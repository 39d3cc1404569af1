//! Assembling and running the server from its options (upstream's
//! CreateServerChain and Run).

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use apiserver::admission::AdmissionChain;
use apiserver::authn::RequestHeader;
use apiserver::dynamic_ca::DynamicCa;
use apiserver::handler_chain::{Authenticator, ChainConfig, HandlerChain};
use apiserver::nonresource::{HealthCheck, HealthChecks};
use apiserver::storage_factory::StorageFactory;
use storage::Backend;
use storage::cacher::CacherConfig;
use storage::embedded::EmbeddedBackend;
use storage::etcd3::{EtcdBackend, EtcdConfig};
use tokio::net::TcpListener;

use crate::options::Options;
use crate::pki::Pki;

fn backend(options: &Options) -> Result<Arc<dyn Backend>> {
    if options.etcd_servers.is_empty() {
        let dir = options.data_dir.join("store");
        return Ok(Arc::new(
            EmbeddedBackend::open(&dir).with_context(|| format!("opening the store in {}", dir.display()))?,
        ));
    }
    let config = EtcdConfig {
        endpoints: options.etcd_servers.clone(),
        ca_file: options.etcd_cafile.clone(),
        cert_file: options.etcd_certfile.clone(),
        key_file: options.etcd_keyfile.clone(),
    };
    Ok(Arc::new(EtcdBackend::connect(&config)?))
}

/// How often the client CA files are checked for changes.
const CA_RELOAD_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// The requestheader authenticator of the --requestheader-* flags, with
/// upstream's default header names.
fn request_header(options: &Options, ca: Arc<DynamicCa>) -> RequestHeader {
    let or = |given: &[String], default: &str| {
        if given.is_empty() { vec![default.to_string()] } else { given.to_vec() }
    };
    RequestHeader {
        ca,
        allowed_names: options.requestheader_allowed_names.clone(),
        username_headers: or(&options.requestheader_username_headers, "X-Remote-User"),
        uid_headers: options.requestheader_uid_headers.clone(),
        group_headers: or(&options.requestheader_group_headers, "X-Remote-Group"),
        extra_prefixes: or(&options.requestheader_extra_headers_prefix, "X-Remote-Extra-"),
    }
}

fn host_name() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname").ok().map(|h| h.trim().to_string()).filter(|h| !h.is_empty())
}

/// Runs the server until SIGTERM or Ctrl-C.
pub async fn run(options: Options) -> Result<()> {
    let started = Instant::now();
    std::fs::create_dir_all(&options.data_dir).with_context(|| format!("creating {}", options.data_dir.display()))?;
    let client_address =
        if options.bind_address == "0.0.0.0" { "127.0.0.1".to_string() } else { options.bind_address.clone() };
    let pki = Pki::in_dir(&options.data_dir);
    let mut sans = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "kubernetes".into(),
        "kubernetes.default".into(),
        "kubernetes.default.svc".into(),
    ];
    sans.extend(host_name());
    if !sans.contains(&client_address) {
        sans.push(client_address.clone());
    }
    pki.ensure(&sans)?;
    let server_url = format!("https://{client_address}:{}", options.secure_port);
    let kubeconfig = options.data_dir.join("admin.kubeconfig");
    pki.write_kubeconfig(&kubeconfig, &server_url)?;

    let backend = backend(&options)?;
    backend.current_revision().await.context("the store is not reachable")?;
    let factory = StorageFactory {
        backend: backend.clone(),
        prefix: options.etcd_prefix.trim_end_matches('/').to_string(),
        cacher: CacherConfig::default(),
        admission: AdmissionChain::default(),
    };
    let compactor = storage::compactor::spawn(backend.clone(), options.etcd_compaction_interval);

    let signing_key =
        crate::pki::service_account_key(&options.data_dir, options.service_account_signing_key_file.as_deref())?;
    let mut verification_keys = Vec::new();
    for path in &options.service_account_key_file {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let keys = controlplane::serviceaccount::keys::parse(&text)
            .map_err(|e| anyhow::anyhow!("--service-account-key-file {}: {e}", path.display()))?;
        verification_keys.extend(keys);
    }
    let token_issuer = Arc::new(
        controlplane::serviceaccount::token::TokenIssuer::new(&signing_key, &options.service_account_issuer)
            .map_err(anyhow::Error::msg)?
            .with_verification_keys(verification_keys),
    );
    let service_account_tokens = Arc::new(controlplane::serviceaccount::TokenAuthenticator::new(token_issuer.clone()));
    let extensions = apiextensions::new_server(&factory);
    let config = controlplane::Config {
        service_cluster_ip_range: options.service_cluster_ip_range.clone(),
        service_node_port_range: options.service_node_port_range.clone(),
        event_ttl_seconds: options.event_ttl.as_secs(),
        advertise_address: client_address.clone(),
        secure_port: options.secure_port,
        root_ca_pem: std::fs::read_to_string(&pki.ca_cert).context("reading the CA")?,
        cluster_signing_key_pem: std::fs::read_to_string(&pki.ca_key).ok(),
        controllers: controlplane::controllers::enabled(&options.controllers).map_err(anyhow::Error::msg)?,
        token_issuer: token_issuer.clone(),
        service_account_tokens: service_account_tokens.clone(),
    };
    let core =
        controlplane::new_server(&config, &factory, extensions.server.clone()).await.map_err(anyhow::Error::msg)?;
    let configmaps = core.find("", "v1", "configmaps").context("the core server serves configmaps")?;
    let endpoints = controlplane::service_resolver::EndpointsResolver {
        services: core.find("", "v1", "services").context("the core server serves services")?,
        endpoint_slices: core
            .find("discovery.k8s.io", "v1", "endpointslices")
            .context("the core server serves endpointslices")?,
        endpoints: core.find("", "v1", "endpoints").context("the core server serves endpoints")?,
    };
    let service_stores =
        vec![endpoints.services.clone(), endpoints.endpoint_slices.clone(), endpoints.endpoints.clone()];
    let resolver: Arc<dyn apiserver::webhook::ServiceResolver> = Arc::new(endpoints);
    extensions.set_service_resolver(resolver.clone());
    let proxy_identity = match (&options.proxy_client_cert_file, &options.proxy_client_key_file) {
        (Some(cert), Some(key)) => {
            Some(Arc::new(apiserver::backend::ClientIdentity::load(cert, key).map_err(anyhow::Error::msg)?))
        }
        _ => None,
    };
    let aggregator = Arc::new(aggregator::new_server(
        &factory,
        core,
        aggregator::AggregatorConfig { resolver: resolver.clone(), service_stores, proxy_identity },
    ));

    let mut client_cas = vec![DynamicCa::from_file(&pki.ca_cert).map_err(anyhow::Error::msg)?];
    if let Some(path) = &options.client_ca_file {
        client_cas.push(DynamicCa::from_file(path).map_err(anyhow::Error::msg)?);
    }
    let request_header = match &options.requestheader_client_ca_file {
        Some(path) => Some(Arc::new(request_header(&options, DynamicCa::from_file(path).map_err(anyhow::Error::msg)?))),
        None => None,
    };
    let mut trusted_cas = client_cas.clone();
    trusted_cas.extend(request_header.as_ref().map(|r| r.ca.clone()));
    let ca_followers: Vec<_> = trusted_cas.iter().map(|ca| ca.follow(CA_RELOAD_INTERVAL)).collect();
    let authentication_trust = controlplane::cluster_authentication::ClusterAuthenticationTrust::start(
        configmaps,
        client_cas.clone(),
        request_header.clone(),
    );
    let mut authenticator = Authenticator {
        client_cas: request_header.is_some().then(|| client_cas.clone()),
        request_header,
        ..Default::default()
    };
    authenticator.token_authenticators.push(Arc::new(move |token: String| {
        let tokens = service_account_tokens.clone();
        Box::pin(async move { tokens.authenticate(&token).await })
    }));
    if let Some(path) = &options.token_auth_file {
        authenticator.tokens = Some(apiserver::authn::TokenFile::load(path).map_err(anyhow::Error::msg)?);
    }
    let store_backend = backend.clone();
    let checks = HealthChecks {
        live: vec![HealthCheck::new("etcd", move || {
            let backend = store_backend.clone();
            async move { backend.current_revision().await.map(|_| ()).map_err(|e| e.to_string()) }
        })],
        ready: vec![HealthCheck::new("autoregister-completion", {
            let aggregator = aggregator.clone();
            move || std::future::ready(aggregator.autoregister_completion())
        })],
    };
    let chain_config = ChainConfig {
        max_requests_inflight: options.max_requests_inflight,
        max_mutating_requests_inflight: options.max_mutating_requests_inflight,
        request_timeout: options.request_timeout,
    };
    let chain = Arc::new(HandlerChain::new(aggregator.server.clone(), authenticator, checks, &chain_config));

    let (cert, key) = match (&options.tls_cert_file, &options.tls_private_key_file) {
        (Some(cert), Some(key)) => (cert.clone(), key.clone()),
        _ => (pki.serving_cert.clone(), pki.serving_key.clone()),
    };
    let tls = crate::tls::server_config(&cert, &key, apiserver::dynamic_ca::ClientCas::new(trusted_cas))?;
    let address = format!("{}:{}", options.bind_address, options.secure_port);
    let listener = TcpListener::bind(&address).await.with_context(|| format!("binding {address}"))?;
    tracing::info!(address = %address, store = if options.etcd_servers.is_empty() { "embedded" } else { "etcd" }, started_in = ?started.elapsed(), "serving");
    println!("ferrokube is serving on {server_url}");
    println!("kubeconfig: {}", kubeconfig.display());
    println!("  export KUBECONFIG={}", kubeconfig.canonicalize().unwrap_or(kubeconfig.clone()).display());
    apiserver::serve::serve_tls(listener, tls, chain, shutdown_signal(), std::time::Duration::from_secs(60)).await;
    compactor.abort();
    ca_followers.iter().for_each(|f| f.abort());
    authentication_trust.abort();
    tracing::info!("shut down");
    Ok(())
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("shutting down: draining requests");
}
