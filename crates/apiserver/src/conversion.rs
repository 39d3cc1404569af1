//! Serving a resource in a version other than the one it is stored in:
//! upstream's storage codec, which converts between the storage version and
//! the version a request speaks. [`ConvertedStorage`] wraps the storage of
//! the storage version and converts every object that passes through it, so
//! the registry store, its strategy and the endpoints above see only the
//! served version (events.k8s.io/v1 Events over core/v1 ones, autoscaling/v1
//! HorizontalPodAutoscalers over autoscaling/v2 ones).

use std::sync::Arc;

use apimachinery::field::FieldError;
use apimachinery::validation::NameRule;
use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::Value;
use storage::{
    GetOptions, Interface, ListOptions, Object, ObjectList, Preconditions, StorageError, UpdateFn, UpdateResult,
    WatchEvent, WatchOptions, WatchStream,
};

use crate::registry::Strategy;
use crate::registry::table::{Column, TableConvertor};

/// Converts one built-in kind between its storage version and a served
/// version, in process.
pub trait Converter: Send + Sync {
    /// The stored object as the served version shows it.
    fn to_served(&self, stored: Value) -> Result<Value, String>;

    /// A served-version object as it is stored.
    fn to_stored(&self, served: Value) -> Result<Value, String>;
}

/// What [`ConvertedStorage`] needs of a conversion: it may have to ask
/// another process (a custom resource's conversion webhook), so it is
/// asynchronous, and it converts the objects of a list in one call.
#[async_trait]
pub trait StorageConverter: Send + Sync {
    /// Stored objects as the served version shows them, in order.
    async fn to_served(&self, stored: Vec<Value>) -> Result<Vec<Value>, String>;

    /// A served-version object as it is stored.
    async fn to_stored(&self, served: Value) -> Result<Value, String>;
}

/// A built-in [`Converter`] as a [`StorageConverter`].
struct InProcess(Arc<dyn Converter>);

#[async_trait]
impl StorageConverter for InProcess {
    async fn to_served(&self, stored: Vec<Value>) -> Result<Vec<Value>, String> {
        stored.into_iter().map(|object| self.0.to_served(object)).collect()
    }

    async fn to_stored(&self, served: Value) -> Result<Value, String> {
        self.0.to_stored(served)
    }
}

/// The storage of a served version over the storage of the storage version.
pub struct ConvertedStorage {
    inner: Arc<dyn Interface>,
    converter: Arc<dyn StorageConverter>,
}

impl ConvertedStorage {
    /// `inner` stores the storage version; `converter` translates.
    pub fn new(inner: Arc<dyn Interface>, converter: Arc<dyn StorageConverter>) -> Self {
        ConvertedStorage { inner, converter }
    }

    /// Storage converted by a built-in kind's in-process converter.
    pub fn in_process(inner: Arc<dyn Interface>, converter: Arc<dyn Converter>) -> Self {
        Self::new(inner, Arc::new(InProcess(converter)))
    }
}

fn failed(message: String) -> StorageError {
    StorageError::Conversion(message)
}

fn decode(data: &[u8]) -> storage::Result<Value> {
    serde_json::from_slice(data).map_err(|e| failed(e.to_string()))
}

fn encode(value: &Value) -> storage::Result<Bytes> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|e| failed(e.to_string()))
}

async fn served_all(converter: &dyn StorageConverter, objects: Vec<Object>) -> storage::Result<Vec<Object>> {
    let values = objects.iter().map(|o| decode(&o.data)).collect::<storage::Result<Vec<_>>>()?;
    let converted = converter.to_served(values).await.map_err(failed)?;
    if converted.len() != objects.len() {
        return Err(failed(format!("expected {} objects, got {}", objects.len(), converted.len())));
    }
    objects
        .into_iter()
        .zip(converted)
        .map(|(object, value)| Ok(Object { data: encode(&value)?, resource_version: object.resource_version }))
        .collect()
}

async fn served(converter: &dyn StorageConverter, object: Object) -> storage::Result<Object> {
    let mut converted = served_all(converter, vec![object]).await?;
    converted.pop().ok_or_else(|| failed("no object returned".into()))
}

async fn stored_bytes(converter: &dyn StorageConverter, data: &[u8]) -> storage::Result<Bytes> {
    encode(&converter.to_stored(decode(data)?).await.map_err(failed)?)
}

#[async_trait]
impl Interface for ConvertedStorage {
    async fn create(&self, key: &str, data: Bytes, ttl_seconds: Option<u64>) -> storage::Result<Object> {
        let stored = stored_bytes(self.converter.as_ref(), &data).await?;
        served(self.converter.as_ref(), self.inner.create(key, stored, ttl_seconds).await?).await
    }

    async fn delete(&self, key: &str, preconditions: &Preconditions) -> storage::Result<Object> {
        served(self.converter.as_ref(), self.inner.delete(key, preconditions).await?).await
    }

    async fn watch(&self, key: &str, opts: WatchOptions) -> storage::Result<WatchStream> {
        let converter = self.converter.clone();
        let events = self.inner.watch(key, opts).await?;
        Ok(Box::pin(events.then(move |item| {
            let converter = converter.clone();
            async move {
                let event = item?;
                if event.object.is_empty() {
                    return Ok(event);
                }
                let object = Object { data: event.object.clone(), resource_version: 0 };
                let object = served(converter.as_ref(), object).await?.data;
                Ok(Arc::new(WatchEvent { object, ..(*event).clone() }))
            }
        })))
    }

    async fn get(&self, key: &str, opts: &GetOptions) -> storage::Result<Option<Object>> {
        match self.inner.get(key, opts).await? {
            Some(object) => Ok(Some(served(self.converter.as_ref(), object).await?)),
            None => Ok(None),
        }
    }

    async fn get_list(&self, key: &str, opts: &ListOptions) -> storage::Result<ObjectList> {
        let mut list = self.inner.get_list(key, opts).await?;
        list.items = served_all(self.converter.as_ref(), std::mem::take(&mut list.items)).await?;
        Ok(list)
    }

    async fn guaranteed_update(
        &self,
        key: &str,
        preconditions: &Preconditions,
        ignore_not_found: bool,
        try_update: UpdateFn,
    ) -> storage::Result<Object> {
        let converter = self.converter.clone();
        let try_update = Arc::new(tokio::sync::Mutex::new(try_update));
        let converting: UpdateFn = Box::new(move |current: Option<Object>| {
            let (converter, try_update) = (converter.clone(), try_update.clone());
            Box::pin(async move {
                let current = match current {
                    Some(object) => Some(served(converter.as_ref(), object).await?),
                    None => None,
                };
                let next = {
                    let mut update = try_update.lock().await;
                    update(current)
                };
                let result = next.await?;
                let data = stored_bytes(converter.as_ref(), &result.data).await?;
                Ok(UpdateResult { data, ..result })
            })
        });
        let updated = self.inner.guaranteed_update(key, preconditions, ignore_not_found, converting).await?;
        served(self.converter.as_ref(), updated).await
    }

    async fn count(&self, key: &str) -> storage::Result<u64> {
        self.inner.count(key).await
    }

    async fn current_resource_version(&self) -> storage::Result<u64> {
        self.inner.current_resource_version().await
    }
}

/// The strategy of a served version: the storage version's strategy applied
/// to the converted object, as upstream's strategies work on one internal
/// version whatever version a request speaks. Field paths in errors are
/// therefore the storage version's. It passes on the hooks of kinds without
/// side effects (names, defaults, validation, field selectors, table, TTL,
/// generation), which is all the kinds served this way have.
pub struct ConvertedStrategy {
    inner: Arc<dyn Strategy>,
    converter: Arc<dyn Converter>,
}

impl ConvertedStrategy {
    /// `inner` is the storage version's strategy.
    pub fn new(inner: Arc<dyn Strategy>, converter: Arc<dyn Converter>) -> Self {
        ConvertedStrategy { inner, converter }
    }

    fn stored(&self, served: &Value) -> Value {
        self.converter.to_stored(served.clone()).unwrap_or(Value::Null)
    }

    /// Runs `change` on the stored form of `served` and writes the result
    /// back in the served form.
    fn in_stored_form(&self, served: &mut Value, change: impl FnOnce(&mut Value)) {
        let mut stored = self.stored(served);
        change(&mut stored);
        if let Ok(back) = self.converter.to_served(stored) {
            *served = back;
        }
    }
}

impl TableConvertor for ConvertedStrategy {
    fn columns(&self) -> Vec<Column> {
        self.inner.table().columns()
    }

    fn cells(&self, object: &Value) -> Vec<Value> {
        self.inner.table().cells(&self.stored(object))
    }
}

#[async_trait]
impl Strategy for ConvertedStrategy {
    fn name_rule(&self) -> NameRule {
        self.inner.name_rule()
    }

    fn prepare_for_create(&self, object: &mut Value) {
        self.in_stored_form(object, |stored| self.inner.prepare_for_create(stored));
    }

    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        let old = self.stored(old);
        self.in_stored_form(new, |stored| self.inner.prepare_for_update(stored, &old));
    }

    fn validate(&self, object: &Value) -> Vec<FieldError> {
        self.inner.validate(&self.stored(object))
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<FieldError> {
        self.inner.validate_update(&self.stored(new), &self.stored(old))
    }

    fn selectable_fields(&self, object: &Value) -> Vec<(String, String)> {
        self.inner.selectable_fields(&self.stored(object))
    }

    fn table(&self) -> &dyn TableConvertor {
        self
    }

    fn ttl_seconds(&self) -> Option<u64> {
        self.inner.ttl_seconds()
    }

    fn tracks_generation(&self) -> bool {
        self.inner.tracks_generation()
    }
}
