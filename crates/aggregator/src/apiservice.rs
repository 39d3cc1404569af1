//! The APIService kind (apiregistration.k8s.io/v1): its resource, its
//! validation as upstream's, and its table (NAME SERVICE AVAILABLE AGE).

use apimachinery::field::FieldError;
use apimachinery::validation::{NameRule, dns1035_label, dns1123_subdomain};
use apiserver::registry::Strategy;
use apiserver::registry::table::{Column, Columns, TableConvertor};
use apiserver::resource::{ResourceDef, schema_of};
use serde_json::{Value, json};

/// The label autoregistered APIServices carry: `onstart` for built-in
/// group versions, `true` for custom resource ones.
pub const AUTOMANAGED: &str = "kube-aggregator.kubernetes.io/automanaged";

/// The name of an APIService: `<version>.<group>` (`v1.` for core).
pub fn name_of(group: &str, version: &str) -> String {
    format!("{version}.{group}")
}

/// Whether the APIService is served by an extension server (`spec.service`).
pub fn is_remote(apiservice: &Value) -> bool {
    apiservice["spec"]["service"].is_object()
}

/// The condition `Available` is True.
pub fn is_available(apiservice: &Value) -> bool {
    available_condition(apiservice).is_some_and(|c| c["status"] == "True")
}

fn available_condition(apiservice: &Value) -> Option<&Value> {
    apiservice["status"]["conditions"].as_array().into_iter().flatten().find(|c| c["type"] == "Available")
}

fn cells(apiservice: &Value) -> Vec<Value> {
    let service = &apiservice["spec"]["service"];
    let service = match service["name"].as_str() {
        Some(name) => format!("{}/{name}", service["namespace"].as_str().unwrap_or_default()),
        None => "Local".to_string(),
    };
    let available = available_condition(apiservice)
        .map(|c| {
            let status = c["status"].as_str().unwrap_or("Unknown");
            match (status, c["reason"].as_str().filter(|r| !r.is_empty())) {
                ("True", _) | (_, None) => status.to_string(),
                (_, Some(reason)) => format!("{status} ({reason})"),
            }
        })
        .unwrap_or_else(|| "Unknown".into());
    vec![json!(service), json!(available)]
}

/// The strategy of APIServices.
pub struct ApiServiceStrategy(Columns<fn(&Value) -> Vec<Value>>);

impl Default for ApiServiceStrategy {
    fn default() -> Self {
        ApiServiceStrategy(Columns {
            columns: vec![
                Column::new("Service", "string", "The reference to the service that hosts this API endpoint."),
                Column::new("Available", "string", "Whether this service is available."),
            ],
            cells,
        })
    }
}

/// Upstream's ValidateAPIService.
fn validate(apiservice: &Value) -> Vec<FieldError> {
    let spec = &apiservice["spec"];
    let group = spec["group"].as_str().unwrap_or_default();
    let version = spec["version"].as_str().unwrap_or_default();
    let mut errors = Vec::new();
    let name = apiservice["metadata"]["name"].as_str().unwrap_or_default();
    let required = name_of(group, version);
    if name != required {
        errors.push(FieldError::invalid(
            "metadata.name",
            json!(name),
            format!("must be `spec.version+\".\"+spec.group`: \"{required}\""),
        ));
    }
    if group.is_empty() && version != "v1" {
        errors.push(FieldError::required("spec.group", "only v1 may have an empty group and it better be legacy kube"));
    }
    if !group.is_empty() {
        let messages = dns1123_subdomain(group);
        if !messages.is_empty() {
            errors.push(FieldError::invalid("spec.group", json!(group), messages.join(",")));
        }
    }
    let messages = dns1035_label(version);
    if !messages.is_empty() {
        errors.push(FieldError::invalid("spec.version", json!(version), messages.join(",")));
    }
    let priority = |field: &str, max: i64, errors: &mut Vec<FieldError>| {
        let value = spec[field].as_i64().unwrap_or(0);
        if value <= 0 || value > max {
            errors.push(FieldError::invalid(
                format!("spec.{field}"),
                json!(value),
                format!("must be positive and less than {max}"),
            ));
        }
    };
    priority("groupPriorityMinimum", 20000, &mut errors);
    priority("versionPriority", 1000, &mut errors);
    let ca_bundle = spec["caBundle"].as_str().unwrap_or_default();
    let insecure = spec["insecureSkipTLSVerify"] == Value::Bool(true);
    let service = &spec["service"];
    if !service.is_object() {
        if !ca_bundle.is_empty() {
            let bytes = format!("{} bytes", ca_bundle.len() * 3 / 4);
            errors.push(FieldError::invalid(
                "spec.caBundle",
                json!(bytes),
                "local APIServices may not have a caBundle",
            ));
        }
        if insecure {
            errors.push(FieldError::invalid(
                "spec.insecureSkipTLSVerify",
                json!(true),
                "local APIServices may not have insecureSkipTLSVerify",
            ));
        }
        return errors;
    }
    for field in ["namespace", "name"] {
        if service[field].as_str().is_none_or(str::is_empty) {
            errors.push(FieldError::required(format!("spec.service.{field}"), ""));
        }
    }
    if let Some(port) = service["port"].as_i64()
        && !(1..=65535).contains(&port)
    {
        errors.push(FieldError::invalid(
            "spec.service.port",
            json!(port),
            "port is not valid: must be between 1 and 65535, inclusive",
        ));
    }
    if insecure && !ca_bundle.is_empty() {
        errors.push(FieldError::invalid(
            "spec.insecureSkipTLSVerify",
            json!(true),
            "may not be true if caBundle is present",
        ));
    }
    errors
}

impl Strategy for ApiServiceStrategy {
    fn name_rule(&self) -> NameRule {
        NameRule::PathSegment
    }

    fn prepare_for_create(&self, apiservice: &mut Value) {
        if let Some(service) = apiservice["spec"]["service"].as_object_mut()
            && service.get("port").is_none_or(Value::is_null)
        {
            service.insert("port".into(), json!(443));
        }
    }

    fn prepare_for_update(&self, new: &mut Value, _old: &Value) {
        self.prepare_for_create(new);
    }

    fn validate(&self, apiservice: &Value) -> Vec<FieldError> {
        validate(apiservice)
    }

    fn table(&self) -> &dyn TableConvertor {
        &self.0
    }
}

/// The resource definition of APIServices.
pub fn resource() -> ResourceDef {
    ResourceDef::new("apiregistration.k8s.io", "v1", "APIService", "apiservices", false)
        .schema(schema_of::<k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService>)
        .categories(&["api-extensions"])
        .with_status()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_priorities_are_checked() {
        let apiservice = json!({"metadata": {"name": "v1.example.com"}, "spec": {
            "group": "example.com", "version": "v1beta1", "groupPriorityMinimum": 0, "versionPriority": 15,
            "service": {"namespace": "default", "name": "api"}}});
        let messages: Vec<String> = validate(&apiservice).iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "metadata.name: Invalid value: \"v1.example.com\": must be `spec.version+\".\"+spec.group`: \"v1beta1.example.com\"",
                "spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000",
            ]
        );
    }

    #[test]
    fn the_available_column_shows_the_reason() {
        let apiservice = json!({"spec": {"service": {"namespace": "kube-system", "name": "metrics"}},
            "status": {"conditions": [{"type": "Available", "status": "False", "reason": "FailedDiscoveryCheck"}]}});
        assert_eq!(cells(&apiservice), [json!("kube-system/metrics"), json!("False (FailedDiscoveryCheck)")]);
    }
}
