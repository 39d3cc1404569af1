//! Group, version, kind and resource names.

use std::fmt;

/// An API group and version, e.g. `apps/v1` or the core group's `v1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupVersion {
    /// The group; empty for the core ("legacy") group.
    pub group: String,
    /// The version, e.g. `v1`.
    pub version: String,
}

impl GroupVersion {
    /// A group version from its parts.
    pub fn new(group: &str, version: &str) -> Self {
        GroupVersion { group: group.into(), version: version.into() }
    }

    /// Parses an `apiVersion` value: `v1` or `apps/v1`.
    pub fn parse(api_version: &str) -> Self {
        match api_version.split_once('/') {
            Some((group, version)) => GroupVersion::new(group, version),
            None => GroupVersion::new("", api_version),
        }
    }
}

impl fmt::Display for GroupVersion {
    /// The `apiVersion` form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() { write!(f, "{}", self.version) } else { write!(f, "{}/{}", self.group, self.version) }
    }
}

/// A kind in a group version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupVersionKind {
    /// The group.
    pub group: String,
    /// The version.
    pub version: String,
    /// The kind, e.g. `Deployment`.
    pub kind: String,
}

/// A resource in a group, as errors name it: `pods`, `deployments.apps`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupResource {
    /// The group; empty for core.
    pub group: String,
    /// The plural resource name.
    pub resource: String,
}

impl GroupResource {
    /// A group resource from its parts.
    pub fn new(group: &str, resource: &str) -> Self {
        GroupResource { group: group.into(), resource: resource.into() }
    }
}

impl fmt::Display for GroupResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            write!(f, "{}", self.resource)
        } else {
            write!(f, "{}.{}", self.resource, self.group)
        }
    }
}
