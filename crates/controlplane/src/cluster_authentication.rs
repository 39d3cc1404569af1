//! Upstream's cluster authentication trust controller: publishes
//! `kube-system/extension-apiserver-authentication`, the ConfigMap extension
//! API servers read to trust this server's clients (`client-ca-file`) and
//! its front proxy (`requestheader-client-ca-file` and the header names).
//! It is a [`Listener`] of the CA bundles, so a bundle replaced on disk is
//! published again at once; it also republishes every minute.

use std::sync::Arc;
use std::time::Duration;

use apiserver::authn::RequestHeader;
use apiserver::dynamic_ca::{DynamicCa, Listener};
use apiserver::informer::controller_context;
use apiserver::registry::{Store, Subresource};
use serde_json::{Map, Value, json};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

const NAMESPACE: &str = "kube-system";
const NAME: &str = "extension-apiserver-authentication";

/// Publishes the trust of this server's authentication.
pub struct ClusterAuthenticationTrust {
    configmaps: Arc<Store>,
    client_cas: Vec<Arc<DynamicCa>>,
    request_header: Option<Arc<RequestHeader>>,
    wake: Notify,
}

impl Listener for ClusterAuthenticationTrust {
    fn enqueue(&self) {
        self.wake.notify_one();
    }
}

fn pem_of(bundles: &[Arc<DynamicCa>]) -> String {
    bundles.iter().map(|ca| String::from_utf8_lossy(&ca.pem()).trim_end().to_string() + "\n").collect()
}

impl ClusterAuthenticationTrust {
    /// Publishes now, whenever a bundle changes, and every minute.
    pub fn start(
        configmaps: Arc<Store>,
        client_cas: Vec<Arc<DynamicCa>>,
        request_header: Option<Arc<RequestHeader>>,
    ) -> JoinHandle<()> {
        let trust =
            Arc::new(ClusterAuthenticationTrust { configmaps, client_cas, request_header, wake: Notify::new() });
        for ca in trust.client_cas.iter().chain(trust.request_header.iter().map(|r| &r.ca)) {
            ca.add_listener(trust.clone());
        }
        tokio::spawn(async move {
            loop {
                trust.publish().await;
                tokio::select! {
                    _ = trust.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(60)) => {}
                }
            }
        })
    }

    /// The ConfigMap's data.
    fn data(&self) -> Map<String, Value> {
        let mut data = Map::new();
        data.insert("client-ca-file".into(), json!(pem_of(&self.client_cas)));
        if let Some(request_header) = &self.request_header {
            let list = |values: &[String]| json!(serde_json::to_string(values).unwrap_or_default());
            data.insert("requestheader-client-ca-file".into(), json!(pem_of(std::slice::from_ref(&request_header.ca))));
            data.insert("requestheader-username-headers".into(), list(&request_header.username_headers));
            data.insert("requestheader-uid-headers".into(), list(&request_header.uid_headers));
            data.insert("requestheader-group-headers".into(), list(&request_header.group_headers));
            data.insert("requestheader-extra-headers-prefix".into(), list(&request_header.extra_prefixes));
            data.insert("requestheader-allowed-names".into(), list(&request_header.allowed_names));
        }
        data
    }

    async fn publish(&self) {
        let ctx = controller_context("cluster-authentication-trust-controller", NAMESPACE);
        let data = Value::Object(self.data());
        let replace = {
            let data = data.clone();
            Arc::new(move |current: &Value| {
                let mut next = current.clone();
                next["data"] = data.clone();
                Ok(next)
            })
        };
        match self.configmaps.update(&ctx, NAME, replace, Subresource::Main).await {
            Ok(_) => {}
            Err(e) if e.code == 404 => {
                let configmap = json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": NAME, "namespace": NAMESPACE}, "data": data});
                if let Err(e) = self.configmaps.create(&ctx, configmap).await
                    && e.code != 409
                {
                    tracing::warn!(error = %e.message, "cannot publish {NAMESPACE}/{NAME}");
                }
            }
            Err(e) => tracing::warn!(error = %e.message, "cannot publish {NAMESPACE}/{NAME}"),
        }
    }
}
