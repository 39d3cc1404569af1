//! What upstream's in-process controllers get from client-go informers:
//! every object of a resource, the current ones first, then each change,
//! read straight from the registry store (no HTTP round trip).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;
use storage::{EventType, WatchOptions};
use tokio::task::JoinHandle;

use crate::authn::UserInfo;
use crate::registry::{Context, Store};

/// The stores a controller acting on every kind goes through, asked anew
/// each time because custom resources come and go.
pub type StoreSource = Arc<dyn Fn() -> Vec<Arc<Store>> + Send + Sync>;

/// The identity an in-process controller acts as: the service account
/// `kube-system/<name>`, as upstream's controllers are.
pub fn controller_context(name: &str, namespace: &str) -> Context {
    Context {
        user: UserInfo {
            username: format!("system:serviceaccount:kube-system:{name}"),
            groups: vec!["system:serviceaccounts".into()],
            ..Default::default()
        },
        namespace: namespace.to_string(),
        dry_run: false,
    }
}

/// Watches every store `source` yields while it yields it (one watch per
/// resource, started when the resource appears and stopped when it goes),
/// handing each event to `on_event` with the store it came from.
pub fn watch_all<F, Fut>(source: StoreSource, name: &'static str, on_event: F) -> JoinHandle<()>
where
    F: Fn(Arc<Store>, EventType, Value) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let on_event = Arc::new(on_event);
    tokio::spawn(async move {
        let mut watches: HashMap<(String, String), JoinHandle<()>> = HashMap::new();
        loop {
            let stores = source();
            let current: Vec<(String, String)> =
                stores.iter().map(|s| (s.def.group.clone(), s.def.plural.clone())).collect();
            watches.retain(|resource, watch| {
                let keep = current.contains(resource);
                if !keep {
                    watch.abort();
                }
                keep
            });
            for (store, resource) in stores.into_iter().zip(current) {
                if watches.contains_key(&resource) {
                    continue;
                }
                let on_event = on_event.clone();
                let watched = store.clone();
                let watch = watch_store(store, name, move |event, object| on_event(watched.clone(), event, object));
                watches.insert(resource, watch);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

/// Watches every object of `store` (the current ones first, as ADDED) and
/// hands each event to `on_event`, starting the watch over whenever it ends.
pub fn watch_store<F, Fut>(store: Arc<Store>, name: &'static str, on_event: F) -> JoinHandle<()>
where
    F: Fn(EventType, Value) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        loop {
            let ctx = controller_context(name, "");
            match store.watch(&ctx, None, WatchOptions::default()).await {
                Ok(mut events) => {
                    while let Some(Ok(event)) = events.next().await {
                        if let Ok(object) = serde_json::from_slice::<Value>(&event.object) {
                            on_event(event.event_type, object).await;
                        }
                    }
                }
                Err(e) => tracing::warn!(controller = name, error = %e.message, "cannot watch {}", store.def.plural),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })
}
