//! Upstream's StorageFactory: builds the storage of each resource — a watch
//! cache over a [`storage::Store`] under `<prefix>/<resource key>` on the
//! shared backend — and the registry [`Store`] on top.

use std::sync::Arc;

use serde_json::Value;
use storage::cacher::{Cacher, CacherConfig};
use storage::selection::{AttrsFunc, default_attrs_func, metadata_attrs};
use storage::{Backend, Interface};

use crate::admission::AdmissionChain;
use crate::registry::{Store, Strategy};
use crate::resource::ResourceDef;

/// Makes the storage of every resource over one backend.
#[derive(Clone)]
pub struct StorageFactory {
    /// The shared backend.
    pub backend: Arc<dyn Backend>,
    /// The key prefix (--etcd-prefix), `/registry` by default.
    pub prefix: String,
    /// Watch cache settings.
    pub cacher: CacherConfig,
    /// Admission plugins for every store.
    pub admission: AdmissionChain,
}

/// The attribute extractor for a strategy: the cheap metadata-only one when
/// the kind has no selectable fields of its own.
fn attrs_func(strategy: &Arc<dyn Strategy>) -> AttrsFunc {
    if strategy.selectable_fields(&Value::Object(Default::default())).is_empty() {
        return default_attrs_func();
    }
    let strategy = strategy.clone();
    Arc::new(move |data: &[u8]| {
        let object: Value = serde_json::from_slice(data).map_err(|e| e.to_string())?;
        metadata_attrs(data, strategy.selectable_fields(&object))
    })
}

impl StorageFactory {
    /// The cached storage under `<prefix>/<key>/`.
    pub fn storage(&self, key: &str, strategy: &Arc<dyn Strategy>) -> Arc<dyn Interface> {
        let store = storage::Store::new(self.backend.clone(), format!("{}/{key}/", self.prefix), attrs_func(strategy));
        Arc::new(Cacher::new(store, self.cacher.clone()))
    }

    /// The registry store of a resource whose keys live under `key`
    /// (upstream's resource prefix, e.g. `pods` or `services/specs`).
    pub fn store(&self, def: ResourceDef, key: &str, strategy: Arc<dyn Strategy>) -> Arc<Store> {
        let storage = self.storage(key, &strategy);
        Arc::new(Store::new(def, storage, &format!("{}/{key}", self.prefix), strategy, self.admission.clone()))
    }
}
