//! Upstream's watchCache: the current objects of one resource, as encoded
//! bytes plus selectable attributes, and a bounded window of recent events
//! that lets a watch resume from a recent resourceVersion.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::Arc;

use tokio::sync::broadcast;

use crate::selection::Attrs;
use crate::{EventType, Object, StorageError, WatchEvent};

/// One object in the cache: its bytes (shared with every list and event that
/// carries it) and the attributes selectors evaluate.
#[derive(Debug, Clone)]
pub(crate) struct CachedObject {
    pub(crate) object: Object,
    pub(crate) attrs: Arc<Attrs>,
}

/// One change as the cache saw it, before any watcher's selector is applied.
/// Progress notifications travel the same way with a BOOKMARK event.
#[derive(Debug)]
pub(crate) struct CacheEvent {
    pub(crate) key: Arc<str>,
    /// The change as an unfiltered watcher sees it; shared by all of them.
    pub(crate) event: Arc<WatchEvent>,
    /// Attributes of the object the event carries.
    pub(crate) attrs: Option<Arc<Attrs>>,
    /// The object before the change, for selectors that stop matching.
    pub(crate) prev: Option<CachedObject>,
}

/// How many live events a watcher may fall behind before it is closed.
const LIVE_BUFFER: usize = 1024;

/// The state behind the cacher's lock.
pub(crate) struct WatchCache {
    pub(crate) objects: BTreeMap<Arc<str>, CachedObject>,
    window: VecDeque<Arc<CacheEvent>>,
    capacity: usize,
    /// Every event after this revision is still in the window.
    window_start: u64,
    /// The cache reflects the store up to this revision.
    pub(crate) revision: u64,
    pub(crate) live: broadcast::Sender<Arc<CacheEvent>>,
}

impl WatchCache {
    pub(crate) fn new(capacity: usize) -> Self {
        WatchCache {
            objects: BTreeMap::new(),
            window: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
            window_start: 0,
            revision: 0,
            live: broadcast::channel(LIVE_BUFFER).0,
        }
    }

    /// Replaces the whole state with a fresh list at `revision`. Watchers of
    /// the old state are closed (their channel is dropped) so that they
    /// re-list rather than miss what happened in between.
    pub(crate) fn replace(&mut self, objects: BTreeMap<Arc<str>, CachedObject>, revision: u64) {
        self.objects = objects;
        self.window.clear();
        self.window_start = revision;
        self.revision = revision;
        self.live = broadcast::channel(LIVE_BUFFER).0;
    }

    /// Records that the key now holds `object`.
    pub(crate) fn put(&mut self, key: Arc<str>, object: CachedObject) {
        let revision = object.object.resource_version;
        let prev = self.objects.insert(key.clone(), object.clone());
        let kind = if prev.is_some() { EventType::Modified } else { EventType::Added };
        let event = WatchEvent::new(kind, object.object.data, revision);
        self.record(CacheEvent { key, event: Arc::new(event), attrs: Some(object.attrs), prev }, revision);
    }

    /// Records that the key was deleted at `revision`; `last_state` is the
    /// deleted object stamped with that revision.
    pub(crate) fn delete(
        &mut self,
        key: &str,
        revision: u64,
        last_state: impl FnOnce(&Object) -> Result<Object, StorageError>,
    ) -> Result<(), StorageError> {
        let Some((key, prev)) = self.objects.remove_entry(key) else {
            self.revision = self.revision.max(revision);
            return Ok(());
        };
        let deleted = last_state(&prev.object)?;
        let event = WatchEvent::new(EventType::Deleted, deleted.data, revision);
        let attrs = Some(prev.attrs.clone());
        self.record(CacheEvent { key, event: Arc::new(event), attrs, prev: Some(prev) }, revision);
        Ok(())
    }

    /// Records that the store has reached `revision` with no change here, and
    /// tells the watchers, which turn it into bookmarks when theirs are due.
    pub(crate) fn progress(&mut self, revision: u64) {
        if revision < self.revision {
            return;
        }
        self.revision = revision;
        let event = CacheEvent {
            key: Arc::from(""),
            event: Arc::new(WatchEvent::bookmark(revision, false)),
            attrs: None,
            prev: None,
        };
        let _ = self.live.send(Arc::new(event));
    }

    fn record(&mut self, event: CacheEvent, revision: u64) {
        let event = Arc::new(event);
        if self.window.len() == self.capacity
            && let Some(oldest) = self.window.pop_front()
        {
            self.window_start = oldest.event.resource_version;
        }
        self.window.push_back(event.clone());
        self.revision = revision;
        let _ = self.live.send(event);
    }

    /// The events after `revision`, or Expired if the window no longer
    /// reaches back that far.
    pub(crate) fn events_after(&self, revision: u64) -> Result<Vec<Arc<CacheEvent>>, StorageError> {
        if revision < self.window_start {
            return Err(StorageError::too_old(revision, self.window_start + 1));
        }
        let first = self.window.partition_point(|e| e.event.resource_version <= revision);
        Ok(self.window.range(first..).cloned().collect())
    }

    /// The cached objects whose keys fall in `[start, end)`.
    pub(crate) fn range<'a>(
        &'a self,
        start: &'a str,
        end: &'a str,
    ) -> impl Iterator<Item = (&'a Arc<str>, &'a CachedObject)> + 'a {
        self.objects.range::<str, _>((Bound::Included(start), Bound::Excluded(end)))
    }
}
