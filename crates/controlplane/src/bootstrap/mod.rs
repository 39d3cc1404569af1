//! What exists after start (upstream's bootstrap controllers and
//! post-start hooks): the system namespaces, the default ServiceCIDR, the
//! `kubernetes` Service in `default` with its Endpoints, an IPAddress for
//! every Service's cluster IP, the system priority classes, the API
//! Priority and Fairness defaults, upstream's bootstrap RBAC policy, and cluster IP and node port allocations
//! rebuilt from the stored Services.

mod flowcontrol;
mod rbac;

use std::sync::Arc;

use apiserver::authn::UserInfo;
use apiserver::registry::{Context, Store};
use serde_json::{Value, json};
use storage::ListOptions;

use crate::Config;
use crate::ipallocator::IpAllocator;
use crate::portallocator::PortAllocator;

/// The namespaces upstream creates.
pub const SYSTEM_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

fn system_context(namespace: &str) -> Context {
    Context {
        user: UserInfo {
            username: "system:apiserver".into(),
            groups: vec!["system:masters".into()],
            ..Default::default()
        },
        namespace: namespace.to_string(),
        dry_run: false,
    }
}

fn find<'a>(stores: &'a [Arc<Store>], group: &str, plural: &str) -> Result<&'a Arc<Store>, String> {
    stores
        .iter()
        .find(|s| s.def.group == group && s.def.plural == plural)
        .ok_or_else(|| format!("{plural} are not installed"))
}

/// Creates `object` unless it exists.
async fn ensure(store: &Store, namespace: &str, object: Value) -> Result<(), String> {
    let ctx = system_context(namespace);
    let name = object["metadata"]["name"].as_str().unwrap_or_default().to_string();
    if store.get(&ctx, &name, None).await.is_ok() {
        return Ok(());
    }
    match store.create(&ctx, object).await {
        Ok(_) => Ok(()),
        Err(e) if e.code == 409 => Ok(()),
        Err(e) => Err(format!("bootstrap: {}", e.message)),
    }
}

/// Runs the bootstrap steps; fails if storage is unusable.
pub async fn run(
    stores: &[Arc<Store>],
    config: &Config,
    allocator: &IpAllocator,
    ports: &PortAllocator,
) -> Result<(), String> {
    let services = find(stores, "", "services")?;
    let addresses = find(stores, "networking.k8s.io", "ipaddresses")?;
    let default_cidr = json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "ServiceCIDR",
        "metadata": {"name": "kubernetes"},
        "spec": {"cidrs": [config.service_cluster_ip_range]},
    });
    ensure(find(stores, "networking.k8s.io", "servicecidrs")?, "", default_cidr).await?;
    let existing = services.list(&system_context(""), ListOptions::default()).await.map_err(|e| e.message)?;
    for item in existing.items {
        let service: Value = serde_json::from_slice(&item.data).map_err(|e| e.to_string())?;
        if let Some(ip) = service["spec"]["clusterIP"].as_str().filter(|ip| !ip.is_empty() && *ip != "None") {
            let _ = allocator.allocate(ip);
            ensure(addresses, "", crate::ipaddresses::address_object(ip, &service)).await?;
        }
        for port in service["spec"]["ports"].as_array().into_iter().flatten() {
            if let Some(node_port) = port["nodePort"].as_u64() {
                let _ = ports.allocate(node_port as u32);
            }
        }
    }
    let namespaces = find(stores, "", "namespaces")?;
    for name in SYSTEM_NAMESPACES {
        ensure(namespaces, "", json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})).await?;
    }
    let kubernetes = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {
            "clusterIP": allocator.first(),
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": config.secure_port}],
            "sessionAffinity": "None",
            "type": "ClusterIP",
        },
    });
    ensure(services, "default", kubernetes).await?;
    let endpoints = json!({
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{
            "addresses": [{"ip": config.advertise_address}],
            "ports": [{"name": "https", "port": config.secure_port, "protocol": "TCP"}],
        }],
    });
    ensure(find(stores, "", "endpoints")?, "default", endpoints).await?;
    let priority_classes = find(stores, "scheduling.k8s.io", "priorityclasses")?;
    for (name, value) in crate::strategies::SYSTEM_PRIORITY_CLASSES {
        let class = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name}, "value": value});
        ensure(priority_classes, "", class).await?;
    }
    flowcontrol::run(stores).await?;
    rbac::run(stores).await
}
