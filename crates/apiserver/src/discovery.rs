//! Discovery documents: the legacy ones (`/api`, `/apis`, `/apis/<group>`,
//! `/.../<version>`) and aggregated discovery (apidiscovery.k8s.io/v2),
//! built from the served resources' registration facts.

use serde_json::{Value, json};

use crate::resource::ResourceDef;

/// One served version of a group and its resources.
#[derive(Debug, Clone)]
pub struct VersionSummary {
    /// The version.
    pub version: String,
    /// Its resources in discovery order.
    pub resources: Vec<ResourceDef>,
}

/// One served group, versions in preference order.
#[derive(Debug, Clone)]
pub struct GroupSummary {
    /// The group name; empty for core.
    pub name: String,
    /// Its versions, preferred first.
    pub versions: Vec<VersionSummary>,
}

fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() { version.to_string() } else { format!("{group}/{version}") }
}

/// `/api`: the core group's versions.
pub fn api_versions(core: &GroupSummary) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": core.versions.iter().map(|v| v.version.clone()).collect::<Vec<_>>(),
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}],
    })
}

/// `/api/v1` or `/apis/<group>/<version>`: an APIResourceList.
pub fn resource_list(group: &str, version: &VersionSummary) -> Value {
    let resources: Vec<Value> = version.resources.iter().flat_map(ResourceDef::discovery_entries).collect();
    let mut list = json!({"kind": "APIResourceList", "groupVersion": group_version(group, &version.version), "resources": resources});
    if !group.is_empty() {
        list["apiVersion"] = json!("v1");
    }
    list
}

fn group_entry(group: &GroupSummary) -> Value {
    let versions: Vec<Value> = group
        .versions
        .iter()
        .map(|v| json!({"groupVersion": group_version(&group.name, &v.version), "version": v.version}))
        .collect();
    json!({"name": group.name, "versions": versions, "preferredVersion": versions.first().cloned().unwrap_or_default()})
}

/// `/apis/<group>`: an APIGroup.
pub fn api_group(group: &GroupSummary) -> Value {
    let mut entry = group_entry(group);
    entry["kind"] = json!("APIGroup");
    entry["apiVersion"] = json!("v1");
    entry
}

/// `/apis`: the APIGroupList of every named group.
pub fn api_group_list(groups: &[GroupSummary]) -> Value {
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups.iter().map(group_entry).collect::<Vec<_>>()})
}

/// Aggregated discovery of the given groups (`/api` gets the core group,
/// `/apis` every other).
pub fn aggregated(groups: &[GroupSummary]) -> Value {
    let items: Vec<Value> = groups
        .iter()
        .map(|group| {
            let mut metadata = json!({"creationTimestamp": null});
            if !group.name.is_empty() {
                metadata["name"] = json!(group.name);
            }
            let versions: Vec<Value> = group
                .versions
                .iter()
                .map(|v| {
                    json!({
                        "version": v.version,
                        "resources": v.resources.iter().map(ResourceDef::aggregated_entry).collect::<Vec<_>>(),
                        "freshness": "Current",
                    })
                })
                .collect();
            json!({"metadata": metadata, "versions": versions})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

/// The Content-Type of an aggregated discovery response.
pub const AGGREGATED_CONTENT_TYPE: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
