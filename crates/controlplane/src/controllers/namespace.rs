//! The namespace controller: a deleted namespace (Terminating, held by the
//! `kubernetes` finalizer in spec.finalizers) has its contents deleted,
//! then is finalized, which lets the registry remove it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apiserver::informer::StoreSource;
use apiserver::registry::{DeleteOptions, Store, Subresource};
use serde_json::{Value, json};
use storage::ListOptions;

use super::{NamespaceHandler, controller_context};

/// Deletes the contents of terminating namespaces.
pub struct NamespaceController {
    /// The namespaces' store.
    pub namespaces: Arc<Store>,
    /// Every resource (custom ones too); the namespaced ones' objects go
    /// with the namespace.
    pub contents: StoreSource,
    in_progress: Mutex<HashSet<String>>,
}

const FINALIZER: &str = "kubernetes";

impl NamespaceController {
    /// A controller over these stores.
    pub fn new(namespaces: Arc<Store>, contents: StoreSource) -> Self {
        NamespaceController { namespaces, contents, in_progress: Mutex::default() }
    }

    /// Deletes what is left in the namespace; returns how many objects
    /// remain (waiting for their own finalizers).
    async fn delete_contents(&self, namespace: &str) -> usize {
        let ctx = controller_context("namespace-controller", namespace);
        let mut remaining = 0;
        for store in (self.contents)().iter().filter(|s| s.def.namespaced) {
            let Ok(list) = store.list(&ctx, ListOptions::default()).await else {
                remaining += 1;
                continue;
            };
            for item in list.items {
                let Ok(object) = serde_json::from_slice::<Value>(&item.data) else { continue };
                let name = object["metadata"]["name"].as_str().unwrap_or_default();
                match store
                    .delete(&ctx, name, DeleteOptions { grace_period_seconds: Some(0), ..Default::default() })
                    .await
                {
                    Ok(apiserver::registry::DeleteOutcome::Deleted(_)) => {}
                    Err(e) if e.code == 404 => {}
                    _ => remaining += 1,
                }
            }
        }
        remaining
    }

    async fn finalize(&self, name: &str) {
        let ctx = controller_context("namespace-controller", "");
        let remove = Arc::new(|current: &Value| {
            let mut next = current.clone();
            let finalizers: Vec<Value> = current["spec"]["finalizers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| *f != FINALIZER)
                .cloned()
                .collect();
            next["spec"]["finalizers"] = json!(finalizers);
            Ok(next)
        });
        if let Err(e) = self.namespaces.update(&ctx, name, remove, Subresource::Finalize).await
            && e.code != 404
        {
            tracing::warn!(namespace = name, error = %e.message, "cannot finalize namespace");
        }
    }

    async fn terminate(self: Arc<Self>, name: String) {
        loop {
            if self.delete_contents(&name).await == 0 {
                self.finalize(&name).await;
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        self.in_progress.lock().unwrap_or_else(|p| p.into_inner()).remove(&name);
    }
}

/// The handler that starts termination; kept apart so that the controller
/// can be shared with the tasks it spawns.
pub struct Terminator(pub Arc<NamespaceController>);

#[async_trait::async_trait]
impl NamespaceHandler for Terminator {
    async fn namespace_changed(&self, namespace: &Value) {
        let deleting = !namespace["metadata"]["deletionTimestamp"].is_null();
        let held = namespace["spec"]["finalizers"].as_array().is_some_and(|f| f.iter().any(|v| v == FINALIZER));
        let name = namespace["metadata"]["name"].as_str().unwrap_or_default().to_string();
        if !deleting || !held || name.is_empty() {
            return;
        }
        if self.0.in_progress.lock().unwrap_or_else(|p| p.into_inner()).insert(name.clone()) {
            tokio::spawn(self.0.clone().terminate(name));
        }
    }
}
