//! Upstream's `storage.Interface`, the one seam every resource's REST
//! storage writes through, and the option and result types around it.

use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;
use futures::future::BoxFuture;

use crate::{Result, SelectionPredicate};

/// One stored object as the layers above see it: its JSON encoding with
/// `metadata.resourceVersion` already set to the revision it was last written
/// at, shared by reference count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// The encoded object.
    pub data: Bytes,
    /// The revision of the object's last write; the same number as its
    /// `metadata.resourceVersion`.
    pub resource_version: u64,
}

/// How a list or get compares its resourceVersion with the store's
/// (upstream's `resourceVersionMatch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceVersionMatch {
    /// Any state at least as new as the given revision.
    NotOlderThan,
    /// Exactly the state at the given revision.
    Exact,
}

/// Options of a get: which revision may answer it.
#[derive(Debug, Clone, Default)]
pub struct GetOptions {
    /// `None` is upstream's "" (the latest, read from the store); `Some(0)` is
    /// "any" (the cache may answer); `Some(n)` is "not older than n".
    pub resource_version: Option<u64>,
    /// Answer `Ok(None)` instead of NotFound.
    pub ignore_not_found: bool,
}

/// Options of a list (upstream's `storage.ListOptions`).
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// `None` is "" (a consistent read at the latest revision); `Some(0)` is
    /// "any"; `Some(n)` is interpreted with `resource_version_match`.
    pub resource_version: Option<u64>,
    /// How `resource_version` is compared; `None` is upstream's legacy rule.
    pub resource_version_match: Option<ResourceVersionMatch>,
    /// Which objects to return.
    pub predicate: SelectionPredicate,
    /// At most this many items per page; `None` or 0 means no limit.
    pub limit: Option<usize>,
    /// The continue token of the previous page.
    pub continue_token: Option<String>,
    /// List every key under the prefix (true) or just the one key (false,
    /// upstream's GetToList).
    pub recursive: bool,
}

/// One page of a list.
#[derive(Debug, Clone, Default)]
pub struct ObjectList {
    /// The matching objects, in key order.
    pub items: Vec<Object>,
    /// The revision the list was read at: the list's resourceVersion.
    pub resource_version: u64,
    /// Present when more items follow; pass it back to read the next page at
    /// the same revision.
    pub continue_token: Option<String>,
    /// How many items follow this page, when it is known exactly.
    pub remaining_item_count: Option<u64>,
}

/// Options of a watch (upstream's `storage.ListOptions` as used by Watch).
#[derive(Debug, Clone, Default)]
pub struct WatchOptions {
    /// `None` ("") or `Some(0)`: start with the current state (synthetic
    /// ADDED events) unless `send_initial_events` says otherwise; `Some(n)`:
    /// every change after revision n.
    pub resource_version: Option<u64>,
    /// Which objects to report.
    pub predicate: SelectionPredicate,
    /// Watch every key under the prefix (true) or just the one key (false).
    pub recursive: bool,
    /// Upstream's sendInitialEvents: `Some(true)` sends the current state
    /// first and marks its end with a bookmark; `Some(false)` never does.
    pub send_initial_events: Option<bool>,
    /// The client accepts BOOKMARK events (allowWatchBookmarks).
    pub allow_bookmarks: bool,
}

/// The kind of a watch event, as written in the `type` field on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// The object now exists (or newly matches the selector).
    Added,
    /// The object changed.
    Modified,
    /// The object is gone (or no longer matches); the event carries its last
    /// state.
    Deleted,
    /// No object changed; the watch has seen everything up to this revision.
    Bookmark,
}

impl EventType {
    /// The upstream wire name: ADDED, MODIFIED, DELETED or BOOKMARK.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
            EventType::Bookmark => "BOOKMARK",
        }
    }
}

/// One watch event. The watch cache hands the same `Arc<WatchEvent>` to every
/// watcher whose selector does not change it, so its object bytes are shared.
#[derive(Debug, Clone)]
pub struct WatchEvent {
    /// What happened.
    pub event_type: EventType,
    /// The object after the change (its last state for DELETED); empty for
    /// bookmarks, whose object the REST layer builds for its kind.
    pub object: Bytes,
    /// The revision of the change (for bookmarks, the revision reached).
    pub resource_version: u64,
    /// True on the bookmark that ends the initial events of a watch with
    /// sendInitialEvents=true (annotation `k8s.io/initial-events-end`).
    pub initial_events_end: bool,
}

impl WatchEvent {
    /// An event of this type for this object at this revision.
    pub fn new(event_type: EventType, object: Bytes, resource_version: u64) -> Self {
        WatchEvent { event_type, object, resource_version, initial_events_end: false }
    }

    /// A bookmark at this revision.
    pub fn bookmark(resource_version: u64, initial_events_end: bool) -> Self {
        WatchEvent { initial_events_end, ..WatchEvent::new(EventType::Bookmark, Bytes::new(), resource_version) }
    }

    /// The event as upstream's JSON watch frame,
    /// `{"type":"ADDED","object":{...}}` and a newline, in three pieces that
    /// share the object's bytes: writing them needs no copy and no encode, so
    /// every watcher sends the same bytes. Not for bookmarks, whose object is
    /// per kind.
    pub fn json_frame(&self) -> [Bytes; 3] {
        let prefix: &'static [u8] = match self.event_type {
            EventType::Added => br#"{"type":"ADDED","object":"#,
            EventType::Modified => br#"{"type":"MODIFIED","object":"#,
            EventType::Deleted => br#"{"type":"DELETED","object":"#,
            EventType::Bookmark => br#"{"type":"BOOKMARK","object":"#,
        };
        [Bytes::from_static(prefix), self.object.clone(), Bytes::from_static(b"}\n")]
    }
}

/// A stream of watch events. It ends when the watch is closed (for instance
/// because its consumer fell too far behind); an `Err` item is the last one.
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<Arc<WatchEvent>>> + Send>>;

/// Conditions a write or delete checks against the current object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preconditions {
    /// The object's metadata.uid must be this.
    pub uid: Option<String>,
    /// The object's metadata.resourceVersion must be this.
    pub resource_version: Option<u64>,
}

/// What an update function decided.
#[derive(Debug, Clone)]
pub struct UpdateResult {
    /// The new object; if it encodes the same as the current one, nothing is
    /// written and the revision does not move.
    pub data: Bytes,
    /// Expire the key this many seconds after the write.
    pub ttl_seconds: Option<u64>,
}

/// Upstream's tryUpdate: given the current object (`None` when absent and
/// the update was told to ignore that), return the new one or an error. It
/// may run several times when concurrent writers conflict.
pub type UpdateFn = Box<dyn FnMut(Option<Object>) -> BoxFuture<'static, Result<UpdateResult>> + Send>;

/// Upstream's `storage.Interface`. Keys are full paths such as
/// `/registry/pods/default/web`; a recursive list or watch takes a prefix
/// ending in `/`.
#[async_trait]
pub trait Interface: Send + Sync {
    /// Writes a new object; AlreadyExists if the key is taken.
    async fn create(&self, key: &str, data: Bytes, ttl_seconds: Option<u64>) -> Result<Object>;

    /// Deletes the object if the preconditions hold and returns its last
    /// state, stamped with the revision of the deletion.
    async fn delete(&self, key: &str, preconditions: &Preconditions) -> Result<Object>;

    /// Watches one key or a prefix.
    async fn watch(&self, key: &str, opts: WatchOptions) -> Result<WatchStream>;

    /// Reads one object.
    async fn get(&self, key: &str, opts: &GetOptions) -> Result<Option<Object>>;

    /// Lists objects under a prefix, or the one object at a key.
    async fn get_list(&self, key: &str, opts: &ListOptions) -> Result<ObjectList>;

    /// Read-modify-write with retries on conflict: reads the current object,
    /// checks the preconditions, calls `try_update`, and writes the result
    /// only if nobody wrote in between; otherwise starts again.
    async fn guaranteed_update(
        &self,
        key: &str,
        preconditions: &Preconditions,
        ignore_not_found: bool,
        try_update: UpdateFn,
    ) -> Result<Object>;

    /// How many objects are stored under a prefix.
    async fn count(&self, key: &str) -> Result<u64>;

    /// The store's newest revision, read from the store itself.
    async fn current_resource_version(&self) -> Result<u64>;
}
