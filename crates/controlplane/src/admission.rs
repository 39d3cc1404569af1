//! The control plane's admission plugins.

use std::sync::Arc;

use apimachinery::{ApiError, GroupResource};
use apiserver::admission::{AdmissionPlugin, Attributes, Operation};
use async_trait::async_trait;
use serde_json::Value;
use storage::{GetOptions, Interface};

/// Upstream's NamespaceLifecycle: objects may only be created in a
/// namespace that exists and is not terminating, and the system namespaces
/// cannot be deleted.
pub struct NamespaceLifecycle {
    /// The namespaces' storage.
    pub namespaces: Arc<dyn Interface>,
    /// The key prefix of namespaces, e.g. `/registry/namespaces/`.
    pub prefix: String,
}

/// Namespaces that always exist.
pub const IMMORTAL_NAMESPACES: [&str; 3] = ["default", "kube-system", "kube-public"];

#[async_trait]
impl AdmissionPlugin for NamespaceLifecycle {
    async fn admit(&self, attributes: &Attributes<'_>, _object: Option<&mut Value>) -> Result<(), ApiError> {
        if attributes.resource.plural == "namespaces" && attributes.resource.group.is_empty() {
            if attributes.operation == Operation::Delete && IMMORTAL_NAMESPACES.contains(&attributes.name) {
                return Err(ApiError::forbidden(
                    &GroupResource::new("", "namespaces"),
                    attributes.name,
                    "this namespace may not be deleted",
                ));
            }
            return Ok(());
        }
        if attributes.operation != Operation::Create
            || !attributes.resource.namespaced
            || attributes.namespace.is_empty()
        {
            return Ok(());
        }
        let key = format!("{}{}", self.prefix, attributes.namespace);
        let found = self.namespaces.get(&key, &GetOptions { resource_version: None, ignore_not_found: true }).await;
        let namespace = match found {
            Ok(Some(object)) => object,
            Ok(None) => return Err(ApiError::not_found(&GroupResource::new("", "namespaces"), attributes.namespace)),
            Err(e) => return Err(ApiError::internal(e.to_string())),
        };
        let phase = serde_json::from_slice::<Value>(&namespace.data)
            .ok()
            .and_then(|ns| ns["status"]["phase"].as_str().map(str::to_string));
        if phase.as_deref() == Some("Terminating") {
            return Err(ApiError::forbidden(
                &attributes.resource.group_resource(),
                attributes.name,
                &format!(
                    "unable to create new content in namespace {} because it is being terminated",
                    attributes.namespace
                ),
            ));
        }
        Ok(())
    }
}
