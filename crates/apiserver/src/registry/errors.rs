//! Storage errors as the API errors upstream returns for them.

use apimachinery::{ApiError, GroupResource};
use storage::StorageError;

/// The API error for a storage failure on `name` of `resource`.
pub fn storage_error(error: StorageError, resource: &GroupResource, name: &str) -> ApiError {
    match error {
        StorageError::NotFound { .. } => ApiError::not_found(resource, name),
        StorageError::AlreadyExists { .. } => ApiError::already_exists(resource, name),
        StorageError::Conflict { message, .. } => ApiError::conflict(resource, name, &message),
        StorageError::Expired { message } => ApiError::expired(message),
        StorageError::TooLargeResourceVersion { requested, current } => {
            ApiError::timeout(format!("Too large resource version: {requested}, current: {current}"), 1)
        }
        StorageError::BadRequest(message) => ApiError::bad_request(message),
        StorageError::Conversion(message) => ApiError::conversion_failed(message),
        other => ApiError::internal(other.to_string()),
    }
}
