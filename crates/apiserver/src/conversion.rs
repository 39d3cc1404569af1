//! Serving a resource in a version other than the one it is stored in:
//! upstream's storage codec, which converts between the storage version and
//! the version a request speaks. [`ConvertedStorage`] wraps the storage of
//! the storage version and converts every object that passes through it, so
//! the registry store, its strategy and the endpoints above see only the
//! served version (events.k8s.io/v1 Events over core/v1 ones, autoscaling/v1
//! HorizontalPodAutoscalers over autoscaling/v2 ones).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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
    /// Stored objects as the served version shows them, in order; `None`
    /// for an object the served version shows as stored (its bytes then
    /// pass through untouched).
    async fn to_served(&self, stored: Vec<Value>) -> Result<Vec<Option<Value>>, String>;

    /// A served-version object as it is stored.
    async fn to_stored(&self, served: Value) -> Result<Value, String>;

    /// Whether a stored object always converts to the same served object
    /// (no webhook whose answers may change), so conversions of an object
    /// version can be remembered instead of decoded again on every read.
    fn deterministic(&self) -> bool {
        false
    }
}

/// A built-in [`Converter`] as a [`StorageConverter`].
struct InProcess(Arc<dyn Converter>);

#[async_trait]
impl StorageConverter for InProcess {
    async fn to_served(&self, stored: Vec<Value>) -> Result<Vec<Option<Value>>, String> {
        stored.into_iter().map(|object| self.0.to_served(object).map(Some)).collect()
    }

    async fn to_stored(&self, served: Value) -> Result<Value, String> {
        self.0.to_stored(served)
    }

    fn deterministic(&self) -> bool {
        true
    }
}

/// The storage of a served version over the storage of the storage version.
pub struct ConvertedStorage {
    inner: Arc<dyn Interface>,
    conversion: Arc<Conversion>,
}

/// How many remembered conversions a storage keeps before it starts over.
const MEMO_CAPACITY: usize = 100_000;

/// A converter and, for deterministic ones, what it answered per object
/// version (its resourceVersion): the served bytes, or `None` when they are
/// the stored bytes. Lists then pass bytes through as unconverted ones do.
struct Conversion {
    converter: Arc<dyn StorageConverter>,
    memo: Option<Mutex<HashMap<u64, Option<Bytes>>>>,
}

impl ConvertedStorage {
    /// `inner` stores the storage version; `converter` translates.
    pub fn new(inner: Arc<dyn Interface>, converter: Arc<dyn StorageConverter>) -> Self {
        let memo = converter.deterministic().then(Mutex::default);
        ConvertedStorage { inner, conversion: Arc::new(Conversion { converter, memo }) }
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

impl Conversion {
    fn remembered(&self, object: &Object) -> Option<Object> {
        let memo = self.memo.as_ref().filter(|_| object.resource_version > 0)?;
        let known = memo.lock().unwrap_or_else(|p| p.into_inner()).get(&object.resource_version).cloned()?;
        Some(Object { data: known.unwrap_or_else(|| object.data.clone()), resource_version: object.resource_version })
    }

    fn remember(&self, resource_version: u64, served: Option<Bytes>) {
        let Some(memo) = self.memo.as_ref().filter(|_| resource_version > 0) else { return };
        let mut memo = memo.lock().unwrap_or_else(|p| p.into_inner());
        if memo.len() >= MEMO_CAPACITY {
            memo.clear();
        }
        memo.insert(resource_version, served);
    }

    async fn served_all(&self, objects: Vec<Object>) -> storage::Result<Vec<Object>> {
        let mut results: Vec<Option<Object>> = objects.iter().map(|o| self.remembered(o)).collect();
        let pending: Vec<usize> = (0..objects.len()).filter(|i| results[*i].is_none()).collect();
        if !pending.is_empty() {
            let values = pending.iter().map(|i| decode(&objects[*i].data)).collect::<storage::Result<Vec<_>>>()?;
            let converted = self.converter.to_served(values).await.map_err(failed)?;
            if converted.len() != pending.len() {
                return Err(failed(format!("expected {} objects, got {}", pending.len(), converted.len())));
            }
            for (i, value) in pending.into_iter().zip(converted) {
                let object = &objects[i];
                let data = value.as_ref().map(encode).transpose()?;
                self.remember(object.resource_version, data.clone());
                let data = data.unwrap_or_else(|| object.data.clone());
                results[i] = Some(Object { data, resource_version: object.resource_version });
            }
        }
        Ok(results.into_iter().flatten().collect())
    }

    async fn served(&self, object: Object) -> storage::Result<Object> {
        let mut converted = self.served_all(vec![object]).await?;
        converted.pop().ok_or_else(|| failed("no object returned".into()))
    }

    async fn stored_bytes(&self, data: &[u8]) -> storage::Result<Bytes> {
        encode(&self.converter.to_stored(decode(data)?).await.map_err(failed)?)
    }
}

#[async_trait]
impl Interface for ConvertedStorage {
    async fn create(&self, key: &str, data: Bytes, ttl_seconds: Option<u64>) -> storage::Result<Object> {
        let stored = self.conversion.stored_bytes(&data).await?;
        self.conversion.served(self.inner.create(key, stored, ttl_seconds).await?).await
    }

    async fn delete(&self, key: &str, preconditions: &Preconditions) -> storage::Result<Object> {
        self.conversion.served(self.inner.delete(key, preconditions).await?).await
    }

    async fn watch(&self, key: &str, opts: WatchOptions) -> storage::Result<WatchStream> {
        let conversion = self.conversion.clone();
        let events = self.inner.watch(key, opts).await?;
        Ok(Box::pin(events.then(move |item| {
            let conversion = conversion.clone();
            async move {
                let event = item?;
                if event.object.is_empty() {
                    return Ok(event);
                }
                let object = Object { data: event.object.clone(), resource_version: event.resource_version };
                let object = conversion.served(object).await?.data;
                Ok(Arc::new(WatchEvent { object, ..(*event).clone() }))
            }
        })))
    }

    async fn get(&self, key: &str, opts: &GetOptions) -> storage::Result<Option<Object>> {
        match self.inner.get(key, opts).await? {
            Some(object) => Ok(Some(self.conversion.served(object).await?)),
            None => Ok(None),
        }
    }

    async fn get_list(&self, key: &str, opts: &ListOptions) -> storage::Result<ObjectList> {
        let mut list = self.inner.get_list(key, opts).await?;
        list.items = self.conversion.served_all(std::mem::take(&mut list.items)).await?;
        Ok(list)
    }

    async fn guaranteed_update(
        &self,
        key: &str,
        preconditions: &Preconditions,
        ignore_not_found: bool,
        try_update: UpdateFn,
    ) -> storage::Result<Object> {
        let conversion = self.conversion.clone();
        let try_update = Arc::new(tokio::sync::Mutex::new(try_update));
        let converting: UpdateFn = Box::new(move |current: Option<Object>| {
            let (conversion, try_update) = (conversion.clone(), try_update.clone());
            Box::pin(async move {
                let current = match current {
                    Some(object) => Some(conversion.served(object).await?),
                    None => None,
                };
                let next = {
                    let mut update = try_update.lock().await;
                    update(current)
                };
                let result = next.await?;
                let data = conversion.stored_bytes(&result.data).await?;
                Ok(UpdateResult { data, ..result })
            })
        });
        let updated = self.inner.guaranteed_update(key, preconditions, ignore_not_found, converting).await?;
        self.conversion.served(updated).await
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
