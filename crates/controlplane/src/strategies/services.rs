//! Services (cluster IP allocation, defaults, NAME TYPE CLUSTER-IP
//! EXTERNAL-IP PORT(S) AGE) and Endpoints.

use std::sync::Arc;

use apimachinery::ApiError;
use apimachinery::field::FieldError;
use apimachinery::validation::NameRule;
use apiserver::registry::Strategy;
use apiserver::registry::table::{Column, Columns, TableConvertor};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::{default_field, selector_string, text};
use crate::ipaddresses::{AddressClaims, ClaimError};
use crate::ipallocator::{AllocationError, IpAllocator};
use crate::portallocator::PortAllocator;

type Cells = Columns<fn(&Value) -> Vec<Value>>;

fn ports_cell(service: &Value) -> String {
    let ports: Vec<String> = service["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let protocol = p["protocol"].as_str().unwrap_or("TCP");
            match p["nodePort"].as_i64() {
                Some(node_port) => format!("{}:{node_port}/{protocol}", p["port"]),
                None => format!("{}/{protocol}", p["port"]),
            }
        })
        .collect();
    if ports.is_empty() { "<none>".into() } else { ports.join(",") }
}

fn service_cells(service: &Value) -> Vec<Value> {
    let kind = text(service, &["spec", "type"]);
    let cluster_ip = text(service, &["spec", "clusterIP"]);
    let external: Vec<String> = service["status"]["loadBalancer"]["ingress"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["ip"].as_str().or(i["hostname"].as_str()).map(str::to_string))
        .chain(
            service["spec"]["externalIPs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i.as_str().map(str::to_string)),
        )
        .collect();
    let external = match (kind, external.is_empty()) {
        ("ExternalName", _) => text(service, &["spec", "externalName"]).to_string(),
        ("LoadBalancer", true) => "<pending>".into(),
        (_, true) => "<none>".into(),
        (_, false) => external.join(","),
    };
    let selector = selector_string(&service["spec"]["selector"]);
    vec![
        json!(kind),
        json!(if cluster_ip.is_empty() { "<none>" } else { cluster_ip }),
        json!(external),
        json!(ports_cell(service)),
        json!(if selector.is_empty() { "<none>".to_string() } else { selector }),
    ]
}

/// The service strategy, which owns the cluster IP and node port
/// allocators.
pub struct ServiceStrategy {
    allocator: Arc<IpAllocator>,
    ports: Arc<PortAllocator>,
    claims: Arc<AddressClaims>,
    table: Cells,
}

fn uses_node_ports(service: &Value) -> bool {
    matches!(text(service, &["spec", "type"]), "NodePort" | "LoadBalancer")
}

impl ServiceStrategy {
    /// A strategy allocating cluster IPs (claimed through `claims`) and
    /// node ports.
    pub fn new(allocator: Arc<IpAllocator>, ports: Arc<PortAllocator>, claims: Arc<AddressClaims>) -> Self {
        ServiceStrategy {
            allocator,
            ports,
            claims,
            table: Columns {
                columns: vec![
                    Column::new("Type", "string", "The type of the service."),
                    Column::new("Cluster-IP", "string", "The IP address of the service."),
                    Column::new("External-IP", "string", "The external IP address of the service."),
                    Column::new("Port(s)", "string", "The ports of the service."),
                    Column::wide(
                        "Selector",
                        "string",
                        "Route service traffic to pods with label keys and values matching this selector.",
                    ),
                ],
                cells: service_cells,
            },
        }
    }
}

fn default_service(service: &mut Value) {
    let Some(spec) = service.get_mut("spec") else { return };
    default_field(spec, "type", json!("ClusterIP"));
    default_field(spec, "sessionAffinity", json!("None"));
    let external_name = text(spec, &["type"]) == "ExternalName";
    if !external_name {
        default_field(spec, "internalTrafficPolicy", json!("Cluster"));
    }
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for port in ports {
            default_field(port, "protocol", json!("TCP"));
            let number = port["port"].clone();
            default_field(port, "targetPort", number);
        }
    }
}

#[async_trait]
impl Strategy for ServiceStrategy {
    fn selectable_fields(&self, service: &Value) -> Vec<(String, String)> {
        vec![
            ("spec.clusterIP".into(), text(service, &["spec", "clusterIP"]).to_string()),
            ("spec.type".into(), text(service, &["spec", "type"]).to_string()),
        ]
    }

    async fn connect(
        &self,
        _subresource: &str,
        service: &Value,
        _query: &apiserver::endpoints::Query,
    ) -> Option<Result<apiserver::registry::Connected, ApiError>> {
        let name = service["metadata"]["name"].as_str().unwrap_or_default();
        Some(Err(ApiError::service_unavailable(format!(
            "no endpoints available for service {name:?}: this server does not proxy to services"
        ))))
    }

    fn name_rule(&self) -> NameRule {
        NameRule::Dns1035Label
    }

    fn prepare_for_create(&self, object: &mut Value) {
        default_service(object);
        object["status"] = json!({"loadBalancer": {}});
    }

    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        default_service(new);
        for field in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
            if new["spec"][field].is_null() && !old["spec"][field].is_null() {
                new["spec"][field] = old["spec"][field].clone();
            }
        }
        drop_type_dependent_fields(new, old);
    }

    fn validate(&self, service: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let kind = text(service, &["spec", "type"]);
        let supported = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
        if !supported.contains(&kind) {
            errors.push(FieldError::not_supported("spec.type", json!(kind), &supported));
        }
        let ports = service["spec"]["ports"].as_array();
        let headless = text(service, &["spec", "clusterIP"]) == "None";
        if kind != "ExternalName" && !headless && ports.is_none_or(Vec::is_empty) {
            errors.push(FieldError::required("spec.ports", ""));
        }
        let count = ports.map_or(0, Vec::len);
        let mut names = Vec::new();
        for (i, port) in ports.into_iter().flatten().enumerate() {
            let name = text(port, &["name"]);
            if count > 1 && name.is_empty() {
                errors.push(FieldError::required(format!("spec.ports[{i}].name"), ""));
            }
            if !name.is_empty() {
                if names.contains(&name) {
                    errors.push(FieldError::duplicate(format!("spec.ports[{i}].name"), json!(name)));
                }
                names.push(name);
            }
            let number = port["port"].as_i64().unwrap_or(0);
            if !(1..=65535).contains(&number) {
                errors.push(FieldError::invalid(
                    format!("spec.ports[{i}].port"),
                    port["port"].clone(),
                    "must be between 1 and 65535, inclusive",
                ));
            }
            if !port["nodePort"].is_null() && !uses_node_ports(service) && kind != "ExternalName" {
                errors.push(FieldError::forbidden(
                    format!("spec.ports[{i}].nodePort"),
                    format!("may not be used when `type` is '{kind}'"),
                ));
            }
            let protocol = text(port, &["protocol"]);
            if !["TCP", "UDP", "SCTP"].contains(&protocol) {
                errors.push(FieldError::not_supported(
                    format!("spec.ports[{i}].protocol"),
                    json!(protocol),
                    &["SCTP", "TCP", "UDP"],
                ));
            }
        }
        errors
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = self.validate(new);
        let (before, after) = (text(old, &["spec", "clusterIP"]), text(new, &["spec", "clusterIP"]));
        if !before.is_empty() && before != after && text(new, &["spec", "type"]) != "ExternalName" {
            errors.push(FieldError::invalid("spec.clusterIPs[0]", json!(after), "may not change once set"));
        }
        errors
    }

    fn table(&self) -> &dyn TableConvertor {
        &self.table
    }

    async fn before_create(&self, service: &mut Value, dry_run: bool) -> Result<(), ApiError> {
        if text(service, &["spec", "type"]) == "ExternalName" {
            return Ok(());
        }
        let requested = text(service, &["spec", "clusterIP"]).to_string();
        if requested == "None" {
            service["spec"]["clusterIPs"] = json!(["None"]);
            return Ok(());
        }
        let ip = self.allocate_ip(service, &requested, dry_run).await?;
        let taken = match self.allocate_node_ports(service, &[]) {
            Ok(taken) => taken,
            Err(e) => {
                if !dry_run {
                    self.release_ip(&ip).await;
                }
                return Err(e);
            }
        };
        if dry_run {
            taken.into_iter().for_each(|p| self.ports.release(p));
        }
        service["spec"]["clusterIP"] = json!(ip);
        service["spec"]["clusterIPs"] = json!([ip]);
        service["spec"]["ipFamilies"] = json!(["IPv4"]);
        service["spec"]["ipFamilyPolicy"] = json!("SingleStack");
        Ok(())
    }

    async fn before_update(&self, service: &mut Value, old: &Value, dry_run: bool) -> Result<(), ApiError> {
        let taken = self.allocate_node_ports(service, &node_ports(old))?;
        let needs_ip =
            text(service, &["spec", "type"]) != "ExternalName" && text(service, &["spec", "clusterIP"]).is_empty();
        if needs_ip {
            match self.allocate_ip(service, "", dry_run).await {
                Ok(ip) => {
                    service["spec"]["clusterIP"] = json!(ip);
                    service["spec"]["clusterIPs"] = json!([ip]);
                    service["spec"]["ipFamilies"] = json!(["IPv4"]);
                    service["spec"]["ipFamilyPolicy"] = json!("SingleStack");
                }
                Err(e) => {
                    taken.iter().for_each(|p| self.ports.release(*p));
                    return Err(e);
                }
            }
        }
        if dry_run {
            taken.iter().for_each(|p| self.ports.release(*p));
        }
        Ok(())
    }

    async fn after_update(&self, service: &Value, old: &Value) {
        let kept = node_ports(service);
        for port in node_ports(old).into_iter().filter(|p| !kept.contains(p)) {
            self.ports.release(port);
        }
        let old_ip = text(old, &["spec", "clusterIP"]);
        if !old_ip.is_empty() && old_ip != "None" && old_ip != text(service, &["spec", "clusterIP"]) {
            self.release_ip(old_ip).await;
        }
    }

    async fn after_delete(&self, service: &Value) {
        let ip = text(service, &["spec", "clusterIP"]);
        if !ip.is_empty() && ip != "None" {
            self.release_ip(ip).await;
        }
        self.release_node_ports(service);
    }
}

/// The node ports a Service holds.
fn node_ports(service: &Value) -> Vec<u32> {
    service["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["nodePort"].as_u64())
        .map(|p| p as u32)
        .collect()
}

/// Upstream's dropTypeDependentFields: a Service that leaves NodePort or
/// LoadBalancer drops the node ports it was given (unless the update
/// changed them), and one that becomes ExternalName drops its cluster IPs.
fn drop_type_dependent_fields(service: &mut Value, old: &Value) {
    if uses_node_ports(old) && !uses_node_ports(service) {
        let held = node_ports(old);
        for port in service["spec"]["ports"].as_array_mut().into_iter().flatten() {
            if port["nodePort"].as_u64().is_some_and(|p| held.contains(&(p as u32)))
                && let Some(port) = port.as_object_mut()
            {
                port.remove("nodePort");
            }
        }
    }
    if text(service, &["spec", "type"]) == "ExternalName"
        && text(old, &["spec", "type"]) != "ExternalName"
        && let Some(spec) = service["spec"].as_object_mut()
    {
        for field in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"] {
            if spec.get(field) == old["spec"].get(field) {
                spec.remove(field);
            }
        }
    }
}

impl ServiceStrategy {
    /// A cluster IP for `service`: the one it asks for, or the next free
    /// one, claimed as an IPAddress unless this is a dry run.
    async fn allocate_ip(&self, service: &Value, requested: &str, dry_run: bool) -> Result<String, ApiError> {
        let name = text(service, &["metadata", "name"]);
        let invalid = |ip: &str, why: String| {
            let field =
                FieldError::invalid("spec.clusterIPs", json!([ip]), format!("failed to allocate IP {ip}: {why}"));
            ApiError::invalid("", "Service", name, &[field])
        };
        if !requested.is_empty() {
            self.allocator.allocate(requested).map_err(|e| invalid(requested, e.to_string()))?;
            if dry_run {
                self.allocator.release(requested);
                return Ok(requested.to_string());
            }
            return match self.claims.claim(requested, service).await {
                Ok(()) => Ok(requested.to_string()),
                Err(ClaimError::Taken) => Err(invalid(requested, AllocationError::Allocated.to_string())),
                Err(ClaimError::Failed(e)) => {
                    self.allocator.release(requested);
                    Err(e)
                }
            };
        }
        loop {
            let ip = self
                .allocator
                .allocate_next()
                .map_err(|e| ApiError::internal(format!("failed to allocate a serviceIP: {e}")))?;
            if dry_run {
                self.allocator.release(&ip);
                return Ok(ip);
            }
            match self.claims.claim(&ip, service).await {
                Ok(()) => return Ok(ip),
                // Held through another API server: it stays marked used here.
                Err(ClaimError::Taken) => continue,
                Err(ClaimError::Failed(e)) => {
                    self.allocator.release(&ip);
                    return Err(e);
                }
            }
        }
    }

    async fn release_ip(&self, ip: &str) {
        self.allocator.release(ip);
        self.claims.release(ip).await;
    }

    /// Gives every port of a NodePort or LoadBalancer service a node port,
    /// keeping those in `held` (already the service's) and taking the ones
    /// it names; returns the ports newly taken. On failure nothing newly
    /// taken stays allocated.
    fn allocate_node_ports(&self, service: &mut Value, held: &[u32]) -> Result<Vec<u32>, ApiError> {
        let mut taken = Vec::new();
        if !uses_node_ports(service) {
            return Ok(taken);
        }
        let name = text(service, &["metadata", "name"]).to_string();
        for (i, port) in service["spec"]["ports"].as_array_mut().into_iter().flatten().enumerate() {
            let outcome = match port["nodePort"].as_u64() {
                Some(wanted) if held.contains(&(wanted as u32)) => continue,
                Some(wanted) => self.ports.allocate(wanted as u32).map(|()| wanted as u32),
                None => self.ports.allocate_next(),
            };
            match outcome {
                Ok(node_port) => {
                    taken.push(node_port);
                    port["nodePort"] = json!(node_port);
                }
                Err(e) => {
                    taken.iter().for_each(|p| self.ports.release(*p));
                    let field = FieldError::invalid(
                        format!("spec.ports[{i}].nodePort"),
                        port["nodePort"].clone(),
                        e.to_string(),
                    );
                    return Err(ApiError::invalid("", "Service", &name, &[field]));
                }
            }
        }
        Ok(taken)
    }

    fn release_node_ports(&self, service: &Value) {
        for port in service["spec"]["ports"].as_array().into_iter().flatten() {
            if let Some(node_port) = port["nodePort"].as_u64() {
                self.ports.release(node_port as u32);
            }
        }
    }
}

fn endpoints_cell(endpoints: &Value) -> String {
    let mut addresses = Vec::new();
    for subset in endpoints["subsets"].as_array().into_iter().flatten() {
        for address in subset["addresses"].as_array().into_iter().flatten() {
            for port in subset["ports"].as_array().into_iter().flatten() {
                addresses.push(format!("{}:{}", text(address, &["ip"]), port["port"]));
            }
        }
    }
    if addresses.is_empty() { "<none>".into() } else { addresses.join(",") }
}

/// Endpoints: NAME ENDPOINTS AGE.
pub struct EndpointsStrategy(Cells);

impl Default for EndpointsStrategy {
    fn default() -> Self {
        EndpointsStrategy(Columns {
            columns: vec![Column::new("Endpoints", "string", "Endpoints of the service")],
            cells: |ep| vec![json!(endpoints_cell(ep))],
        })
    }
}

impl Strategy for EndpointsStrategy {
    fn table(&self) -> &dyn TableConvertor {
        &self.0
    }
}
