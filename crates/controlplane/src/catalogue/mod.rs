//! The catalogue of built-in resources: one entry per resource with its
//! registration facts, storage key and strategy. Adding a built-in resource
//! means adding an entry here (and a strategy only if the kind has behaviour
//! of its own). The core and apps kinds are listed here, the review kinds in
//! `reviews`, every other group in `groups`.

mod groups;
mod reviews;

use std::collections::HashMap;
use std::sync::Arc;

use apiserver::conversion::{ConvertedStorage, ConvertedStrategy, Converter};
use apiserver::registry::{Store, Strategy};
use apiserver::resource::{ResourceDef, schema_of};
use apiserver::server::GenericApiServer;
use apiserver::storage_factory::StorageFactory;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::coordination::v1 as coordination;
use k8s_openapi::api::core::v1 as core;
use storage::Interface;

use crate::Config;
use crate::admission::NamespaceLifecycle;
use crate::bootstrap;
use crate::conversion::EventsV1;
use crate::eviction::Eviction;
use crate::ipaddresses::AddressClaims;
use crate::ipallocator::IpAllocator;
use crate::portallocator::PortAllocator;
use crate::strategies::*;

/// One built-in resource.
pub struct Entry {
    /// Registration facts.
    pub def: ResourceDef,
    /// Upstream's storage key under the prefix, e.g. `services/specs`.
    pub key: &'static str,
    /// The kind's behaviour.
    pub strategy: Arc<dyn Strategy>,
    /// For a version served over another version's storage (the entry with
    /// the same key, listed earlier): the conversion between them.
    pub converter: Option<Arc<dyn Converter>>,
}

fn entry(def: ResourceDef, key: &'static str, strategy: Arc<dyn Strategy>) -> Entry {
    Entry { def, key, strategy, converter: None }
}

/// A version served over the storage of another entry with the same key,
/// whose strategy is `stored_strategy`.
fn served_over(
    def: ResourceDef,
    key: &'static str,
    stored_strategy: Arc<dyn Strategy>,
    converter: Arc<dyn Converter>,
) -> Entry {
    let strategy = Arc::new(ConvertedStrategy::new(stored_strategy, converter.clone()));
    Entry { def, key, strategy, converter: Some(converter) }
}

/// The verbs of the proxy subresources (pods, services, nodes).
const PROXY_VERBS: &[&str] = &["create", "delete", "get", "patch", "update"];

/// Every built-in resource in discovery order.
pub fn entries(
    config: &Config,
    allocator: Arc<IpAllocator>,
    ports: Arc<PortAllocator>,
    claims: Arc<AddressClaims>,
    eviction: Arc<std::sync::OnceLock<Eviction>>,
    bound_pods: Arc<std::sync::OnceLock<Arc<Store>>>,
) -> Vec<Entry> {
    let core = |kind: &str, plural: &str, namespaced: bool| ResourceDef::new("", "v1", kind, plural, namespaced);
    let events: Arc<dyn Strategy> = Arc::new(EventStrategy::new(config.event_ttl_seconds));
    vec![
        entry(
            core("Binding", "bindings", true).verbs(&["create"]).schema(schema_of::<core::Binding>),
            "bindings",
            Arc::new(BindingStrategy { pods: bound_pods }),
        ),
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
            events.clone(),
        ),
        served_over(
            ResourceDef::new("events.k8s.io", "v1", "Event", "events", true)
                .schema(schema_of::<k8s_openapi::api::events::v1::Event>)
                .short_names(&["ev"]),
            "events",
            events,
            Arc::new(EventsV1),
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
            core("Node", "nodes", false)
                .schema(schema_of::<core::Node>)
                .short_names(&["no"])
                .with_subresource("proxy", "NodeProxyOptions", "", "", PROXY_VERBS)
                .with_status(),
            "minions",
            Arc::new(NodeStrategy::default()),
        ),
        entry(
            [
                ("attach", "PodAttachOptions", &["create", "get"][..]),
                ("binding", "Binding", &["create"]),
                ("ephemeralcontainers", "Pod", &["get", "patch", "update"]),
                ("exec", "PodExecOptions", &["create", "get"]),
                ("log", "Pod", &["get"]),
                ("portforward", "PodPortForwardOptions", &["create", "get"]),
                ("proxy", "PodProxyOptions", PROXY_VERBS),
                ("resize", "Pod", &["get", "patch", "update"]),
            ]
            .into_iter()
            .fold(
                core("Pod", "pods", true).schema(schema_of::<core::Pod>).short_names(&["po"]).categories(&["all"]),
                |def, (name, kind, verbs)| def.with_subresource(name, kind, "", "", verbs),
            )
            .with_subresource("eviction", "Eviction", "policy", "v1", &["create"])
            .with_status(),
            "pods",
            Arc::new(PodStrategy::new(eviction)),
        ),
        entry(
            core("Secret", "secrets", true).schema(schema_of::<core::Secret>),
            "secrets",
            Arc::new(SecretStrategy::default()),
        ),
        entry(
            core("ServiceAccount", "serviceaccounts", true)
                .schema(schema_of::<core::ServiceAccount>)
                .short_names(&["sa"])
                .with_subresource("token", "TokenRequest", "authentication.k8s.io", "v1", &["create"]),
            "serviceaccounts",
            Arc::new(ServiceAccountStrategy::new(config.token_issuer.clone())),
        ),
        entry(
            core("Service", "services", true)
                .schema(schema_of::<core::Service>)
                .short_names(&["svc"])
                .categories(&["all"])
                .with_subresource("proxy", "ServiceProxyOptions", "", "", PROXY_VERBS)
                .with_status(),
            "services/specs",
            Arc::new(ServiceStrategy::new(allocator, ports, claims)),
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
    .into_iter()
    .chain(reviews::review_entries(config))
    .chain(groups::group_entries())
    .collect()
}

/// Installs every built-in resource on `server`, with NamespaceLifecycle
/// admission, and creates what must exist after start.
pub async fn install(server: &Arc<GenericApiServer>, config: &Config, factory: &StorageFactory) -> Result<(), String> {
    let allocator = Arc::new(IpAllocator::new(&config.service_cluster_ip_range)?);
    let ports = Arc::new(PortAllocator::new(&config.service_node_port_range)?);
    let claims = Arc::new(AddressClaims::default());
    let namespace_strategy: Arc<dyn Strategy> = Arc::new(NamespaceStrategy::default());
    let namespaces = factory.storage("namespaces", &namespace_strategy);
    let mut factory = factory.clone();
    factory.admission.push(Arc::new(NamespaceLifecycle {
        namespaces: namespaces.clone(),
        prefix: format!("{}/namespaces/", factory.prefix),
    }));
    let mut stores = Vec::new();
    let eviction = Arc::new(std::sync::OnceLock::new());
    let bound_pods = Arc::new(std::sync::OnceLock::new());
    let mut storages: HashMap<&str, Arc<dyn Interface>> = HashMap::from([("namespaces", namespaces)]);
    for Entry { def, key, strategy, converter } in
        entries(config, allocator.clone(), ports.clone(), claims.clone(), eviction.clone(), bound_pods.clone())
    {
        let storage = match &converter {
            Some(converter) => {
                let stored = storages.get(key).cloned().ok_or(format!("{key} is served before it is stored"))?;
                Arc::new(ConvertedStorage::in_process(stored, converter.clone()))
            }
            None => storages.entry(key).or_insert_with(|| factory.storage(key, &strategy)).clone(),
        };
        let prefix = format!("{}/{key}", factory.prefix);
        let store = Arc::new(Store::new(def, storage, &prefix, strategy, factory.admission.clone()));
        server.install(store.clone());
        // Controllers see each object once: in its storage version.
        if converter.is_none() {
            stores.push(store);
        }
    }
    let find =
        |group: &str, plural: &str| stores.iter().find(|s| s.def.group == group && s.def.plural == plural).cloned();
    if let Some(addresses) = find("networking.k8s.io", "ipaddresses") {
        claims.set_store(addresses);
    }
    if let Some(accounts) = find("", "serviceaccounts") {
        config.service_account_tokens.set_accounts(accounts);
    }
    if let Some(pods) = find("", "pods") {
        let _ = bound_pods.set(pods);
    }
    if let (Some(pods), Some(budgets)) = (find("", "pods"), find("policy", "poddisruptionbudgets")) {
        let _ = eviction.set(Eviction { pods, budgets });
    }
    bootstrap::run(&stores, config, &allocator, &ports).await?;
    let chain = server.clone();
    start_controllers(&stores, Arc::new(move || chain.resource_stores()), config);
    Ok(())
}

/// Starts the enabled controllers; `every_kind` yields the stores of every
/// resource of the chain, custom ones included.
fn start_controllers(stores: &[Arc<Store>], every_kind: apiserver::informer::StoreSource, config: &Config) {
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
                let controller = Arc::new(NamespaceController::new(namespaces.clone(), every_kind.clone()));
                controllers::watch_namespaces(
                    namespaces.clone(),
                    "namespace-controller",
                    Arc::new(controllers::namespace::Terminator(controller)),
                );
            }
            "garbage-collector" => GarbageCollector::new(every_kind.clone()).start(),
            "disruption" => {
                let budgets = stores.iter().find(|s| s.def.plural == "poddisruptionbudgets").cloned();
                if let (Some(pods), Some(budgets)) = (find("pods"), budgets) {
                    Arc::new(controllers::DisruptionController { pods, budgets }).start();
                }
            }
            "serviceaccount" => {
                let controller = ServiceAccountController { serviceaccounts: serviceaccounts.clone() };
                controllers::watch_namespaces(namespaces.clone(), "service-account-controller", Arc::new(controller));
            }
            "root-ca-cert-publisher" => {
                let publisher = RootCaPublisher { configmaps: configmaps.clone(), ca_pem: config.root_ca_pem.clone() };
                controllers::watch_namespaces(namespaces.clone(), "root-ca-cert-publisher", Arc::new(publisher));
            }
            "csrsigning" => {
                let requests = stores.iter().find(|s| s.def.plural == "certificatesigningrequests").cloned();
                if let (Some(requests), Some(ca_key_pem)) = (requests, config.cluster_signing_key_pem.clone()) {
                    let ca_pem = config.root_ca_pem.clone();
                    Arc::new(controllers::CsrSigningController { requests, ca_pem, ca_key_pem }).start();
                }
            }
            "endpointslicemirroring" => {
                let slices = stores.iter().find(|s| s.def.plural == "endpointslices").cloned();
                if let (Some(services), Some(endpoints), Some(slices)) = (find("services"), find("endpoints"), slices) {
                    Arc::new(controllers::EndpointSliceMirroring { services, endpoints, slices }).start();
                }
            }
            "clusterrole-aggregation" => {
                if let Some(roles) = stores.iter().find(|s| s.def.plural == "clusterroles").cloned() {
                    Arc::new(controllers::ClusterRoleAggregation { roles }).start();
                }
            }
            _ => {}
        }
    }
}
