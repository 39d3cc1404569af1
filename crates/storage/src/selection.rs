//! Upstream's `storage.SelectionPredicate`: label and field selectors
//! evaluated on attributes extracted from an object once per version.

use std::sync::Arc;

use apimachinery::fields::FieldSource;
use apimachinery::labels::LabelSource;
use apimachinery::{FieldSelector, LabelSelector};
use serde::Deserialize;

/// The labels and selectable fields of one object version: all that
/// selectors need, kept instead of a decoded object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attrs {
    labels: Box<[(Box<str>, Box<str>)]>,
    fields: Box<[(Box<str>, Box<str>)]>,
}

impl Attrs {
    /// Attributes from label pairs and field pairs (field paths such as
    /// `metadata.name`).
    pub fn new(
        labels: impl IntoIterator<Item = (String, String)>,
        fields: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        let mut labels: Vec<_> = labels.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        labels.sort_unstable();
        let fields: Vec<_> = fields.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        Attrs { labels: labels.into(), fields: fields.into() }
    }

    /// Heap bytes held by these attributes, for memory accounting.
    pub fn heap_size(&self) -> usize {
        let pairs = |p: &[(Box<str>, Box<str>)]| p.iter().map(|(k, v)| k.len() + v.len() + 32).sum::<usize>();
        pairs(&self.labels) + pairs(&self.fields)
    }
}

impl LabelSource for Attrs {
    fn label(&self, key: &str) -> Option<&str> {
        self.labels.binary_search_by(|(k, _)| k.as_ref().cmp(key)).ok().map(|i| self.labels[i].1.as_ref())
    }
}

impl FieldSource for Attrs {
    fn field(&self, path: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k.as_ref() == path).map(|(_, v)| v.as_ref())
    }
}

/// Extracts [`Attrs`] from an encoded object. Each resource supplies one with
/// the field selectors upstream supports for its kind.
pub type AttrsFunc = Arc<dyn Fn(&[u8]) -> Result<Attrs, String> + Send + Sync>;

#[derive(Deserialize)]
struct MetadataOnly {
    #[serde(default)]
    metadata: SelectableMetadata,
}

#[derive(Deserialize, Default)]
struct SelectableMetadata {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    labels: Option<std::collections::BTreeMap<String, String>>,
}

/// The attributes every kind has: its labels, `metadata.name` and
/// `metadata.namespace`, plus whatever `extra` fields the caller adds.
pub fn metadata_attrs(data: &[u8], extra: Vec<(String, String)>) -> Result<Attrs, String> {
    let parsed: MetadataOnly = serde_json::from_slice(data).map_err(|e| e.to_string())?;
    let meta = parsed.metadata;
    let mut fields = vec![("metadata.name".to_string(), meta.name), ("metadata.namespace".to_string(), meta.namespace)];
    fields.extend(extra);
    Ok(Attrs::new(meta.labels.unwrap_or_default(), fields))
}

/// The [`AttrsFunc`] for kinds with no selectable fields of their own.
pub fn default_attrs_func() -> AttrsFunc {
    Arc::new(|data| metadata_attrs(data, Vec::new()))
}

/// Which objects a list or watch wants.
#[derive(Debug, Clone, Default)]
pub struct SelectionPredicate {
    /// The label selector.
    pub label: LabelSelector,
    /// The field selector.
    pub field: FieldSelector,
}

impl SelectionPredicate {
    /// True when the predicate selects every object.
    pub fn is_everything(&self) -> bool {
        self.label.is_empty() && self.field.is_empty()
    }

    /// True when the object with these attributes is selected.
    pub fn matches(&self, attrs: &Attrs) -> bool {
        self.label.matches(attrs) && self.field.matches(attrs)
    }
}
