//! The built-in groups beyond core and apps: their entries, each with the
//! strategy `strategies` builds for it (defaults, validation and upstream's
//! printer), or only a printer where upstream has nothing more.

use std::sync::Arc;

use apiserver::registry::{PrintedStrategy, Strategy};
use apiserver::resource::{ResourceDef, schema_of};
use k8s_openapi::api::admissionregistration::v1 as admissionregistration;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::autoscaling::v2 as autoscaling;
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::certificates::v1 as certificates;
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

use super::{Entry, entry, served_over};
use crate::conversion::HorizontalPodAutoscalerV1;
use crate::printers;
use crate::strategies::*;

/// The entries of these groups, in discovery order.
pub(super) fn group_entries() -> Vec<Entry> {
    let printed = |printer| -> Arc<dyn Strategy> { Arc::new(PrintedStrategy(printer)) };
    let def = ResourceDef::new;
    vec![
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
