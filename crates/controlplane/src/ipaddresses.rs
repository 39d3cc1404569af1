//! Cluster IPs claimed as IPAddress objects (upstream's
//! MultiCIDRServiceAllocator, GA since 1.33): creating `IPAddress/<ip>` is
//! what claims an address, so API servers sharing one etcd never hand out an
//! address twice, and `kubectl get ipaddresses` shows who holds each one.

use std::sync::{Arc, OnceLock};

use apimachinery::ApiError;
use apiserver::authn::UserInfo;
use apiserver::registry::{Context, DeleteOptions, Store};
use serde_json::{Value, json};

/// Why an address could not be claimed.
pub enum ClaimError {
    /// Another Service (perhaps through another API server) holds it.
    Taken,
    /// The store failed.
    Failed(ApiError),
}

/// The IPAddress objects, once installed.
#[derive(Default)]
pub struct AddressClaims {
    addresses: OnceLock<Arc<Store>>,
}

fn context() -> Context {
    Context {
        user: UserInfo {
            username: "system:apiserver".into(),
            groups: vec!["system:masters".into()],
            ..Default::default()
        },
        namespace: String::new(),
        dry_run: false,
    }
}

/// The IPAddress object that records `ip` as held by `service`.
pub fn address_object(ip: &str, service: &Value) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IPAddress",
        "metadata": {
            "name": ip,
            "labels": {
                "ipaddress.kubernetes.io/ip-family": "IPv4",
                "ipaddress.kubernetes.io/managed-by": "ipallocator.k8s.io",
            },
        },
        "spec": {"parentRef": {
            "group": "",
            "resource": "services",
            "namespace": service["metadata"]["namespace"],
            "name": service["metadata"]["name"],
        }},
    })
}

impl AddressClaims {
    /// Gives the claims their store.
    pub fn set_store(&self, addresses: Arc<Store>) {
        let _ = self.addresses.set(addresses);
    }

    /// Claims `ip` for `service`.
    pub async fn claim(&self, ip: &str, service: &Value) -> Result<(), ClaimError> {
        let Some(addresses) = self.addresses.get() else { return Ok(()) };
        match addresses.create(&context(), address_object(ip, service)).await {
            Ok(_) => Ok(()),
            Err(e) if e.code == 409 => Err(ClaimError::Taken),
            Err(e) => Err(ClaimError::Failed(e)),
        }
    }

    /// Gives `ip` back.
    pub async fn release(&self, ip: &str) {
        if let Some(addresses) = self.addresses.get()
            && let Err(e) = addresses.delete(&context(), ip, DeleteOptions::default()).await
            && e.code != 404
        {
            tracing::warn!(ip, error = %e.message, "releasing a cluster IP failed");
        }
    }
}
