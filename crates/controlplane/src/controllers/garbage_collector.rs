//! The garbage collector: dependents follow their owners through
//! `metadata.ownerReferences`. Background: when an owner is gone its
//! dependents are deleted. Foreground (finalizer `foregroundDeletion`): the
//! dependents are deleted first, and the owner goes once those with
//! `blockOwnerDeletion` are gone. Orphan (finalizer `orphan`): the
//! dependents lose their reference to the owner, then the owner goes.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apiserver::informer::{StoreSource, watch_all};
use apiserver::registry::{DeleteOptions, DeleteOutcome, Store, Subresource};
use serde_json::{Value, json};
use storage::{EventType, ListOptions};

use super::controller_context;

const NAME: &str = "generic-garbage-collector";

/// The collector over every store.
pub struct GarbageCollector {
    stores: StoreSource,
    in_progress: Mutex<HashSet<String>>,
}

/// A dependent found for an owner.
struct Dependent {
    store: Arc<Store>,
    namespace: String,
    name: String,
    blocks_owner: bool,
}

fn owner_uids(object: &Value) -> impl Iterator<Item = (&str, bool)> {
    object["metadata"]["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["uid"].as_str().map(|uid| (uid, r["blockOwnerDeletion"] == json!(true))))
}

impl GarbageCollector {
    /// A collector over the stores `stores` yields (custom resources too).
    pub fn new(stores: StoreSource) -> Arc<Self> {
        Arc::new(GarbageCollector { stores, in_progress: Mutex::default() })
    }

    /// Watches every store and acts on owners as they change or go.
    pub fn start(self: &Arc<Self>) {
        let collector = self.clone();
        watch_all(self.stores.clone(), NAME, move |store, event, object| {
            collector.observe(&store, event, object);
            std::future::ready(())
        });
    }

    fn observe(self: &Arc<Self>, store: &Arc<Store>, event: EventType, object: Value) {
        let Some(uid) = object["metadata"]["uid"].as_str().map(str::to_string) else { return };
        let finalizers: Vec<String> = object["metadata"]["finalizers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str().map(str::to_string))
            .collect();
        let work = match event {
            EventType::Deleted => Work::DeleteDependents,
            _ if object["metadata"]["deletionTimestamp"].is_null() => return,
            _ if finalizers.iter().any(|f| f == "orphan") => Work::Orphan,
            _ if finalizers.iter().any(|f| f == "foregroundDeletion") => Work::Foreground,
            _ => return,
        };
        if !self.in_progress.lock().unwrap_or_else(|p| p.into_inner()).insert(format!("{uid}/{work:?}")) {
            return;
        }
        let (collector, store) = (self.clone(), store.clone());
        tokio::spawn(async move {
            collector.carry_out(&store, &object, &uid, work).await;
            collector.in_progress.lock().unwrap_or_else(|p| p.into_inner()).remove(&format!("{uid}/{work:?}"));
        });
    }

    /// Every object that names `uid` among its owners, in `namespace` (or
    /// anywhere for a cluster-scoped owner).
    async fn dependents(&self, namespace: &str, uid: &str) -> Vec<Dependent> {
        let mut found = Vec::new();
        for store in (self.stores)() {
            let ctx = controller_context(NAME, if store.def.namespaced { namespace } else { "" });
            let Ok(list) = store.list(&ctx, ListOptions { resource_version: Some(0), ..Default::default() }).await
            else {
                continue;
            };
            for item in list.items {
                let Ok(object) = serde_json::from_slice::<Value>(&item.data) else { continue };
                if let Some((_, blocks_owner)) = owner_uids(&object).find(|(owner, _)| *owner == uid) {
                    found.push(Dependent {
                        store: store.clone(),
                        namespace: object["metadata"]["namespace"].as_str().unwrap_or_default().to_string(),
                        name: object["metadata"]["name"].as_str().unwrap_or_default().to_string(),
                        blocks_owner,
                    });
                }
            }
        }
        found
    }

    async fn carry_out(&self, store: &Arc<Store>, owner: &Value, uid: &str, work: Work) {
        let namespace = owner["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
        let name = owner["metadata"]["name"].as_str().unwrap_or_default().to_string();
        for _ in 0..600 {
            let dependents = self.dependents(&namespace, uid).await;
            let done = match work {
                Work::DeleteDependents | Work::Foreground => {
                    let mut blocking = 0;
                    for dependent in &dependents {
                        let ctx = controller_context(NAME, &dependent.namespace);
                        let deleted = dependent.store.delete(&ctx, &dependent.name, DeleteOptions::default()).await;
                        if dependent.blocks_owner && !matches!(deleted, Ok(DeleteOutcome::Deleted(_)) | Err(_)) {
                            blocking += 1;
                        }
                    }
                    blocking == 0
                }
                Work::Orphan => {
                    for dependent in &dependents {
                        let ctx = controller_context(NAME, &dependent.namespace);
                        let owner_uid = uid.to_string();
                        let release = Arc::new(move |current: &Value| {
                            let mut next = current.clone();
                            if let Some(references) = next["metadata"]["ownerReferences"].as_array_mut() {
                                references.retain(|r| r["uid"] != owner_uid.as_str());
                                if references.is_empty() {
                                    next["metadata"].as_object_mut().map(|m| m.remove("ownerReferences"));
                                }
                            }
                            Ok(next)
                        });
                        let _ = dependent.store.update(&ctx, &dependent.name, release, Subresource::Main).await;
                    }
                    true
                }
            };
            if done {
                if let Some(finalizer) = work.finalizer() {
                    self.remove_finalizer(store, &namespace, &name, finalizer).await;
                }
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn remove_finalizer(&self, store: &Arc<Store>, namespace: &str, name: &str, finalizer: &'static str) {
        let ctx = controller_context(NAME, namespace);
        let remove = Arc::new(move |current: &Value| {
            let mut next = current.clone();
            if let Some(finalizers) = next["metadata"]["finalizers"].as_array_mut() {
                finalizers.retain(|f| f != finalizer);
            }
            Ok(next)
        });
        if let Err(e) = store.update(&ctx, name, remove, Subresource::Main).await
            && e.code != 404
        {
            tracing::warn!(name, error = %e.message, "garbage collector: cannot remove the {finalizer} finalizer");
        }
    }
}

/// What the collector does for one owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    DeleteDependents,
    Foreground,
    Orphan,
}

impl Work {
    fn finalizer(self) -> Option<&'static str> {
        match self {
            Work::DeleteDependents => None,
            Work::Foreground => Some("foregroundDeletion"),
            Work::Orphan => Some("orphan"),
        }
    }
}
