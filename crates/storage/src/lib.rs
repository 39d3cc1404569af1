//! The storage half of the API server, as upstream's
//! `k8s.io/apiserver/pkg/storage`:
//!
//! - [`Interface`] is upstream's `storage.Interface` (Versioner, Create,
//!   Delete, Watch, Get, GetList, GuaranteedUpdate, Count).
//! - [`Store`] implements it over any [`Backend`], an MVCC key-value store
//!   with one global revision: upstream's "UnderlyingStorage".
//! - [`embedded::EmbeddedBackend`] is the default backend (redb on disk,
//!   group-committed writes); [`etcd3::EtcdBackend`] talks to a real etcd.
//! - [`cacher::Cacher`] is upstream's CacherStorage: one backend watch per
//!   resource feeding an in-memory watchCache that serves lists and many
//!   watchers.

pub mod backend;
pub mod cacher;
pub mod compactor;
pub mod continue_token;
pub mod embedded;
mod error;
pub mod etcd3;
mod interface;
pub mod selection;
mod store;
pub mod versioner;

pub use backend::Backend;
pub use error::{Result, StorageError};
pub use interface::*;
pub use selection::{Attrs, AttrsFunc, SelectionPredicate};
pub use store::Store;
