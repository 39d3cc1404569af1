//! Ingresses, IngressClasses and NetworkPolicies: upstream's defaults and
//! the validation users meet most.

use apimachinery::field::FieldError;
use apimachinery::validation::dns1123_subdomain;
use serde_json::{Value, json};

use super::kind::{KindStrategy, immutable};
use super::{default_field, text};
use crate::printers;

const PATH_TYPES: [&str; 3] = ["Exact", "ImplementationSpecific", "Prefix"];

fn validate_backend(backend: &Value, path: &str) -> Vec<FieldError> {
    let service = &backend["service"];
    let resource = &backend["resource"];
    match (service.is_null(), resource.is_null()) {
        (false, false) => {
            return vec![FieldError::invalid(path, backend.clone(), "cannot set both service and resource backends")];
        }
        (true, true) => {
            return vec![FieldError::invalid(path, backend.clone(), "resource or service backend is required")];
        }
        _ => {}
    }
    let mut errors = Vec::new();
    if !service.is_null() {
        if text(service, &["name"]).is_empty() {
            errors.push(FieldError::required(format!("{path}.service.name"), ""));
        }
        let port = &service["port"];
        match (port["name"].as_str().filter(|n| !n.is_empty()), port["number"].as_i64()) {
            (Some(_), Some(_)) => errors.push(FieldError::invalid(
                format!("{path}.service.port"),
                port.clone(),
                "cannot set both port name & port number",
            )),
            (None, None) => errors.push(FieldError::invalid(
                format!("{path}.service.port"),
                port.clone(),
                "port name or number is required",
            )),
            (None, Some(n)) if !(1..=65535).contains(&n) => errors.push(FieldError::invalid(
                format!("{path}.service.port.number"),
                json!(n),
                "must be between 1 and 65535, inclusive",
            )),
            _ => {}
        }
    }
    errors
}

fn ingress_validate(object: &Value) -> Vec<FieldError> {
    let spec = &object["spec"];
    let mut errors = Vec::new();
    let rules = spec["rules"].as_array().cloned().unwrap_or_default();
    if spec["defaultBackend"].is_null() && rules.is_empty() {
        errors.push(FieldError::invalid("spec", spec.clone(), "either `defaultBackend` or `rules` must be specified"));
    }
    if !spec["defaultBackend"].is_null() {
        errors.extend(validate_backend(&spec["defaultBackend"], "spec.defaultBackend"));
    }
    for (i, rule) in rules.iter().enumerate() {
        let at = format!("spec.rules[{i}]");
        if let Some(host) = rule["host"].as_str().filter(|h| !h.is_empty()) {
            let checked = host.strip_prefix("*.").unwrap_or(host);
            for message in dns1123_subdomain(checked) {
                errors.push(FieldError::invalid(format!("{at}.host"), json!(host), message));
            }
        }
        for (j, path) in rule["http"]["paths"].as_array().into_iter().flatten().enumerate() {
            let at = format!("{at}.http.paths[{j}]");
            match path["pathType"].as_str() {
                None => errors.push(FieldError::required(format!("{at}.pathType"), "pathType must be specified")),
                Some(kind) if !PATH_TYPES.contains(&kind) => {
                    errors.push(FieldError::not_supported(format!("{at}.pathType"), json!(kind), &PATH_TYPES));
                }
                Some(kind) => {
                    let value = text(path, &["path"]);
                    if kind != "ImplementationSpecific" && !value.starts_with('/') {
                        errors.push(FieldError::invalid(
                            format!("{at}.path"),
                            json!(value),
                            "must be an absolute path",
                        ));
                    }
                }
            }
            errors.extend(validate_backend(&path["backend"], &format!("{at}.backend")));
        }
    }
    errors
}

/// Ingresses.
pub fn ingresses() -> KindStrategy {
    KindStrategy::new(printers::ingresses()).validate(ingress_validate).with_generation()
}

fn ingress_class_validate(object: &Value) -> Vec<FieldError> {
    let controller = text(object, &["spec", "controller"]);
    if controller.is_empty() {
        return vec![FieldError::required("spec.controller", "")];
    }
    let domain_prefixed = controller
        .split_once('/')
        .is_some_and(|(domain, path)| !path.is_empty() && dns1123_subdomain(domain).is_empty());
    if !domain_prefixed || controller.len() > 250 {
        return vec![FieldError::invalid(
            "spec.controller",
            json!(controller),
            "must be a domain-prefixed path (such as \"acme.io/foo\")",
        )];
    }
    Vec::new()
}

/// IngressClasses.
pub fn ingress_classes() -> KindStrategy {
    KindStrategy::new(printers::ingress_classes())
        .validate(ingress_class_validate)
        .validate_update(|new, old| immutable(new, old, &["spec.controller"]))
}

fn network_policy_defaults(object: &mut Value) {
    let Some(spec) = object.get_mut("spec") else { return };
    if spec["policyTypes"].as_array().is_none_or(Vec::is_empty) {
        let mut types = vec![json!("Ingress")];
        if spec["egress"].as_array().is_some_and(|e| !e.is_empty()) {
            types.push(json!("Egress"));
        }
        spec["policyTypes"] = Value::Array(types);
    }
    for direction in ["ingress", "egress"] {
        for rule in spec[direction].as_array_mut().into_iter().flatten() {
            for port in rule["ports"].as_array_mut().into_iter().flatten() {
                default_field(port, "protocol", json!("TCP"));
            }
        }
    }
}

fn valid_cidr(cidr: &str) -> bool {
    let Some((ip, bits)) = cidr.split_once('/') else { return false };
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => bits.parse::<u8>().is_ok_and(|b| b <= 32),
        Ok(std::net::IpAddr::V6(_)) => bits.parse::<u8>().is_ok_and(|b| b <= 128),
        Err(_) => false,
    }
}

fn network_policy_validate(object: &Value) -> Vec<FieldError> {
    let spec = &object["spec"];
    let mut errors = Vec::new();
    for (i, kind) in spec["policyTypes"].as_array().into_iter().flatten().enumerate() {
        let kind = kind.as_str().unwrap_or_default();
        if !["Ingress", "Egress"].contains(&kind) {
            errors.push(FieldError::not_supported(
                format!("spec.policyTypes[{i}]"),
                json!(kind),
                &["Ingress", "Egress"],
            ));
        }
    }
    for (direction, peers) in [("ingress", "from"), ("egress", "to")] {
        for (i, rule) in spec[direction].as_array().into_iter().flatten().enumerate() {
            for (j, peer) in rule[peers].as_array().into_iter().flatten().enumerate() {
                let at = format!("spec.{direction}[{i}].{peers}[{j}]");
                let set =
                    ["podSelector", "namespaceSelector", "ipBlock"].iter().filter(|k| !peer[**k].is_null()).count();
                if set == 0 {
                    errors.push(FieldError::required(at.clone(), format!("must specify a {peers} type")));
                }
                if let Some(cidr) = peer["ipBlock"]["cidr"].as_str()
                    && !valid_cidr(cidr)
                {
                    errors.push(FieldError::invalid(
                        format!("{at}.ipBlock.cidr"),
                        json!(cidr),
                        "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
                    ));
                }
            }
            for (j, port) in rule["ports"].as_array().into_iter().flatten().enumerate() {
                let protocol = text(port, &["protocol"]);
                if !["TCP", "UDP", "SCTP"].contains(&protocol) {
                    errors.push(FieldError::not_supported(
                        format!("spec.{direction}[{i}].ports[{j}].protocol"),
                        json!(protocol),
                        &["SCTP", "TCP", "UDP"],
                    ));
                }
            }
        }
    }
    errors
}

/// NetworkPolicies.
pub fn network_policies() -> KindStrategy {
    KindStrategy::new(printers::network_policies())
        .defaults(network_policy_defaults)
        .validate(network_policy_validate)
        .with_generation()
}
