//! The catalogue of built-in resources: one entry per resource with its
//! registration facts, storage key and strategy. Adding a built-in resource
//! means adding an entry here (and a strategy only if the kind has behaviour
//! of its own).

use std::collections::HashMap;
use std::sync::Arc;

use apiserver::conversion::{ConvertedStorage, ConvertedStrategy, Converter};
use apiserver::registry::{PrintedStrategy, Store, Strategy};
use apiserver::resource::{ResourceDef, schema_of};
use apiserver::server::GenericApiServer;
use apiserver::storage_factory::StorageFactory;
use k8s_openapi::api::admissionregistration::v1 as admissionregistration;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::autoscaling::v2 as autoscaling;
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::certificates::v1 as certificates;
use k8s_openapi::api::coordination::v1 as coordination;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::discovery::v1 as discovery;
use k8s_openapi::api::flowcontrol::v1 as flowcontrol;
use k8s_openapi::api::networking::v1 as networking;
use k8s_openapi::api::node::v1 as node;
use k8s_openapi::api::policy::v1 as policy;
use k8s_openapi::api::rbac::v1 as rbac;
use k8s_openapi::api::resource::v1 as resource;
use k8s_openapi::api::scheduling::v1 as scheduling;
use k8s_openapi::api::storage::v1 as storage_k8s;
use storage::Interface;

use crate::Config;
use crate::admission::NamespaceLifecycle;
use crate::authorization::{AccessReview, AccessReviewStrategy};
use crate::bootstrap;
use crate::conversion::{EventsV1, HorizontalPodAutoscalerV1};
use crate::eviction::Eviction;
use crate::ipaddresses::AddressClaims;
use crate::ipallocator::IpAllocator;
use crate::portallocator::PortAllocator;
use crate::printers;
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
) -> Vec<Entry> {
    let core = |kind: &str, plural: &str, namespaced: bool| ResourceDef::new("", "v1", kind, plural, namespaced);
    let events: Arc<dyn Strategy> = Arc::new(EventStrategy::new(config.event_ttl_seconds));
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
    .chain(review_entries(config))
    .chain(plain_entries())
    .collect()
}

/// The authentication.k8s.io kinds that are answered, never stored.
fn review_entries(config: &Config) -> Vec<Entry> {
    use crate::serviceaccount::{SelfSubjectReviewStrategy, TokenReviewStrategy};
    use k8s_openapi::api::authentication::v1 as authentication;
    vec![
        entry(
            ResourceDef::new("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", false)
                .verbs(&["create"])
                .schema(schema_of::<authentication::SelfSubjectReview>),
            "selfsubjectreviews",
            Arc::new(SelfSubjectReviewStrategy),
        ),
        entry(
            ResourceDef::new("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", false)
                .verbs(&["create"])
                .schema(schema_of::<authentication::TokenReview>),
            "tokenreviews",
            Arc::new(TokenReviewStrategy { tokens: config.service_account_tokens.clone() }),
        ),
    ]
    .into_iter()
    .chain(access_review_entries())
    .collect()
}

/// The authorization.k8s.io access reviews.
fn access_review_entries() -> Vec<Entry> {
    use k8s_openapi::api::authorization::v1 as authorization;
    let review = |kind: &str, plural: &'static str, namespaced: bool, schema: apiserver::resource::SchemaFn, which| {
        entry(
            ResourceDef::new("authorization.k8s.io", "v1", kind, plural, namespaced).verbs(&["create"]).schema(schema),
            plural,
            Arc::new(AccessReviewStrategy(which)),
        )
    };
    vec![
        review(
            "LocalSubjectAccessReview",
            "localsubjectaccessreviews",
            true,
            schema_of::<authorization::LocalSubjectAccessReview>,
            AccessReview::LocalSubject,
        ),
        review(
            "SelfSubjectAccessReview",
            "selfsubjectaccessreviews",
            false,
            schema_of::<authorization::SelfSubjectAccessReview>,
            AccessReview::SelfSubject,
        ),
        review(
            "SelfSubjectRulesReview",
            "selfsubjectrulesreviews",
            false,
            schema_of::<authorization::SelfSubjectRulesReview>,
            AccessReview::SelfSubjectRules,
        ),
        review(
            "SubjectAccessReview",
            "subjectaccessreviews",
            false,
            schema_of::<authorization::SubjectAccessReview>,
            AccessReview::Subject,
        ),
    ]
}

/// Resources whose only behaviour of their own is their Table: metadata
/// validation and upstream's printer (Name / Created At where upstream has
/// no printer).
fn plain_entries() -> Vec<Entry> {
    let plain = || -> Arc<dyn Strategy> { Arc::new(apiserver::registry::DefaultStrategy) };
    let printed = |printer| -> Arc<dyn Strategy> { Arc::new(PrintedStrategy(printer)) };
    let def = ResourceDef::new;
    vec![
        entry(
            def("", "v1", "Binding", "bindings", true).verbs(&["create"]).schema(schema_of::<core::Binding>),
            "bindings",
            plain(),
        ),
        entry(
            def("", "v1", "ComponentStatus", "componentstatuses", false)
                .short_names(&["cs"])
                .verbs(&["get", "list"])
                .schema(schema_of::<core::ComponentStatus>),
            "componentstatuses",
            printed(printers::component_statuses()),
        ),
        entry(
            def("", "v1", "LimitRange", "limitranges", true)
                .short_names(&["limits"])
                .schema(schema_of::<core::LimitRange>),
            "limitranges",
            Arc::new(limit_ranges()),
        ),
        entry(
            def("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true)
                .short_names(&["pvc"])
                .with_status()
                .schema(schema_of::<core::PersistentVolumeClaim>),
            "persistentvolumeclaims",
            Arc::new(persistent_volume_claims()),
        ),
        entry(
            def("", "v1", "PersistentVolume", "persistentvolumes", false)
                .short_names(&["pv"])
                .with_status()
                .schema(schema_of::<core::PersistentVolume>),
            "persistentvolumes",
            Arc::new(persistent_volumes()),
        ),
        entry(
            def("", "v1", "PodTemplate", "podtemplates", true).schema(schema_of::<core::PodTemplate>),
            "podtemplates",
            printed(printers::pod_templates()),
        ),
        entry(
            def("", "v1", "ReplicationController", "replicationcontrollers", true)
                .short_names(&["rc"])
                .categories(&["all"])
                .with_status()
                .workload_scale()
                .schema(schema_of::<core::ReplicationController>),
            "controllers",
            Arc::new(replication_controllers()),
        ),
        entry(
            def("", "v1", "ResourceQuota", "resourcequotas", true)
                .short_names(&["quota"])
                .with_status()
                .schema(schema_of::<core::ResourceQuota>),
            "resourcequotas",
            Arc::new(resource_quotas()),
        ),
        entry(
            def("apps", "v1", "ControllerRevision", "controllerrevisions", true)
                .schema(schema_of::<apps::ControllerRevision>),
            "controllerrevisions",
            printed(printers::controller_revisions()),
        ),
        entry(
            def("apps", "v1", "DaemonSet", "daemonsets", true)
                .short_names(&["ds"])
                .categories(&["all"])
                .with_status()
                .schema(schema_of::<apps::DaemonSet>),
            "daemonsets",
            Arc::new(daemon_sets()),
        ),
        entry(
            def("apps", "v1", "StatefulSet", "statefulsets", true)
                .short_names(&["sts"])
                .categories(&["all"])
                .with_status()
                .workload_scale()
                .schema(schema_of::<apps::StatefulSet>),
            "statefulsets",
            Arc::new(stateful_sets()),
        ),
        entry(
            def("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true)
                .short_names(&["hpa"])
                .categories(&["all"])
                .with_status()
                .schema(schema_of::<autoscaling::HorizontalPodAutoscaler>),
            "horizontalpodautoscalers",
            printed(printers::horizontal_pod_autoscalers()),
        ),
        served_over(
            def("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true)
                .short_names(&["hpa"])
                .categories(&["all"])
                .with_status()
                .schema(schema_of::<k8s_openapi::api::autoscaling::v1::HorizontalPodAutoscaler>),
            "horizontalpodautoscalers",
            printed(printers::horizontal_pod_autoscalers()),
            Arc::new(HorizontalPodAutoscalerV1),
        ),
        entry(
            def("batch", "v1", "CronJob", "cronjobs", true)
                .short_names(&["cj"])
                .categories(&["all"])
                .with_status()
                .schema(schema_of::<batch::CronJob>),
            "cronjobs",
            Arc::new(cron_jobs()),
        ),
        entry(
            def("batch", "v1", "Job", "jobs", true).categories(&["all"]).with_status().schema(schema_of::<batch::Job>),
            "jobs",
            Arc::new(jobs()),
        ),
        entry(
            def("certificates.k8s.io", "v1", "CertificateSigningRequest", "certificatesigningrequests", false)
                .short_names(&["csr"])
                .with_subresource("approval", "CertificateSigningRequest", "", "", &["get", "patch", "update"])
                .with_status()
                .schema(schema_of::<certificates::CertificateSigningRequest>),
            "certificatesigningrequests",
            Arc::new(CertificateSigningRequestStrategy::default()),
        ),
        entry(
            def("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true)
                .schema(schema_of::<discovery::EndpointSlice>),
            "endpointslices",
            Arc::new(endpoint_slices()),
        ),
        entry(
            def("networking.k8s.io", "v1", "IngressClass", "ingressclasses", false)
                .schema(schema_of::<networking::IngressClass>),
            "ingressclasses",
            Arc::new(ingress_classes()),
        ),
        entry(
            def("networking.k8s.io", "v1", "Ingress", "ingresses", true)
                .short_names(&["ing"])
                .with_status()
                .schema(schema_of::<networking::Ingress>),
            "ingress",
            Arc::new(ingresses()),
        ),
        entry(
            def("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true)
                .short_names(&["netpol"])
                .schema(schema_of::<networking::NetworkPolicy>),
            "networkpolicies",
            Arc::new(network_policies()),
        ),
        entry(
            def("networking.k8s.io", "v1", "IPAddress", "ipaddresses", false)
                .short_names(&["ip"])
                .schema(schema_of::<networking::IPAddress>),
            "ipaddresses",
            printed(printers::ip_addresses()),
        ),
        entry(
            def("networking.k8s.io", "v1", "ServiceCIDR", "servicecidrs", false)
                .with_status()
                .schema(schema_of::<networking::ServiceCIDR>),
            "servicecidrs",
            printed(printers::service_cidrs()),
        ),
        entry(
            def("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", false).schema(schema_of::<node::RuntimeClass>),
            "runtimeclasses",
            Arc::new(runtime_classes()),
        ),
        entry(
            def("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true)
                .short_names(&["pdb"])
                .with_status()
                .schema(schema_of::<policy::PodDisruptionBudget>),
            "poddisruptionbudgets",
            Arc::new(PodDisruptionBudgetStrategy::default()),
        ),
        entry(
            def("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false)
                .schema(schema_of::<rbac::ClusterRoleBinding>),
            "clusterrolebindings",
            Arc::new(cluster_role_bindings()),
        ),
        entry(
            def("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false)
                .schema(schema_of::<rbac::ClusterRole>),
            "clusterroles",
            Arc::new(cluster_roles()),
        ),
        entry(
            def("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true)
                .schema(schema_of::<rbac::RoleBinding>),
            "rolebindings",
            Arc::new(role_bindings()),
        ),
        entry(
            def("rbac.authorization.k8s.io", "v1", "Role", "roles", true).schema(schema_of::<rbac::Role>),
            "roles",
            Arc::new(roles()),
        ),
        entry(
            def("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", false)
                .short_names(&["pc"])
                .schema(schema_of::<scheduling::PriorityClass>),
            "priorityclasses",
            Arc::new(PriorityClassStrategy),
        ),
        entry(
            def("storage.k8s.io", "v1", "CSIDriver", "csidrivers", false).schema(schema_of::<storage_k8s::CSIDriver>),
            "csidrivers",
            printed(printers::csi_drivers()),
        ),
        entry(
            def("storage.k8s.io", "v1", "CSINode", "csinodes", false).schema(schema_of::<storage_k8s::CSINode>),
            "csinodes",
            printed(printers::csi_nodes()),
        ),
        entry(
            def("storage.k8s.io", "v1", "CSIStorageCapacity", "csistoragecapacities", true)
                .schema(schema_of::<storage_k8s::CSIStorageCapacity>),
            "csistoragecapacities",
            printed(printers::csi_storage_capacities()),
        ),
        entry(
            def("storage.k8s.io", "v1", "StorageClass", "storageclasses", false)
                .short_names(&["sc"])
                .schema(schema_of::<storage_k8s::StorageClass>),
            "storageclasses",
            Arc::new(storage_classes()),
        ),
        entry(
            def("storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", false)
                .with_status()
                .schema(schema_of::<storage_k8s::VolumeAttachment>),
            "volumeattachments",
            printed(printers::volume_attachments()),
        ),
        entry(
            def("storage.k8s.io", "v1", "VolumeAttributesClass", "volumeattributesclasses", false)
                .short_names(&["vac"])
                .schema(schema_of::<storage_k8s::VolumeAttributesClass>),
            "volumeattributesclasses",
            printed(printers::volume_attributes_classes()),
        ),
        entry(
            def("resource.k8s.io", "v1", "DeviceClass", "deviceclasses", false)
                .schema(schema_of::<resource::DeviceClass>),
            "deviceclasses",
            printed(printers::name_and_age()),
        ),
        entry(
            def("resource.k8s.io", "v1", "ResourceClaim", "resourceclaims", true)
                .with_status()
                .schema(schema_of::<resource::ResourceClaim>),
            "resourceclaims",
            printed(printers::resource_claims()),
        ),
        entry(
            def("resource.k8s.io", "v1", "ResourceClaimTemplate", "resourceclaimtemplates", true)
                .schema(schema_of::<resource::ResourceClaimTemplate>),
            "resourceclaimtemplates",
            printed(printers::name_and_age()),
        ),
        entry(
            def("resource.k8s.io", "v1", "ResourceSlice", "resourceslices", false)
                .schema(schema_of::<resource::ResourceSlice>),
            "resourceslices",
            printed(printers::resource_slices()),
        ),
        entry(
            def(
                "admissionregistration.k8s.io",
                "v1",
                "MutatingWebhookConfiguration",
                "mutatingwebhookconfigurations",
                false,
            )
            .categories(&["api-extensions"])
            .schema(schema_of::<admissionregistration::MutatingWebhookConfiguration>),
            "mutatingwebhookconfigurations",
            Arc::new(mutating_webhook_configurations()),
        ),
        entry(
            def(
                "admissionregistration.k8s.io",
                "v1",
                "ValidatingAdmissionPolicy",
                "validatingadmissionpolicies",
                false,
            )
            .categories(&["api-extensions"])
            .with_status()
            .schema(schema_of::<admissionregistration::ValidatingAdmissionPolicy>),
            "validatingadmissionpolicies",
            Arc::new(validating_admission_policies()),
        ),
        entry(
            def(
                "admissionregistration.k8s.io",
                "v1",
                "ValidatingAdmissionPolicyBinding",
                "validatingadmissionpolicybindings",
                false,
            )
            .categories(&["api-extensions"])
            .schema(schema_of::<admissionregistration::ValidatingAdmissionPolicyBinding>),
            "validatingadmissionpolicybindings",
            Arc::new(validating_admission_policy_bindings()),
        ),
        entry(
            def(
                "admissionregistration.k8s.io",
                "v1",
                "ValidatingWebhookConfiguration",
                "validatingwebhookconfigurations",
                false,
            )
            .categories(&["api-extensions"])
            .schema(schema_of::<admissionregistration::ValidatingWebhookConfiguration>),
            "validatingwebhookconfigurations",
            Arc::new(validating_webhook_configurations()),
        ),
        entry(
            def("flowcontrol.apiserver.k8s.io", "v1", "FlowSchema", "flowschemas", false)
                .with_status()
                .schema(schema_of::<flowcontrol::FlowSchema>),
            "flowschemas",
            Arc::new(flow_schemas()),
        ),
        entry(
            def(
                "flowcontrol.apiserver.k8s.io",
                "v1",
                "PriorityLevelConfiguration",
                "prioritylevelconfigurations",
                false,
            )
            .with_status()
            .schema(schema_of::<flowcontrol::PriorityLevelConfiguration>),
            "prioritylevelconfigurations",
            Arc::new(priority_level_configurations()),
        ),
    ]
}

/// Installs every built-in resource on `server`, with NamespaceLifecycle
/// admission, and creates what must exist after start.
pub async fn install(server: &GenericApiServer, config: &Config, factory: &StorageFactory) -> Result<(), String> {
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
    let mut storages: HashMap<&str, Arc<dyn Interface>> = HashMap::from([("namespaces", namespaces)]);
    for Entry { def, key, strategy, converter } in
        entries(config, allocator.clone(), ports.clone(), claims.clone(), eviction.clone())
    {
        let storage = match &converter {
            Some(converter) => {
                let stored = storages.get(key).cloned().ok_or(format!("{key} is served before it is stored"))?;
                Arc::new(ConvertedStorage::new(stored, converter.clone()))
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
    if let (Some(pods), Some(budgets)) = (find("", "pods"), find("policy", "poddisruptionbudgets")) {
        let _ = eviction.set(Eviction { pods, budgets });
    }
    bootstrap::run(&stores, config, &allocator, &ports).await?;
    start_controllers(&stores, config);
    Ok(())
}

fn start_controllers(stores: &[Arc<Store>], config: &Config) {
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
            "clusterrole-aggregation" => {
                if let Some(roles) = stores.iter().find(|s| s.def.plural == "clusterroles").cloned() {
                    Arc::new(controllers::ClusterRoleAggregation { roles }).start();
                }
            }
            _ => {}
        }
    }
}
