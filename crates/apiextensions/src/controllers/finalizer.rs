//! Upstream's CRD finalizer: a deleted CRD (held by
//! `customresourcecleanup.apiextensions.k8s.io`) is marked Terminating, its
//! custom resources are deleted, and then the finalizer is removed, which
//! lets the registry delete the CRD.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apiserver::informer::controller_context;
use apiserver::registry::{DeleteOptions, Store, Subresource};
use serde_json::{Value, json};
use storage::ListOptions;

use crate::crd::{CLEANUP_FINALIZER, conditions};
use crate::serving::CrdHandler;

/// How long the controller waits for custom resources held by their own
/// finalizers before it reports them and tries again.
const WAIT_FOR_INSTANCES: Duration = Duration::from_secs(60);

/// Deletes the custom resources of deleted CRDs.
pub struct FinalizerController {
    crds: Arc<Store>,
    handler: Arc<CrdHandler>,
    in_progress: Mutex<HashSet<String>>,
}

fn name_of(crd: &Value) -> String {
    crd["metadata"]["name"].as_str().unwrap_or_default().to_string()
}

impl FinalizerController {
    /// A controller over the CRD store, deleting through the handler's
    /// stores.
    pub fn new(crds: Arc<Store>, handler: Arc<CrdHandler>) -> Self {
        FinalizerController { crds, handler, in_progress: Mutex::default() }
    }

    /// Starts the cleanup of a deleted CRD still holding the finalizer.
    pub fn crd_changed(self: &Arc<Self>, crd: &Value) {
        let held = crd["metadata"]["finalizers"].as_array().is_some_and(|f| f.iter().any(|f| f == CLEANUP_FINALIZER));
        if crd["metadata"]["deletionTimestamp"].is_null() || !held {
            return;
        }
        let name = name_of(crd);
        if !self.in_progress.lock().unwrap_or_else(|p| p.into_inner()).insert(name.clone()) {
            return;
        }
        let this = self.clone();
        let established = conditions::is_true(crd, conditions::ESTABLISHED);
        tokio::spawn(async move {
            this.finalize(&name, established).await;
            this.in_progress.lock().unwrap_or_else(|p| p.into_inner()).remove(&name);
        });
    }

    async fn set_terminating(&self, name: &str, status: &'static str, reason: &'static str, message: String) {
        let ctx = controller_context("crd-finalizer", "");
        let update = Arc::new(move |current: &Value| {
            let mut next = current.clone();
            conditions::set(&mut next, conditions::TERMINATING, status, reason, &message);
            Ok(next)
        });
        if let Err(e) = self.crds.update(&ctx, name, update, Subresource::Status).await {
            tracing::warn!(crd = name, error = %e.message, "cannot update the Terminating condition");
        }
    }

    async fn finalize(&self, name: &str, established: bool) {
        self.set_terminating(
            name,
            "True",
            "InstanceDeletionInProgress",
            "CustomResource deletion is in progress".into(),
        )
        .await;
        if established {
            loop {
                match self.delete_instances(name).await {
                    Ok(()) => break,
                    Err((reason, message)) => {
                        self.set_terminating(name, "True", reason, message).await;
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
            }
            self.set_terminating(name, "False", "InstanceDeletionCompleted", "removed all instances".into()).await;
        } else {
            self.set_terminating(name, "False", "NeverEstablished", "resource was never established".into()).await;
        }
        let ctx = controller_context("crd-finalizer", "");
        let release = Arc::new(|current: &Value| {
            let mut next = current.clone();
            if let Some(list) = next["metadata"]["finalizers"].as_array_mut() {
                list.retain(|f| f != CLEANUP_FINALIZER);
            }
            Ok(next)
        });
        if let Err(e) = self.crds.update(&ctx, name, release, Subresource::Main).await
            && e.code != 404
        {
            tracing::warn!(crd = name, error = %e.message, "cannot remove the cleanup finalizer");
        }
    }

    /// Deletes every custom resource and waits until none is left.
    async fn delete_instances(&self, name: &str) -> Result<(), (&'static str, String)> {
        let Some(store) = self.handler.storage_store(name) else { return Ok(()) };
        let listed = |store: Arc<Store>| async move {
            let list = store.list(&controller_context("crd-finalizer", ""), ListOptions::default()).await?;
            Ok::<Vec<Value>, apimachinery::ApiError>(
                list.items.iter().filter_map(|item| serde_json::from_slice(&item.data).ok()).collect(),
            )
        };
        let items = listed(store.clone())
            .await
            .map_err(|e| ("InstanceDeletionFailed", format!("could not list instances: {}", e.message)))?;
        let mut failures = Vec::new();
        for item in &items {
            let ctx = controller_context("crd-finalizer", item["metadata"]["namespace"].as_str().unwrap_or_default());
            let name = item["metadata"]["name"].as_str().unwrap_or_default();
            if let Err(e) = store.delete(&ctx, name, DeleteOptions::default()).await
                && e.code != 404
            {
                failures.push(e.message);
            }
        }
        if !failures.is_empty() {
            return Err(("InstanceDeletionFailed", format!("could not issue all deletes: {}", failures.join(", "))));
        }
        let deadline = tokio::time::Instant::now() + WAIT_FOR_INSTANCES;
        loop {
            let remaining = listed(store.clone()).await.map_err(|e| {
                ("InstanceDeletionCheck", format!("could not confirm zero CustomResources remaining: {}", e.message))
            })?;
            if remaining.is_empty() {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err((
                    "InstanceDeletionCheck",
                    format!("could not confirm zero CustomResources remaining: {} remain", json!(remaining.len())),
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
