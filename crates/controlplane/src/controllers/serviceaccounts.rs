//! The serviceaccount controller (a `default` ServiceAccount in every
//! namespace) and the root CA publisher (the `kube-root-ca.crt` ConfigMap
//! with the cluster's CA in every namespace).

use std::sync::Arc;

use apiserver::registry::{Store, Subresource};
use serde_json::{Value, json};

use super::{NamespaceHandler, controller_context};

fn active(namespace: &Value) -> Option<&str> {
    let terminating =
        !namespace["metadata"]["deletionTimestamp"].is_null() || namespace["status"]["phase"] == "Terminating";
    namespace["metadata"]["name"].as_str().filter(|_| !terminating)
}

/// Ensures the `default` ServiceAccount.
pub struct ServiceAccountController {
    /// The serviceaccounts' store.
    pub serviceaccounts: Arc<Store>,
}

#[async_trait::async_trait]
impl NamespaceHandler for ServiceAccountController {
    async fn namespace_changed(&self, namespace: &Value) {
        let Some(name) = active(namespace) else { return };
        let ctx = controller_context("service-account-controller", name);
        if self.serviceaccounts.get(&ctx, "default", None).await.is_ok() {
            return;
        }
        let account =
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": name}});
        if let Err(e) = self.serviceaccounts.create(&ctx, account).await
            && e.code != 409
            && e.code != 403
        {
            tracing::warn!(namespace = name, error = %e.message, "cannot create the default service account");
        }
    }
}

/// The ConfigMap the CA is published in.
pub const ROOT_CA_CONFIGMAP: &str = "kube-root-ca.crt";

/// Publishes the cluster CA.
pub struct RootCaPublisher {
    /// The configmaps' store.
    pub configmaps: Arc<Store>,
    /// The CA certificate (PEM).
    pub ca_pem: String,
}

#[async_trait::async_trait]
impl NamespaceHandler for RootCaPublisher {
    async fn namespace_changed(&self, namespace: &Value) {
        let Some(name) = active(namespace) else { return };
        let ctx = controller_context("root-ca-cert-publisher", name);
        match self.configmaps.get(&ctx, ROOT_CA_CONFIGMAP, None).await {
            Ok(existing) => {
                let current: Value = serde_json::from_slice(&existing.data).unwrap_or_default();
                if current["data"]["ca.crt"] == self.ca_pem.as_str() {
                    return;
                }
                let ca = self.ca_pem.clone();
                let set = Arc::new(move |cm: &Value| {
                    let mut next = cm.clone();
                    next["data"] = json!({"ca.crt": ca});
                    Ok(next)
                });
                if let Err(e) = self.configmaps.update(&ctx, ROOT_CA_CONFIGMAP, set, Subresource::Main).await {
                    tracing::warn!(namespace = name, error = %e.message, "cannot update the root CA ConfigMap");
                }
            }
            Err(_) => {
                let configmap = json!({
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": ROOT_CA_CONFIGMAP, "namespace": name},
                    "data": {"ca.crt": self.ca_pem},
                });
                if let Err(e) = self.configmaps.create(&ctx, configmap).await
                    && e.code != 409
                    && e.code != 403
                {
                    tracing::warn!(namespace = name, error = %e.message, "cannot publish the root CA");
                }
            }
        }
    }
}
