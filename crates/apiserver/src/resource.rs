//! The facts registered for each served resource (upstream's Scheme
//! registration plus APIResource): names, scope, verbs and subresources.
//! Discovery, routing and storage keys are all derived from these.

use serde_json::{Value, json};

/// Every verb a fully writable resource supports, in upstream's order.
pub const ALL_VERBS: [&str; 8] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

/// Where a scalable resource keeps what its `scale` subresource shows:
/// dotted paths such as `spec.replicas`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalePaths {
    /// The desired replicas (`spec.replicas`).
    pub spec_replicas: String,
    /// The observed replicas (`status.replicas`).
    pub status_replicas: String,
    /// The label selector: a string field, or a LabelSelector object
    /// (built-in kinds keep `spec.selector`).
    pub label_selector: Option<String>,
}

/// A subresource such as `status` or `scale`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubresourceDef {
    /// The path segment: `status`, `scale`, `binding`, ...
    pub name: String,
    /// The kind served at it (the resource's own kind for status).
    pub kind: String,
    /// The group of that kind, when it differs (scale is autoscaling/v1).
    pub group: String,
    /// Its version, when it differs.
    pub version: String,
    /// Its verbs.
    pub verbs: Vec<&'static str>,
    /// For `scale`: where the replicas and selector are.
    pub scale: Option<ScalePaths>,
}

/// Adds a kind's OpenAPI schema (and those it references) to a generator
/// and returns the reference to it; built-in kinds use k8s-openapi's.
pub type SchemaFn = fn(&mut schemars::SchemaGenerator) -> schemars::Schema;

/// Where a resource's OpenAPI schema comes from.
#[derive(Debug, Clone)]
pub enum SchemaSource {
    /// Generated from a k8s-openapi type (built-in kinds).
    Generated(SchemaFn),
    /// Built elsewhere and given whole (custom resources, from their
    /// CustomResourceDefinition).
    Given(std::sync::Arc<crate::openapi::KindSchemas>),
}

/// The schema function of a k8s-openapi type.
pub fn schema_of<T: schemars::JsonSchema>(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    generator.subschema_for::<T>()
}

/// One served resource in one group version.
#[derive(Debug, Clone)]
pub struct ResourceDef {
    /// API group; empty for core.
    pub group: String,
    /// Version.
    pub version: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// Plural resource name, e.g. `deployments`.
    pub plural: String,
    /// Singular name, e.g. `deployment`.
    pub singular: String,
    /// Short names, e.g. `deploy`.
    pub short_names: Vec<String>,
    /// Categories, e.g. `all`.
    pub categories: Vec<String>,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// Verbs on the resource itself.
    pub verbs: Vec<&'static str>,
    /// Subresources.
    pub subresources: Vec<SubresourceDef>,
    /// The kind's OpenAPI schema, for /openapi, strategic merge patch and
    /// field validation.
    pub schema: Option<SchemaSource>,
}

impl ResourceDef {
    /// A resource with every verb and no subresources.
    pub fn new(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> Self {
        ResourceDef {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            singular: kind.to_lowercase(),
            short_names: Vec::new(),
            categories: Vec::new(),
            namespaced,
            verbs: ALL_VERBS.to_vec(),
            subresources: Vec::new(),
            schema: None,
        }
    }

    /// Sets the kind's OpenAPI schema.
    pub fn schema(mut self, schema: SchemaFn) -> Self {
        self.schema = Some(SchemaSource::Generated(schema));
        self
    }

    /// Sets a schema built elsewhere (a custom resource's).
    pub fn given_schema(mut self, schemas: std::sync::Arc<crate::openapi::KindSchemas>) -> Self {
        self.schema = Some(SchemaSource::Given(schemas));
        self
    }

    /// Whether strategic merge patches apply: only to built-in kinds, whose
    /// schemas carry patch strategies (upstream refuses them for custom
    /// resources).
    pub fn accepts_strategic_merge(&self) -> bool {
        matches!(self.schema, Some(SchemaSource::Generated(_)))
    }

    /// Adds short names.
    pub fn short_names(mut self, names: &[&str]) -> Self {
        self.short_names = names.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Adds categories.
    pub fn categories(mut self, categories: &[&str]) -> Self {
        self.categories = categories.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Replaces the verbs.
    pub fn verbs(mut self, verbs: &[&'static str]) -> Self {
        self.verbs = verbs.to_vec();
        self
    }

    /// Adds the `status` subresource (get, patch, update).
    pub fn with_status(mut self) -> Self {
        let kind = self.kind.clone();
        self.subresources.push(SubresourceDef {
            name: "status".into(),
            kind,
            group: String::new(),
            version: String::new(),
            verbs: vec!["get", "patch", "update"],
            scale: None,
        });
        self
    }

    /// Adds the `scale` subresource (autoscaling/v1 Scale) over the given
    /// paths.
    pub fn with_scale(mut self, paths: ScalePaths) -> Self {
        self.subresources.push(SubresourceDef {
            name: "scale".into(),
            kind: "Scale".into(),
            group: "autoscaling".into(),
            version: "v1".into(),
            verbs: vec!["get", "patch", "update"],
            scale: Some(paths),
        });
        self
    }

    /// The scale paths of the built-in workloads: `spec.replicas`,
    /// `status.replicas` and the selector in `spec.selector`.
    pub fn workload_scale(self) -> Self {
        self.with_scale(ScalePaths {
            spec_replicas: "spec.replicas".into(),
            status_replicas: "status.replicas".into(),
            label_selector: Some("spec.selector".into()),
        })
    }

    /// Adds a subresource with its own kind and verbs.
    pub fn with_subresource(
        mut self,
        name: &str,
        kind: &str,
        group: &str,
        version: &str,
        verbs: &[&'static str],
    ) -> Self {
        self.subresources.push(SubresourceDef {
            name: name.into(),
            kind: kind.into(),
            group: group.into(),
            version: version.into(),
            verbs: verbs.to_vec(),
            scale: None,
        });
        self
    }

    /// The `apiVersion` value of this resource's objects.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }

    /// The resource in a group, as errors name it.
    pub fn group_resource(&self) -> apimachinery::GroupResource {
        apimachinery::GroupResource::new(&self.group, &self.plural)
    }

    /// True when the resource has this subresource.
    pub fn has_subresource(&self, name: &str) -> bool {
        self.subresources.iter().any(|s| s.name == name)
    }

    /// The subresources in discovery order: by name, as upstream lists them.
    fn sorted_subresources(&self) -> Vec<&SubresourceDef> {
        let mut subresources: Vec<&SubresourceDef> = self.subresources.iter().collect();
        subresources.sort_by(|a, b| a.name.cmp(&b.name));
        subresources
    }

    /// The entry in a legacy discovery APIResourceList.
    pub fn discovery_entries(&self) -> Vec<Value> {
        let mut entries = vec![json!({
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": self.verbs,
        })];
        if !self.short_names.is_empty() {
            entries[0]["shortNames"] = json!(self.short_names);
        }
        if !self.categories.is_empty() {
            entries[0]["categories"] = json!(self.categories);
        }
        for sub in self.sorted_subresources() {
            let mut entry = json!({
                "name": format!("{}/{}", self.plural, sub.name),
                "singularName": "",
                "namespaced": self.namespaced,
                "kind": sub.kind,
                "verbs": sub.verbs,
            });
            if !sub.group.is_empty() {
                entry["group"] = json!(sub.group);
                entry["version"] = json!(sub.version);
            }
            entries.push(entry);
        }
        entries
    }

    /// The entry in an aggregated discovery (apidiscovery.k8s.io/v2)
    /// APIVersionDiscovery.
    pub fn aggregated_entry(&self) -> Value {
        let mut entry = json!({
            "resource": self.plural,
            "responseKind": {"group": "", "version": "", "kind": self.kind},
            "scope": if self.namespaced { "Namespaced" } else { "Cluster" },
            "singularResource": self.singular,
            "verbs": self.verbs,
        });
        if !self.short_names.is_empty() {
            entry["shortNames"] = json!(self.short_names);
        }
        if !self.categories.is_empty() {
            entry["categories"] = json!(self.categories);
        }
        if !self.subresources.is_empty() {
            entry["subresources"] = self
                .sorted_subresources()
                .into_iter()
                .map(|sub| {
                    json!({
                        "subresource": sub.name,
                        "responseKind": {"group": sub.group, "version": sub.version, "kind": sub.kind},
                        "verbs": sub.verbs,
                    })
                })
                .collect();
        }
        entry
    }
}
