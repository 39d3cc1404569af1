//! [`Store`]: upstream's etcd3 `store`, the storage.Interface implemented
//! over any [`Backend`]. It owns the semantics the backends do not know:
//! resourceVersion stamping, preconditions, the GuaranteedUpdate retry loop,
//! paginated lists pinned to one revision, and watch events filtered by
//! selectors.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::backend::{Backend, BackendEvent, BackendWatch, KeyValue, WriteOutcome, prefix_end};
use crate::selection::{Attrs, AttrsFunc};
use crate::{
    EventType, GetOptions, Interface, ListOptions, Object, ObjectList, Preconditions, ResourceVersionMatch, Result,
    SelectionPredicate, StorageError, UpdateFn, WatchEvent, WatchOptions, WatchStream, continue_token, versioner,
};

/// The storage of one resource over a shared backend.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
    resource_prefix: String,
    attrs: AttrsFunc,
}

impl Store {
    /// Storage for the resource whose keys start with `resource_prefix`
    /// (e.g. `/registry/pods/`), with `attrs` extracting what its selectors
    /// need.
    pub fn new(backend: Arc<dyn Backend>, resource_prefix: impl Into<String>, attrs: AttrsFunc) -> Self {
        let mut resource_prefix = resource_prefix.into();
        if !resource_prefix.ends_with('/') {
            resource_prefix.push('/');
        }
        Store { backend, resource_prefix, attrs }
    }

    /// The backend this store writes to.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// The key prefix of the resource, ending in `/`.
    pub fn resource_prefix(&self) -> &str {
        &self.resource_prefix
    }

    /// Extracts the selectable attributes of an encoded object.
    pub fn attrs_of(&self, data: &[u8]) -> Result<Attrs> {
        (self.attrs)(data).map_err(|message| StorageError::Corrupt { key: self.resource_prefix.clone(), message })
    }

    fn decode(&self, kv: &KeyValue, revision: u64) -> Result<Object> {
        let data = versioner::stamp(&kv.value, revision)
            .map_err(|e| StorageError::Corrupt { key: kv.key.clone(), message: e.to_string() })?;
        Ok(Object { data, resource_version: revision })
    }

    /// Reads one key as an object stamped with its revision.
    pub fn decode_kv(&self, kv: &KeyValue) -> Result<Object> {
        self.decode(kv, kv.mod_revision)
    }

    fn check_preconditions(&self, key: &str, current: &KeyValue, preconditions: &Preconditions) -> Result<()> {
        if let Some(rv) = preconditions.resource_version
            && rv != current.mod_revision
        {
            return Err(StorageError::Conflict {
                key: key.to_string(),
                message: format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    current.mod_revision
                ),
            });
        }
        if let Some(uid) = &preconditions.uid {
            let meta = versioner::storage_meta(&current.value)
                .map_err(|e| StorageError::Corrupt { key: key.to_string(), message: e.to_string() })?;
            let actual = meta.uid.unwrap_or_default();
            if *uid != actual {
                return Err(StorageError::Conflict {
                    key: key.to_string(),
                    message: format!("Precondition failed: UID in precondition: {uid}, UID in object meta: {actual}"),
                });
            }
        }
        Ok(())
    }

    fn prepare(data: &[u8]) -> Result<Bytes> {
        versioner::strip(data).map_err(|e| StorageError::BadRequest(e.to_string()))
    }

    /// The revision a list reads at: 0 for "latest", after checking that the
    /// latest satisfies a NotOlderThan request.
    async fn list_revision(&self, opts: &ListOptions) -> Result<(u64, Option<u64>)> {
        let exact = match (opts.resource_version, opts.resource_version_match) {
            (None | Some(0), _) => None,
            (Some(rv), Some(ResourceVersionMatch::Exact)) => Some(rv),
            (Some(rv), None) if opts.limit.unwrap_or(0) > 0 => Some(rv),
            (Some(rv), _) => return Ok((0, Some(rv))),
        };
        Ok((exact.unwrap_or(0), None))
    }

    async fn list_range(&self, prefix: &str, opts: &ListOptions) -> Result<ObjectList> {
        let end = prefix_end(prefix);
        let (mut start, mut revision, minimum) = match &opts.continue_token {
            Some(token) => {
                let (start, rv) = continue_token::decode(&self.resource_prefix, token)?;
                if !start.starts_with(prefix) {
                    return Err(StorageError::BadRequest(
                        "continue key is not valid: key is outside the listed range".into(),
                    ));
                }
                (start, rv, None)
            }
            None => {
                let (revision, minimum) = self.list_revision(opts).await?;
                (prefix.to_string(), revision, minimum)
            }
        };
        let limit = opts.limit.filter(|l| *l > 0);
        let filtering = !opts.predicate.is_everything();
        let batch = match limit {
            Some(l) if filtering => l.max(256),
            Some(l) => l,
            None => 0,
        };
        let mut items = Vec::new();
        loop {
            let page = match self.backend.range(&start, &end, revision, batch).await {
                Err(StorageError::Expired { .. }) if opts.continue_token.is_some() => {
                    return Err(StorageError::Expired { message: continue_token::EXPIRED_MESSAGE.to_string() });
                }
                other => other?,
            };
            if revision == 0 {
                revision = page.revision;
                if let Some(min) = minimum
                    && revision < min
                {
                    return Err(StorageError::TooLargeResourceVersion { requested: min, current: revision });
                }
            }
            let examined = page.kvs.len();
            for (i, kv) in page.kvs.iter().enumerate() {
                if filtering && !opts.predicate.matches(&self.attrs_of(&kv.value)?) {
                    continue;
                }
                items.push(self.decode_kv(kv)?);
                if limit.is_some_and(|l| items.len() >= l) && (page.more || i + 1 < examined) {
                    let remaining = (!filtering).then(|| page.count - (i as u64 + 1));
                    let next = format!("{}\u{0}", kv.key);
                    return Ok(ObjectList {
                        items,
                        resource_version: revision,
                        continue_token: Some(continue_token::encode(&self.resource_prefix, &next, revision)),
                        remaining_item_count: remaining,
                    });
                }
            }
            match page.kvs.last() {
                Some(last) if page.more => start = format!("{}\u{0}", last.key),
                _ => break,
            }
        }
        Ok(ObjectList { items, resource_version: revision, continue_token: None, remaining_item_count: None })
    }

    /// Opens a watch on the backend for one key or a prefix.
    pub async fn backend_watch(&self, key: &str, recursive: bool, after: u64) -> Result<BackendWatch> {
        let end = if recursive { prefix_end(key) } else { format!("{key}\u{0}") };
        self.backend.watch(key, &end, after).await
    }

    fn event_for(&self, event: &BackendEvent, predicate: &SelectionPredicate) -> Result<Option<WatchEvent>> {
        match event {
            BackendEvent::Put { kv, prev } => {
                let new = self.decode_kv(kv)?;
                if predicate.is_everything() {
                    let created = prev.is_none() && kv.create_revision == kv.mod_revision;
                    let kind = if created { EventType::Added } else { EventType::Modified };
                    return Ok(Some(WatchEvent::new(kind, new.data, new.resource_version)));
                }
                let new_attrs = self.attrs_of(&kv.value)?;
                let old_attrs = match prev {
                    Some(prev) => Some(self.attrs_of(&prev.value)?),
                    None if kv.create_revision == kv.mod_revision => None,
                    None => Some(new_attrs.clone()),
                };
                Ok(match filtered_event_type(predicate, old_attrs.as_ref(), Some(&new_attrs)) {
                    Some(EventType::Deleted) => {
                        let old = prev.as_ref().map(|p| self.decode(p, kv.mod_revision)).transpose()?;
                        old.map(|o| WatchEvent::new(EventType::Deleted, o.data, kv.mod_revision))
                    }
                    Some(kind) => Some(WatchEvent::new(kind, new.data, new.resource_version)),
                    None => None,
                })
            }
            BackendEvent::Delete { revision, prev: Some(prev), .. } => {
                if !predicate.is_everything() && !predicate.matches(&self.attrs_of(&prev.value)?) {
                    return Ok(None);
                }
                let old = self.decode(prev, *revision)?;
                Ok(Some(WatchEvent::new(EventType::Deleted, old.data, *revision)))
            }
            BackendEvent::Delete { prev: None, .. } => Ok(None),
            BackendEvent::Progress { revision } => Ok(Some(WatchEvent::bookmark(*revision, false))),
        }
    }
}

/// The event a watcher with `predicate` sees for a change from an object with
/// `old` attributes to one with `new` ones (`None` = absent): an object that
/// starts to match is ADDED, one that stops matching is DELETED.
pub(crate) fn filtered_event_type(
    predicate: &SelectionPredicate,
    old: Option<&Attrs>,
    new: Option<&Attrs>,
) -> Option<EventType> {
    let old_matches = old.is_some_and(|a| predicate.matches(a));
    let new_matches = new.is_some_and(|a| predicate.matches(a));
    match (old_matches, new_matches) {
        (true, true) => Some(EventType::Modified),
        (false, true) => Some(EventType::Added),
        (true, false) => Some(EventType::Deleted),
        (false, false) => None,
    }
}

/// Whether a watch from `resource_version` starts with the current state
/// (upstream: unset or "0" do, unless sendInitialEvents=false; an explicit
/// revision does only with sendInitialEvents=true).
pub(crate) fn wants_initial_events(opts: &WatchOptions) -> bool {
    match opts.send_initial_events {
        Some(send) => send,
        None => matches!(opts.resource_version, None | Some(0)),
    }
}

#[async_trait]
impl Interface for Store {
    async fn create(&self, key: &str, data: Bytes, ttl_seconds: Option<u64>) -> Result<Object> {
        let stored = Self::prepare(&data)?;
        match self.backend.create(key, stored, ttl_seconds).await? {
            WriteOutcome::Committed { kv, revision } => self.decode(&kv, revision),
            WriteOutcome::ConditionFailed { .. } => Err(StorageError::AlreadyExists { key: key.to_string() }),
        }
    }

    async fn delete(&self, key: &str, preconditions: &Preconditions) -> Result<Object> {
        let (mut current, _) = self.backend.get(key).await?;
        loop {
            let Some(kv) = current else {
                return Err(StorageError::NotFound { key: key.to_string() });
            };
            self.check_preconditions(key, &kv, preconditions)?;
            match self.backend.delete(key, kv.mod_revision).await? {
                WriteOutcome::Committed { kv, revision } => return self.decode(&kv, revision),
                WriteOutcome::ConditionFailed { current: now } => current = now,
            }
        }
    }

    async fn watch(&self, key: &str, opts: WatchOptions) -> Result<WatchStream> {
        let (tx, rx) = mpsc::channel(256);
        let mut after = opts.resource_version.unwrap_or(0);
        let mut initial = Vec::new();
        if wants_initial_events(&opts) {
            let list = self
                .get_list(
                    key,
                    &ListOptions {
                        predicate: opts.predicate.clone(),
                        recursive: opts.recursive,
                        resource_version: opts.resource_version.filter(|rv| *rv > 0),
                        ..Default::default()
                    },
                )
                .await?;
            after = list.resource_version;
            initial =
                list.items.into_iter().map(|o| WatchEvent::new(EventType::Added, o.data, o.resource_version)).collect();
            if opts.send_initial_events == Some(true) {
                initial.push(WatchEvent::bookmark(after, true));
            }
        } else if after == 0 {
            after = self.backend.current_revision().await?;
        }
        let mut watch = self.backend_watch(key, opts.recursive, after).await?;
        let store = self.clone();
        tokio::spawn(async move {
            for event in initial {
                if tx.send(Ok(Arc::new(event))).await.is_err() {
                    return;
                }
            }
            while let Some(event) = watch.events.recv().await {
                let out = event.and_then(|e| store.event_for(&e, &opts.predicate));
                let out = match out {
                    Ok(Some(e)) if e.event_type == EventType::Bookmark && !opts.allow_bookmarks => continue,
                    Ok(Some(e)) => Ok(Arc::new(e)),
                    Ok(None) => continue,
                    Err(e) => Err(e),
                };
                let last = out.is_err();
                if tx.send(out).await.is_err() || last {
                    return;
                }
            }
        });
        Ok(Box::pin(ReceiverStream::new(rx)))
    }

    async fn get(&self, key: &str, opts: &GetOptions) -> Result<Option<Object>> {
        let (kv, revision) = self.backend.get(key).await?;
        if let Some(min) = opts.resource_version
            && min > revision
        {
            return Err(StorageError::TooLargeResourceVersion { requested: min, current: revision });
        }
        match kv {
            Some(kv) => Ok(Some(self.decode_kv(&kv)?)),
            None if opts.ignore_not_found => Ok(None),
            None => Err(StorageError::NotFound { key: key.to_string() }),
        }
    }

    async fn get_list(&self, key: &str, opts: &ListOptions) -> Result<ObjectList> {
        if opts.recursive {
            let prefix = if key.ends_with('/') { key.to_string() } else { format!("{key}/") };
            return self.list_range(&prefix, opts).await;
        }
        let (revision, minimum) = self.list_revision(opts).await?;
        let page = self.backend.range(key, &format!("{key}\u{0}"), revision, 1).await?;
        if let Some(min) = minimum
            && page.revision < min
        {
            return Err(StorageError::TooLargeResourceVersion { requested: min, current: page.revision });
        }
        let mut items = Vec::new();
        for kv in &page.kvs {
            if opts.predicate.is_everything() || opts.predicate.matches(&self.attrs_of(&kv.value)?) {
                items.push(self.decode_kv(kv)?);
            }
        }
        Ok(ObjectList { items, resource_version: page.revision, ..Default::default() })
    }

    async fn guaranteed_update(
        &self,
        key: &str,
        preconditions: &Preconditions,
        ignore_not_found: bool,
        mut try_update: UpdateFn,
    ) -> Result<Object> {
        let (mut current, _) = self.backend.get(key).await?;
        loop {
            let existing = match &current {
                Some(kv) => {
                    self.check_preconditions(key, kv, preconditions)?;
                    Some(self.decode_kv(kv)?)
                }
                None if ignore_not_found => None,
                None => return Err(StorageError::NotFound { key: key.to_string() }),
            };
            let update = try_update(existing.clone()).await?;
            let stored = Self::prepare(&update.data)?;
            let outcome = match (&current, existing) {
                (Some(kv), Some(existing)) if kv.value == stored => return Ok(existing),
                (Some(kv), _) => self.backend.update(key, stored, kv.mod_revision, update.ttl_seconds).await?,
                (None, _) => self.backend.create(key, stored, update.ttl_seconds).await?,
            };
            match outcome {
                WriteOutcome::Committed { kv, revision } => return self.decode(&kv, revision),
                WriteOutcome::ConditionFailed { current: now } => current = now,
            }
        }
    }

    async fn count(&self, key: &str) -> Result<u64> {
        let prefix = if key.ends_with('/') { key.to_string() } else { format!("{key}/") };
        self.backend.count(&prefix, &prefix_end(&prefix)).await
    }

    async fn current_resource_version(&self) -> Result<u64> {
        self.backend.current_revision().await
    }
}
