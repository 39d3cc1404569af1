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

/// Converts one kind between its storage version and a served version.
pub trait Converter: Send + Sync {
    /// The stored object as the served version shows it.
    fn to_served(&self, stored: Value) -> Result<Value, String>;

    /// A served-version object as it is stored.
    fn to_stored(&self, served: Value) -> Result<Value, String>;
}

/// The storage of a served version over the storage of the storage version.
pub struct ConvertedStorage {
    inner: Arc<dyn Interface>,
    converter: Arc<dyn Converter>,
}

impl ConvertedStorage {
    /// `inner` stores the storage version; `converter` translates.
    pub fn new(inner: Arc<dyn Interface>, converter: Arc<dyn Converter>) -> Self {
        ConvertedStorage { inner, converter }
    }
}

fn failed(message: String) -> StorageError {
    StorageError::Backend(format!("conversion failed: {message}"))
}

fn convert_bytes(data: &[u8], convert: impl FnOnce(Value) -> Result<Value, String>) -> storage::Result<Bytes> {
    let value: Value = serde_json::from_slice(data).map_err(|e| failed(e.to_string()))?;
    let converted = convert(value).map_err(failed)?;
    serde_json::to_vec(&converted).map(Bytes::from).map_err(|e| failed(e.to_string()))
}

fn served(converter: &dyn Converter, object: Object) -> storage::Result<Object> {
    let data = convert_bytes(&object.data, |v| converter.to_served(v))?;
    Ok(Object { data, resource_version: object.resource_version })
}

#[async_trait]
impl Interface for ConvertedStorage {
    async fn create(&self, key: &str, data: Bytes, ttl_seconds: Option<u64>) -> storage::Result<Object> {
        let stored = convert_bytes(&data, |v| self.converter.to_stored(v))?;
        served(self.converter.as_ref(), self.inner.create(key, stored, ttl_seconds).await?)
    }

    async fn delete(&self, key: &str, preconditions: &Preconditions) -> storage::Result<Object> {
        served(self.converter.as_ref(), self.inner.delete(key, preconditions).await?)
    }

    async fn watch(&self, key: &str, opts: WatchOptions) -> storage::Result<WatchStream> {
        let converter = self.converter.clone();
        let events = self.inner.watch(key, opts).await?;
        Ok(Box::pin(events.map(move |item| {
            let event = item?;
            if event.object.is_empty() {
                return Ok(event);
            }
            let object = convert_bytes(&event.object, |v| converter.to_served(v))?;
            Ok(Arc::new(WatchEvent { object, ..(*event).clone() }))
        })))
    }

    async fn get(&self, key: &str, opts: &GetOptions) -> storage::Result<Option<Object>> {
        self.inner.get(key, opts).await?.map(|o| served(self.converter.as_ref(), o)).transpose()
    }

    async fn get_list(&self, key: &str, opts: &ListOptions) -> storage::Result<ObjectList> {
        let mut list = self.inner.get_list(key, opts).await?;
        list.items = list.items.into_iter().map(|o| served(self.converter.as_ref(), o)).collect::<Result<_, _>>()?;
        Ok(list)
    }

    async fn guaranteed_update(
        &self,
        key: &str,
        preconditions: &Preconditions,
        ignore_not_found: bool,
        mut try_update: UpdateFn,
    ) -> storage::Result<Object> {
        let converter = self.converter.clone();
        let converting: UpdateFn = Box::new(move |current: Option<Object>| {
            let converter = converter.clone();
            let current = current.map(|o| served(converter.as_ref(), o)).transpose();
            let next = current.map(&mut try_update);
            Box::pin(async move {
                let result = next?.await?;
                let data = convert_bytes(&result.data, |v| converter.to_stored(v))?;
                Ok(UpdateResult { data, ..result })
            })
        });
        let updated = self.inner.guaranteed_update(key, preconditions, ignore_not_found, converting).await?;
        served(self.converter.as_ref(), updated)
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
