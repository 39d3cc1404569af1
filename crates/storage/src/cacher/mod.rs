//! Upstream's Cacher (CacherStorage): the storage of one resource served
//! from memory. A reflector lists the resource once and then follows one
//! backend watch, feeding a [`watch_cache::WatchCache`]; lists and gets at a
//! resourceVersion are answered from it, consistent lists after it has caught
//! up with the store, and any number of watchers share its event stream.
//! Writes go straight to the underlying [`Store`].

mod cache_watcher;
mod watch_cache;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use self::cache_watcher::{Scope, WatchFilter};
use self::watch_cache::{CachedObject, WatchCache};
use crate::backend::{BackendEvent, prefix_end};
use crate::store::wants_initial_events;
use crate::{
    EventType, GetOptions, Interface, ListOptions, Object, ObjectList, Preconditions, ResourceVersionMatch, Result,
    StorageError, Store, UpdateFn, WatchEvent, WatchOptions, WatchStream, versioner,
};

/// Tunables of a cacher.
#[derive(Debug, Clone)]
pub struct CacherConfig {
    /// How many recent events are kept for watches that resume from a
    /// resourceVersion.
    pub window_capacity: usize,
    /// How often a watcher that allows bookmarks gets one.
    pub bookmark_interval: Duration,
    /// How often the cacher asks the store for a progress notification, so
    /// that its revision moves on while the resource is quiet.
    pub progress_interval: Duration,
    /// How long a read waits for the cache to reach the revision it needs.
    pub freshness_timeout: Duration,
}

impl Default for CacherConfig {
    fn default() -> Self {
        CacherConfig {
            window_capacity: 10_000,
            bookmark_interval: Duration::from_secs(60),
            progress_interval: Duration::from_secs(5),
            freshness_timeout: Duration::from_secs(3),
        }
    }
}

struct Inner {
    store: Store,
    config: CacherConfig,
    cache: RwLock<WatchCache>,
    /// The cache's revision, for readers waiting for it to move.
    revision: watch::Sender<u64>,
    /// False while the cache is (re)listing.
    ready: watch::Sender<bool>,
    /// Asks the current backend watch for a progress notification.
    progress: Mutex<Option<mpsc::UnboundedSender<()>>>,
}

/// The watch cache in front of one resource's [`Store`].
pub struct Cacher {
    inner: Arc<Inner>,
    reflector: JoinHandle<()>,
}

impl Drop for Cacher {
    fn drop(&mut self) {
        self.reflector.abort();
    }
}

impl Cacher {
    /// Starts caching the resource `store` holds.
    pub fn new(store: Store, config: CacherConfig) -> Self {
        let inner = Arc::new(Inner {
            cache: RwLock::new(WatchCache::new(config.window_capacity)),
            store,
            config,
            revision: watch::channel(0).0,
            ready: watch::channel(false).0,
            progress: Mutex::new(None),
        });
        let reflector = tokio::spawn(reflect(inner.clone()));
        Cacher { inner, reflector }
    }

    /// Waits until the first list has filled the cache.
    pub async fn wait_ready(&self) {
        let mut ready = self.inner.ready.subscribe();
        let _ = ready.wait_for(|r| *r).await;
    }

    /// How many objects the cache holds.
    pub fn len(&self) -> usize {
        self.read_cache().objects.len()
    }

    /// True when the cache holds no object.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read_cache(&self) -> std::sync::RwLockReadGuard<'_, WatchCache> {
        self.inner.cache.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits until the cache has seen `revision`, asking the store for a
    /// progress notification so that a quiet resource catches up too.
    async fn wait_for_revision(&self, revision: u64) -> Result<()> {
        self.wait_ready().await;
        let mut current = self.inner.revision.subscribe();
        if *current.borrow() >= revision {
            return Ok(());
        }
        if let Some(progress) = self.inner.progress.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = progress.send(());
        }
        let timeout = self.inner.config.freshness_timeout;
        let reached = matches!(tokio::time::timeout(timeout, current.wait_for(|r| *r >= revision)).await, Ok(Ok(_)));
        if reached {
            return Ok(());
        }
        Err(StorageError::TooLargeResourceVersion { requested: revision, current: *current.borrow() })
    }

    fn scope(key: &str, recursive: bool) -> (Scope, String, String) {
        if recursive {
            let prefix = if key.ends_with('/') { key.to_string() } else { format!("{key}/") };
            let end = prefix_end(&prefix);
            (Scope::Prefix(prefix.clone()), prefix, end)
        } else {
            (Scope::Key(key.to_string()), key.to_string(), format!("{key}\u{0}"))
        }
    }

    fn list_from_cache(&self, key: &str, opts: &ListOptions) -> ObjectList {
        let (_, start, end) = Self::scope(key, opts.recursive);
        let cache = self.read_cache();
        let everything = opts.predicate.is_everything();
        let items = cache
            .range(&start, &end)
            .filter(|(_, o)| everything || opts.predicate.matches(&o.attrs))
            .map(|(_, o)| o.object.clone())
            .collect();
        ObjectList { items, resource_version: cache.revision, ..Default::default() }
    }
}

/// Lists the resource and follows its changes, starting over on any error.
async fn reflect(inner: Arc<Inner>) {
    loop {
        if let Err(e) = list_and_watch(&inner).await {
            tracing::warn!(prefix = inner.store.resource_prefix(), error = %e, "watch cache: re-listing");
        }
        inner.ready.send_replace(false);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn list_and_watch(inner: &Inner) -> Result<()> {
    let store = &inner.store;
    let prefix = store.resource_prefix();
    let list = store.backend().range(prefix, &prefix_end(prefix), 0, 0).await?;
    let revision = list.revision;
    let mut objects = BTreeMap::new();
    for kv in list.kvs {
        let object = store.decode_kv(&kv)?;
        let attrs = Arc::new(store.attrs_of(&kv.value)?);
        objects.insert(Arc::from(kv.key.as_str()), CachedObject { object, attrs });
    }
    let mut watch = store.backend_watch(prefix, true, revision).await?;
    inner.cache.write().unwrap_or_else(|p| p.into_inner()).replace(objects, revision);
    *inner.progress.lock().unwrap_or_else(|p| p.into_inner()) = Some(watch.progress.clone());
    inner.revision.send_replace(revision);
    inner.ready.send_replace(true);
    let mut ticker = tokio::time::interval(inner.config.progress_interval);
    loop {
        tokio::select! {
            event = watch.events.recv() => match event {
                Some(Ok(event)) => apply(inner, event)?,
                Some(Err(e)) => return Err(e),
                None => return Err(StorageError::Backend("backend watch closed".into())),
            },
            _ = ticker.tick() => {
                let _ = watch.progress.send(());
            }
        }
    }
}

fn apply(inner: &Inner, event: BackendEvent) -> Result<()> {
    let store = &inner.store;
    let revision = match event {
        BackendEvent::Put { kv, .. } => {
            let object = store.decode_kv(&kv)?;
            let attrs = Arc::new(store.attrs_of(&kv.value)?);
            let mut cache = inner.cache.write().unwrap_or_else(|p| p.into_inner());
            cache.put(Arc::from(kv.key.as_str()), CachedObject { object, attrs });
            kv.mod_revision
        }
        BackendEvent::Delete { key, revision, .. } => {
            let mut cache = inner.cache.write().unwrap_or_else(|p| p.into_inner());
            cache.delete(&key, revision, |last| {
                let data = versioner::stamp(&last.data, revision)
                    .map_err(|e| StorageError::Corrupt { key: key.clone(), message: e.to_string() })?;
                Ok(Object { data, resource_version: revision })
            })?;
            revision
        }
        BackendEvent::Progress { revision } => {
            inner.cache.write().unwrap_or_else(|p| p.into_inner()).progress(revision);
            revision
        }
    };
    inner.revision.send_if_modified(|current| {
        let moved = revision > *current;
        *current = (*current).max(revision);
        moved
    });
    Ok(())
}

#[async_trait]
impl Interface for Cacher {
    async fn create(&self, key: &str, data: Bytes, ttl_seconds: Option<u64>) -> Result<Object> {
        self.inner.store.create(key, data, ttl_seconds).await
    }

    async fn delete(&self, key: &str, preconditions: &Preconditions) -> Result<Object> {
        self.inner.store.delete(key, preconditions).await
    }

    async fn watch(&self, key: &str, opts: WatchOptions) -> Result<WatchStream> {
        if let Some(rv) = opts.resource_version.filter(|rv| *rv > 0) {
            self.wait_for_revision(rv).await?;
        } else {
            self.wait_ready().await;
        }
        let (scope, start, end) = Self::scope(key, opts.recursive);
        let filter = WatchFilter { scope, predicate: opts.predicate.clone() };
        let cache = self.read_cache();
        let live = cache.live.subscribe();
        let after = cache.revision;
        let mut initial: Vec<Arc<WatchEvent>> = Vec::new();
        if wants_initial_events(&opts) {
            let everything = opts.predicate.is_everything();
            initial.extend(
                cache.range(&start, &end).filter(|(_, o)| everything || opts.predicate.matches(&o.attrs)).map(
                    |(_, o)| {
                        Arc::new(WatchEvent::new(EventType::Added, o.object.data.clone(), o.object.resource_version))
                    },
                ),
            );
            if opts.send_initial_events == Some(true) {
                initial.push(Arc::new(WatchEvent::bookmark(after, true)));
            }
        } else if let Some(rv) = opts.resource_version.filter(|rv| *rv > 0) {
            initial.extend(cache.events_after(rv)?.iter().filter_map(|e| filter.convert(e)));
        }
        drop(cache);
        let bookmarks = opts.allow_bookmarks.then_some(self.inner.config.bookmark_interval);
        Ok(cache_watcher::stream(initial, live, filter, after, bookmarks))
    }

    async fn get(&self, key: &str, opts: &GetOptions) -> Result<Option<Object>> {
        let Some(revision) = opts.resource_version else {
            return self.inner.store.get(key, opts).await;
        };
        self.wait_for_revision(revision).await?;
        match self.read_cache().objects.get(key) {
            Some(cached) => Ok(Some(cached.object.clone())),
            None if opts.ignore_not_found => Ok(None),
            None => Err(StorageError::NotFound { key: key.to_string() }),
        }
    }

    async fn get_list(&self, key: &str, opts: &ListOptions) -> Result<ObjectList> {
        let paged = opts.limit.unwrap_or(0) > 0;
        let exact = opts.resource_version_match == Some(ResourceVersionMatch::Exact)
            || (opts.resource_version_match.is_none() && paged && opts.resource_version.unwrap_or(0) > 0);
        if opts.continue_token.is_some() || exact || (paged && opts.resource_version.is_none()) {
            return self.inner.store.get_list(key, opts).await;
        }
        let needed = match opts.resource_version {
            None => self.inner.store.current_resource_version().await?,
            Some(rv) => rv,
        };
        match self.wait_for_revision(needed).await {
            Ok(()) => Ok(self.list_from_cache(key, opts)),
            Err(_) if opts.resource_version.is_none() => self.inner.store.get_list(key, opts).await,
            Err(e) => Err(e),
        }
    }

    async fn guaranteed_update(
        &self,
        key: &str,
        preconditions: &Preconditions,
        ignore_not_found: bool,
        try_update: UpdateFn,
    ) -> Result<Object> {
        self.inner.store.guaranteed_update(key, preconditions, ignore_not_found, try_update).await
    }

    async fn count(&self, key: &str) -> Result<u64> {
        self.inner.store.count(key).await
    }

    async fn current_resource_version(&self) -> Result<u64> {
        self.inner.store.current_resource_version().await
    }
}
