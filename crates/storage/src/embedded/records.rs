//! The on-disk layout of the embedded store: redb tables and the encoding of
//! one key version.
//!
//! - `versions`: (key, revision) -> record. Every write adds a version; a
//!   delete adds a tombstone. The newest version at or below a revision is the
//!   key's state at that revision, which is how MVCC reads work.
//! - `log`: revision -> key: which key each revision changed, so that a watch
//!   can replay history in revision order.
//! - `leases`: (expiry in unix ms, key) -> revision of the write that set it.
//! - `meta`: the current and compacted revisions.

use bytes::Bytes;
use redb::TableDefinition;

use crate::StorageError;
use crate::backend::KeyValue;

pub(super) const VERSIONS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("versions");
pub(super) const LOG: TableDefinition<u64, &str> = TableDefinition::new("log");
pub(super) const LEASES: TableDefinition<(u64, &str), u64> = TableDefinition::new("leases");
pub(super) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

pub(super) const META_REVISION: &str = "revision";
pub(super) const META_COMPACTED: &str = "compacted";

const PUT: u8 = 0;
const TOMBSTONE: u8 = 1;
const HEADER: usize = 1 + 8;

/// One version of a key as stored: a value with the revision that created
/// the key, or a tombstone.
#[derive(Debug, Clone)]
pub(super) enum Record {
    Put { create_revision: u64, value: Bytes },
    Tombstone,
}

impl Record {
    pub(super) fn encode(&self) -> Vec<u8> {
        match self {
            Record::Put { create_revision, value } => {
                let mut out = Vec::with_capacity(HEADER + value.len());
                out.push(PUT);
                out.extend_from_slice(&create_revision.to_le_bytes());
                out.extend_from_slice(value);
                out
            }
            Record::Tombstone => vec![TOMBSTONE],
        }
    }

    pub(super) fn decode(raw: &[u8]) -> Result<Record, StorageError> {
        match raw.first() {
            Some(&TOMBSTONE) => Ok(Record::Tombstone),
            Some(&PUT) if raw.len() >= HEADER => {
                let create_revision = u64::from_le_bytes(raw[1..HEADER].try_into().unwrap_or_default());
                Ok(Record::Put { create_revision, value: Bytes::copy_from_slice(&raw[HEADER..]) })
            }
            _ => Err(StorageError::Backend("embedded store: corrupt version record".into())),
        }
    }

    /// The key-value this record describes at `mod_revision`, if it is not a
    /// tombstone.
    pub(super) fn into_kv(self, key: &str, mod_revision: u64) -> Option<KeyValue> {
        match self {
            Record::Put { create_revision, value } => {
                Some(KeyValue { key: key.to_string(), value, create_revision, mod_revision })
            }
            Record::Tombstone => None,
        }
    }
}

/// Maps any redb failure to a backend error.
pub(super) fn db_err(e: impl Into<redb::Error>) -> StorageError {
    StorageError::Backend(format!("embedded store: {}", e.into()))
}

/// The newest version of `key` at or below `revision`, with its revision.
pub(super) fn version_at(
    table: &impl redb::ReadableTable<(&'static str, u64), &'static [u8]>,
    key: &str,
    revision: u64,
) -> Result<Option<KeyValue>, StorageError> {
    let mut range = table.range((key, 0)..=(key, revision)).map_err(db_err)?;
    match range.next_back() {
        Some(entry) => {
            let (k, v) = entry.map_err(db_err)?;
            let mod_revision = k.value().1;
            Ok(Record::decode(v.value())?.into_kv(key, mod_revision))
        }
        None => Ok(None),
    }
}
