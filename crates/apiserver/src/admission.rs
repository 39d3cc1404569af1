//! Admission: plugins that see every write after decoding and before
//! storage, as upstream's admission chain (mutating, then validating).
//! The control plane registers its plugins (NamespaceLifecycle, ...).

use apimachinery::ApiError;
use async_trait::async_trait;
use serde_json::Value;

use crate::authn::UserInfo;
use crate::resource::ResourceDef;

/// The write being admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A create.
    Create,
    /// An update or patch.
    Update,
    /// A delete.
    Delete,
}

/// What a plugin knows about the request.
pub struct Attributes<'a> {
    /// The operation.
    pub operation: Operation,
    /// The resource written.
    pub resource: &'a ResourceDef,
    /// The subresource, if any.
    pub subresource: &'a str,
    /// The namespace, for namespaced resources.
    pub namespace: &'a str,
    /// The object's name.
    pub name: &'a str,
    /// Who is writing.
    pub user: &'a UserInfo,
    /// True for dryRun=All.
    pub dry_run: bool,
}

/// One admission plugin.
#[async_trait]
pub trait AdmissionPlugin: Send + Sync {
    /// Inspects (and may change) the object; an error refuses the write.
    async fn admit(&self, attributes: &Attributes<'_>, object: Option<&mut Value>) -> Result<(), ApiError>;
}

/// The plugins, run in order.
#[derive(Default, Clone)]
pub struct AdmissionChain {
    plugins: Vec<std::sync::Arc<dyn AdmissionPlugin>>,
}

impl AdmissionChain {
    /// Appends a plugin.
    pub fn push(&mut self, plugin: std::sync::Arc<dyn AdmissionPlugin>) {
        self.plugins.push(plugin);
    }

    /// Runs every plugin; the first error wins.
    pub async fn admit(&self, attributes: &Attributes<'_>, mut object: Option<&mut Value>) -> Result<(), ApiError> {
        for plugin in &self.plugins {
            plugin.admit(attributes, object.as_deref_mut()).await?;
        }
        Ok(())
    }
}
