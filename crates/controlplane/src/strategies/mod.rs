//! Strategies of the built-in kinds that have behaviour of their own:
//! defaulting, validation, selectable fields and Table columns as upstream.

mod admission_config;
mod apps;
mod certificates;
mod cluster;
mod cluster_config;
mod config;
mod kind;
mod namespaces;
mod networking;
mod pod_subresources;
mod pods;
mod policy;
mod rbac;
mod scheduling;
mod services;
mod volumes;
mod workloads;

pub use admission_config::{
    mutating_webhook_configurations, validating_admission_policies, validating_admission_policy_bindings,
    validating_webhook_configurations,
};
pub use apps::{DeploymentStrategy, ReplicaSetStrategy};
pub use certificates::{CertificateSigningRequestStrategy, request_pem};
pub use cluster::{EventStrategy, LeaseStrategy, NodeStrategy};
pub use cluster_config::{
    endpoint_slices, flow_schemas, limit_ranges, priority_level_configurations, resource_quotas, runtime_classes,
};
pub use config::{ConfigMapStrategy, SecretStrategy, ServiceAccountStrategy};
pub use namespaces::NamespaceStrategy;
pub use networking::{ingress_classes, ingresses, network_policies};
pub use pod_subresources::BindingStrategy;
pub use pods::{PodStrategy, default_pod_spec, validate_pod_spec};
pub use policy::PodDisruptionBudgetStrategy;
pub use rbac::{cluster_role_bindings, cluster_roles, role_bindings, roles};
pub use scheduling::{PriorityClassStrategy, SYSTEM_PRIORITY_CLASSES};
pub use services::{EndpointsStrategy, ServiceStrategy};
pub use volumes::{persistent_volume_claims, persistent_volumes, storage_classes};
pub use workloads::{cron_jobs, daemon_sets, jobs, replication_controllers, stateful_sets};

use serde_json::Value;

/// The string at a JSON path, or empty.
pub(crate) fn text<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    path.iter().try_fold(value, |v, key| v.get(*key)).and_then(Value::as_str).unwrap_or_default()
}

/// A label selector map as `k=v,k2=v2`, as kubectl prints selectors.
pub(crate) fn selector_string(selector: &Value) -> String {
    selector
        .as_object()
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join(","))
        .unwrap_or_default()
}

/// Sets `object[field]` to `value` when it is missing or null.
pub(crate) fn default_field(object: &mut Value, field: &str, value: Value) {
    if object.get(field).is_none_or(Value::is_null)
        && let Some(map) = object.as_object_mut()
    {
        map.insert(field.to_string(), value);
    }
}
