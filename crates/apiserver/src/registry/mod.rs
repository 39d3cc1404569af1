//! Upstream's generic registry (`k8s.io/apiserver/pkg/registry`): one
//! [`Store`] per resource turns REST verbs into storage calls, applying the
//! kind's [`Strategy`], admission and upstream's metadata rules.

mod errors;
mod store;
pub mod strategy;
pub mod table;

pub use errors::storage_error;
pub use store::{Context, DeleteOptions, DeleteOutcome, Mutation, Propagation, Store, Subresource};
pub use strategy::{Connected, DefaultStrategy, PrintedStrategy, Strategy};
