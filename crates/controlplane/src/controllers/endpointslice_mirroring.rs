//! Upstream's endpointslice-mirroring controller: the Endpoints of a
//! Service without a selector (written by hand or by another controller)
//! are mirrored into EndpointSlices, so that everything reading slices —
//! the aggregator's availability checks among them — sees them. A slice per
//! subset and address family, labelled with the Service's name and this
//! controller; gone when the Endpoints go, the Service gains a selector, or
//! the Endpoints are labelled `endpointslice.kubernetes.io/skip-mirror`.

use std::sync::Arc;

use apiserver::registry::{DeleteOptions, Store};
use serde_json::{Value, json};
use storage::{EventType, ListOptions};

use super::{controller_context, watch_store};

const NAME: &str = "endpointslice-mirroring-controller";
const MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
const MIRRORING: &str = "endpointslicemirroring-controller.k8s.io";
const SERVICE_NAME: &str = "kubernetes.io/service-name";

/// Mirrors selector-less Services' Endpoints into EndpointSlices.
pub struct EndpointSliceMirroring {
    /// The Services.
    pub services: Arc<Store>,
    /// Their Endpoints.
    pub endpoints: Arc<Store>,
    /// The EndpointSlices it writes.
    pub slices: Arc<Store>,
}

/// The slices an Endpoints object mirrors to: one per subset and address
/// family, without names (they are generated).
fn mirrored(endpoints: &Value) -> Vec<Value> {
    let name = endpoints["metadata"]["name"].as_str().unwrap_or_default();
    let mut labels = endpoints["metadata"]["labels"].as_object().cloned().unwrap_or_default();
    labels.insert(SERVICE_NAME.into(), json!(name));
    labels.insert(MANAGED_BY.into(), json!(MIRRORING));
    let owner = json!([{"apiVersion": "v1", "kind": "Endpoints", "name": name,
        "uid": endpoints["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true}]);
    let mut slices = Vec::new();
    for subset in endpoints["subsets"].as_array().into_iter().flatten() {
        let ports: Vec<Value> = subset["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let mut port = json!({"name": p["name"].as_str().unwrap_or_default(), "port": p["port"],
                    "protocol": p["protocol"].as_str().unwrap_or("TCP")});
                if let Some(app) = p["appProtocol"].as_str() {
                    port["appProtocol"] = json!(app);
                }
                port
            })
            .collect();
        for family in ["IPv4", "IPv6"] {
            let mut items = Vec::new();
            for (key, ready) in [("addresses", true), ("notReadyAddresses", false)] {
                for address in subset[key].as_array().into_iter().flatten() {
                    let ip = address["ip"].as_str().unwrap_or_default();
                    if ip.contains(':') != (family == "IPv6") {
                        continue;
                    }
                    let mut item = json!({"addresses": [ip], "conditions": {"ready": ready}});
                    for field in ["hostname", "nodeName", "targetRef"] {
                        if !address[field].is_null() {
                            item[field] = address[field].clone();
                        }
                    }
                    items.push(item);
                }
            }
            if items.is_empty() {
                continue;
            }
            slices.push(json!({
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {"generateName": format!("{name}-"), "labels": labels, "ownerReferences": owner},
                "addressType": family,
                "endpoints": items,
                "ports": ports,
            }));
        }
    }
    slices
}

/// What a slice says, for comparing the mirrored ones with what should be.
fn content(slice: &Value) -> Value {
    json!([slice["addressType"], slice["endpoints"], slice["ports"], slice["metadata"]["labels"]])
}

impl EndpointSliceMirroring {
    /// Mirrors now and on every change of an Endpoints or a Service.
    pub fn start(self: &Arc<Self>) {
        for store in [self.endpoints.clone(), self.services.clone()] {
            let this = self.clone();
            watch_store(store, NAME, move |event, object| {
                let this = this.clone();
                async move {
                    let namespace = object["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
                    let name = object["metadata"]["name"].as_str().unwrap_or_default().to_string();
                    if matches!(event, EventType::Added | EventType::Modified | EventType::Deleted) {
                        this.sync(&namespace, &name).await;
                    }
                }
            });
        }
    }

    async fn read(store: &Store, namespace: &str, name: &str) -> Option<Value> {
        let object = store.get(&controller_context(NAME, namespace), name, None).await.ok()?;
        serde_json::from_slice(&object.data).ok()
    }

    /// Makes the mirrored slices of `namespace/name` what its Endpoints say.
    async fn sync(&self, namespace: &str, name: &str) {
        let ctx = controller_context(NAME, namespace);
        let service = Self::read(&self.services, namespace, name).await;
        let endpoints = Self::read(&self.endpoints, namespace, name).await;
        let mirrors = service.as_ref().is_some_and(|s| s["spec"]["selector"].as_object().is_none_or(|m| m.is_empty()));
        let desired = match endpoints
            .filter(|e| mirrors && e["metadata"]["labels"]["endpointslice.kubernetes.io/skip-mirror"] != "true")
        {
            Some(endpoints) => mirrored(&endpoints),
            None => Vec::new(),
        };
        let Ok(list) = self.slices.list(&ctx, ListOptions::default()).await else { return };
        let existing: Vec<Value> = list
            .items
            .iter()
            .filter_map(|item| serde_json::from_slice::<Value>(&item.data).ok())
            .filter(|s| {
                s["metadata"]["labels"][SERVICE_NAME] == name && s["metadata"]["labels"][MANAGED_BY] == MIRRORING
            })
            .collect();
        let mut have: Vec<Value> = existing.iter().map(content).collect();
        let mut want: Vec<Value> = desired.iter().map(content).collect();
        have.sort_by_key(Value::to_string);
        want.sort_by_key(Value::to_string);
        if have == want {
            return;
        }
        for slice in &existing {
            let slice_name = slice["metadata"]["name"].as_str().unwrap_or_default();
            let _ = self.slices.delete(&ctx, slice_name, DeleteOptions::default()).await;
        }
        for slice in desired {
            if let Err(e) = self.slices.create(&ctx, slice).await {
                tracing::warn!(endpoints = %format!("{namespace}/{name}"), error = %e.message, "cannot mirror endpoints");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_subset_and_family_becomes_a_slice() {
        let endpoints = json!({"metadata": {"name": "api", "uid": "u1"}, "subsets": [{
            "addresses": [{"ip": "10.0.0.1", "nodeName": "n1"}, {"ip": "fd00::1"}],
            "notReadyAddresses": [{"ip": "10.0.0.2"}],
            "ports": [{"name": "https", "port": 8443}]}]});
        let slices = mirrored(&endpoints);
        assert_eq!(slices.len(), 2);
        assert_eq!(slices[0]["addressType"], "IPv4");
        assert_eq!(
            slices[0]["endpoints"],
            json!([{"addresses": ["10.0.0.1"], "conditions": {"ready": true}, "nodeName": "n1"},
                {"addresses": ["10.0.0.2"], "conditions": {"ready": false}}])
        );
        assert_eq!(slices[0]["ports"], json!([{"name": "https", "port": 8443, "protocol": "TCP"}]));
        assert_eq!(slices[0]["metadata"]["labels"][SERVICE_NAME], "api");
        assert_eq!(slices[1]["addressType"], "IPv6");
    }
}
