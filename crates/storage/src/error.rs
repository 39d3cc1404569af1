//! Errors of the storage layer. Each maps to one upstream API status (the
//! REST layer turns them into metav1.Status), so the variants follow
//! upstream's `storage.StorageError` codes.

/// What went wrong in a storage call.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    /// The key does not exist (404 NotFound).
    #[error("key not found: {key}")]
    NotFound {
        /// The key that was looked up.
        key: String,
    },
    /// Create found the key already present (409 AlreadyExists).
    #[error("key exists: {key}")]
    AlreadyExists {
        /// The key that was written.
        key: String,
    },
    /// A UID or resourceVersion precondition did not hold, or an optimistic
    /// write lost a race it was not allowed to retry (409 Conflict).
    #[error("{message}")]
    Conflict {
        /// The key that was written.
        key: String,
        /// Upstream's wording of the failed precondition.
        message: String,
    },
    /// The requested revision has been compacted away (410 Gone, reason
    /// Expired), as in "too old resource version".
    #[error("{message}")]
    Expired {
        /// Upstream's wording, e.g. "too old resource version: 5 (12)".
        message: String,
    },
    /// A read asked for a revision newer than the store has (504 Timeout,
    /// cause ResourceVersionTooLarge).
    #[error("Too large resource version: {requested}, current: {current}")]
    TooLargeResourceVersion {
        /// The revision asked for.
        requested: u64,
        /// The newest revision the store or cache has.
        current: u64,
    },
    /// The request itself is malformed: a bad resourceVersion, continue token
    /// or selector (400 BadRequest).
    #[error("{0}")]
    BadRequest(String),
    /// A stored value is not a valid object.
    #[error("stored object at {key} is corrupt: {message}")]
    Corrupt {
        /// The key whose value failed to decode.
        key: String,
        /// What failed.
        message: String,
    },
    /// An object could not be converted between the version it is stored in
    /// and the version asked for (a custom resource's conversion webhook
    /// failed); upstream answers 500 with the message as it is.
    #[error("{0}")]
    Conversion(String),
    /// The backend failed: I/O, an unreachable etcd, a closed writer.
    #[error("storage backend error: {0}")]
    Backend(String),
}

impl StorageError {
    /// A "too old resource version" error for a read or watch below the
    /// compacted revision, worded as upstream words it.
    pub fn too_old(requested: u64, compacted: u64) -> Self {
        StorageError::Expired { message: format!("too old resource version: {requested} ({compacted})") }
    }

    /// True for NotFound.
    pub fn is_not_found(&self) -> bool {
        matches!(self, StorageError::NotFound { .. })
    }
}

/// The storage layer's result type.
pub type Result<T> = std::result::Result<T, StorageError>;
