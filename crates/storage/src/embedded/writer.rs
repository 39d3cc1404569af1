//! The single writer of the embedded store. Writers from every task queue
//! their requests; the writer thread takes all that are waiting, applies them
//! in one redb transaction with consecutive revisions, and commits with one
//! fsync (group commit). Only then are the writers answered and the changes
//! published to watches, so an acknowledged write is on disk.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, mpsc};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use redb::{ReadableTable, Table, WriteTransaction};
use tokio::sync::oneshot;

use super::Shared;
use super::records::{LEASES, LOG, META, META_COMPACTED, META_REVISION, Record, VERSIONS, db_err, version_at};
use crate::backend::{BackendEvent, KeyValue, WriteOutcome};
use crate::{Result, StorageError};

/// Most requests committed in one transaction.
const MAX_BATCH: usize = 1024;
/// How often expired TTLs are looked for when the store is idle.
const SWEEP_INTERVAL: Duration = Duration::from_millis(500);
/// Most history entries removed per transaction while compacting, so that a
/// long compaction never holds writers back for long.
const COMPACTION_CHUNK: usize = 4096;
/// Most expired keys deleted per transaction.
const EXPIRY_CHUNK: usize = 1024;

/// A request to the writer thread.
pub(super) enum Request {
    Create {
        key: String,
        value: Bytes,
        ttl: Option<u64>,
        reply: oneshot::Sender<Result<WriteOutcome>>,
    },
    Update {
        key: String,
        value: Bytes,
        expected: u64,
        ttl: Option<u64>,
        reply: oneshot::Sender<Result<WriteOutcome>>,
    },
    Delete {
        key: String,
        expected: u64,
        reply: oneshot::Sender<Result<WriteOutcome>>,
    },
    Compact {
        revision: u64,
        reply: oneshot::Sender<Result<()>>,
    },
    /// Publish a progress notification after everything queued before it.
    Progress,
}

enum Reply {
    Write(oneshot::Sender<Result<WriteOutcome>>, WriteOutcome),
    Unit(oneshot::Sender<Result<()>>, Result<()>),
}

impl Reply {
    fn send(self, failure: Option<&StorageError>) {
        match (self, failure) {
            (Reply::Write(tx, _), Some(e)) => drop(tx.send(Err(e.clone()))),
            (Reply::Unit(tx, _), Some(e)) => drop(tx.send(Err(e.clone()))),
            (Reply::Write(tx, outcome), None) => drop(tx.send(Ok(outcome))),
            (Reply::Unit(tx, result), None) => drop(tx.send(result)),
        }
    }
}

/// Runs the writer until every sender is gone.
fn run(shared: Arc<Shared>, requests: Receiver<Request>, mut compacting_from: Option<u64>) {
    loop {
        let wait = if compacting_from.is_some() { Duration::ZERO } else { SWEEP_INTERVAL };
        let mut batch = Vec::new();
        match requests.recv_timeout(wait) {
            Ok(request) => batch.push(request),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        while batch.len() < MAX_BATCH {
            match requests.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        let mut events = Vec::new();
        let mut replies = Vec::new();
        let result = commit(&shared, batch, &mut events, &mut replies, &mut compacting_from);
        if let Err(e) = &result {
            tracing::error!(error = %e, "embedded store: commit failed");
            events.clear();
        }
        let mut last_revision = None;
        for event in events {
            last_revision = Some(event_revision(&event));
            let _ = shared.events.send(Arc::new(event));
        }
        if let Some(revision) = last_revision {
            shared.published.fetch_max(revision, Ordering::SeqCst);
        }
        for reply in replies {
            reply.send(result.as_ref().err());
        }
    }
}

fn event_revision(event: &BackendEvent) -> u64 {
    match event {
        BackendEvent::Put { kv, .. } => kv.mod_revision,
        BackendEvent::Delete { revision, .. } | BackendEvent::Progress { revision } => *revision,
    }
}

fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or_default()
}

struct Tables<'t> {
    versions: Table<'t, (&'static str, u64), &'static [u8]>,
    log: Table<'t, u64, &'static str>,
    leases: Table<'t, (u64, &'static str), u64>,
    revision: u64,
    events: &'t mut Vec<BackendEvent>,
}

impl Tables<'_> {
    fn latest(&self, key: &str) -> Result<Option<KeyValue>> {
        version_at(&self.versions, key, u64::MAX)
    }

    fn write(&mut self, key: &str, record: Record, ttl: Option<u64>) -> Result<u64> {
        self.revision += 1;
        let revision = self.revision;
        self.versions.insert((key, revision), record.encode().as_slice()).map_err(db_err)?;
        self.log.insert(revision, key).map_err(db_err)?;
        if let Some(ttl) = ttl {
            let expiry = unix_ms() + ttl.saturating_mul(1000);
            self.leases.insert((expiry, key), revision).map_err(db_err)?;
        }
        Ok(revision)
    }

    fn put(&mut self, key: &str, value: Bytes, prev: Option<KeyValue>, ttl: Option<u64>) -> Result<WriteOutcome> {
        let create_revision = prev.as_ref().map(|p| p.create_revision);
        let record =
            Record::Put { create_revision: create_revision.unwrap_or(self.revision + 1), value: value.clone() };
        let revision = self.write(key, record, ttl)?;
        let kv = KeyValue {
            key: key.to_string(),
            value,
            create_revision: create_revision.unwrap_or(revision),
            mod_revision: revision,
        };
        self.events.push(BackendEvent::Put { kv: kv.clone(), prev });
        Ok(WriteOutcome::Committed { kv, revision })
    }

    fn delete(&mut self, key: &str, prev: KeyValue) -> Result<WriteOutcome> {
        let revision = self.write(key, Record::Tombstone, None)?;
        self.events.push(BackendEvent::Delete { key: key.to_string(), revision, prev: Some(prev.clone()) });
        Ok(WriteOutcome::Committed { kv: prev, revision })
    }

    fn apply(&mut self, request: Request, compact_to: &mut Option<u64>) -> Result<Option<Reply>> {
        Ok(Some(match request {
            Request::Create { key, value, ttl, reply } => {
                let outcome = match self.latest(&key)? {
                    Some(current) => WriteOutcome::ConditionFailed { current: Some(current) },
                    None => self.put(&key, value, None, ttl)?,
                };
                Reply::Write(reply, outcome)
            }
            Request::Update { key, value, expected, ttl, reply } => {
                let outcome = match self.latest(&key)? {
                    Some(current) if current.mod_revision == expected => self.put(&key, value, Some(current), ttl)?,
                    current => WriteOutcome::ConditionFailed { current },
                };
                Reply::Write(reply, outcome)
            }
            Request::Delete { key, expected, reply } => {
                let outcome = match self.latest(&key)? {
                    Some(current) if current.mod_revision == expected => self.delete(&key, current)?,
                    current => WriteOutcome::ConditionFailed { current },
                };
                Reply::Write(reply, outcome)
            }
            Request::Compact { revision, reply } => {
                let result = if revision > self.revision {
                    Err(StorageError::Backend(format!(
                        "cannot compact to future revision {revision} (current {})",
                        self.revision
                    )))
                } else {
                    *compact_to = Some(compact_to.unwrap_or(0).max(revision));
                    Ok(())
                };
                Reply::Unit(reply, result)
            }
            Request::Progress => {
                self.events.push(BackendEvent::Progress { revision: self.revision });
                return Ok(None);
            }
        }))
    }

    /// Deletes keys whose TTL has passed, unless they were rewritten since.
    fn expire(&mut self) -> Result<()> {
        let now = unix_ms();
        let mut due = Vec::new();
        for entry in self.leases.range((0, "")..(now, "")).map_err(db_err)?.take(EXPIRY_CHUNK) {
            let (k, v) = entry.map_err(db_err)?;
            let (expiry, key) = k.value();
            due.push((expiry, key.to_string(), v.value()));
        }
        for (expiry, key, revision) in due {
            self.leases.remove((expiry, key.as_str())).map_err(db_err)?;
            if let Some(current) = self.latest(&key)?
                && current.mod_revision == revision
            {
                self.delete(&key, current)?;
            }
        }
        Ok(())
    }

    /// Removes one chunk of history below `target`: every version that a
    /// newer version at or below `target` replaces, and tombstones that are
    /// the last word at `target`. Returns where it stopped.
    fn compact_chunk(&mut self, from: u64, target: u64) -> Result<u64> {
        let mut entries = Vec::new();
        for entry in self.log.range(from..target).map_err(db_err)?.take(COMPACTION_CHUNK) {
            let (rev, key) = entry.map_err(db_err)?;
            entries.push((rev.value(), key.value().to_string()));
        }
        let reached =
            if entries.len() < COMPACTION_CHUNK { target } else { entries.last().map_or(target, |e| e.0 + 1) };
        for (rev, key) in entries {
            let superseded =
                self.versions.range((key.as_str(), rev + 1)..=(key.as_str(), target)).map_err(db_err)?.next().is_some();
            let tombstone = match self.versions.get((key.as_str(), rev)).map_err(db_err)? {
                Some(raw) => matches!(Record::decode(raw.value())?, Record::Tombstone),
                None => false,
            };
            if superseded || tombstone {
                self.versions.remove((key.as_str(), rev)).map_err(db_err)?;
            }
            self.log.remove(rev).map_err(db_err)?;
        }
        Ok(reached)
    }
}

fn commit(
    shared: &Shared,
    batch: Vec<Request>,
    events: &mut Vec<BackendEvent>,
    replies: &mut Vec<Reply>,
    compacting_from: &mut Option<u64>,
) -> Result<()> {
    let txn: WriteTransaction = shared.db.begin_write().map_err(db_err)?;
    let mut compact_to = None;
    let compacted_now = {
        let mut meta = txn.open_table(META).map_err(db_err)?;
        let revision = meta.get(META_REVISION).map_err(db_err)?.map(|v| v.value()).unwrap_or(0);
        let compacted = meta.get(META_COMPACTED).map_err(db_err)?.map(|v| v.value()).unwrap_or(0);
        let mut tables = Tables {
            versions: txn.open_table(VERSIONS).map_err(db_err)?,
            log: txn.open_table(LOG).map_err(db_err)?,
            leases: txn.open_table(LEASES).map_err(db_err)?,
            revision,
            events,
        };
        for request in batch {
            if let Some(reply) = tables.apply(request, &mut compact_to)? {
                replies.push(reply);
            }
        }
        tables.expire()?;
        let mut compacted_now = compacted;
        if let Some(target) = compact_to.filter(|t| *t > compacted) {
            meta.insert(META_COMPACTED, target).map_err(db_err)?;
            compacted_now = target;
            compacting_from.get_or_insert(compacted);
        }
        if let Some(from) = *compacting_from {
            let reached = tables.compact_chunk(from, compacted_now)?;
            *compacting_from = (reached < compacted_now).then_some(reached);
        }
        meta.insert(META_REVISION, tables.revision).map_err(db_err)?;
        compacted_now
    };
    txn.commit().map_err(db_err)?;
    shared.compacted.store(compacted_now, Ordering::SeqCst);
    Ok(())
}

/// The handle of the writer thread. When the last one is dropped the thread
/// finishes its batch and is joined, so the database file is closed when the
/// store is.
pub(super) struct Writer {
    requests: Option<mpsc::Sender<Request>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread.
    pub(super) fn start(shared: Arc<Shared>, unfinished_compaction: Option<u64>) -> Result<Writer> {
        let (requests, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("embedded-store-writer".into())
            .spawn(move || run(shared, receiver, unfinished_compaction))
            .map_err(|e| StorageError::Backend(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer { requests: Some(requests), thread: Some(thread) })
    }

    /// Queues a request for the writer thread.
    pub(super) fn submit(&self, request: Request) -> Result<()> {
        let stopped = || StorageError::Backend("embedded store: writer has stopped".into());
        self.requests.as_ref().ok_or_else(stopped)?.send(request).map_err(|_| stopped())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.requests.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
