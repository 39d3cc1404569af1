//! Printers of networking, discovery and service-address kinds.

use apiserver::registry::table::Printer;
use serde_json::{Value, json};

use super::*;

/// Ingresses: NAME CLASS HOSTS ADDRESS PORTS AGE.
pub fn ingresses() -> Printer {
    Printer::new()
        .add("Class", "The name of the IngressClass resource.", |o| text_or(o, &["spec", "ingressClassName"], "<none>"))
        .add("Hosts", "Hosts that incoming requests are matched against.", |o| {
            let hosts: Vec<String> = o["spec"]["rules"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| r["host"].as_str().unwrap_or_default().to_string())
                .filter(|h| !h.is_empty())
                .collect();
            joined(hosts, ",", "*")
        })
        .add("Address", "Address is a list containing ingress points for the load-balancer.", |o| {
            load_balancer_addresses(&o["status"]["loadBalancer"]["ingress"])
        })
        .add("Ports", "Ports of TLS configurations that open.", |o| {
            json!(if o["spec"]["tls"].as_array().is_some_and(|t| !t.is_empty()) { "80, 443" } else { "80" })
        })
        .age()
}

fn load_balancer_addresses(ingress: &Value) -> Value {
    let addresses = ingress
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| i["ip"].as_str().or(i["hostname"].as_str()).unwrap_or_default().to_string());
    joined(addresses, ",", "")
}

/// IngressClasses: NAME CONTROLLER PARAMETERS AGE.
pub fn ingress_classes() -> Printer {
    Printer::new()
        .add("Controller", "Controller that is responsible for handling this class.", |o| {
            text(o, &["spec", "controller"])
        })
        .add("Parameters", "A link to a custom resource containing additional configuration.", |o| {
            let parameters = &o["spec"]["parameters"];
            match parameters["name"].as_str() {
                Some(name) => {
                    let group = parameters["apiGroup"].as_str().unwrap_or_default();
                    let kind = parameters["kind"].as_str().unwrap_or_default();
                    json!(if group.is_empty() { format!("{kind}/{name}") } else { format!("{kind}.{group}/{name}") })
                }
                None => json!("<none>"),
            }
        })
        .age()
}

/// NetworkPolicies: NAME POD-SELECTOR AGE.
pub fn network_policies() -> Printer {
    Printer::new()
        .add("Pod-Selector", "Selects the pods to which this NetworkPolicy object applies.", |o| {
            label_selector(&o["spec"]["podSelector"])
        })
        .age()
}

/// EndpointSlices: NAME ADDRESSTYPE PORTS ENDPOINTS AGE.
pub fn endpoint_slices() -> Printer {
    Printer::new()
        .add("AddressType", "The type of address carried by this EndpointSlice.", |o| text(o, &["addressType"]))
        .add("Ports", "Network ports exposed by the endpoints.", |o| {
            let ports: Vec<String> = o["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| p["port"].as_i64().map_or("<unset>".to_string(), |n| n.to_string()))
                .collect();
            joined(ports, ",", "<unset>")
        })
        .add("Endpoints", "The addresses of the endpoints.", |o| {
            let addresses: Vec<String> =
                o["endpoints"].as_array().into_iter().flatten().flat_map(|e| strings(e, &["addresses"])).collect();
            json!(first_three(&addresses, "<unset>"))
        })
        .age()
}

/// Up to three items joined by `,`, then `+ N more...`, as upstream lists
/// endpoints.
fn first_three(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        return empty.into();
    }
    let mut out = items.iter().take(3).cloned().collect::<Vec<_>>().join(",");
    if items.len() > 3 {
        out.push_str(&format!(" + {} more...", items.len() - 3));
    }
    out
}

/// ServiceCIDRs: NAME CIDRS AGE.
pub fn service_cidrs() -> Printer {
    Printer::new()
        .add("CIDRs", "The IP ranges the ServiceCIDR serves.", |o| {
            joined(strings(o, &["spec", "cidrs"]), ",", "<none>")
        })
        .age()
}

/// IPAddresses: NAME PARENTREF.
pub fn ip_addresses() -> Printer {
    Printer::new().add("ParentRef", "The object the address is allocated to.", |o| {
        let parent = &o["spec"]["parentRef"];
        let group = parent["group"].as_str().unwrap_or_default();
        let resource = parent["resource"].as_str().unwrap_or_default();
        let resource = if group.is_empty() { resource.to_string() } else { format!("{resource}.{group}") };
        let namespace = parent["namespace"].as_str().unwrap_or_default();
        let name = parent["name"].as_str().unwrap_or_default();
        json!(if namespace.is_empty() {
            format!("{resource}/{name}")
        } else {
            format!("{resource}/{namespace}/{name}")
        })
    })
}
