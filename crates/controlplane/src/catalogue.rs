//! The catalogue of built-in resources: one entry per resource with its
//! registration facts, storage key and strategy. Adding a built-in resource
//! means adding an entry here (and a strategy only if the kind has behaviour
//! of its own).

use std::sync::Arc;

use apiserver::registry::Strategy;
use apiserver::resource::{ResourceDef, schema_of};
use apiserver::server::GenericApiServer;
use apiserver::storage_factory::StorageFactory;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::coordination::v1 as coordination;
use k8s_openapi::api::core::v1 as core;

use crate::Config;
use crate::admission::NamespaceLifecycle;
use crate::bootstrap;
use crate::ipallocator::IpAllocator;
use crate::strategies::*;

/// One built-in resource.
pub struct Entry {
    /// Registration facts.
    pub def: ResourceDef,
    /// Upstream's storage key under the prefix, e.g. `services/specs`.
    pub key: &'static str,
    /// The kind's behaviour.
    pub strategy: Arc<dyn Strategy>,
}

fn entry(def: ResourceDef, key: &'static str, strategy: Arc<dyn Strategy>) -> Entry {
    Entry { def, key, strategy }
}

/// Every built-in resource in discovery order.
pub fn entries(config: &Config, allocator: Arc<IpAllocator>) -> Vec<Entry> {
    let core = |kind: &str, plural: &str, namespaced: bool| ResourceDef::new("", "v1", kind, plural, namespaced);
    vec![
        entry(
            core("ConfigMap", "configmaps", true).schema(schema_of::<core::ConfigMap>).short_names(&["cm"]),
            "configmaps",
            Arc::new(ConfigMapStrategy::default()),
        ),
        entry(
            core("Endpoints", "endpoints", true).schema(schema_of::<core::Endpoints>).short_names(&["ep"]),
            "services/endpoints",
            Arc::new(EndpointsStrategy::default()),
        ),
        entry(
            core("Event", "events", true).schema(schema_of::<core::Event>).short_names(&["ev"]),
            "events",
            Arc::new(EventStrategy::new(config.event_ttl_seconds)),
        ),
        entry(
            core("Namespace", "namespaces", false)
                .schema(schema_of::<core::Namespace>)
                .short_names(&["ns"])
                .verbs(&["create", "delete", "get", "list", "patch", "update", "watch"])
                .with_subresource("finalize", "Namespace", "", "", &["update"])
                .with_status(),
            "namespaces",
            Arc::new(NamespaceStrategy::default()),
        ),
        entry(
            core("Node", "nodes", false).schema(schema_of::<core::Node>).short_names(&["no"]).with_status(),
            "minions",
            Arc::new(NodeStrategy::default()),
        ),
        entry(
            core("Pod", "pods", true)
                .schema(schema_of::<core::Pod>)
                .short_names(&["po"])
                .categories(&["all"])
                .with_subresource("binding", "Binding", "", "", &["create"])
                .with_status(),
            "pods",
            Arc::new(PodStrategy::default()),
        ),
        entry(
            core("Secret", "secrets", true).schema(schema_of::<core::Secret>),
            "secrets",
            Arc::new(SecretStrategy::default()),
        ),
        entry(
            core("ServiceAccount", "serviceaccounts", true)
                .schema(schema_of::<core::ServiceAccount>)
                .short_names(&["sa"]),
            "serviceaccounts",
            Arc::new(ServiceAccountStrategy::default()),
        ),
        entry(
            core("Service", "services", true)
                .schema(schema_of::<core::Service>)
                .short_names(&["svc"])
                .categories(&["all"])
                .verbs(&["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"])
                .with_status(),
            "services/specs",
            Arc::new(ServiceStrategy::new(allocator)),
        ),
        entry(
            ResourceDef::new("apps", "v1", "Deployment", "deployments", true)
                .schema(schema_of::<apps::Deployment>)
                .short_names(&["deploy"])
                .categories(&["all"])
                .with_status()
                .workload_scale(),
            "deployments",
            Arc::new(DeploymentStrategy::default()),
        ),
        entry(
            ResourceDef::new("apps", "v1", "ReplicaSet", "replicasets", true)
                .schema(schema_of::<apps::ReplicaSet>)
                .short_names(&["rs"])
                .categories(&["all"])
                .with_status()
                .workload_scale(),
            "replicasets",
            Arc::new(ReplicaSetStrategy::default()),
        ),
        entry(
            ResourceDef::new("coordination.k8s.io", "v1", "Lease", "leases", true)
                .schema(schema_of::<coordination::Lease>),
            "leases",
            Arc::new(LeaseStrategy::default()),
        ),
    ]
}

/// Installs every built-in resource on `server`, with NamespaceLifecycle
/// admission, and creates what must exist after start.
pub async fn install(server: &GenericApiServer, config: &Config, factory: &StorageFactory) -> Result<(), String> {
    let allocator = Arc::new(IpAllocator::new(&config.service_cluster_ip_range)?);
    let namespace_strategy: Arc<dyn Strategy> = Arc::new(NamespaceStrategy::default());
    let namespaces = factory.storage("namespaces", &namespace_strategy);
    let mut factory = factory.clone();
    factory.admission.push(Arc::new(NamespaceLifecycle {
        namespaces: namespaces.clone(),
        prefix: format!("{}/namespaces/", factory.prefix),
    }));
    let mut stores = Vec::new();
    for Entry { def, key, strategy } in entries(config, allocator.clone()) {
        let store = if key == "namespaces" {
            Arc::new(apiserver::registry::Store::new(
                def,
                namespaces.clone(),
                &format!("{}/{key}", factory.prefix),
                strategy,
                factory.admission.clone(),
            ))
        } else {
            factory.store(def, key, strategy)
        };
        server.install(store.clone());
        stores.push(store);
    }
    bootstrap::run(&stores, config, &allocator).await?;
    start_controllers(&stores, config);
    Ok(())
}

fn start_controllers(stores: &[Arc<apiserver::registry::Store>], config: &Config) {
    use crate::controllers::{self, GarbageCollector, NamespaceController, RootCaPublisher, ServiceAccountController};
    let find = |plural: &str| stores.iter().find(|s| s.def.group.is_empty() && s.def.plural == plural).cloned();
    let (Some(namespaces), Some(serviceaccounts), Some(configmaps)) =
        (find("namespaces"), find("serviceaccounts"), find("configmaps"))
    else {
        return;
    };
    for name in &config.controllers {
        match *name {
            "namespace" => {
                let contents = stores.iter().filter(|s| s.def.namespaced).cloned().collect();
                let controller = Arc::new(NamespaceController::new(namespaces.clone(), contents));
                controllers::watch_namespaces(
                    namespaces.clone(),
                    "namespace-controller",
                    Arc::new(controllers::namespace::Terminator(controller)),
                );
            }
            "garbage-collector" => GarbageCollector::new(stores.to_vec()).start(),
            "serviceaccount" => {
                let controller = ServiceAccountController { serviceaccounts: serviceaccounts.clone() };
                controllers::watch_namespaces(namespaces.clone(), "service-account-controller", Arc::new(controller));
            }
            "root-ca-cert-publisher" => {
                let publisher = RootCaPublisher { configmaps: configmaps.clone(), ca_pem: config.root_ca_pem.clone() };
                controllers::watch_namespaces(namespaces.clone(), "root-ca-cert-publisher", Arc::new(publisher));
            }
            _ => {}
        }
    }
}
