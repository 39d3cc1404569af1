//! The API Priority and Fairness configuration upstream creates at start:
//! its mandatory and suggested PriorityLevelConfigurations and FlowSchemas
//! (data in `flowcontrol.yaml`), with the status upstream's configuration
//! controller gives a FlowSchema whose priority level exists.

use std::sync::Arc;

use apiserver::registry::{Store, Subresource};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ensure, find, system_context};

const DEFAULTS: &str = include_str!("flowcontrol.yaml");

#[derive(Deserialize)]
struct Named {
    name: String,
    spec: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Defaults {
    priority_level_configurations: Vec<Named>,
    flow_schemas: Vec<Named>,
}

fn object(kind: &str, named: &Named) -> Value {
    json!({
        "apiVersion": "flowcontrol.apiserver.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": named.name, "annotations": {"apf.kubernetes.io/autoupdate-spec": "true"}},
        "spec": named.spec,
    })
}

/// Creates the default priority levels and flow schemas that are missing.
pub async fn run(stores: &[Arc<Store>]) -> Result<(), String> {
    let defaults: Defaults = serde_yaml::from_str(DEFAULTS).map_err(|e| format!("flowcontrol defaults: {e}"))?;
    let levels = find(stores, "flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations")?;
    let schemas = find(stores, "flowcontrol.apiserver.k8s.io", "flowschemas")?;
    let levels = defaults
        .priority_level_configurations
        .iter()
        .map(|level| async move { ensure(levels, "", object("PriorityLevelConfiguration", level)).await });
    futures::future::try_join_all(levels).await?;
    let schemas = defaults.flow_schemas.iter().map(|schema| async move {
        ensure(schemas, "", object("FlowSchema", schema)).await?;
        mark_found(schemas, schema).await
    });
    futures::future::try_join_all(schemas).await.map(|_| ())
}

/// Sets the Dangling=False condition upstream's controller sets when the
/// referenced priority level exists.
async fn mark_found(schemas: &Arc<Store>, schema: &Named) -> Result<(), String> {
    let level = schema.spec["priorityLevelConfiguration"]["name"].as_str().unwrap_or_default().to_string();
    let condition = json!({
        "type": "Dangling",
        "status": "False",
        "lastTransitionTime": apimachinery::now_rfc3339(),
        "reason": "Found",
        "message": format!("This FlowSchema references the PriorityLevelConfiguration object named {level:?} and it exists"),
    });
    let set = Arc::new(move |current: &Value| {
        let mut updated = current.clone();
        let dangling =
            current["status"]["conditions"].as_array().into_iter().flatten().any(|c| c["type"] == "Dangling");
        if !dangling {
            updated["status"] = json!({"conditions": [condition.clone()]});
        }
        Ok(updated)
    });
    schemas
        .update(&system_context(""), &schema.name, set, Subresource::Status)
        .await
        .map(|_| ())
        .map_err(|e| format!("bootstrap: {}", e.message))
}
