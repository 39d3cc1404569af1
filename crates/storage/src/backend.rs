//! The key-value store under [`crate::Store`]: an MVCC map from keys to
//! values with one global revision, the shape etcd's v3 API has. Both the
//! embedded store and the etcd3 client implement it, so everything above is
//! written once.

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::mpsc;

use crate::Result;

/// One key at one revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    /// The full key.
    pub key: String,
    /// The stored value.
    pub value: Bytes,
    /// The revision that created the key (since its last deletion).
    pub create_revision: u64,
    /// The revision of the last write to the key.
    pub mod_revision: u64,
}

/// A change seen by a backend watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendEvent {
    /// The key was written; `prev` is its previous value, if it had one that
    /// has not been compacted away.
    Put {
        /// The key after the write.
        kv: KeyValue,
        /// The key before the write.
        prev: Option<KeyValue>,
    },
    /// The key was deleted (or its TTL ran out) at `revision`.
    Delete {
        /// The key.
        key: String,
        /// The revision of the deletion.
        revision: u64,
        /// The key's last value.
        prev: Option<KeyValue>,
    },
    /// Every change up to `revision` has been delivered.
    Progress {
        /// The revision reached.
        revision: u64,
    },
}

/// A page of keys read at one revision.
#[derive(Debug, Clone, Default)]
pub struct RangeResult {
    /// The keys, in order.
    pub kvs: Vec<KeyValue>,
    /// More keys follow the last one returned.
    pub more: bool,
    /// How many keys the whole range holds at that revision.
    pub count: u64,
    /// The revision the range was read at.
    pub revision: u64,
}

/// The outcome of a conditional write.
#[derive(Debug, Clone)]
pub enum WriteOutcome {
    /// The write committed at `revision`; `kv` is the new state (for a
    /// delete, the state that was deleted).
    Committed {
        /// The written or deleted key.
        kv: KeyValue,
        /// The revision of the write.
        revision: u64,
    },
    /// The condition failed; `current` is the key's state at that moment, so
    /// that the caller can retry without another read.
    ConditionFailed {
        /// The current state, if the key exists.
        current: Option<KeyValue>,
    },
}

/// The receiving end of a backend watch.
pub struct BackendWatch {
    /// Events in revision order; an `Err` ends the watch.
    pub events: mpsc::Receiver<Result<BackendEvent>>,
    /// Asks for a [`BackendEvent::Progress`] once every change committed so far
    /// has been delivered (etcd's RequestProgress).
    pub progress: mpsc::UnboundedSender<()>,
}

/// An MVCC key-value store with one global revision.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Reads one key at the latest revision; also returns that revision.
    async fn get(&self, key: &str) -> Result<(Option<KeyValue>, u64)>;

    /// Reads keys in `[start, end)` at `revision` (0 = latest), at most
    /// `limit` of them (0 = all). Expired if the revision was compacted.
    async fn range(&self, start: &str, end: &str, revision: u64, limit: usize) -> Result<RangeResult>;

    /// Counts keys in `[start, end)` at the latest revision.
    async fn count(&self, start: &str, end: &str) -> Result<u64>;

    /// Writes the key only if it does not exist.
    async fn create(&self, key: &str, value: Bytes, ttl_seconds: Option<u64>) -> Result<WriteOutcome>;

    /// Writes the key only if its mod revision is `expected_mod_revision`.
    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected_mod_revision: u64,
        ttl_seconds: Option<u64>,
    ) -> Result<WriteOutcome>;

    /// Deletes the key only if its mod revision is `expected_mod_revision`.
    async fn delete(&self, key: &str, expected_mod_revision: u64) -> Result<WriteOutcome>;

    /// Watches `[start, end)` for every change after revision `after` (0 is
    /// the empty store's revision: all of history). Expired if `after` has
    /// been compacted away.
    async fn watch(&self, start: &str, end: &str, after: u64) -> Result<BackendWatch>;

    /// Forgets history before `revision`: reads and watches older than it
    /// become Expired.
    async fn compact(&self, revision: u64) -> Result<()>;

    /// The latest committed revision.
    async fn current_revision(&self) -> Result<u64>;
}

/// The end of the key range that holds every key starting with `prefix`.
pub fn prefix_end(prefix: &str) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    while let Some(last) = bytes.pop() {
        if last < 0x7f {
            bytes.push(last + 1);
            return String::from_utf8(bytes).unwrap_or_default();
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    #[test]
    fn prefix_end_is_the_next_key_after_the_prefix_range() {
        assert_eq!(super::prefix_end("/registry/pods/"), "/registry/pods0");
        assert_eq!(super::prefix_end("a"), "b");
    }
}
