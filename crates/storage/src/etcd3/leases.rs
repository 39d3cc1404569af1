//! Leases for keys with a TTL, shared between writes as upstream shares
//! them: a lease granted for a TTL is reused for other keys with that TTL
//! for 5% of the TTL (at most a minute), and granted that much longer, so
//! that an events-heavy cluster does not grant a lease per write.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::EtcdBackend;
use crate::Result;

/// The longest one lease is handed out for the same TTL.
const MAX_REUSE: Duration = Duration::from_secs(60);

/// The leases currently handed out, by TTL.
#[derive(Clone, Default)]
pub(super) struct LeaseManager {
    leases: Arc<Mutex<HashMap<u64, (i64, Instant)>>>,
}

impl LeaseManager {
    /// A lease that keeps a key for at least `ttl` seconds.
    pub(super) async fn lease_for(&self, etcd: &EtcdBackend, ttl: u64) -> Result<i64> {
        let reuse = Duration::from_millis(ttl.saturating_mul(50)).min(MAX_REUSE);
        let mut leases = self.leases.lock().await;
        if let Some((id, granted)) = leases.get(&ttl)
            && granted.elapsed() < reuse
        {
            return Ok(*id);
        }
        let id = etcd.grant_lease((ttl + reuse.as_secs()) as i64).await?;
        leases.insert(ttl, (id, Instant::now()));
        Ok(id)
    }
}
