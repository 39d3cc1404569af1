//! The pod subresources that change one part of a pod
//! (pods/ephemeralcontainers, pods/resize) and the connecters that reach the
//! pod's node (pods/log, exec, attach, portforward, proxy).

use apimachinery::ApiError;
use apimachinery::field::FieldError;
use apiserver::endpoints::Query;
use apiserver::registry::Connected;
use serde_json::{Value, json};

use super::default_field;
use super::pods::qos_class;

/// pods/ephemeralcontainers: the stored pod with the new
/// spec.ephemeralContainers; existing ones may not change or go.
pub fn update_ephemeral_containers(new: &Value, current: &Value) -> Result<Value, Vec<FieldError>> {
    let mut pod = current.clone();
    let mut added = new["spec"]["ephemeralContainers"].as_array().cloned().unwrap_or_default();
    for container in &mut added {
        default_field(container, "terminationMessagePath", json!("/dev/termination-log"));
        default_field(container, "terminationMessagePolicy", json!("File"));
        default_field(container, "imagePullPolicy", json!("IfNotPresent"));
    }
    let mut errors = Vec::new();
    let path = "spec.ephemeralContainers";
    let by_name = |list: &[Value], name: &str| list.iter().find(|c| c["name"] == name).cloned();
    for old in current["spec"]["ephemeralContainers"].as_array().into_iter().flatten() {
        let name = old["name"].as_str().unwrap_or_default();
        match by_name(&added, name) {
            None => errors.push(FieldError::forbidden(
                path,
                format!("existing ephemeral containers {name:?} may not be removed\n"),
            )),
            Some(now) if &now != old => errors.push(FieldError::forbidden(
                path,
                format!("existing ephemeral containers {name:?} may not be changed\n"),
            )),
            Some(_) => {}
        }
    }
    let mut names: Vec<String> = ["containers", "initContainers"]
        .iter()
        .flat_map(|list| current["spec"][*list].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect();
    for (i, container) in added.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let name = container["name"].as_str().unwrap_or_default();
        if name.is_empty() {
            errors.push(FieldError::required(format!("{at}.name"), ""));
        } else if names.iter().any(|n| n == name) {
            errors.push(FieldError::duplicate(format!("{at}.name"), json!(name)));
        } else {
            names.push(name.to_string());
        }
        if container["image"].as_str().is_none_or(|i| i.trim().is_empty()) {
            errors.push(FieldError::required(format!("{at}.image"), ""));
        }
        for field in ["ports", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle"] {
            if !container[field].is_null() {
                errors.push(FieldError::forbidden(format!("{at}.{field}"), "cannot be set for an Ephemeral Container"));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    pod["spec"]["ephemeralContainers"] = Value::Array(added);
    Ok(pod)
}

/// A pod spec without what a resize may change: the containers' cpu and
/// memory requests and limits, and their resize policies.
fn without_resizable(spec: &Value) -> Value {
    let mut spec = spec.clone();
    for list in ["containers", "initContainers"] {
        for container in spec[list].as_array_mut().into_iter().flatten() {
            if let Some(resources) = container["resources"].as_object_mut() {
                for kind in ["requests", "limits"] {
                    if let Some(map) = resources.get_mut(kind).and_then(Value::as_object_mut) {
                        map.retain(|name, _| name != "cpu" && name != "memory");
                    }
                }
                resources.retain(|_, list| list.as_object().is_none_or(|map| !map.is_empty()));
            }
            if let Some(container) = container.as_object_mut() {
                container.remove("resizePolicy");
            }
        }
    }
    spec
}

/// pods/resize: the stored pod with the containers' new cpu and memory
/// resources (and resize policies); nothing else may change, nor the QoS
/// class.
pub fn resize(new: &Value, current: &Value) -> Result<Value, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut wanted = new["spec"].clone();
    for list in ["containers", "initContainers"] {
        for container in wanted[list].as_array_mut().into_iter().flatten() {
            default_field(container, "resources", json!({}));
        }
    }
    if without_resizable(&wanted) != without_resizable(&current["spec"]) {
        errors.push(FieldError::forbidden("spec", "only cpu and memory resources are mutable"));
    }
    let mut pod = current.clone();
    pod["spec"] = wanted;
    let qos = qos_class(&pod["spec"]);
    if current["status"]["qosClass"].as_str().is_some_and(|old| old != qos) {
        errors.push(FieldError::invalid("spec", json!(qos), "Pod QOS Class may not change as a result of resizing"));
    }
    if errors.is_empty() { Ok(pod) } else { Err(errors) }
}

fn bad_request(message: String) -> ApiError {
    ApiError::bad_request(message)
}

/// The container a log, exec or attach request names, as upstream picks it:
/// the only container when none is named.
fn container_of(pod: &Value, query: &Query) -> Result<String, ApiError> {
    let name = pod["metadata"]["name"].as_str().unwrap_or_default();
    let all: Vec<&str> = ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .flat_map(|list| pod["spec"][*list].as_array().into_iter().flatten())
        .filter_map(|c| c["name"].as_str())
        .collect();
    match query.get("container").filter(|c| !c.is_empty()) {
        Some(wanted) if all.contains(&wanted) => Ok(wanted.to_string()),
        Some(wanted) => Err(bad_request(format!("container {wanted} is not valid for pod {name}"))),
        None => {
            let containers: Vec<&str> =
                pod["spec"]["containers"].as_array().into_iter().flatten().filter_map(|c| c["name"].as_str()).collect();
            match containers.as_slice() {
                [only] => Ok(only.to_string()),
                _ => Err(bad_request(format!(
                    "a container name must be specified for pod {name}, choose one of: [{}]",
                    containers.join(" ")
                ))),
            }
        }
    }
}

/// The answer of a pod connecter. ferrokube does not dial kubelets: a pod
/// that has no node gets upstream's answer (an empty log, or "does not have
/// a host assigned"); one on a node gets 503.
pub fn connect(subresource: &str, pod: &Value, query: &Query) -> Result<Connected, ApiError> {
    let name = pod["metadata"]["name"].as_str().unwrap_or_default();
    if matches!(subresource, "log" | "exec" | "attach") {
        container_of(pod, query)?;
    }
    if subresource == "exec" && query.get("command").is_none() {
        return Err(bad_request("you must specify at least 1 command".into()));
    }
    let node = pod["spec"]["nodeName"].as_str().unwrap_or_default();
    if node.is_empty() {
        return match subresource {
            "log" => Ok(Connected { content_type: "text/plain", body: bytes::Bytes::new() }),
            "proxy" => Err(ApiError::service_unavailable(format!("pod {name} has no IP address"))),
            _ => Err(bad_request(format!("pod {name} does not have a host assigned"))),
        };
    }
    Err(no_kubelet(node))
}

/// The answer for anything that would need a connection to a node's
/// kubelet.
pub fn no_kubelet(node: &str) -> ApiError {
    ApiError::service_unavailable(format!(
        "no connection to the kubelet of node {node:?}: this server does not dial kubelets"
    ))
}

/// The legacy top-level `bindings` resource: a Binding named after a pod
/// assigns that pod to a node, exactly as pods/binding does; nothing is
/// stored.
pub struct BindingStrategy {
    /// The pods' store, set once the catalogue is installed.
    pub pods: std::sync::Arc<std::sync::OnceLock<std::sync::Arc<apiserver::registry::Store>>>,
}

#[async_trait::async_trait]
impl apiserver::registry::Strategy for BindingStrategy {
    async fn create_without_storage(
        &self,
        ctx: &apiserver::registry::Context,
        binding: &Value,
    ) -> Option<Result<Value, ApiError>> {
        let pods = self.pods.get()?;
        let name = binding["metadata"]["name"].as_str().unwrap_or_default();
        Some(
            apiserver::endpoints::bind_pod(pods, ctx, name, binding)
                .await
                .map(|()| apiserver::endpoints::binding_status()),
        )
    }
}
