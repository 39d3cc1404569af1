//! Serving custom resources (upstream's crdHandler): for every established
//! CRD, one registry store per served version — the same generic REST code
//! as built-in kinds — over one watch cache of the storage version, with a
//! [`converter`] between them; installed into the APIExtensionsServer so
//! that discovery lists them, and removed when the CRD goes.

pub mod columns;
pub mod converter;
pub mod strategy;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use apimachinery::GroupResource;
use apiserver::conversion::ConvertedStorage;
use apiserver::registry::Store;
use apiserver::resource::{ResourceDef, ScalePaths};
use apiserver::server::GenericApiServer;
use apiserver::storage_factory::StorageFactory;
use serde_json::{Value, json};
use storage::Interface;

use self::columns::PrinterColumns;
use self::converter::{CustomResourceConverter, Resolver, Strategy as Conversion};
use self::strategy::CustomResourceStrategy;
use crate::crd::{self, conditions};
use crate::schema::VersionSchema;
use crate::schema::published::Published;

/// What is served for one CRD.
struct Served {
    /// What the stores were built from; a change rebuilds them.
    fingerprint: Value,
    group: String,
    /// The storage key under the prefix: `<group>/<plural>`.
    key: String,
    /// One store per served version.
    versions: Vec<(String, Arc<Store>)>,
    /// The store of the storage version.
    storage_store: Arc<Store>,
    terminating: Arc<AtomicBool>,
}

/// A watch cache's storage key and the fields its objects are selected by.
type CacheKey = (String, Vec<String>);

/// Keeps the served custom resources in step with the CRDs.
pub struct CrdHandler {
    server: Arc<GenericApiServer>,
    factory: StorageFactory,
    resolver: Resolver,
    served: Mutex<HashMap<String, Served>>,
    /// The watch caches, by storage key and selectable fields, kept across
    /// rebuilds so that open watches go on receiving events.
    caches: Mutex<HashMap<CacheKey, Arc<dyn Interface>>>,
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

/// The facts every version of a CRD shares.
struct Names {
    group: String,
    plural: String,
    singular: String,
    kind: String,
    short_names: Vec<String>,
    categories: Vec<String>,
    namespaced: bool,
}

impl Names {
    fn of(crd: &Value) -> Self {
        let accepted = crd::accepted_names(crd);
        let names = if str_of(accepted, "plural").is_empty() { &crd["spec"]["names"] } else { accepted };
        Names {
            group: crd::group(crd).to_string(),
            plural: str_of(names, "plural").to_string(),
            singular: str_of(names, "singular").to_string(),
            kind: str_of(names, "kind").to_string(),
            short_names: strings(&names["shortNames"]),
            categories: strings(&names["categories"]),
            namespaced: crd::namespaced(crd),
        }
    }
}

impl CrdHandler {
    /// A handler that installs into `server`.
    pub fn new(server: Arc<GenericApiServer>, factory: StorageFactory, resolver: Resolver) -> Self {
        CrdHandler { server, factory, resolver, served: Mutex::default(), caches: Mutex::default() }
    }

    fn served(&self) -> std::sync::MutexGuard<'_, HashMap<String, Served>> {
        self.served.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The store of a CRD's storage version, while it is served.
    pub fn storage_store(&self, crd_name: &str) -> Option<Arc<Store>> {
        self.served().get(crd_name).map(|s| s.storage_store.clone())
    }

    /// Every store of every served custom resource version.
    pub fn stores(&self) -> Vec<Arc<Store>> {
        self.served().values().flat_map(|s| s.versions.iter().map(|(_, store)| store.clone())).collect()
    }

    /// A CRD was created or changed.
    pub fn crd_changed(&self, crd: &Value) {
        let name = crd["metadata"]["name"].as_str().unwrap_or_default().to_string();
        if !conditions::is_true(crd, conditions::ESTABLISHED) {
            return self.crd_deleted(crd);
        }
        let terminating = conditions::is_true(crd, conditions::TERMINATING);
        let fingerprint = json!({
            "uid": crd["metadata"]["uid"],
            "spec": crd["spec"],
            "names": crd::accepted_names(crd),
            "storedVersions": crd["status"]["storedVersions"],
        });
        if let Some(served) = self.served().get(&name)
            && served.fingerprint == fingerprint
        {
            served.terminating.store(terminating, Ordering::SeqCst);
            return;
        }
        let Some(served) = self.build(crd, fingerprint, terminating) else { return };
        let group = served.group.clone();
        let previous = self.served().insert(name, served);
        self.forget_unused_caches();
        self.install_group(&group);
        if let Some(previous) = previous.filter(|p| p.group != group) {
            self.install_group(&previous.group);
        }
    }

    /// A CRD is gone.
    pub fn crd_deleted(&self, crd: &Value) {
        let name = crd["metadata"]["name"].as_str().unwrap_or_default();
        let removed = self.served().remove(name);
        self.forget_unused_caches();
        if let Some(removed) = removed {
            self.install_group(&removed.group);
        }
    }

    /// Serves exactly the versions the group's CRDs serve, preferred first.
    fn install_group(&self, group: &str) {
        let mut versions: BTreeMap<String, Vec<Arc<Store>>> = BTreeMap::new();
        for served in self.served().values().filter(|s| s.group == group) {
            for (version, store) in &served.versions {
                versions.entry(version.clone()).or_default().push(store.clone());
            }
        }
        let mut ordered: Vec<(String, Vec<Arc<Store>>)> = versions.into_iter().collect();
        ordered.sort_by(|a, b| apimachinery::version_priority::compare(&a.0, &b.0));
        self.server.replace_group(group, ordered);
    }

    /// The watch cache of a CRD's storage version.
    fn cache(&self, key: &str, strategy: &Arc<dyn apiserver::registry::Strategy>) -> Arc<dyn Interface> {
        let fields: Vec<String> = strategy.selectable_fields(&json!({})).into_iter().map(|(f, _)| f).collect();
        let mut caches = self.caches.lock().unwrap_or_else(|p| p.into_inner());
        caches.entry((key.to_string(), fields)).or_insert_with(|| self.factory.storage(key, strategy)).clone()
    }

    /// Drops the watch caches no served CRD uses.
    fn forget_unused_caches(&self) {
        let keys: Vec<String> = self.served().values().map(|s| s.key.clone()).collect();
        self.caches.lock().unwrap_or_else(|p| p.into_inner()).retain(|(key, _), _| keys.contains(key));
    }

    fn build(&self, crd: &Value, fingerprint: Value, terminating: bool) -> Option<Served> {
        let names = Names::of(crd);
        let storage_version = crd::storage_version(crd)?.to_string();
        let conversion = Arc::new(conversion_of(crd));
        let terminating = Arc::new(AtomicBool::new(terminating));
        let key = format!("{}/{}", names.group, names.plural);
        let mut strategies = Vec::new();
        for version in crd::versions(crd) {
            let name = str_of(version, "name").to_string();
            let served = version["served"] == Value::Bool(true);
            if !served && name != storage_version {
                continue;
            }
            let schema = version.pointer("/schema/openAPIV3Schema");
            let version_schema = Arc::new(VersionSchema::new(schema, &names.group, &name, &names.kind));
            let selectable: Vec<String> = version["selectableFields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| str_of(f, "jsonPath").to_string())
                .collect();
            let scale = version.pointer("/subresources/scale").map(|scale| ScalePaths {
                spec_replicas: str_of(scale, "specReplicasPath").trim_start_matches('.').to_string(),
                status_replicas: str_of(scale, "statusReplicasPath").trim_start_matches('.').to_string(),
                label_selector: scale["labelSelectorPath"].as_str().map(|p| p.trim_start_matches('.').to_string()),
            });
            let columns = version["additionalPrinterColumns"].as_array().cloned().unwrap_or_default();
            let strategy = Arc::new(CustomResourceStrategy {
                schema: version_schema.clone(),
                columns: PrinterColumns::new(&columns),
                selectable_fields: selectable.clone(),
                scale: scale.clone(),
                resource: GroupResource::new(&names.group, &names.plural),
                terminating: terminating.clone(),
            });
            let mut def = ResourceDef::new(&names.group, &name, &names.kind, &names.plural, names.namespaced)
                .given_schema(
                    Published {
                        group: &names.group,
                        version: &name,
                        kind: &names.kind,
                        schema,
                        selectable_fields: selectable,
                    }
                    .build(),
                );
            def.singular = names.singular.clone();
            def.short_names = names.short_names.clone();
            def.categories = names.categories.clone();
            if version.pointer("/subresources/status").is_some() {
                def = def.with_status();
            }
            if let Some(scale) = scale {
                def = def.with_scale(scale);
            }
            strategies.push((name, served, def, strategy, version_schema));
        }
        let (_, _, _, storage_strategy, _) = strategies.iter().find(|(name, ..)| *name == storage_version)?;
        let storage_strategy: Arc<dyn apiserver::registry::Strategy> = storage_strategy.clone();
        let cache = self.cache(&key, &storage_strategy);
        let key_prefix = format!("{}/{key}", self.factory.prefix);
        let mut versions = Vec::new();
        let mut storage_store = None;
        let stored_versions = strings(&crd["status"]["storedVersions"]);
        let stored_only_in_storage_version = stored_versions.iter().all(|v| *v == storage_version);
        for (name, served, def, strategy, schema) in strategies {
            let schema_defaults = schema.has_defaults();
            let converter = CustomResourceConverter {
                group: names.group.clone(),
                kind: names.kind.clone(),
                served_version: name.clone(),
                storage_version: storage_version.clone(),
                strategy: conversion.clone(),
                schema,
                resolver: self.resolver.clone(),
            };
            let storage: Arc<dyn Interface> =
                if name == storage_version && stored_only_in_storage_version && !schema_defaults {
                    cache.clone()
                } else {
                    Arc::new(ConvertedStorage::new(cache.clone(), Arc::new(converter)))
                };
            let store = Arc::new(Store::new(def, storage, &key_prefix, strategy, self.factory.admission.clone()));
            if name == storage_version {
                storage_store = Some(store.clone());
            }
            if served {
                versions.push((name, store));
            }
        }
        Some(Served { fingerprint, group: names.group, key, versions, storage_store: storage_store?, terminating })
    }
}

/// The CRD's conversion strategy.
fn conversion_of(crd: &Value) -> Conversion {
    let conversion = &crd["spec"]["conversion"];
    if conversion["strategy"] != "Webhook" {
        return Conversion::None;
    }
    let versions = strings(&conversion["webhook"]["conversionReviewVersions"]);
    let review_version = versions.into_iter().find(|v| v == "v1" || v == "v1beta1").unwrap_or_else(|| "v1".into());
    Conversion::Webhook { client_config: conversion["webhook"]["clientConfig"].clone(), review_version }
}
