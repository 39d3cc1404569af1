//! Builds a store of each configuration and the objects the tests write.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};
use storage::cacher::{Cacher, CacherConfig};
use storage::embedded::EmbeddedBackend;
use storage::etcd3::{EtcdBackend, EtcdConfig};
use storage::selection::metadata_attrs;
use storage::{Backend, Interface, Object, Store, WatchEvent, WatchStream};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Embedded,
    Etcd,
}

pub const PREFIX: &str = "/registry/configmaps/";

pub struct Harness {
    pub backend: Arc<dyn Backend>,
    pub storage: Arc<dyn Interface>,
    pub cached: bool,
    _dir: Option<tempfile::TempDir>,
    _etcd: Option<testkit::EtcdServer>,
}

/// The attributes of a test object: labels, name, namespace and `data.node`
/// as a selectable field.
fn attrs(data: &[u8]) -> Result<storage::Attrs, String> {
    let value: Value = serde_json::from_slice(data).map_err(|e| e.to_string())?;
    let node = value["data"]["node"].as_str().unwrap_or_default().to_string();
    metadata_attrs(data, vec![("data.node".into(), node)])
}

impl Harness {
    pub async fn new(kind: Kind, cached: bool) -> Harness {
        let (backend, dir, etcd): (Arc<dyn Backend>, _, _) = match kind {
            Kind::Embedded => {
                let dir = tempfile::tempdir().unwrap();
                (Arc::new(EmbeddedBackend::open(dir.path()).unwrap()), Some(dir), None)
            }
            Kind::Etcd => {
                let etcd = testkit::EtcdServer::start();
                let backend =
                    EtcdBackend::connect(&EtcdConfig { endpoints: vec![etcd.url.clone()], ..Default::default() })
                        .unwrap();
                (Arc::new(backend), None, Some(etcd))
            }
        };
        let storage = Self::interface(&backend, cached).await;
        Harness { backend, storage, cached, _dir: dir, _etcd: etcd }
    }

    async fn interface(backend: &Arc<dyn Backend>, cached: bool) -> Arc<dyn Interface> {
        let store = Store::new(backend.clone(), PREFIX, Arc::new(attrs));
        if !cached {
            return Arc::new(store);
        }
        let config = CacherConfig {
            progress_interval: Duration::from_millis(200),
            bookmark_interval: Duration::from_millis(300),
            ..Default::default()
        };
        let cacher = Cacher::new(store, config);
        cacher.wait_ready().await;
        Arc::new(cacher)
    }

    /// A new storage of the same configuration over the same backend, as a
    /// restarted server would build it.
    pub async fn fresh_storage(&self) -> Arc<dyn Interface> {
        Self::interface(&self.backend, self.cached).await
    }
}

pub fn key(name: &str) -> String {
    format!("{PREFIX}default/{name}")
}

pub fn object(name: &str, value: &str) -> Bytes {
    labelled(name, value, &[], "")
}

pub fn labelled(name: &str, value: &str, labels: &[(&str, &str)], node: &str) -> Bytes {
    let labels: serde_json::Map<String, Value> = labels.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    let body = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}"), "labels": labels},
        "data": {"value": value, "node": node},
    });
    Bytes::from(serde_json::to_vec(&body).unwrap())
}

pub fn parse(data: &[u8]) -> Value {
    serde_json::from_slice(data).unwrap()
}

pub fn value_of(object: &Object) -> String {
    parse(&object.data)["data"]["value"].as_str().unwrap().to_string()
}

pub fn rv_in_metadata(data: &[u8]) -> u64 {
    parse(data)["metadata"]["resourceVersion"].as_str().unwrap().parse().unwrap()
}

pub fn name_of(data: &[u8]) -> String {
    parse(data)["metadata"]["name"].as_str().unwrap().to_string()
}

/// The next event, failing the test after 10 seconds without one.
pub async fn next(stream: &mut WatchStream) -> Arc<WatchEvent> {
    match tokio::time::timeout(Duration::from_secs(10), stream.next()).await {
        Ok(Some(Ok(event))) => event,
        Ok(Some(Err(e))) => panic!("watch failed: {e}"),
        Ok(None) => panic!("watch ended"),
        Err(_) => panic!("no watch event within 10s"),
    }
}

/// The next event that is not a bookmark.
pub async fn next_change(stream: &mut WatchStream) -> Arc<WatchEvent> {
    loop {
        let event = next(stream).await;
        if event.event_type != storage::EventType::Bookmark {
            return event;
        }
    }
}

/// Asserts that no change arrives within a short while.
pub async fn assert_quiet(stream: &mut WatchStream) {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(300);
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => return,
            Ok(Some(Ok(e))) if e.event_type == storage::EventType::Bookmark => continue,
            Ok(Some(Ok(e))) => panic!("unexpected {:?} event at {}", e.event_type, e.resource_version),
            Ok(other) => panic!("watch ended or failed: {:?}", other.map(|r| r.map(|_| ()))),
        }
    }
}

/// Replaces `data.value` in an object, for update functions.
pub fn with_value(data: &[u8], value: &str) -> Bytes {
    let mut parsed = parse(data);
    parsed["data"]["value"] = json!(value);
    Bytes::from(serde_json::to_vec(&parsed).unwrap())
}

/// Replaces the labels of an object.
pub fn with_labels(data: &[u8], labels: &[(&str, &str)]) -> Bytes {
    let mut parsed = parse(data);
    let labels: serde_json::Map<String, Value> = labels.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    parsed["metadata"]["labels"] = Value::Object(labels);
    Bytes::from(serde_json::to_vec(&parsed).unwrap())
}

/// An update function from a plain closure over the current object.
pub fn update_fn(mut f: impl FnMut(Option<Object>) -> storage::Result<Bytes> + Send + 'static) -> storage::UpdateFn {
    Box::new(move |current| {
        let result = f(current).map(|data| storage::UpdateResult { data, ttl_seconds: None });
        Box::pin(async move { result })
    })
}
