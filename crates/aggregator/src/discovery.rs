//! Discovery as the aggregator answers it, ordered by the APIServices:
//! `/apis` lists apiregistration.k8s.io first, then the groups by their
//! highest groupPriorityMinimum (ties by APIService name; aggregated
//! discovery breaks them by group name), each group's versions by
//! versionPriority then kube-aware version order, the first preferred.
//! Local group versions take their resources from the servers behind;
//! remote ones from the discovery document their availability check read.

use std::cmp::Ordering;
use std::collections::HashMap;

use apimachinery::version_priority;
use apiserver::discovery::GroupSummary;
use serde_json::{Value, json};

use crate::apiservice::{is_available, is_remote};

const REGISTRATION_GROUP: &str = "apiregistration.k8s.io";

/// One group version as an APIService describes it.
#[derive(Debug, Clone)]
pub struct ServedVersion {
    /// The version.
    pub version: String,
    group_priority: i64,
    version_priority: i64,
    name: String,
    /// The APIService itself.
    pub apiservice: Value,
}

/// A group and its versions, preferred first.
#[derive(Debug, Clone)]
pub struct ServedGroup {
    /// The group.
    pub name: String,
    /// Its versions.
    pub versions: Vec<ServedVersion>,
}

fn by_version_priority(a: &ServedVersion, b: &ServedVersion) -> Ordering {
    b.version_priority.cmp(&a.version_priority).then_with(|| version_priority::compare(&a.version, &b.version))
}

/// The named groups of the APIServices, in `/apis` order (apiregistration
/// first); `by_group_name` breaks priority ties as aggregated discovery does.
pub fn ordered(apiservices: &[Value], by_group_name: bool) -> Vec<ServedGroup> {
    let mut versions: Vec<ServedVersion> = apiservices
        .iter()
        .filter(|a| a["spec"]["group"].as_str().is_some_and(|g| !g.is_empty()))
        .map(|a| ServedVersion {
            version: a["spec"]["version"].as_str().unwrap_or_default().to_string(),
            group_priority: a["spec"]["groupPriorityMinimum"].as_i64().unwrap_or(0),
            version_priority: a["spec"]["versionPriority"].as_i64().unwrap_or(0),
            name: a["metadata"]["name"].as_str().unwrap_or_default().to_string(),
            apiservice: a.clone(),
        })
        .collect();
    versions.sort_by(|a, b| b.group_priority.cmp(&a.group_priority).then_with(|| a.name.cmp(&b.name)));
    let mut groups: Vec<ServedGroup> = Vec::new();
    for version in versions {
        let group = version.apiservice["spec"]["group"].as_str().unwrap_or_default().to_string();
        match groups.iter_mut().find(|g| g.name == group) {
            Some(existing) => existing.versions.push(version),
            None => groups.push(ServedGroup { name: group, versions: vec![version] }),
        }
    }
    for group in &mut groups {
        group.versions.sort_by(by_version_priority);
    }
    if by_group_name {
        let priority = |g: &ServedGroup| g.versions.iter().map(|v| v.group_priority).max().unwrap_or(0);
        groups.sort_by(|a, b| priority(b).cmp(&priority(a)).then_with(|| a.name.cmp(&b.name)));
    }
    let registration = ServedGroup {
        name: REGISTRATION_GROUP.into(),
        versions: vec![ServedVersion {
            version: "v1".into(),
            group_priority: 20001,
            version_priority: 0,
            name: format!("v1.{REGISTRATION_GROUP}"),
            apiservice: Value::Null,
        }],
    };
    std::iter::once(registration).chain(groups.into_iter().filter(|g| g.name != REGISTRATION_GROUP)).collect()
}

fn group_entry(group: &ServedGroup) -> Value {
    let versions: Vec<Value> = group
        .versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{}/{}", group.name, v.version), "version": v.version}))
        .collect();
    json!({"name": group.name, "versions": versions, "preferredVersion": versions.first().cloned().unwrap_or_default()})
}

/// `/apis`: the APIGroupList.
pub fn group_list(groups: &[ServedGroup]) -> Value {
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups.iter().map(group_entry).collect::<Vec<_>>()})
}

/// `/apis/<group>`: the APIGroup.
pub fn group(group: &ServedGroup) -> Value {
    let mut entry = group_entry(group);
    entry["kind"] = json!("APIGroup");
    entry["apiVersion"] = json!("v1");
    entry
}

/// A remote APIResourceList's resources in aggregated form: subresources
/// (`name/sub`) folded into their resource.
fn aggregated_resources(list: &Value) -> Vec<Value> {
    let resources: Vec<&Value> = list["resources"].as_array().into_iter().flatten().collect();
    let mut entries: Vec<Value> = Vec::new();
    for resource in resources.iter().filter(|r| !r["name"].as_str().unwrap_or_default().contains('/')) {
        let name = resource["name"].as_str().unwrap_or_default();
        let mut entry = json!({
            "resource": name,
            "responseKind": {"group": "", "version": "", "kind": resource["kind"]},
            "scope": if resource["namespaced"] == Value::Bool(true) { "Namespaced" } else { "Cluster" },
            "singularResource": resource["singularName"],
            "verbs": resource["verbs"],
        });
        for field in ["shortNames", "categories"] {
            if resource[field].is_array() {
                entry[field] = resource[field].clone();
            }
        }
        let subresources: Vec<Value> = resources
            .iter()
            .filter_map(|r| {
                let sub = r["name"].as_str()?.strip_prefix(&format!("{name}/"))?;
                Some(json!({
                    "subresource": sub,
                    "responseKind": {"group": r["group"].as_str().unwrap_or_default(), "version": r["version"].as_str().unwrap_or_default(), "kind": r["kind"]},
                    "verbs": r["verbs"],
                }))
            })
            .collect();
        if !subresources.is_empty() {
            entry["subresources"] = json!(subresources);
        }
        entries.push(entry);
    }
    entries
}

/// Aggregated discovery (apidiscovery.k8s.io/v2) of every named group:
/// local versions with the resources of the servers behind, remote ones with
/// the last discovery document read from them (Stale when they are not
/// Available).
pub fn aggregated(groups: &[ServedGroup], local: &[GroupSummary], remote: &HashMap<String, Value>) -> Value {
    let items: Vec<Value> = groups
        .iter()
        .map(|group| {
            let versions: Vec<Value> = group
                .versions
                .iter()
                .filter_map(|v| {
                    let (resources, fresh) = if is_remote(&v.apiservice) {
                        let document = remote.get(&v.name);
                        (document.map(aggregated_resources).unwrap_or_default(), is_available(&v.apiservice))
                    } else {
                        let summary = local.iter().find(|g| g.name == group.name)?;
                        let served = summary.versions.iter().find(|s| s.version == v.version)?;
                        (served.resources.iter().map(|r| r.aggregated_entry()).collect(), true)
                    };
                    Some(json!({
                        "version": v.version,
                        "resources": resources,
                        "freshness": if fresh { "Current" } else { "Stale" },
                    }))
                })
                .collect();
            json!({"metadata": {"name": group.name, "creationTimestamp": null}, "versions": versions})
        })
        .filter(|item| item["versions"].as_array().is_some_and(|v| !v.is_empty()))
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apiservice(group: &str, version: &str, group_priority: i64, version_priority: i64) -> Value {
        json!({"metadata": {"name": format!("{version}.{group}")}, "spec": {"group": group, "version": version,
            "groupPriorityMinimum": group_priority, "versionPriority": version_priority}})
    }

    #[test]
    fn groups_follow_priorities_and_names() {
        let apiservices = [
            apiservice("apiextensions.k8s.io", "v1", 16700, 15),
            apiservice("admissionregistration.k8s.io", "v1", 16700, 15),
            apiservice("apps", "v1", 17800, 15),
            apiservice("stable.example.com", "v1beta1", 1000, 100),
            apiservice("stable.example.com", "v1", 1000, 100),
            apiservice("autoscaling", "v1", 17500, 15),
            apiservice("autoscaling", "v2", 17500, 30),
        ];
        let groups = ordered(&apiservices, false);
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "apiregistration.k8s.io",
                "apps",
                "autoscaling",
                "admissionregistration.k8s.io",
                "apiextensions.k8s.io",
                "stable.example.com"
            ]
        );
        let versions = |name: &str| -> Vec<String> {
            groups.iter().find(|g| g.name == name).unwrap().versions.iter().map(|v| v.version.clone()).collect()
        };
        assert_eq!(versions("autoscaling"), ["v2", "v1"]);
        assert_eq!(versions("stable.example.com"), ["v1", "v1beta1"]);
    }
}
