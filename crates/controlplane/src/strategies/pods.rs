//! Pods: defaults and validation of the pod spec (shared with pod
//! templates), status on create, graceful deletion of bound pods, the field
//! selectors upstream supports, and NAME READY STATUS RESTARTS AGE.

use apimachinery::field::FieldError;
use apiserver::registry::Strategy;
use apiserver::registry::table::{Column, Columns, TableConvertor};
use serde_json::{Value, json};

use super::{default_field, text};

/// Applies upstream's defaults to a pod spec (also inside templates).
pub fn default_pod_spec(spec: &mut Value) {
    default_field(spec, "restartPolicy", json!("Always"));
    default_field(spec, "terminationGracePeriodSeconds", json!(30));
    default_field(spec, "dnsPolicy", json!("ClusterFirst"));
    default_field(spec, "securityContext", json!({}));
    default_field(spec, "schedulerName", json!("default-scheduler"));
    default_field(spec, "enableServiceLinks", json!(true));
    for list in ["containers", "initContainers"] {
        if let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) {
            for container in containers {
                let image = text(container, &["image"]).to_string();
                let tag_is_latest =
                    image.rsplit('/').next().is_none_or(|last| !last.contains(':') || last.ends_with(":latest"))
                        && !image.contains('@');
                default_field(
                    container,
                    "imagePullPolicy",
                    json!(if tag_is_latest { "Always" } else { "IfNotPresent" }),
                );
                default_field(container, "terminationMessagePath", json!("/dev/termination-log"));
                default_field(container, "terminationMessagePolicy", json!("File"));
                default_field(container, "resources", json!({}));
                if let Some(ports) = container.get_mut("ports").and_then(Value::as_array_mut) {
                    for port in ports {
                        default_field(port, "protocol", json!("TCP"));
                    }
                }
            }
        }
    }
}

/// Validates a pod spec at `path` (`spec` or `spec.template.spec`).
pub fn validate_pod_spec(spec: &Value, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let containers = spec["containers"].as_array();
    if containers.is_none_or(Vec::is_empty) {
        errors.push(FieldError::required(format!("{path}.containers"), ""));
    }
    let mut names = Vec::new();
    for list in ["initContainers", "containers"] {
        for (i, container) in spec[list].as_array().into_iter().flatten().enumerate() {
            let at = format!("{path}.{list}[{i}]");
            let name = text(container, &["name"]);
            if name.is_empty() {
                errors.push(FieldError::required(format!("{at}.name"), ""));
            } else {
                for message in apimachinery::validation::dns1123_label(name) {
                    errors.push(FieldError::invalid(format!("{at}.name"), json!(name), message));
                }
                if names.contains(&name) {
                    errors.push(FieldError::duplicate(format!("{at}.name"), json!(name)));
                }
                names.push(name);
            }
            if text(container, &["image"]).trim().is_empty() {
                errors.push(FieldError::required(format!("{at}.image"), ""));
            }
            let policy = text(container, &["imagePullPolicy"]);
            if !policy.is_empty() && !["Always", "IfNotPresent", "Never"].contains(&policy) {
                errors.push(FieldError::not_supported(
                    format!("{at}.imagePullPolicy"),
                    json!(policy),
                    &["Always", "IfNotPresent", "Never"],
                ));
            }
            for (j, port) in container["ports"].as_array().into_iter().flatten().enumerate() {
                let number = port["containerPort"].as_i64().unwrap_or(0);
                if !(1..=65535).contains(&number) {
                    errors.push(FieldError::invalid(
                        format!("{at}.ports[{j}].containerPort"),
                        port["containerPort"].clone(),
                        "must be between 1 and 65535, inclusive",
                    ));
                }
            }
        }
    }
    let restart = text(spec, &["restartPolicy"]);
    if !restart.is_empty() && !["Always", "OnFailure", "Never"].contains(&restart) {
        errors.push(FieldError::not_supported(
            format!("{path}.restartPolicy"),
            json!(restart),
            &["Always", "OnFailure", "Never"],
        ));
    }
    let dns = text(spec, &["dnsPolicy"]);
    if !dns.is_empty() && !["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"].contains(&dns) {
        errors.push(FieldError::not_supported(
            format!("{path}.dnsPolicy"),
            json!(dns),
            &["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"],
        ));
    }
    errors
}

fn ready_and_restarts(pod: &Value) -> (String, i64, String) {
    let total = pod["spec"]["containers"].as_array().map_or(0, Vec::len);
    let statuses = pod["status"]["containerStatuses"].as_array();
    let ready = statuses.into_iter().flatten().filter(|s| s["ready"] == json!(true)).count();
    let restarts = statuses.into_iter().flatten().map(|s| s["restartCount"].as_i64().unwrap_or(0)).sum();
    let mut reason = text(pod, &["status", "reason"]).to_string();
    if reason.is_empty() {
        reason = text(pod, &["status", "phase"]).to_string();
    }
    for status in statuses.into_iter().flatten() {
        let waiting = text(status, &["state", "waiting", "reason"]);
        let terminated = text(status, &["state", "terminated", "reason"]);
        if !waiting.is_empty() {
            reason = waiting.to_string();
        } else if !terminated.is_empty() {
            reason = terminated.to_string();
        }
    }
    if !pod["metadata"]["deletionTimestamp"].is_null() {
        reason = "Terminating".into();
    }
    (format!("{ready}/{total}"), restarts, reason)
}

fn pod_cells(pod: &Value) -> Vec<Value> {
    let (ready, restarts, status) = ready_and_restarts(pod);
    let ip = text(pod, &["status", "podIP"]);
    let node = text(pod, &["spec", "nodeName"]);
    let nominated = text(pod, &["status", "nominatedNodeName"]);
    let or_none = |s: &str| if s.is_empty() { "<none>".to_string() } else { s.to_string() };
    vec![
        json!(ready),
        json!(status),
        json!(restarts),
        json!(or_none(ip)),
        json!(or_none(node)),
        json!(or_none(nominated)),
        json!("<none>"),
    ]
}

/// The pod strategy.
pub struct PodStrategy {
    table: Columns<fn(&Value) -> Vec<Value>>,
    eviction: std::sync::Arc<std::sync::OnceLock<crate::eviction::Eviction>>,
}

impl PodStrategy {
    /// A strategy whose evictions go through `eviction` once it is set.
    pub fn new(eviction: std::sync::Arc<std::sync::OnceLock<crate::eviction::Eviction>>) -> Self {
        PodStrategy {
            eviction,
            table: Columns {
                columns: vec![
                    Column::new("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
                    Column::new("Status", "string", "The aggregate status of the containers in this pod."),
                    Column::new(
                        "Restarts",
                        "string",
                        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
                    ),
                    Column::wide(
                        "IP",
                        "string",
                        "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
                    ),
                    Column::wide("Node", "string", "NodeName is a request to schedule this pod onto a specific node."),
                    Column::wide(
                        "Nominated Node",
                        "string",
                        "nominatedNodeName is set only when this pod preempts other pods on the node.",
                    ),
                    Column::wide(
                        "Readiness Gates",
                        "string",
                        "If specified, all readiness gates will be evaluated for pod readiness.",
                    ),
                ],
                cells: pod_cells,
            },
        }
    }
}

#[async_trait::async_trait]
impl Strategy for PodStrategy {
    async fn create_subresource(
        &self,
        ctx: &apiserver::registry::Context,
        subresource: &str,
        pod: &Value,
        eviction: Value,
    ) -> Option<Result<Value, apimachinery::ApiError>> {
        if subresource != "eviction" {
            return None;
        }
        let evictor = self.eviction.get()?;
        Some(evictor.evict(ctx, pod, &eviction).await)
    }

    fn update_part(&self, subresource: &str, new: &Value, current: &Value) -> Result<Value, Vec<FieldError>> {
        match subresource {
            "ephemeralcontainers" => super::pod_subresources::update_ephemeral_containers(new, current),
            _ => super::pod_subresources::resize(new, current),
        }
    }

    async fn connect(
        &self,
        subresource: &str,
        pod: &Value,
        query: &apiserver::endpoints::Query,
    ) -> Option<Result<apiserver::registry::Connected, apimachinery::ApiError>> {
        Some(super::pod_subresources::connect(subresource, pod, query))
    }

    fn prepare_for_create(&self, object: &mut Value) {
        if let Some(spec) = object.get_mut("spec") {
            default_pod_spec(spec);
        }
        object["status"] = json!({"phase": "Pending", "qosClass": qos_class(&object["spec"])});
    }

    fn prepare_for_update(&self, new: &mut Value, _old: &Value) {
        if let Some(spec) = new.get_mut("spec") {
            default_pod_spec(spec);
        }
    }

    fn validate(&self, object: &Value) -> Vec<FieldError> {
        validate_pod_spec(&object["spec"], "spec")
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = self.validate(new);
        let mut mutable_view = new["spec"].clone();
        if let (Some(new_containers), Some(old_containers)) =
            (mutable_view["containers"].as_array_mut(), old["spec"]["containers"].as_array())
        {
            for (container, previous) in new_containers.iter_mut().zip(old_containers) {
                container["image"] = previous["image"].clone();
            }
        }
        for field in ["activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds", "schedulingGates"] {
            match (old["spec"].get(field), mutable_view.as_object_mut()) {
                (Some(value), Some(view)) => {
                    view.insert(field.to_string(), value.clone());
                }
                (None, Some(view)) => {
                    view.remove(field);
                }
                _ => {}
            }
        }
        let mut old_view = old["spec"].clone();
        if old_view["nodeName"].as_str().is_none_or(str::is_empty)
            && let (Some(node), Some(view)) = (mutable_view.get("nodeName").cloned(), old_view.as_object_mut())
        {
            view.insert("nodeName".into(), node);
        }
        if mutable_view != old_view {
            errors.push(FieldError::forbidden(
                "spec",
                "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
            ));
        }
        errors
    }

    fn selectable_fields(&self, pod: &Value) -> Vec<(String, String)> {
        let host_network = pod["spec"]["hostNetwork"].as_bool().unwrap_or(false);
        [
            ("spec.nodeName", text(pod, &["spec", "nodeName"]).to_string()),
            ("spec.restartPolicy", text(pod, &["spec", "restartPolicy"]).to_string()),
            ("spec.schedulerName", text(pod, &["spec", "schedulerName"]).to_string()),
            ("spec.serviceAccountName", text(pod, &["spec", "serviceAccountName"]).to_string()),
            ("spec.hostNetwork", host_network.to_string()),
            ("status.phase", text(pod, &["status", "phase"]).to_string()),
            ("status.podIP", text(pod, &["status", "podIP"]).to_string()),
            ("status.nominatedNodeName", text(pod, &["status", "nominatedNodeName"]).to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn table(&self) -> &dyn TableConvertor {
        &self.table
    }

    fn grace_period(&self, pod: &Value, requested: Option<i64>) -> Option<i64> {
        if text(pod, &["spec", "nodeName"]).is_empty() {
            return None;
        }
        requested.or(pod["spec"]["terminationGracePeriodSeconds"].as_i64()).or(Some(30))
    }

    fn return_deleted_object(&self) -> bool {
        true
    }
}

/// The pod's QoS class from its containers' requests and limits.
pub(super) fn qos_class(spec: &Value) -> &'static str {
    let containers: Vec<&Value> = spec["containers"].as_array().into_iter().flatten().collect();
    let has = |c: &Value, kind: &str| c["resources"][kind].as_object().is_some_and(|m| !m.is_empty());
    if containers.iter().all(|c| !has(c, "requests") && !has(c, "limits")) {
        return "BestEffort";
    }
    let guaranteed = containers.iter().all(|c| {
        let limits = &c["resources"]["limits"];
        let requests = &c["resources"]["requests"];
        ["cpu", "memory"]
            .iter()
            .all(|r| !limits[*r].is_null() && (requests[*r].is_null() || requests[*r] == limits[*r]))
    });
    if guaranteed { "Guaranteed" } else { "Burstable" }
}
