//! Printers of cluster-wide kinds: quotas, RBAC bindings, certificates,
//! runtime classes, component statuses, flow control and DRA.

use apiserver::registry::table::Printer;
use serde_json::{Value, json};

use super::*;

/// A quota's `name: used/hard` pairs, sorted by resource name, for the
/// resources `wanted` selects.
fn quota_usage(quota: &Value, wanted: impl Fn(&str) -> bool) -> Value {
    let mut names: Vec<&String> =
        quota["status"]["hard"].as_object().into_iter().flatten().map(|(k, _)| k).filter(|k| wanted(k)).collect();
    names.sort();
    let pairs = names.into_iter().map(|name| {
        let hard = quota["status"]["hard"][name].as_str().unwrap_or_default();
        let used = quota["status"]["used"][name].as_str().unwrap_or("0");
        format!("{name}: {used}/{hard}")
    });
    joined(pairs, ", ", "")
}

/// ResourceQuotas: NAME AGE REQUEST LIMIT.
pub fn resource_quotas() -> Printer {
    Printer::new()
        .age()
        .add("Request", "The requests of the quota: used/hard.", |o| quota_usage(o, |k| !k.starts_with("limits.")))
        .add("Limit", "The limits of the quota: used/hard.", |o| quota_usage(o, |k| k.starts_with("limits.")))
}

fn subjects(binding: &Value, kind: &str) -> Value {
    let names = binding["subjects"].as_array().into_iter().flatten().filter(|s| s["kind"] == kind).map(|s| {
        let name = s["name"].as_str().unwrap_or_default();
        match s["namespace"].as_str() {
            Some(namespace) if kind == "ServiceAccount" => format!("{namespace}/{name}"),
            _ => name.to_string(),
        }
    });
    joined(names, ", ", "")
}

/// RoleBindings and ClusterRoleBindings: NAME ROLE AGE (wide: USERS GROUPS
/// SERVICEACCOUNTS).
pub fn role_bindings() -> Printer {
    Printer::new()
        .add("Role", "The role the binding grants.", |o| {
            json!(format!(
                "{}/{}",
                o["roleRef"]["kind"].as_str().unwrap_or_default(),
                o["roleRef"]["name"].as_str().unwrap_or_default()
            ))
        })
        .age()
        .wide("Users", "Users in the binding.", |o| subjects(o, "User"))
        .wide("Groups", "Groups in the binding.", |o| subjects(o, "Group"))
        .wide("ServiceAccounts", "ServiceAccounts in the binding.", |o| subjects(o, "ServiceAccount"))
}

/// CertificateSigningRequests: NAME AGE SIGNERNAME REQUESTOR
/// REQUESTEDDURATION CONDITION.
pub fn certificate_signing_requests() -> Printer {
    Printer::new()
        .age()
        .add("SignerName", "The signer the request is for.", |o| text(o, &["spec", "signerName"]))
        .add("Requestor", "Who made the request.", |o| text(o, &["spec", "username"]))
        .add("RequestedDuration", "The validity the request asks for.", |o| {
            match o["spec"]["expirationSeconds"].as_u64() {
                Some(seconds) => json!(human_duration(std::time::Duration::from_secs(seconds))),
                None => json!("<none>"),
            }
        })
        .add("Condition", "The conditions of the request.", |o| {
            let mut conditions: Vec<String> = o["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["type"].as_str().map(str::to_string))
                .collect();
            if o["status"]["certificate"].as_str().is_some_and(|c| !c.is_empty()) {
                conditions.push("Issued".into());
            }
            joined(conditions, ",", "Pending")
        })
}

/// RuntimeClasses: NAME HANDLER AGE.
pub fn runtime_classes() -> Printer {
    Printer::new().add("Handler", "The CRI handler of the class.", |o| text(o, &["handler"])).age()
}

/// ComponentStatuses: NAME STATUS MESSAGE ERROR.
pub fn component_statuses() -> Printer {
    let condition = |o: &Value, field: &str| {
        o["conditions"].as_array().and_then(|c| c.first()).map_or(json!(""), |c| json!(c[field].as_str().unwrap_or("")))
    };
    Printer::new()
        .add("Status", "Whether the component is healthy.", move |o| {
            let healthy = o["conditions"].as_array().and_then(|c| c.first()).is_some_and(|c| c["status"] == "True");
            json!(if healthy { "Healthy" } else { "Unhealthy" })
        })
        .add("Message", "The component's message.", move |o| condition(o, "message"))
        .add("Error", "The component's error.", move |o| condition(o, "error"))
}

/// FlowSchemas: NAME PRIORITYLEVEL MATCHINGPRECEDENCE DISTINGUISHERMETHOD
/// AGE MISSINGPL.
pub fn flow_schemas() -> Printer {
    Printer::new()
        .add("PriorityLevel", "The priority level the schema maps requests to.", |o| {
            text(o, &["spec", "priorityLevelConfiguration", "name"])
        })
        .add("MatchingPrecedence", "The order in which schemas are matched.", |o| {
            int(o, &["spec", "matchingPrecedence"])
        })
        .add("DistinguisherMethod", "How requests are split into flows.", |o| {
            text_or(o, &["spec", "distinguisherMethod", "type"], "<none>")
        })
        .age()
        .add("MissingPL", "Whether the priority level is missing.", |o| {
            let dangling = o["status"]["conditions"].as_array().into_iter().flatten().find(|c| c["type"] == "Dangling");
            json!(dangling.and_then(|c| c["status"].as_str()).unwrap_or("?"))
        })
}

/// PriorityLevelConfigurations: NAME TYPE NOMINALCONCURRENCYSHARES QUEUES
/// HANDSIZE QUEUELENGTHLIMIT AGE.
pub fn priority_level_configurations() -> Printer {
    let limited = |o: &Value, path: &[&str]| {
        let mut full = vec!["spec", "limited", "limitResponse", "queuing"];
        full.extend_from_slice(path);
        match at(o, &full).as_i64() {
            Some(n) => json!(n.to_string()),
            None => json!("<none>"),
        }
    };
    Printer::new()
        .add("Type", "Exempt or Limited.", |o| text(o, &["spec", "type"]))
        .add("NominalConcurrencyShares", "The level's share of the server's concurrency.", |o| {
            match at(o, &["spec", "limited", "nominalConcurrencyShares"]).as_i64() {
                Some(n) => json!(n.to_string()),
                None => json!("<none>"),
            }
        })
        .add("Queues", "The number of queues.", move |o| limited(o, &["queues"]))
        .add("HandSize", "The number of queues a flow is shuffled into.", move |o| limited(o, &["handSize"]))
        .add("QueueLengthLimit", "The longest a queue may grow.", move |o| limited(o, &["queueLengthLimit"]))
        .age()
}

/// DeviceClasses and ResourceClaimTemplates: NAME AGE.
pub fn name_and_age() -> Printer {
    Printer::new().age()
}

/// ResourceClaims: NAME STATE AGE.
pub fn resource_claims() -> Printer {
    Printer::new()
        .add("State", "Whether the claim is allocated, reserved or deleted.", |o| {
            let mut state = Vec::new();
            if o["metadata"]["deletionTimestamp"].is_string() {
                state.push("deleted".to_string());
            }
            if !o["status"]["allocation"].is_null() {
                state.push("allocated".to_string());
                if o["status"]["reservedFor"].as_array().is_some_and(|r| !r.is_empty()) {
                    state.push("reserved".to_string());
                }
            } else if state.is_empty() {
                state.push("pending".to_string());
            }
            json!(state.join(","))
        })
        .age()
}

/// ResourceSlices: NAME NODE DRIVER POOL AGE.
pub fn resource_slices() -> Printer {
    Printer::new()
        .add("Node", "The node whose devices the slice lists.", |o| text_or(o, &["spec", "nodeName"], "<none>"))
        .add("Driver", "The driver that publishes the slice.", |o| text(o, &["spec", "driver"]))
        .add("Pool", "The pool the slice belongs to.", |o| text(o, &["spec", "pool", "name"]))
        .age()
}

/// Kinds upstream has no printer for: NAME CREATED AT.
pub fn created_at() -> Printer {
    Printer::new().column(
        apiserver::registry::table::Column::new(
            "Created At",
            "date",
            "CreationTimestamp is a timestamp representing the server time when this object was created.",
        ),
        |o| o["metadata"]["creationTimestamp"].clone(),
    )
}
