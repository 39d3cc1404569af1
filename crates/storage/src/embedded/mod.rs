//! The embedded backend, ferrokube's default: an MVCC key-value store in one
//! redb file under the data directory, with etcd's model of one global
//! revision, history kept until compaction, and watches that replay it.

mod records;
mod watch;
mod writer;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use redb::{Database, ReadableDatabase, ReadableTable};
use tokio::sync::{broadcast, mpsc, oneshot};

use self::records::{LEASES, LOG, META, META_COMPACTED, META_REVISION, Record, VERSIONS, db_err, version_at};
use self::writer::{Request, Writer};
use crate::backend::{Backend, BackendEvent, BackendWatch, KeyValue, RangeResult, WriteOutcome};
use crate::{Result, StorageError};

/// Live events kept for watches that are behind; a watch further behind
/// goes back to the on-disk log.
const BROADCAST_CAPACITY: usize = 4096;

/// State shared by the writer thread, readers and watches.
struct Shared {
    db: Database,
    events: broadcast::Sender<Arc<BackendEvent>>,
    published: AtomicU64,
    compacted: AtomicU64,
}

/// The embedded MVCC store. Cloning shares the same database.
#[derive(Clone)]
pub struct EmbeddedBackend {
    shared: Arc<Shared>,
    writer: Arc<Writer>,
}

impl EmbeddedBackend {
    /// Opens (or creates) the store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StorageError::Backend(format!("cannot create data dir {}: {e}", data_dir.display())))?;
        let db = Database::create(data_dir.join("ferrokube.redb")).map_err(db_err)?;
        let txn = db.begin_write().map_err(db_err)?;
        let (revision, compacted, first_logged) = {
            let meta = txn.open_table(META).map_err(db_err)?;
            txn.open_table(VERSIONS).map_err(db_err)?;
            txn.open_table(LEASES).map_err(db_err)?;
            let log = txn.open_table(LOG).map_err(db_err)?;
            let read = |name| meta.get(name).map(|v| v.map(|v| v.value()).unwrap_or(0)).map_err(db_err);
            let first = log.first().map_err(db_err)?.map(|(k, _)| k.value());
            (read(META_REVISION)?, read(META_COMPACTED)?, first)
        };
        txn.commit().map_err(db_err)?;
        let (events, _) = broadcast::channel(BROADCAST_CAPACITY);
        let shared =
            Arc::new(Shared { db, events, published: AtomicU64::new(revision), compacted: AtomicU64::new(compacted) });
        let unfinished_compaction = first_logged.filter(|first| *first < compacted);
        let writer = Arc::new(Writer::start(shared.clone(), unfinished_compaction)?);
        Ok(EmbeddedBackend { shared, writer })
    }

    async fn write(
        &self,
        request: impl FnOnce(oneshot::Sender<Result<WriteOutcome>>) -> Request,
    ) -> Result<WriteOutcome> {
        let (tx, rx) = oneshot::channel();
        self.writer.submit(request(tx))?;
        rx.await.map_err(|_| StorageError::Backend("embedded store: writer has stopped".into()))?
    }

    async fn read<T: Send + 'static>(&self, f: impl FnOnce(&Shared) -> Result<T> + Send + 'static) -> Result<T> {
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || f(&shared))
            .await
            .map_err(|e| StorageError::Backend(format!("embedded store: read failed: {e}")))?
    }
}

/// Scans `[start, end)` at `revision`, keeping at most `limit` (0 = all)
/// live keys and counting all of them.
fn scan(shared: &Shared, start: &str, end: &str, revision: u64, limit: usize) -> Result<RangeResult> {
    let txn = shared.db.begin_read().map_err(db_err)?;
    let meta = txn.open_table(META).map_err(db_err)?;
    let current = meta.get(META_REVISION).map_err(db_err)?.map(|v| v.value()).unwrap_or(0);
    let compacted = meta.get(META_COMPACTED).map_err(db_err)?.map(|v| v.value()).unwrap_or(0);
    let at = match revision {
        0 => current,
        r if r < compacted => return Err(StorageError::too_old(r, compacted)),
        r if r > current => return Err(StorageError::TooLargeResourceVersion { requested: r, current }),
        r => r,
    };
    let versions = txn.open_table(VERSIONS).map_err(db_err)?;
    let mut result = RangeResult { revision: at, ..Default::default() };
    let mut pending: Option<(String, u64, Option<Vec<u8>>, bool)> = None;
    let finish = |pending: Option<(String, u64, Option<Vec<u8>>, bool)>, result: &mut RangeResult| -> Result<()> {
        if let Some((key, rev, raw, live)) = pending
            && live
        {
            result.count += 1;
            match raw {
                Some(raw) => result.kvs.extend(Record::decode(&raw)?.into_kv(&key, rev)),
                None => result.more = true,
            }
        }
        Ok(())
    };
    for entry in versions.range((start, 0)..(end, 0)).map_err(db_err)? {
        let (k, v) = entry.map_err(db_err)?;
        let (key, rev) = k.value();
        if rev > at {
            continue;
        }
        if pending.as_ref().is_none_or(|p| p.0 != key) {
            finish(pending.take(), &mut result)?;
        }
        let raw = v.value();
        let live = raw.first() == Some(&0);
        let wanted = limit == 0 || result.kvs.len() < limit;
        pending = Some((key.to_string(), rev, wanted.then(|| raw.to_vec()), live));
    }
    finish(pending.take(), &mut result)?;
    Ok(result)
}

#[async_trait]
impl Backend for EmbeddedBackend {
    async fn get(&self, key: &str) -> Result<(Option<KeyValue>, u64)> {
        let key = key.to_string();
        self.read(move |shared| {
            let txn = shared.db.begin_read().map_err(db_err)?;
            let meta = txn.open_table(META).map_err(db_err)?;
            let current = meta.get(META_REVISION).map_err(db_err)?.map(|v| v.value()).unwrap_or(0);
            let versions = txn.open_table(VERSIONS).map_err(db_err)?;
            Ok((version_at(&versions, &key, u64::MAX)?, current))
        })
        .await
    }

    async fn range(&self, start: &str, end: &str, revision: u64, limit: usize) -> Result<RangeResult> {
        let (start, end) = (start.to_string(), end.to_string());
        self.read(move |shared| scan(shared, &start, &end, revision, limit)).await
    }

    async fn count(&self, start: &str, end: &str) -> Result<u64> {
        let (start, end) = (start.to_string(), end.to_string());
        self.read(move |shared| scan(shared, &start, &end, 0, usize::MAX).map(|r| r.count)).await
    }

    async fn create(&self, key: &str, value: Bytes, ttl_seconds: Option<u64>) -> Result<WriteOutcome> {
        let key = key.to_string();
        self.write(|reply| Request::Create { key, value, ttl: ttl_seconds, reply }).await
    }

    async fn update(&self, key: &str, value: Bytes, expected: u64, ttl_seconds: Option<u64>) -> Result<WriteOutcome> {
        let key = key.to_string();
        self.write(|reply| Request::Update { key, value, expected, ttl: ttl_seconds, reply }).await
    }

    async fn delete(&self, key: &str, expected: u64) -> Result<WriteOutcome> {
        let key = key.to_string();
        self.write(|reply| Request::Delete { key, expected, reply }).await
    }

    async fn watch(&self, start: &str, end: &str, after: u64) -> Result<BackendWatch> {
        let compacted = self.shared.compacted.load(Ordering::SeqCst);
        if after + 1 < compacted {
            return Err(StorageError::too_old(after, compacted));
        }
        let (out, events) = mpsc::channel(1024);
        let (progress, progress_rx) = mpsc::unbounded_channel();
        let task = watch::WatchTask {
            shared: self.shared.clone(),
            writer: self.writer.clone(),
            start: start.to_string(),
            end: end.to_string(),
            last: after,
            out,
        };
        tokio::spawn(task.run(progress_rx));
        Ok(BackendWatch { events, progress })
    }

    async fn compact(&self, revision: u64) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.writer.submit(Request::Compact { revision, reply: tx })?;
        rx.await.map_err(|_| StorageError::Backend("embedded store: writer has stopped".into()))?
    }

    async fn current_revision(&self) -> Result<u64> {
        self.read(|shared| {
            let txn = shared.db.begin_read().map_err(db_err)?;
            let meta = txn.open_table(META).map_err(db_err)?;
            Ok(meta.get(META_REVISION).map_err(db_err)?.map(|v| v.value()).unwrap_or(0))
        })
        .await
    }
}
