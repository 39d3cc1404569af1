//! Upstream's cacheWatcher: one client's view of the cache's event stream,
//! narrowed to its key scope and selectors. Watchers read the cache's
//! broadcast without a task of their own; one that falls behind is closed,
//! never fed a stream with a hole in it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::broadcast;

use super::watch_cache::CacheEvent;
use crate::store::filtered_event_type;
use crate::{EventType, SelectionPredicate, WatchEvent, WatchStream, versioner};

/// Which keys a watcher sees.
#[derive(Debug, Clone)]
pub(crate) enum Scope {
    /// Every key under this prefix.
    Prefix(String),
    /// Exactly this key.
    Key(String),
}

impl Scope {
    pub(crate) fn contains(&self, key: &str) -> bool {
        match self {
            Scope::Prefix(prefix) => key.starts_with(prefix.as_str()),
            Scope::Key(k) => key == k,
        }
    }
}

/// What a watcher filters by.
#[derive(Debug, Clone)]
pub(crate) struct WatchFilter {
    pub(crate) scope: Scope,
    pub(crate) predicate: SelectionPredicate,
}

impl WatchFilter {
    /// The event this watcher sees for a cache event, if any: the shared one
    /// when the selector does not change it.
    pub(crate) fn convert(&self, event: &CacheEvent) -> Option<Arc<WatchEvent>> {
        if !self.scope.contains(&event.key) {
            return None;
        }
        if self.predicate.is_everything() {
            return Some(event.event.clone());
        }
        let attrs = event.attrs.as_deref();
        let shared = &event.event;
        match shared.event_type {
            EventType::Added | EventType::Deleted => {
                attrs.filter(|a| self.predicate.matches(a)).map(|_| shared.clone())
            }
            EventType::Modified => {
                let old = event.prev.as_ref().map(|p| p.attrs.as_ref());
                match filtered_event_type(&self.predicate, old, attrs)? {
                    EventType::Modified => Some(shared.clone()),
                    EventType::Added => Some(Arc::new(WatchEvent::new(
                        EventType::Added,
                        shared.object.clone(),
                        shared.resource_version,
                    ))),
                    _ => {
                        let prev = event.prev.as_ref()?;
                        let data = versioner::stamp(&prev.object.data, shared.resource_version).ok()?;
                        Some(Arc::new(WatchEvent::new(EventType::Deleted, data, shared.resource_version)))
                    }
                }
            }
            EventType::Bookmark => None,
        }
    }
}

struct LiveState {
    live: broadcast::Receiver<Arc<CacheEvent>>,
    filter: WatchFilter,
    after: u64,
    bookmarks: Option<Duration>,
    last_bookmark: Instant,
}

/// The watcher's stream: `initial` first, then live events after `after`,
/// with bookmarks at most every `bookmarks` interval (if the client allows
/// them). The stream ends if the watcher lags behind the broadcast.
pub(crate) fn stream(
    initial: Vec<Arc<WatchEvent>>,
    live: broadcast::Receiver<Arc<CacheEvent>>,
    filter: WatchFilter,
    after: u64,
    bookmarks: Option<Duration>,
) -> WatchStream {
    let state = LiveState { live, filter, after, bookmarks, last_bookmark: Instant::now() };
    let live = futures::stream::unfold(state, |mut state| async move {
        loop {
            let event = match state.live.recv().await {
                Ok(event) => event,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "closing a watcher that fell behind");
                    return None;
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            let revision = event.event.resource_version;
            if event.event.event_type == EventType::Bookmark {
                match state.bookmarks {
                    Some(every) if revision >= state.after && state.last_bookmark.elapsed() >= every => {
                        state.last_bookmark = Instant::now();
                        state.after = revision;
                        return Some((Ok(event.event.clone()), state));
                    }
                    _ => continue,
                }
            }
            if revision <= state.after {
                continue;
            }
            if let Some(out) = state.filter.convert(&event) {
                state.after = revision;
                return Some((Ok(out), state));
            }
        }
    });
    Box::pin(futures::stream::iter(initial.into_iter().map(Ok)).chain(live))
}
