//! Watches on the embedded store. A watch first replays history from the
//! `log` table, then follows the writer's live broadcast; if it falls behind
//! the broadcast it goes back to the log, so a watch never skips a revision.

use std::sync::Arc;

use redb::ReadableDatabase;
use tokio::sync::{broadcast, mpsc};

use super::Shared;
use super::records::{LOG, META, META_COMPACTED, META_REVISION, VERSIONS, db_err, version_at};
use super::writer::{Request, Writer};
use crate::backend::BackendEvent;
use crate::{Result, StorageError};

/// Events read from the log per read transaction while replaying.
const REPLAY_CHUNK: usize = 1024;

/// One watch: the key range, where it has got to, and where events go.
pub(super) struct WatchTask {
    pub(super) shared: Arc<Shared>,
    pub(super) writer: Arc<Writer>,
    pub(super) start: String,
    pub(super) end: String,
    pub(super) last: u64,
    pub(super) out: mpsc::Sender<Result<BackendEvent>>,
}

impl WatchTask {
    fn in_range(&self, key: &str) -> bool {
        key >= self.start.as_str() && key < self.end.as_str()
    }

    /// Runs until the receiver is dropped or the watch fails.
    pub(super) async fn run(mut self, mut progress: mpsc::UnboundedReceiver<()>) {
        let mut live = self.shared.events.subscribe();
        let mut progress_open = true;
        loop {
            if self.replay().await.is_err() {
                return;
            }
            loop {
                tokio::select! {
                    received = live.recv() => match received {
                        Ok(event) => if self.deliver_live(&event).await.is_err() { return },
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            live = live.resubscribe();
                            break;
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                    request = progress.recv(), if progress_open => match request {
                        Some(()) => if self.writer.submit(Request::Progress).is_err() { return },
                        None => progress_open = false,
                    },
                    _ = self.out.closed() => return,
                }
            }
        }
    }

    async fn deliver_live(&mut self, event: &BackendEvent) -> std::result::Result<(), ()> {
        let (revision, key) = match event {
            BackendEvent::Put { kv, .. } => (kv.mod_revision, Some(kv.key.as_str())),
            BackendEvent::Delete { key, revision, .. } => (*revision, Some(key.as_str())),
            BackendEvent::Progress { revision } => {
                self.last = self.last.max(*revision);
                let progress = BackendEvent::Progress { revision: self.last };
                return self.out.send(Ok(progress)).await.map_err(drop);
            }
        };
        if revision <= self.last {
            return Ok(());
        }
        self.last = revision;
        if key.is_some_and(|k| self.in_range(k)) {
            self.out.send(Ok(event.clone())).await.map_err(drop)?;
        }
        Ok(())
    }

    /// Sends every logged change after `last` up to the newest committed one.
    async fn replay(&mut self) -> std::result::Result<(), ()> {
        loop {
            let shared = self.shared.clone();
            let (start, end, last) = (self.start.clone(), self.end.clone(), self.last);
            let chunk = tokio::task::spawn_blocking(move || read_log(&shared, &start, &end, last))
                .await
                .unwrap_or_else(|e| Err(StorageError::Backend(format!("embedded store: replay failed: {e}"))));
            let (events, reached, done) = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    let _ = self.out.send(Err(e)).await;
                    return Err(());
                }
            };
            for event in events {
                self.out.send(Ok(event)).await.map_err(drop)?;
            }
            self.last = reached;
            if done {
                return Ok(());
            }
        }
    }
}

/// Reads up to one chunk of logged events after `last` within the range.
/// Returns them, the revision reached, and whether that is the newest one.
fn read_log(shared: &Shared, start: &str, end: &str, last: u64) -> Result<(Vec<BackendEvent>, u64, bool)> {
    let txn = shared.db.begin_read().map_err(db_err)?;
    let meta = txn.open_table(META).map_err(db_err)?;
    let current = meta.get(META_REVISION).map_err(db_err)?.map(|v| v.value()).unwrap_or(0);
    let compacted = meta.get(META_COMPACTED).map_err(db_err)?.map(|v| v.value()).unwrap_or(0);
    if last < current && last + 1 < compacted {
        return Err(StorageError::too_old(last, compacted));
    }
    let log = txn.open_table(LOG).map_err(db_err)?;
    let versions = txn.open_table(VERSIONS).map_err(db_err)?;
    let mut events = Vec::new();
    let mut examined = 0;
    for entry in log.range(last + 1..=current).map_err(db_err)? {
        let (rev, key) = entry.map_err(db_err)?;
        let (rev, key) = (rev.value(), key.value());
        examined += 1;
        if key >= start && key < end {
            let prev = version_at(&versions, key, rev - 1)?;
            events.push(match version_at(&versions, key, rev)? {
                Some(kv) if kv.mod_revision == rev => BackendEvent::Put { kv, prev },
                _ => BackendEvent::Delete { key: key.to_string(), revision: rev, prev },
            });
        }
        if examined >= REPLAY_CHUNK {
            return Ok((events, rev, rev >= current));
        }
    }
    Ok((events, current.max(last), true))
}
