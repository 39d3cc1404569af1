//! EndpointSlices, RuntimeClasses, ResourceQuotas, LimitRanges and the flow
//! control kinds: upstream's defaults and the validation users meet most.

use apimachinery::field::FieldError;
use apimachinery::validation::dns1123_label;
use serde_json::{Value, json};

use super::default_field;
use super::kind::{KindStrategy, immutable};
use super::text;
use crate::printers;

const ADDRESS_TYPES: [&str; 3] = ["FQDN", "IPv4", "IPv6"];

fn endpoint_slice_defaults(slice: &mut Value) {
    for port in slice["ports"].as_array_mut().into_iter().flatten() {
        default_field(port, "protocol", json!("TCP"));
        default_field(port, "name", json!(""));
    }
}

fn endpoint_slice_errors(slice: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let kind = text(slice, &["addressType"]);
    if !ADDRESS_TYPES.contains(&kind) {
        errors.push(FieldError::not_supported("addressType", json!(kind), &ADDRESS_TYPES));
    }
    for (i, endpoint) in slice["endpoints"].as_array().into_iter().flatten().enumerate() {
        let addresses: Vec<&str> =
            endpoint["addresses"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        if addresses.is_empty() {
            errors.push(FieldError::required(format!("endpoints[{i}].addresses"), "must contain at least 1 address"));
        }
        for (j, address) in addresses.iter().enumerate() {
            let message = match kind {
                "IPv4" if address.parse::<std::net::Ipv4Addr>().is_err() => Some("must be a valid IPv4 address"),
                "IPv6" if address.parse::<std::net::Ipv6Addr>().is_err() => Some("must be a valid IPv6 address"),
                _ => None,
            };
            if let Some(message) = message {
                errors.push(FieldError::invalid(format!("endpoints[{i}].addresses[{j}]"), json!(address), message));
            }
        }
    }
    for (i, port) in slice["ports"].as_array().into_iter().flatten().enumerate() {
        let name = text(port, &["name"]);
        if !name.is_empty() {
            for message in dns1123_label(name) {
                errors.push(FieldError::invalid(format!("ports[{i}].name"), json!(name), message));
            }
        }
        let protocol = text(port, &["protocol"]);
        if !["TCP", "UDP", "SCTP"].contains(&protocol) {
            errors.push(FieldError::not_supported(
                format!("ports[{i}].protocol"),
                json!(protocol),
                &["SCTP", "TCP", "UDP"],
            ));
        }
    }
    errors
}

/// EndpointSlices.
pub fn endpoint_slices() -> KindStrategy {
    KindStrategy::new(printers::endpoint_slices())
        .defaults(endpoint_slice_defaults)
        .validate(endpoint_slice_errors)
        .validate_update(|new, old| immutable(new, old, &["addressType"]))
        .with_generation()
}

fn runtime_class_errors(class: &Value) -> Vec<FieldError> {
    let handler = text(class, &["handler"]);
    if handler.is_empty() {
        return vec![FieldError::required("handler", "")];
    }
    dns1123_label(handler).into_iter().map(|m| FieldError::invalid("handler", json!(handler), m)).collect()
}

/// RuntimeClasses.
pub fn runtime_classes() -> KindStrategy {
    KindStrategy::new(printers::runtime_classes())
        .validate(runtime_class_errors)
        .validate_update(|new, old| immutable(new, old, &["handler"]))
}

/// A quantity written with a leading minus.
fn negative(quantity: &Value) -> bool {
    match quantity {
        Value::String(s) => s.trim_start().starts_with('-'),
        Value::Number(n) => n.as_f64().is_some_and(|n| n < 0.0),
        _ => false,
    }
}

fn quota_errors(quota: &Value) -> Vec<FieldError> {
    quota["spec"]["hard"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, quantity)| negative(quantity))
        .map(|(name, quantity)| {
            let shown = quantity.as_str().map_or_else(|| quantity.to_string(), str::to_string);
            FieldError::invalid(format!("spec.hard[{name}]"), json!(shown), "must be greater than or equal to 0")
        })
        .collect()
}

/// ResourceQuotas.
pub fn resource_quotas() -> KindStrategy {
    KindStrategy::new(printers::resource_quotas()).validate(quota_errors)
}

const LIMIT_TYPES: [&str; 3] = ["Container", "PersistentVolumeClaim", "Pod"];

fn limit_range_errors(range: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, limit) in range["spec"]["limits"].as_array().into_iter().flatten().enumerate() {
        let kind = text(limit, &["type"]);
        if !LIMIT_TYPES.contains(&kind) {
            errors.push(FieldError::not_supported(format!("spec.limits[{i}].type"), json!(kind), &LIMIT_TYPES));
        }
        for part in ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"] {
            for (name, quantity) in limit[part].as_object().into_iter().flatten() {
                if negative(quantity) {
                    let shown = quantity.as_str().map_or_else(|| quantity.to_string(), str::to_string);
                    errors.push(FieldError::invalid(
                        format!("spec.limits[{i}].{part}[{name}]"),
                        json!(shown),
                        "must be greater than or equal to 0",
                    ));
                }
            }
        }
        if kind == "Pod" && (!limit["default"].is_null() || !limit["defaultRequest"].is_null()) {
            errors.push(FieldError::forbidden(
                format!("spec.limits[{i}].default"),
                "may not be specified when `type` is 'Pod'",
            ));
        }
    }
    errors
}

/// LimitRanges.
pub fn limit_ranges() -> KindStrategy {
    KindStrategy::new(printers::created_at()).validate(limit_range_errors)
}

fn flow_schema_defaults(schema: &mut Value) {
    if let Some(spec) = schema.get_mut("spec") {
        default_field(spec, "matchingPrecedence", json!(1000));
    }
}

fn flow_schema_errors(schema: &Value) -> Vec<FieldError> {
    let spec = &schema["spec"];
    let mut errors = Vec::new();
    if text(spec, &["priorityLevelConfiguration", "name"]).is_empty() {
        errors.push(FieldError::required("spec.priorityLevelConfiguration.name", "must reference a priority level"));
    }
    let precedence = spec["matchingPrecedence"].as_i64().unwrap_or(0);
    if !(1..=10000).contains(&precedence) {
        errors.push(FieldError::invalid(
            "spec.matchingPrecedence",
            json!(precedence),
            "must be between 1 and 10000, inclusive",
        ));
    }
    if let Some(method) = spec["distinguisherMethod"]["type"].as_str()
        && !["ByUser", "ByNamespace"].contains(&method)
    {
        errors.push(FieldError::not_supported(
            "spec.distinguisherMethod.type",
            json!(method),
            &["ByNamespace", "ByUser"],
        ));
    }
    errors
}

/// FlowSchemas.
pub fn flow_schemas() -> KindStrategy {
    KindStrategy::new(printers::flow_schemas())
        .defaults(flow_schema_defaults)
        .validate(flow_schema_errors)
        .names(apimachinery::validation::NameRule::PathSegment)
        .with_generation()
}

fn priority_level_defaults(level: &mut Value) {
    let Some(limited) = level["spec"].get_mut("limited").filter(|l| l.is_object()) else { return };
    default_field(limited, "nominalConcurrencyShares", json!(30));
    default_field(limited, "lendablePercent", json!(0));
    default_field(limited, "limitResponse", json!({"type": "Reject"}));
    if limited["limitResponse"]["type"] == "Queue" {
        default_field(&mut limited["limitResponse"], "queuing", json!({}));
        let queuing = &mut limited["limitResponse"]["queuing"];
        default_field(queuing, "queues", json!(64));
        default_field(queuing, "handSize", json!(8));
        default_field(queuing, "queueLengthLimit", json!(50));
    }
}

fn priority_level_errors(level: &Value) -> Vec<FieldError> {
    let spec = &level["spec"];
    let mut errors = Vec::new();
    match text(spec, &["type"]) {
        "Limited" if !spec["limited"].is_object() => {
            errors.push(FieldError::required("spec.limited", "must not be empty when type is Limited"));
        }
        "Exempt" if spec["limited"].is_object() => {
            errors.push(FieldError::forbidden("spec.limited", "must be nil if the type is not Limited"));
        }
        "Limited" | "Exempt" => {}
        other => errors.push(FieldError::not_supported("spec.type", json!(other), &["Exempt", "Limited"])),
    }
    let queuing = &spec["limited"]["limitResponse"]["queuing"];
    if let (Some(queues), Some(hand)) = (queuing["queues"].as_i64(), queuing["handSize"].as_i64())
        && hand > queues
    {
        errors.push(FieldError::invalid(
            "spec.limited.limitResponse.queuing.handSize",
            json!(hand),
            format!("should not be greater than queues ({queues})"),
        ));
    }
    errors
}

/// PriorityLevelConfigurations.
pub fn priority_level_configurations() -> KindStrategy {
    KindStrategy::new(printers::priority_level_configurations())
        .defaults(priority_level_defaults)
        .validate(priority_level_errors)
        .names(apimachinery::validation::NameRule::PathSegment)
        .with_generation()
}
