//! The APIServices as the aggregator's handlers and controllers read them:
//! a map kept current by a watch of the APIService store (upstream's
//! lister over an informer), with a notifier for those who react to
//! changes.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use apiserver::informer::watch_store;
use apiserver::registry::Store;
use serde_json::Value;
use storage::EventType;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Every APIService, by name.
pub struct ApiServiceLister {
    items: RwLock<BTreeMap<String, Value>>,
    changes: watch::Sender<u64>,
}

impl ApiServiceLister {
    /// A lister fed by a watch of `store`; the watch runs until the handle
    /// is aborted.
    pub fn start(store: Arc<Store>) -> (Arc<Self>, JoinHandle<()>) {
        let lister = Arc::new(ApiServiceLister { items: RwLock::default(), changes: watch::Sender::new(0) });
        let fed = lister.clone();
        let watch = watch_store(store, "apiservice-lister", move |event, apiservice| {
            let name = apiservice["metadata"]["name"].as_str().unwrap_or_default().to_string();
            {
                let mut items = fed.items.write().unwrap_or_else(|p| p.into_inner());
                match event {
                    EventType::Added | EventType::Modified => {
                        items.insert(name, apiservice);
                    }
                    EventType::Deleted => {
                        items.remove(&name);
                    }
                    _ => {}
                }
            }
            fed.changes.send_modify(|count| *count += 1);
            std::future::ready(())
        });
        (lister, watch)
    }

    /// One APIService.
    pub fn get(&self, name: &str) -> Option<Value> {
        self.items.read().unwrap_or_else(|p| p.into_inner()).get(name).cloned()
    }

    /// Every APIService.
    pub fn all(&self) -> Vec<Value> {
        self.items.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }

    /// A receiver that sees every change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}
