//! Controllers that upstream runs in kube-controller-manager and a running
//! control plane is expected to have, run here in-process over the registry
//! stores (no HTTP round trip). `--controllers` switches them on and off
//! with kube-controller-manager's syntax: `*` for all, `name` to enable,
//! `-name` to disable.

mod clusterrole_aggregation;
mod csr_signing;
mod disruption;
mod endpointslice_mirroring;
mod garbage_collector;
pub mod namespace;
mod serviceaccounts;

use std::sync::Arc;

pub(crate) use apiserver::informer::{controller_context, watch_store};
use apiserver::registry::Store;
use serde_json::Value;
use storage::EventType;
use tokio::task::JoinHandle;

pub use clusterrole_aggregation::ClusterRoleAggregation;
pub use csr_signing::CsrSigningController;
pub use disruption::DisruptionController;
pub use endpointslice_mirroring::EndpointSliceMirroring;
pub use garbage_collector::GarbageCollector;
pub use namespace::NamespaceController;
pub use serviceaccounts::{RootCaPublisher, ServiceAccountController};

/// Every controller's name, as kube-controller-manager names them.
pub const ALL: [&str; 8] = [
    "namespace",
    "garbage-collector",
    "disruption",
    "serviceaccount",
    "root-ca-cert-publisher",
    "clusterrole-aggregation",
    "csrsigning",
    "endpointslicemirroring",
];

/// Which controllers `--controllers` enables.
pub fn enabled(flag: &[String]) -> Result<Vec<&'static str>, String> {
    let mut enabled: Vec<&'static str> = Vec::new();
    let items: Vec<&str> = if flag.is_empty() { vec!["*"] } else { flag.iter().map(String::as_str).collect() };
    if items.contains(&"*") {
        enabled.extend(ALL);
    }
    for item in items.iter().filter(|i| **i != "*") {
        let (name, on) = match item.strip_prefix('-') {
            Some(name) => (name, false),
            None => (*item, true),
        };
        let known = ALL
            .iter()
            .find(|n| **n == name)
            .ok_or_else(|| format!("unknown controller {name:?}; known: {}", ALL.join(", ")))?;
        enabled.retain(|n| n != known);
        if on {
            enabled.push(known);
        }
    }
    Ok(enabled)
}

/// What a controller does for each namespace it hears about.
#[async_trait::async_trait]
pub trait NamespaceHandler: Send + Sync + 'static {
    /// Called for every namespace at start and on every change.
    async fn namespace_changed(&self, namespace: &Value);
}

/// Hands every namespace, at start and on every change, to `handler`.
pub fn watch_namespaces(
    namespaces: Arc<Store>,
    name: &'static str,
    handler: Arc<dyn NamespaceHandler>,
) -> JoinHandle<()> {
    watch_store(namespaces, name, move |event, namespace| {
        let handler = handler.clone();
        async move {
            if matches!(event, EventType::Added | EventType::Modified) {
                handler.namespace_changed(&namespace).await;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_flag_enables_and_disables_by_name() {
        assert_eq!(super::enabled(&[]).unwrap(), super::ALL);
        assert_eq!(
            super::enabled(&["*".into(), "-namespace".into()]).unwrap(),
            [
                "garbage-collector",
                "disruption",
                "serviceaccount",
                "root-ca-cert-publisher",
                "clusterrole-aggregation",
                "csrsigning",
                "endpointslicemirroring"
            ]
        );
        assert_eq!(super::enabled(&["namespace".into()]).unwrap(), ["namespace"]);
        assert!(super::enabled(&["bogus".into()]).is_err());
    }
}
