//! Upstream's autoregister and crdregistration controllers: every group
//! version the servers behind the aggregator serve gets a local APIService
//! — built-in ones with upstream's priorities (label automanaged=onstart),
//! custom resource ones with 1000/100 (automanaged=true) — and an
//! automanaged APIService whose group version is no longer served goes.
//! `/readyz` waits (check `autoregister-completion`) until every built-in
//! one exists and is Available.

use std::collections::BTreeMap;
use std::sync::Arc;

use apiserver::informer::controller_context;
use apiserver::registry::{DeleteOptions, Store, Subresource};
use apiserver::server::GenericApiServer;
use serde_json::{Value, json};

use crate::apiservice::{AUTOMANAGED, is_available, name_of};
use crate::lister::ApiServiceLister;
use crate::priorities;

/// Keeps the local APIServices in step with what the chain serves.
pub struct Autoregister {
    /// The server behind the aggregator (and those behind it).
    pub chain: Arc<GenericApiServer>,
    /// The APIServices' store.
    pub store: Arc<Store>,
    /// The APIServices.
    pub lister: Arc<ApiServiceLister>,
}

/// An APIService autoregister wants: its spec and its automanaged label.
struct Desired {
    spec: Value,
    label: &'static str,
}

impl Autoregister {
    /// The APIServices the served group versions call for, by name.
    fn desired(&self) -> BTreeMap<String, Desired> {
        let mut desired = BTreeMap::new();
        for group in self.chain.groups() {
            for version in &group.versions {
                let (priorities, label) = match priorities::built_in(&group.name, &version.version) {
                    Some(priorities) => (priorities, "onstart"),
                    None if !priorities::is_built_in_group(&group.name) => (priorities::CUSTOM_RESOURCES, "true"),
                    None => continue,
                };
                let spec = json!({
                    "group": group.name,
                    "version": version.version,
                    "groupPriorityMinimum": priorities.0,
                    "versionPriority": priorities.1,
                });
                desired.insert(name_of(&group.name, &version.version), Desired { spec, label });
            }
        }
        desired
    }

    /// The built-in APIServices that do not exist or are not Available yet.
    pub fn missing(&self) -> Vec<String> {
        self.desired()
            .into_iter()
            .filter(|(_, d)| d.label == "onstart")
            .map(|(name, _)| name)
            .filter(|name| !self.lister.get(name).is_some_and(|a| is_available(&a)))
            .collect()
    }

    /// Creates, updates and deletes APIServices until they match.
    async fn sync(&self) {
        let ctx = controller_context("autoregister", "");
        let desired = self.desired();
        let writes = desired.iter().map(|(name, want)| {
            let ctx = ctx.clone();
            async move {
                match self.lister.get(name) {
                    None => {
                        let apiservice = json!({
                            "apiVersion": "apiregistration.k8s.io/v1",
                            "kind": "APIService",
                            "metadata": {"name": name, "labels": {AUTOMANAGED: want.label}},
                            "spec": want.spec,
                        });
                        if let Err(e) = self.store.create(&ctx, apiservice).await
                            && e.code != 409
                        {
                            tracing::warn!(apiservice = %name, error = %e.message, "cannot register an APIService");
                        }
                    }
                    Some(current)
                        if current["metadata"]["labels"][AUTOMANAGED].is_string() && current["spec"] != want.spec =>
                    {
                        let spec = want.spec.clone();
                        let update = Arc::new(move |current: &Value| {
                            let mut next = current.clone();
                            next["spec"] = spec.clone();
                            Ok(next)
                        });
                        let _ = self.store.update(&ctx, name, update, Subresource::Main).await;
                    }
                    Some(_) => {}
                }
            }
        });
        futures::future::join_all(writes).await;
        for stale in self.lister.all() {
            let name = stale["metadata"]["name"].as_str().unwrap_or_default();
            if stale["metadata"]["labels"][AUTOMANAGED].is_string() && !desired.contains_key(name) {
                let _ = self.store.delete(&ctx, name, DeleteOptions::default()).await;
            }
        }
    }

    /// Syncs now and whenever the served groups or the APIServices change.
    pub fn start(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        let mut served = self.chain.subscribe();
        let mut registered = self.lister.subscribe();
        tokio::spawn(async move {
            loop {
                this.sync().await;
                tokio::select! {
                    _ = served.changed() => {}
                    _ = registered.changed() => {}
                }
            }
        })
    }
}
