//! Upstream's compactor: every interval (5 minutes by default) the backend
//! is compacted to the revision it had at the previous tick, so a watch or a
//! paginated list can always go back at least one interval.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::Backend;

/// Upstream's default compaction interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(300);

/// Starts compacting `backend` every `interval`. The task stops when the
/// handle is aborted.
pub fn spawn(backend: Arc<dyn Backend>, interval: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.tick().await;
        let mut previous = None;
        loop {
            ticker.tick().await;
            if let Some(revision) = previous
                && let Err(e) = backend.compact(revision).await
            {
                tracing::warn!(revision, error = %e, "compaction failed");
            }
            match backend.current_revision().await {
                Ok(current) => previous = Some(current),
                Err(e) => tracing::warn!(error = %e, "compactor: cannot read the current revision"),
            }
        }
    })
}
