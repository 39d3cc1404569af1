//! Nodes, Events and Leases.

use apiserver::registry::Strategy;
use apiserver::registry::table::{Column, Columns, Printer, TableConvertor};
use serde_json::{Value, json};

use super::text;

type Cells = Columns<fn(&Value) -> Vec<Value>>;

fn node_status(node: &Value) -> Value {
    let ready = node["status"]["conditions"].as_array().into_iter().flatten().find(|c| c["type"] == "Ready");
    let mut status = match ready.map(|c| text(c, &["status"])) {
        Some("True") => "Ready".to_string(),
        Some(_) => "NotReady".to_string(),
        None => "Unknown".to_string(),
    };
    if node["spec"]["unschedulable"] == json!(true) {
        status.push_str(",SchedulingDisabled");
    }
    json!(status)
}

fn node_roles(node: &Value) -> Value {
    let roles: Vec<String> = node["metadata"]["labels"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/").map(str::to_string))
        .collect();
    json!(if roles.is_empty() { "<none>".to_string() } else { roles.join(",") })
}

fn node_address(node: &Value, kind: &str) -> Value {
    let address = node["status"]["addresses"].as_array().into_iter().flatten().find(|a| a["type"] == kind);
    json!(address.map_or("<none>", |a| text(a, &["address"])))
}

/// Nodes: NAME STATUS ROLES AGE VERSION (wide: INTERNAL-IP EXTERNAL-IP
/// OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME).
pub struct NodeStrategy(Printer);

impl Default for NodeStrategy {
    fn default() -> Self {
        let info = |o: &Value, field: &str| json!(text(&o["status"]["nodeInfo"], &[field]));
        NodeStrategy(
            Printer::new()
                .add("Status", "The status of the node", node_status)
                .add("Roles", "The roles of the node", node_roles)
                .age()
                .add("Version", "Kubelet Version reported by the node.", move |o| info(o, "kubeletVersion"))
                .wide("Internal-IP", "List of addresses reachable to the node.", |o| node_address(o, "InternalIP"))
                .wide("External-IP", "List of addresses reachable to the node.", |o| node_address(o, "ExternalIP"))
                .wide("OS-Image", "OS Image reported by the node from /etc/os-release.", move |o| info(o, "osImage"))
                .wide("Kernel-Version", "Kernel Version reported by the node from 'uname -r'.", move |o| {
                    info(o, "kernelVersion")
                })
                .wide("Container-Runtime", "ContainerRuntime Version reported by the node.", move |o| {
                    info(o, "containerRuntimeVersion")
                }),
        )
    }
}

#[async_trait::async_trait]
impl Strategy for NodeStrategy {
    async fn connect(
        &self,
        _subresource: &str,
        node: &Value,
        _query: &apiserver::endpoints::Query,
    ) -> Option<Result<apiserver::registry::Connected, apimachinery::ApiError>> {
        Some(Err(super::pod_subresources::no_kubelet(text(node, &["metadata", "name"]))))
    }

    fn selectable_fields(&self, node: &Value) -> Vec<(String, String)> {
        vec![("spec.unschedulable".into(), node["spec"]["unschedulable"].as_bool().unwrap_or(false).to_string())]
    }

    fn table(&self) -> &dyn TableConvertor {
        &self.0
    }
}

/// Events: TTL'd, with upstream's involvedObject field selectors.
pub struct EventStrategy {
    ttl_seconds: u64,
}

impl EventStrategy {
    /// Events that expire `ttl_seconds` after their last write.
    pub fn new(ttl_seconds: u64) -> Self {
        EventStrategy { ttl_seconds }
    }
}

/// Upstream's event columns: LAST SEEN TYPE REASON OBJECT MESSAGE, and
/// SUBOBJECT SOURCE FIRST SEEN COUNT NAME with `-o wide`. Unlike other kinds
/// the name is not first.
struct EventTable;

fn since(event: &Value, fields: &[&str]) -> String {
    for field in fields {
        if let Some(time) = event[*field].as_str() {
            let at = serde_json::json!({"metadata": {"creationTimestamp": time}});
            return apiserver::registry::table::age(&at);
        }
    }
    "<unknown>".into()
}

impl TableConvertor for EventTable {
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("Last Seen", "string", "Time when last this event was observed."),
            Column::new(
                "Type",
                "string",
                "Type of this event (Normal, Warning), new types could be added in the future.",
            ),
            Column::new(
                "Reason",
                "string",
                "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
            ),
            Column::new("Object", "string", "The object that this event is about."),
            Column::wide("Subobject", "string", "The subobject that this event is about."),
            Column::wide(
                "Source",
                "string",
                "The component reporting this event. Should be a short machine understandable string.",
            ),
            Column::new("Message", "string", "A human-readable description of the status of this operation."),
            Column::wide("First Seen", "string", "The time at which the event was first recorded."),
            Column::wide("Count", "string", "The number of times this event has occurred."),
            Column { priority: 1, ..apiserver::registry::table::NAME },
        ]
    }

    fn cells(&self, event: &Value) -> Vec<Value> {
        let object = format!(
            "{}/{}",
            text(event, &["involvedObject", "kind"]).to_lowercase(),
            text(event, &["involvedObject", "name"])
        );
        let mut source = text(event, &["source", "component"]).to_string();
        let host = text(event, &["source", "host"]);
        if !host.is_empty() {
            source = format!("{source}, {host}");
        }
        let count = event["count"].as_i64().unwrap_or(1);
        vec![
            json!(since(event, &["lastTimestamp", "eventTime"])),
            json!(text(event, &["type"])),
            json!(text(event, &["reason"])),
            json!(object),
            json!(text(event, &["involvedObject", "fieldPath"])),
            json!(source),
            json!(text(event, &["message"])),
            json!(since(event, &["firstTimestamp", "eventTime"])),
            json!(count),
            json!(text(event, &["metadata", "name"])),
        ]
    }
}

impl Strategy for EventStrategy {
    fn ttl_seconds(&self) -> Option<u64> {
        Some(self.ttl_seconds)
    }

    fn selectable_fields(&self, event: &Value) -> Vec<(String, String)> {
        let mut fields: Vec<(String, String)> =
            ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"]
                .iter()
                .map(|f| (format!("involvedObject.{f}"), text(event, &["involvedObject", f]).to_string()))
                .collect();
        fields.push(("reason".into(), text(event, &["reason"]).to_string()));
        fields.push(("reportingComponent".into(), text(event, &["reportingComponent"]).to_string()));
        fields.push(("source".into(), text(event, &["source", "component"]).to_string()));
        fields.push(("type".into(), text(event, &["type"]).to_string()));
        fields
    }

    fn table(&self) -> &dyn TableConvertor {
        &EventTable
    }
}

/// Leases: NAME HOLDER AGE.
pub struct LeaseStrategy(Cells);

impl Default for LeaseStrategy {
    fn default() -> Self {
        LeaseStrategy(Columns {
            columns: vec![Column::new("Holder", "string", "The holder of the lease")],
            cells: |lease| vec![json!(text(lease, &["spec", "holderIdentity"]))],
        })
    }
}

impl Strategy for LeaseStrategy {
    fn table(&self) -> &dyn TableConvertor {
        &self.0
    }
}
