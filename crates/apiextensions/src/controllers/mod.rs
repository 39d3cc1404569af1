//! The controllers of the APIExtensionsServer, fed by one watch of the
//! CRDs: [`naming`] (NamesAccepted, Established, status.acceptedNames),
//! [`finalizer`] (a deleted CRD's custom resources go first), and the
//! [`CrdHandler`](crate::serving::CrdHandler), which serves what is
//! established.

pub mod finalizer;
pub mod naming;

use std::sync::Arc;

use apiserver::informer::watch_store;
use apiserver::registry::Store;
use storage::EventType;
use tokio::task::JoinHandle;

use crate::serving::CrdHandler;

/// Starts the controllers over the CRD store.
pub fn start(crds: Arc<Store>, handler: Arc<CrdHandler>) -> JoinHandle<()> {
    let naming = Arc::new(naming::NamingController::new(crds.clone()));
    let finalizer = Arc::new(finalizer::FinalizerController::new(crds.clone(), handler.clone()));
    watch_store(crds, "apiextensions-controllers", move |event, crd| {
        let (naming, finalizer, handler) = (naming.clone(), finalizer.clone(), handler.clone());
        async move {
            match event {
                EventType::Added | EventType::Modified => {
                    handler.crd_changed(&crd);
                    naming.crd_changed(&crd).await;
                    finalizer.crd_changed(&crd);
                }
                EventType::Deleted => {
                    handler.crd_deleted(&crd);
                    naming.crd_deleted(&crd);
                }
                _ => {}
            }
        }
    })
}
